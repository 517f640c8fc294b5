"""The NIM model catalog of docs/design.md#catalog: parsing, lookup and deterministic serialisation.

Pure functions over plain data: text and dicts in, never a file (adapters/catalog_source reads
them; app/local_catalog joins the two). A catalog is a ConfigMap with one data key per model
whose value is a JSON object; one malformed entry is skipped with a warning and never breaks the
whole list.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from kubectl_nim.errors import NimError, NotFound
from kubectl_nim.domain.names import CATALOG_CONFIGMAPS, MANAGED_LABEL

CONFIGMAP_NAME = CATALOG_CONFIGMAPS[0]
REGISTRY = "nvcr.io"
CONFIGMAP_LIMIT_BYTES = 1024 * 1024  # etcd's limit for one object; a catalog must stay below it
_REQUIRED = ("name", "namespace", "tags", "latestTag")


class MalformedCatalog(NimError):
    """The catalog as a whole cannot be read (not a ConfigMap, no data, unparseable)."""


@dataclass(frozen=True)
class Model:
    name: str
    namespace: str
    tags: tuple[str, ...]
    latest_tag: str
    display_name: str = ""
    short_description: str = ""
    updated_date: str = ""
    eu_restricted: bool = False

    @property
    def repository(self) -> str:
        return f"{REGISTRY}/{self.namespace}/{self.name}"

    @property
    def default_tag(self) -> str:
        return default_tag(self)

    def image(self, tag: str | None = None) -> str:
        return f"{self.repository}:{tag or self.default_tag}"

    def to_entry(self) -> dict:
        """The JSON object of docs/design.md#catalog, keys in the reference order."""
        return {
            "name": self.name,
            "displayName": self.display_name,
            "shortDescription": self.short_description,
            "namespace": self.namespace,
            "tags": list(self.tags),
            "latestTag": self.latest_tag,
            "updatedDate": self.updated_date,
            "euRestricted": self.eu_restricted,
        }

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> "Model":
        """Build a model from a decoded entry; ValueError says what is wrong with it."""
        if not isinstance(entry, Mapping):
            raise ValueError("value is not a JSON object")
        missing = [k for k in _REQUIRED if not entry.get(k)]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        tags = entry["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
            raise ValueError("tags is not a list of strings")
        for key in ("name", "namespace", "latestTag"):
            if not isinstance(entry[key], str):
                raise ValueError(f"{key} is not a string")
        eu = entry.get("euRestricted", False)
        if not isinstance(eu, bool):
            raise ValueError("euRestricted is not true or false")
        return cls(
            name=entry["name"],
            namespace=entry["namespace"].strip("/"),
            tags=tuple(tags),
            latest_tag=entry["latestTag"],
            display_name=str(entry.get("displayName") or entry["name"]),
            short_description=str(entry.get("shortDescription") or ""),
            updated_date=str(entry.get("updatedDate") or ""),
            eu_restricted=eu,
        )


@dataclass(frozen=True)
class Catalog:
    models: tuple[Model, ...]
    source: str = ""
    warnings: tuple[str, ...] = field(default=())

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.models]

    def get(self, name: str) -> Model:
        for model in self.models:
            if model.name == name:
                return model
        raise NotFound(f"model {name!r} is not in the catalog ({self.source})",
                       hint=did_you_mean(name, self.names,
                                         fallback="run `models` or `models --search TEXT` to browse it"))

    def search(self, text: str) -> list[Model]:
        needle = text.lower()
        return [m for m in self.models
                if needle in m.name.lower() or needle in m.display_name.lower()
                or needle in m.short_description.lower()]


def did_you_mean(word: str, candidates: Sequence[str], fallback: str = "") -> str:
    close = difflib.get_close_matches(word, candidates, n=3, cutoff=0.6)
    if not close:
        lowered = word.lower()
        close = [c for c in candidates if lowered and lowered in c.lower()][:3]
    if close:
        return "did you mean " + ", ".join(close) + "?"
    return fallback


# --- concrete and floating tags (docs/design.md#catalog) ------------------------------------------
# A *concrete* tag names one build: MAJOR.MINOR.PATCH (optionally more numeric parts and a
# `-suffix`/`+suffix`, as in `1.8.0-RTX`). Everything else *floats*: `latest`, a bare major `1`,
# a major.minor `1.15`, or any non-numeric name, because NVIDIA moves it to newer builds, and a
# restart (rotate-key restarts!) would then silently pull a different model.
# *Newest* is numeric version order (1.10.0 > 1.9.2); a plain release outranks any suffixed tag,
# because NGC's suffixes mark pre-releases or hardware variants (`-RTX` builds target RTX AI
# PCs), neither a safe default for a cluster; suffixed tags are used only when nothing plain
# exists, the highest first (ties broken by the suffix, for a deterministic answer).
_CONCRETE = re.compile(r"^v?(?P<nums>\d+(?:\.\d+){2,})(?P<suffix>[-+][0-9A-Za-z.+-]*)?$")


def is_concrete(tag: str) -> bool:
    return bool(_CONCRETE.fullmatch(tag))


def version_key(tag: str) -> tuple:
    """Sort key of a concrete tag: higher is newer (see the rules above)."""
    match = _CONCRETE.fullmatch(tag)
    if not match:
        raise ValueError(f"{tag!r} is not a concrete version")
    nums = tuple(int(n) for n in match["nums"].split("."))
    suffix = match["suffix"] or ""
    return (not suffix, nums, suffix)


def newest_concrete(tags: Iterable[str]) -> str | None:
    concrete = [t for t in tags if is_concrete(t)]
    return max(concrete, key=version_key) if concrete else None


