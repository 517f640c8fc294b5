"""OpenShift Template processing, the way `oc process` does it, without a cluster
(docs/design.md#what-deploy-creates).

The runtime template may come from the cluster (docs/design.md#cluster-configuration), so it may
declare `parameters`. We
process it locally rather than through the `processedtemplates` API because the plugin must also
work with the embedded template and for users without RBAC on the applications namespace.

Semantics follow openshift/library-go's template processor:
- a value given by the user replaces the parameter's `value`; a parameter still empty with
  `generate: expression` gets a value generated from its `from` pattern; a `required` one still
  empty is an error;
- `${NAME}` is replaced inside any string (map keys included); a string that is exactly
  `${{NAME}}` is replaced by the value decoded as JSON (a number, boolean, list, object), or by
  the plain string when the value is not JSON;
- references to names that are not parameters are left alone;
- the Template's top-level `labels` are added to every object.
"""

from __future__ import annotations

import copy
import json
import random
import re
from typing import Any, Iterable, Mapping, Optional

from kubectl_nim.errors import NimError, UsageError

SERVING_RUNTIME_KIND = "ServingRuntime"

_STRING_REF = re.compile(r"\$\{([a-zA-Z0-9_]+?)\}")
_WHOLE_VALUE_REF = re.compile(r"^\$\{\{([a-zA-Z0-9_]+)\}\}$")
_GENERATOR = re.compile(r"\[([a-zA-Z0-9\-\\]+)\]\{([0-9]+)\}")
_CLASS_PART = re.compile(r"\\(.)|(.)-(.)|(.)")

_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_NUMERALS = "0123456789"
_SYMBOLS = "~!@#$%^&*()-_+={}[]\\|<,>.?/\"';:`"
_ESCAPES = {  # as in library-go's ExpressionValueGenerator
    "w": _ALPHABET + _NUMERALS + _SYMBOLS,
    "d": _NUMERALS,
    "a": _ALPHABET + _NUMERALS,
    "A": _SYMBOLS,
}


class TemplateError(NimError):
    """The template itself is unusable (not a user mistake: exit 1)."""


def process_template(template: Mapping[str, Any], params: Optional[Mapping[str, str]] = None,
                     rng: Optional[random.Random] = None) -> list[dict]:
    """The template's `objects` with parameters applied, as new dicts.

    `params` are the user's values (unknown names are refused). `rng` makes generated values
    deterministic in tests; by default they come from the system's secure source.
    """
    params = dict(params or {})
    _check_shape(template)
    declared = template.get("parameters") or []
    _refuse_unknown(params, declared)
    objects = copy.deepcopy(list(template.get("objects") or []))
    labels = copy.deepcopy(dict(template.get("labels") or {}))
    if declared:
        values = resolve_parameters(declared, params, rng)
        objects = [_substitute(obj, values) for obj in objects]
        labels = _substitute(labels, values)
    if labels:
        for obj in objects:
            obj.setdefault("metadata", {}).setdefault("labels", {}).update(labels)
    return objects


def _check_shape(template: Any) -> None:
    """A Template read from the cluster may hold anything: say what is wrong in one line
    instead of failing on it later."""
    hint = "fix the Template on the cluster, or deploy with --offline (the embedded template)"
    if not isinstance(template, Mapping):
        raise TemplateError("the runtime template is not an object", hint=hint)
    declared = template.get("parameters") or []
    if not isinstance(declared, list) or not all(isinstance(p, Mapping) for p in declared):
        raise TemplateError("the runtime template's parameters are not a list of objects",
                            hint=hint)
    for param in declared:
        if not isinstance(param.get("name"), str) or not param["name"]:
            raise TemplateError("the runtime template has a parameter without a name", hint=hint)
        for key in ("value", "generate", "from"):
            if param.get(key) is not None and not isinstance(param[key], str):
                raise TemplateError(f"parameter {param['name']} of the runtime template has a "
                                    f"{key} that is not a string", hint=hint)
    if not isinstance(template.get("objects") or [], list):
        raise TemplateError("the runtime template's objects are not a list", hint=hint)
    if not isinstance(template.get("labels") or {}, Mapping):
        raise TemplateError("the runtime template's labels are not an object", hint=hint)


