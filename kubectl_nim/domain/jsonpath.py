"""The subset of kubectl's JSONPath templates that `-o jsonpath=` and `--sort-by` accept. Pure.

A template is literal text with `{...}` expressions, as in kubectl:

    {.items[*].name}                      every item's name, space separated
    {.items[0].model}  {.items[-1].tag}   an index (negative from the end)
    {.items[*]['keyScheme']}              a bracketed key (for keys with dots or dashes)
    {range .items[*]}{.name}{"\t"}{.ready}{"\n"}{end}
                                          a loop; "..." inside braces is literal text
    name: {.metadata.name}                text around expressions is printed as is

Supported: `.key`, `['key']`, `[N]`, `[*]`, `..key` (recursive descent), `@` (the current
object), `range`/`end`, quoted literals with \\n \\t \\" escapes. Not supported (refused with
the reason): filters `[?(...)]`, unions `[a,b]`, slices `[a:b]`. A path that matches nothing
prints nothing for that expression, like kubectl's `--allow-missing-template-keys` default.
Scalars print as kubectl prints them: strings bare, numbers and booleans in JSON, lists and
objects as compact JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

from kubectl_nim.errors import UsageError

_STEP = re.compile(r"""
    \.\.(?P<deep>[A-Za-z0-9_-]+)             # ..key
  | \.(?P<key>[A-Za-z0-9_-]+)                 # .key
  | \[\s*(?P<index>-?\d+)\s*\]                # [0]
  | \[\s*\*\s*\]                              # [*]
  | \[\s*'(?P<sq>[^']*)'\s*\]                 # ['key']
  | \[\s*"(?P<dq>[^"]*)"\s*\]                 # ["key"]
  | \.(?=$|\.|\[)                             # a lone "." (the root)
""", re.X)
_UNSUPPORTED = (("[?", "filters [?(...)]"), (",", "unions [a,b]"), (":", "slices [a:b]"))


def _bad(template: str, why: str) -> UsageError:
    return UsageError(f"invalid jsonpath template {template!r}: {why}",
                      hint="see `list --help` for the supported subset")


def compile_path(path: str, template: str = "") -> list[tuple[str, Any]]:
    """`.items[*].name` → steps; raises UsageError for what the subset does not support."""
    text = path.strip()
    if text.startswith("$"):
        text = text[1:]
    if text.startswith("@"):
        text = text[1:]
    for marker, what in _UNSUPPORTED:
        if marker in text.replace("['", "").replace("']", ""):
            raise _bad(template or path, f"{what} are not supported")
    steps: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        m = _STEP.match(text, pos)
        if not m or m.end() == pos:
            raise _bad(template or path, f"cannot parse {text[pos:]!r}")
        if m.group("deep") is not None:
            steps.append(("deep", m.group("deep")))
        elif m.group("key") is not None:
            steps.append(("key", m.group("key")))
        elif m.group("index") is not None:
            steps.append(("index", int(m.group("index"))))
        elif m.group("sq") is not None or m.group("dq") is not None:
            steps.append(("key", m.group("sq") if m.group("sq") is not None else m.group("dq")))
        elif "*" in m.group(0):
            steps.append(("all", None))
        pos = m.end()
    return steps


def _descend(value: Any) -> Iterator[Any]:
    yield value
    children = value.values() if isinstance(value, dict) else \
        value if isinstance(value, list) else ()
    for child in children:
        yield from _descend(child)


def evaluate(steps: list[tuple[str, Any]], data: Any) -> list[Any]:
    """Every value the steps reach from data (missing keys reach nothing)."""
    current = [data]
    for kind, arg in steps:
        nxt: list[Any] = []
        for value in current:
            if kind == "key" and isinstance(value, dict) and arg in value:
                nxt.append(value[arg])
            elif kind == "index" and isinstance(value, list) and -len(value) <= arg < len(value):
                nxt.append(value[arg])
            elif kind == "all":
                nxt.extend(value.values() if isinstance(value, dict) else
                           value if isinstance(value, list) else [])
            elif kind == "deep":
                nxt.extend(v[arg] for v in _descend(value) if isinstance(v, dict) and arg in v)
        current = nxt
    return current


def text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""  # kubectl prints <nil> in some versions; nothing reads better in scripts
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


_TOKEN = re.compile(r"\{((?:[^{}\"]|\"(?:\\.|[^\"\\])*\")*)\}")


def _literal(text: str) -> str:
    return text.replace("\\n", "\n").replace("\\t", "\t").replace('\\"', '"')


def parse(template: str) -> list[tuple[str, Any]]:
    """Template → nodes: ("text", s), ("path", steps), ("range", steps), ("end", None)."""
    nodes: list[tuple[str, Any]] = []
    pos = 0
    for m in _TOKEN.finditer(template):
        if m.start() > pos:
            nodes.append(("text", _literal(template[pos:m.start()])))
        inner = m.group(1).strip()
        if inner.startswith('"') and inner.endswith('"') and len(inner) >= 2:
            nodes.append(("text", _literal(inner[1:-1])))
        elif inner == "end":
            nodes.append(("end", None))
        elif inner.startswith("range "):
            nodes.append(("range", compile_path(inner[len("range "):], template)))
        else:
            nodes.append(("path", compile_path(inner, template)))
        pos = m.end()
    rest = template[pos:]
    if "{" in rest or "}" in rest:
        raise _bad(template, "unbalanced braces")
    if rest:
        nodes.append(("text", _literal(rest)))
    depth = 0
    for kind, _ in nodes:
        depth += {"range": 1, "end": -1}.get(kind, 0)
        if depth < 0:
            raise _bad(template, "{end} without {range}")
    if depth:
        raise _bad(template, "{range} without {end}")
    return nodes


def _render(nodes: list[tuple[str, Any]], data: Any, out: list[str]) -> None:
    i = 0
    while i < len(nodes):
        kind, arg = nodes[i]
        if kind == "text":
            out.append(arg)
        elif kind == "path":
            out.append(" ".join(text_of(v) for v in evaluate(arg, data)))
        elif kind == "range":
            depth, j = 1, i + 1
            while depth:
                depth += {"range": 1, "end": -1}.get(nodes[j][0], 0)
                j += 1
            body = nodes[i + 1:j - 1]
            for item in evaluate(arg, data):
                _render(body, item, out)
            i = j
            continue
        i += 1


def render(template: str, data: Any) -> str:
    """kubectl's `-o jsonpath=TEMPLATE` on data (no newline is added, as in kubectl)."""
    out: list[str] = []
    _render(parse(template), data, out)
    return "".join(out)


def sort_key_path(expression: str, single: bool = True) -> list[tuple[str, Any]]:
    """--sort-by and custom-columns: `{.name}` or `.name`; `single`: one value per item."""
    text = expression.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    steps = compile_path(text, expression)
    if single and any(kind in ("all", "deep") for kind, _ in steps):
        raise _bad(expression, "--sort-by needs a path to one value per item")
    return steps