def default_tag(model: Model) -> str:
    """`latestTag` when concrete, else the newest concrete tag, else (nothing concrete at all)
    the floating latestTag, which `floating_tag_warning` then reports."""
    if is_concrete(model.latest_tag):
        return model.latest_tag
    return newest_concrete(model.tags) or model.latest_tag


def floating_tag_warning(model: Model, tag: str) -> str | None:
    """What to tell the user deploying a floating tag, or None for a concrete one."""
    if is_concrete(tag):
        return None
    pinned = newest_concrete(model.tags)
    advice = (f"pin a version with --tag {pinned}" if pinned
              else "the catalog lists no concrete version of this model")
    return (f"tag {tag!r} of {model.name} floats: NVIDIA moves it to newer builds, so a restart "
            f"(rotate-key restarts the model) may silently run a different model; {advice}")


def eu_restricted_warning(model: Model) -> str | None:
    """What to tell the user about a model NVIDIA does not serve to EU locations, or None."""
    if not model.eu_restricted:
        return None
    return (f"{model.name} is restricted in the European Union: NVIDIA refuses to serve it "
            f"(HTTP 451) to EU locations, so pulls from such a cluster will fail")


def resolve_tag(model: Model, tag: str | None) -> str:
    """The tag to deploy: the one asked for (it must exist), else `default_tag`."""
    if tag is None:
        return default_tag(model)
    if tag in model.tags:
        return tag
    raise NotFound(f"model {model.name!r} has no tag {tag!r}",
                   hint=did_you_mean(tag, list(model.tags),
                                     fallback=f"available tags: {', '.join(model.tags)}"))


def parse_entries(data: Mapping[str, Any], source: str = "") -> Catalog:
    """ConfigMap `data` → Catalog. Malformed entries become warnings naming their key."""
    from kubectl_nim.domain import bounded

    models, warnings = [], []
    # str(): a YAML file may have int or bool keys next to strings, which sorted() cannot compare.
    for key in sorted(data, key=lambda k: (not isinstance(k, str), str(k))):
        raw = data[key]
        try:
            if not isinstance(key, str):
                raise ValueError("its key is not a string")
            entry = bounded.load_json(raw) if isinstance(raw, (str, bytes)) else raw
            model = Model.from_entry(entry)
            if model.name != key:
                raise ValueError(f"its name is {model.name!r}")
        except (ValueError, TypeError, AttributeError, RecursionError) as e:
            # One entry at a time (docs/design.md#catalog): whatever is wrong with it, the rest
            # still parse.
            reason = "not valid JSON" if isinstance(e, json.JSONDecodeError) else (
                "it is nested too deeply" if isinstance(e, RecursionError) else str(e))
            warnings.append(f"skipping malformed catalog entry {key!r}: {reason}")
            continue
        models.append(model)
    return Catalog(models=tuple(models), source=source, warnings=tuple(warnings))


def unwrap_configmap(obj: Any, source: str = "") -> Mapping[str, Any]:
    """The ConfigMap inside a document (a v1 List holding one is accepted), or MalformedCatalog."""
    if not isinstance(obj, Mapping):
        raise MalformedCatalog(f"{source or 'catalog'} is not a ConfigMap object")
    if obj.get("kind") == "List" and isinstance(obj.get("items"), list) and len(obj["items"]) == 1:
        obj = obj["items"][0]
    if not isinstance(obj, Mapping) or obj.get("kind") not in (None, "ConfigMap"):
        kind = obj.get("kind") if isinstance(obj, Mapping) else type(obj).__name__
        raise MalformedCatalog(f"{source or 'catalog'} is a {kind}, not a ConfigMap")
    if not isinstance(obj.get("data"), Mapping):
        raise MalformedCatalog(f"{source or 'catalog'} has no data section",
                               hint="a catalog is a ConfigMap with one data key per model")
    return obj


def parse_configmap(obj: Any, source: str = "") -> Catalog:
    return parse_entries(unwrap_configmap(obj, source)["data"], source)


def decode_text(text: str, source: str) -> Any:
    """A document in YAML or JSON (JSON is YAML, but the JSON parser is much faster), within
    domain.bounded's limits."""
    from kubectl_nim.domain import bounded

    try:
        try:
            return bounded.load_json(text)
        except json.JSONDecodeError:
            pass
        import yaml

        try:
            return load_yaml(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark else ""
            raise MalformedCatalog(f"{source} is neither YAML nor JSON{where}") from None
    except bounded.TooComplex as e:
        raise MalformedCatalog(f"{source} is refused: {e}",
                               hint="a catalog is a flat ConfigMap; check the file") from None


def parse_text(text: str, source: str) -> Catalog:
    return parse_configmap(decode_text(text, source), source)


def load_yaml(text: str):
    """YAML through libyaml when available (~25x faster on a catalog than the pure parser),
    bounded against alias bombs and deep nesting (domain.bounded.TooComplex, a ValueError)."""
    from kubectl_nim.domain import bounded

    return bounded.load_yaml(text)


def entry_json(model: Model) -> str:
    """Compact, stable JSON: one line per model so release PRs diff cleanly."""
    return json.dumps(model.to_entry(), separators=(",", ":"), ensure_ascii=False)


def to_configmap_yaml(models: Iterable[Model], header: Sequence[str] = (),
                      name: str = CONFIGMAP_NAME, namespace: str | None = None) -> str:
    """Deterministic ConfigMap text: models sorted by name, same input → same bytes."""
    import yaml

    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    metadata["labels"] = {MANAGED_LABEL: "true"}
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata,
           "data": {m.name: entry_json(m) for m in sorted(models, key=lambda m: m.name)}}
    body = yaml.safe_dump(doc, sort_keys=False, width=float("inf"), allow_unicode=True)
    return "".join(f"# {line}\n" if line else "#\n" for line in header) + body