def _refuse_unknown(params: Mapping[str, str], declared: Iterable[Mapping[str, Any]]) -> None:
    names = [p.get("name") for p in declared]
    unknown = sorted(set(params) - set(names))
    if unknown:
        known = ", ".join(n for n in names if n) or "none"
        raise UsageError(f"the runtime template has no parameter {', '.join(unknown)}",
                         hint=f"its parameters: {known}")


def resolve_parameters(declared: Iterable[Mapping[str, Any]], given: Mapping[str, str],
                       rng: Optional[random.Random] = None) -> dict[str, str]:
    """Parameter name → final value: given, else declared, else generated; required enforced."""
    values: dict[str, str] = {}
    for param in declared:
        name = param.get("name")
        if not isinstance(name, str) or not name:
            raise TemplateError("the runtime template has a parameter without a name")
        value = given.get(name, param.get("value") or "")
        if not value and param.get("generate"):
            value = _generate(param, rng or random.SystemRandom())
        if not value and param.get("required"):
            raise UsageError(f"the runtime template requires parameter {name}",
                             hint=f"give it with --template-param {name}=VALUE")
        values[name] = str(value)
    return values


def _generate(param: Mapping[str, Any], rng: random.Random) -> str:
    if param["generate"] != "expression":
        raise TemplateError(f"parameter {param['name']}: unknown generator "
                            f"{param['generate']!r} (only 'expression' is supported)")
    try:
        return generate_expression(str(param.get("from") or ""), rng)
    except ValueError as e:
        raise TemplateError(f"parameter {param['name']}: {e}") from None


def generate_expression(expression: str, rng: random.Random) -> str:
    """`x-[a-z0-9]{8}` → `x-` and 8 characters from the class; other text is kept as is."""
    return _GENERATOR.sub(lambda m: "".join(rng.choice(_character_class(m.group(1)))
                                            for _ in range(int(m.group(2)))), expression)


def _character_class(spec: str) -> str:
    """`a-z0-9` → the characters it names; `\\w \\d \\a \\A` as in `oc process`."""
    chars: list[str] = []
    for escape, low, high, single in _CLASS_PART.findall(spec):
        if escape:
            if escape not in _ESCAPES:
                raise ValueError(f"unknown class \\{escape} in [{spec}]")
            chars.append(_ESCAPES[escape])
        elif low:
            if ord(low) > ord(high):
                raise ValueError(f"invalid range {low}-{high} in [{spec}]")
            chars.append("".join(map(chr, range(ord(low), ord(high) + 1))))
        else:
            chars.append(single)
    return "".join(dict.fromkeys("".join(chars)))  # each character once, order kept


def _substitute(value: Any, values: Mapping[str, str]) -> Any:
    """Walk the object, replacing parameter references in every string (keys too)."""
    if isinstance(value, dict):
        return {_substitute_string(k, values, whole=False): _substitute(v, values)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, values) for v in value]
    if isinstance(value, str):
        return _substitute_string(value, values, whole=True)
    return value


def _substitute_string(text: str, values: Mapping[str, str], whole: bool) -> Any:
    match = _WHOLE_VALUE_REF.fullmatch(text) if whole else None
    if match and match.group(1) in values:
        return _decode_json(values[match.group(1)])
    return _STRING_REF.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _decode_json(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw  # oc keeps an unquoted non-JSON value as a string


def find_runtime(objects: Iterable[Mapping[str, Any]]) -> dict:
    """The template's ServingRuntime: `objects[0]` in every shipped template, but checked by kind
    so that a template listing something else first still works, and one without fails plainly."""
    for obj in objects:
        if isinstance(obj, dict) and obj.get("kind") == SERVING_RUNTIME_KIND:
            return obj
    raise TemplateError("the runtime template contains no ServingRuntime object",
                        hint="its objects must include a serving.kserve.io ServingRuntime")


def parameter_names(template: Mapping[str, Any]) -> list[str]:
    """For help texts and completion."""
    return [p["name"] for p in template.get("parameters") or [] if p.get("name")]

