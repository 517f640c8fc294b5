"""The pure core of the maintainers' build-time tool (`catalog generate | detect-eu | diff`).

Everything here is a function of plain data — catalog search resources, details outcomes,
catalogs — so that it can be tested without a network and so that its results never depend on
the order in which concurrent requests happened to complete. The I/O (NGC client, progress,
files) lives in `kubectl_nim.cli.commands.catalog`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Protocol, Sequence

from kubectl_nim.domain.catalog import CONFIGMAP_LIMIT_BYTES, CONFIGMAP_NAME, Model, to_configmap_yaml
from kubectl_nim.errors import NimError

# What Kubernetes accepts as a ConfigMap data key (a model name is the key).
CONFIGMAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


class Resource(Protocol):
    """What the build needs of a catalog search resource (`ngc.CatalogResource`)."""

    resource_id: str
    latest_tag: str
    display_name: str
    description: str
    date_modified: str


class Outcome(Protocol):
    """What the build needs of a details outcome (`ngc.DetailsOutcome`)."""

    resource_id: str
    details: Optional[dict]
    error: Optional[Exception]
    eu_restricted: bool


# --- EU-restricted lists (detect-eu output, generate --eu-restricted input) -----------------

@dataclass(frozen=True, order=True)
class EuRestricted:
    """One model NVIDIA answers 451 for from the EU, as `detect-eu` records it."""

    name: str
    resource_id: str
    org: str
    team: Optional[str]

    @classmethod
    def from_resource_id(cls, resource_id: str) -> "EuRestricted":
        parts = resource_id.split("/")
        return cls(name=parts[-1], resource_id=resource_id, org=parts[0],
                   team=parts[1] if len(parts) == 3 else None)

    def to_json(self) -> dict:
        return {"name": self.name, "resourceId": self.resource_id, "org": self.org,
                "team": self.team}


def eu_restricted_json(entries: Iterable[EuRestricted]) -> str:
    """The detect-eu file: a JSON array sorted by name (then id), stable bytes for a PR."""
    return json.dumps([e.to_json() for e in sorted(set(entries))], indent=2,
                      ensure_ascii=False) + "\n"


def parse_eu_restricted(text: str) -> tuple[EuRestricted, ...]:
    """A detect-eu file → its entries. ValueError says what is wrong (the caller adds the file).

    Each item needs `name` or `resourceId`; `org`/`team` are derived from `resourceId` when
    absent. A bare string is accepted as a model name.
    """
    try:
        data = json.loads(text)
    except ValueError as e:
        raise ValueError(f"is not JSON ({e.msg}, line {e.lineno})") from None
    if not isinstance(data, list):
        raise ValueError("is not a JSON array of {name, resourceId, org, team} objects")
    entries = []
    for index, item in enumerate(data):
        if isinstance(item, str) and item:
            item = {"name": item}
        rid = item.get("resourceId") if isinstance(item, dict) else None
        name = item.get("name") if isinstance(item, dict) else None
        if not (isinstance(rid, str) and rid) and not (isinstance(name, str) and name):
            raise ValueError(f"item {index} has neither a name nor a resourceId")
        if isinstance(rid, str) and rid:
            entry = EuRestricted.from_resource_id(rid)
            if isinstance(name, str) and name and name != entry.name:
                raise ValueError(f"item {index}: name {name!r} does not match resourceId {rid!r}")
        else:
            entry = EuRestricted(name=name, resource_id="", org=str(item.get("org") or ""),
                                 team=item.get("team") or None)
        entries.append(entry)
    return tuple(entries)


def _is_listed(resource_id: str, name: str, eu: Sequence[EuRestricted]) -> bool:
    return any(e.resource_id == resource_id if e.resource_id else e.name == name for e in eu)


# --- details → models ------------------------------------------------------------------------

def model_from_details(resource: Resource, details: Mapping[str, Any],
                       eu_restricted: bool = False) -> Optional[Model]:
    """One model of the catalog from NVIDIA's repository details (SPEC §5).

    The details win; the catalog search fills what they lack. None when neither has a
    latestTag (such a model is left out). ValueError when the details cannot make an entry.
    """
    parts = resource.resource_id.split("/")
    name = _text(details.get("name")) or parts[-1]
    namespace = (_text(details.get("namespace")) or "/".join(parts[:-1])).strip("/")
    latest = _text(details.get("latestTag")) or resource.latest_tag
    if not latest:
        return None
    tags = details.get("tags")
    if not isinstance(tags, list) or not tags or \
            not all(isinstance(t, str) and t.strip() for t in tags):
        raise ValueError("its details carry no list of tags")
    if not CONFIGMAP_KEY.match(name):
        raise ValueError(f"its name {name!r} cannot be a ConfigMap key")
    return Model(name=name, namespace=namespace, tags=tuple(tags), latest_tag=latest,
                 display_name=_text(details.get("displayName")) or resource.display_name or name,
                 short_description=_text(details.get("shortDescription"))
                 or resource.description,
                 updated_date=_text(details.get("updatedDate")) or resource.date_modified,
                 eu_restricted=eu_restricted)


def _text(value: Any) -> str:
    """NVIDIA's text as is (a trailing space included: reruns must match byte for byte), or ""
    when it is missing or blank."""
    return value if isinstance(value, str) and value.strip() else ""


def failure_reason(error: Optional[Exception]) -> str:
    """A short reason for a model that could not be fetched ("HTTP 503 after 5 attempts")."""
    if error is None:
        return "no answer"
    return getattr(error, "cause", None) or getattr(error, "message", None) or str(error)


@dataclass(frozen=True)
class Failure:
    resource_id: str
    reason: str


@dataclass(frozen=True)
class BuildResult:
    """The catalog of a generate run and everything that did not make it into it."""

    models: tuple[Model, ...]                # sorted by name
    unavailable: tuple[str, ...] = ()        # resource ids answering 451, sorted
    untagged: tuple[str, ...] = ()           # listed without a latestTag, sorted
    failed: tuple[Failure, ...] = ()         # sorted by resource id
    warnings: tuple[str, ...] = ()

    @property
    def eu_marked(self) -> int:
        return sum(m.eu_restricted for m in self.models)


def build_catalog(resources: Iterable[Resource], outcomes: Iterable[Outcome],
                  eu_restricted: Sequence[EuRestricted] = (),
                  untagged: Iterable[str] = ()) -> BuildResult:
    """Catalog search resources + their details outcomes → the models of the ConfigMap.

    451 answers are left out and listed; other errors are failures; models listed in
    `eu_restricted` are marked. The result depends only on the sets given, never on their
    order: two models with the same name keep the one whose namespace sorts first.
    """
    by_id = {r.resource_id: r for r in resources}
    untagged = list(untagged)
    models: dict[str, Model] = {}
    unavailable, failed, warnings = [], [], []
    for outcome in sorted(outcomes, key=lambda o: o.resource_id):
        resource = by_id.get(outcome.resource_id)
        if resource is None:
            continue
        if outcome.eu_restricted:
            unavailable.append(outcome.resource_id)
            continue
        if outcome.details is None:
            failed.append(Failure(outcome.resource_id, failure_reason(outcome.error)))
            continue
        eu = _is_listed(outcome.resource_id, outcome.resource_id.split("/")[-1], eu_restricted)
        try:
            model = model_from_details(resource, outcome.details, eu)
        except ValueError as e:
            failed.append(Failure(outcome.resource_id, str(e)))
            continue
        if model is None:
            untagged.append(outcome.resource_id)
            continue
        kept = models.get(model.name)
        if kept is not None:
            first, second = sorted([kept, model], key=lambda m: m.namespace)
            warnings.append(f"{first.namespace}/{first.name} and {second.namespace}/{second.name}"
                            f" share the name {model.name!r}; keeping {first.namespace}/"
                            f"{first.name}")
            model = first
        models[model.name] = model
    missing = sorted({e.resource_id or e.name for e in eu_restricted}
                     - {m for rid in by_id for m in (rid, rid.split("/")[-1])})
    if missing:
        warnings.append(f"the EU-restricted list names {len(missing)} model"
                        f"{'' if len(missing) == 1 else 's'} not in the catalog: "
                        f"{', '.join(missing)}")
    return BuildResult(models=tuple(models[n] for n in sorted(models)),
                       unavailable=tuple(unavailable), untagged=tuple(sorted(set(untagged))),
                       failed=tuple(failed), warnings=tuple(sorted(warnings)))


# --- the ConfigMap text and its size ---------------------------------------------------------

def header(result: BuildResult) -> list[str]:
    """Comment lines for the generated file. Nothing volatile (no date, host or version), so
    that two runs over the same catalog are byte-identical and a release PR shows real changes.
    """
    count = len(result.models)
    return [f"NVIDIA NIM model catalog ({count} model{'' if count == 1 else 's'}, "
            f"{result.eu_marked} EU-restricted): the ConfigMap of SPEC section 5.",
            "Generated by `kubectl nim catalog generate` from the NGC catalog; do not edit by "
            "hand, regenerate it.",
            "One compact JSON entry per model, sorted by name."]


def render_configmap(result: BuildResult, name: str = CONFIGMAP_NAME,
                     namespace: Optional[str] = None) -> str:
    return to_configmap_yaml(result.models, header=header(result), name=name, namespace=namespace)


class CatalogTooLarge(NimError):
    """The ConfigMap would not fit the 1 MiB object limit."""


def check_size(text: str, limit: Optional[int] = None) -> int:
    """The size in bytes of the ConfigMap text; CatalogTooLarge when it reaches `limit`
    (default: the 1 MiB ConfigMap limit, read at call time so that tests can lower it)."""
    limit = CONFIGMAP_LIMIT_BYTES if limit is None else limit
    size = len(text.encode("utf-8"))
    if size >= limit:
        raise CatalogTooLarge(
            f"the catalog would be {size:,} bytes ({size / 1048576:.2f} MiB), over the "
            f"{limit:,}-byte ConfigMap limit; nothing was written",
            hint="leave models out (or shorten their descriptions) or split the catalog")
    return size


# --- progress and summary --------------------------------------------------------------------

def progress_line(done: int, total: int, elapsed: float, retries: int) -> str:
    """`  93/186 models  52.3/s  2 retries` (the TTY line and the piped lines)."""
    rate = done / elapsed if elapsed > 0 else 0.0
    width = len(str(total))
    return f"{done:>{width}}/{total} models  {rate:.1f}/s  {_retries(retries)}"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _retries(count: int) -> str:
    return f"{count:,} retr{'y' if count == 1 else 'ies'}"


@dataclass(frozen=True)
class Summary:
    """The end-of-run line of `catalog generate`."""

    processed: int
    written: int
    eu_marked: int
    unavailable: int
    untagged: int
    failed: int
    retries: int
    size: Optional[int]  # None: nothing was written
    seconds: float
    destination: str = "standard output"

    @classmethod
    def of(cls, result: BuildResult, processed: int, retries: int, size: Optional[int],
           seconds: float, destination: str = "standard output") -> "Summary":
        written = size is not None
        return cls(processed=processed, written=len(result.models) if written else 0,
                   eu_marked=result.eu_marked if written else 0,
                   unavailable=len(result.unavailable), untagged=len(result.untagged),
                   failed=len(result.failed), retries=retries, size=size, seconds=seconds,
                   destination=destination)

    def line(self) -> str:
        where = (f"{self.size:,} bytes to {self.destination}" if self.size is not None
                 else "nothing written")
        return (f"Processed {_plural(self.processed, 'model')} in {self.seconds:.1f}s: "
                f"{self.written:,} written ({self.eu_marked:,} EU-restricted), "
                f"{self.unavailable:,} left out (HTTP 451), "
                f"{self.untagged:,} left out (no latestTag), {self.failed:,} failed, "
                f"{_retries(self.retries)}; {where}.")


# --- diff ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelChange:
    """What changed in one model between two catalogs (only what a release review cares for)."""

    name: str
    added_tags: tuple[str, ...] = ()
    removed_tags: tuple[str, ...] = ()
    latest_tag: Optional[tuple[str, str]] = None       # (old, new)
    eu_restricted: Optional[tuple[bool, bool]] = None  # (old, new)
    namespace: Optional[tuple[str, str]] = None        # (old, new): the image moves

    def to_json(self) -> dict:
        def pair(value):
            return None if value is None else {"old": value[0], "new": value[1]}
        return {"name": self.name, "addedTags": list(self.added_tags),
                "removedTags": list(self.removed_tags), "latestTag": pair(self.latest_tag),
                "euRestricted": pair(self.eu_restricted), "namespace": pair(self.namespace)}


@dataclass(frozen=True)
class CatalogDiff:
    added: tuple[Model, ...] = ()
    removed: tuple[Model, ...] = ()
    changed: tuple[ModelChange, ...] = ()
    unchanged: int = 0
    old_count: int = 0
    new_count: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def counts(self) -> str:
        return (f"{len(self.added)} added, {len(self.removed)} removed, "
                f"{len(self.changed)} changed, {self.unchanged} unchanged")


def diff_models(old: Model, new: Model) -> Optional[ModelChange]:
    old_tags, new_tags = set(old.tags), set(new.tags)
    change = ModelChange(
        name=new.name,
        added_tags=tuple(t for t in new.tags if t not in old_tags),
        removed_tags=tuple(t for t in old.tags if t not in new_tags),
        latest_tag=(old.latest_tag, new.latest_tag) if old.latest_tag != new.latest_tag else None,
        eu_restricted=(old.eu_restricted, new.eu_restricted)
        if old.eu_restricted != new.eu_restricted else None,
        namespace=(old.namespace, new.namespace) if old.namespace != new.namespace else None)
    return change if change != ModelChange(name=new.name) else None


def diff_catalogs(old: Iterable[Model], new: Iterable[Model]) -> CatalogDiff:
    """Models added, removed and changed (tags, latestTag, EU flag, namespace), by name."""
    before = {m.name: m for m in old}
    after = {m.name: m for m in new}
    changed = [c for n in sorted(before.keys() & after.keys())
               if (c := diff_models(before[n], after[n])) is not None]
    return CatalogDiff(
        added=tuple(after[n] for n in sorted(after.keys() - before.keys())),
        removed=tuple(before[n] for n in sorted(before.keys() - after.keys())),
        changed=tuple(changed),
        unchanged=len(before.keys() & after.keys()) - len(changed),
        old_count=len(before), new_count=len(after))


def _model_json(model: Model) -> dict:
    return {"name": model.name, "namespace": model.namespace, "latestTag": model.latest_tag,
            "tags": list(model.tags), "euRestricted": model.eu_restricted}


def diff_json(diff: CatalogDiff) -> str:
    return json.dumps({
        "added": [_model_json(m) for m in diff.added],
        "removed": [_model_json(m) for m in diff.removed],
        "changed": [c.to_json() for c in diff.changed],
        "unchanged": diff.unchanged,
    }, indent=2, ensure_ascii=False) + "\n"


def _eu(flag: bool) -> str:
    return "yes" if flag else "no"


def _change_cells(change: ModelChange, code=lambda s: s, arrow: str = "->",
                  none: str = "-") -> list[str]:
    def tags(values):
        return ", ".join(code(t) for t in values) or none

    def moved(pair, show=str):
        return f"{show(pair[0])} {arrow} {show(pair[1])}" if pair else none
    return [tags(change.added_tags), tags(change.removed_tags),
            moved(change.latest_tag, code), moved(change.eu_restricted, _eu),
            moved(change.namespace)]


CHANGE_HEADERS = ["NEW TAGS", "REMOVED TAGS", "LATEST TAG", "EU RESTRICTED", "NAMESPACE"]


def diff_table(diff: CatalogDiff) -> str:
    """Plain tables per section, for a terminal."""
    from kubectl_nim.domain.formats import plain_table

    def section(title: str, headers: list[str], rows: list[list[str]]) -> str:
        if not rows:
            return ""
        return f"{title} ({len(rows)}):\n" + plain_table(rows, headers) + "\n\n"

    model_headers = ["MODEL", "NAMESPACE", "LATEST", "TAGS", "EU"]

    def model_row(m: Model) -> list[str]:
        return [m.name, m.namespace, m.latest_tag, ", ".join(m.tags),
                "yes" if m.eu_restricted else "-"]

    text = (section("Added", model_headers, [model_row(m) for m in diff.added])
            + section("Removed", model_headers, [model_row(m) for m in diff.removed])
            + section("Changed", ["MODEL", *CHANGE_HEADERS],
                      [[c.name, *_change_cells(c)] for c in diff.changed]))
    return text + f"{diff.counts()}.\n"


def _md(text: str) -> str:
    """A markdown table cell: pipes escaped, no line breaks."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{_md(text)}`"


def diff_markdown(diff: CatalogDiff, title: str = "NIM catalog changes") -> str:
    """A section to paste into a release pull request."""
    lines = [f"### {title}", "", f"{diff.old_count} → {diff.new_count} models: {diff.counts()}."]
    if diff.empty:
        lines += ["", "No model was added, removed or changed."]

    def table(heading: str, headers: list[str], rows: list[list[str]]) -> None:
        if not rows:
            return
        lines.extend(["", f"#### {heading} ({len(rows)})", "",
                      "| " + " | ".join(headers) + " |",
                      "|" + "---|" * len(headers)])
        lines.extend("| " + " | ".join(row) + " |" for row in rows)

    def model_row(m: Model) -> list[str]:
        return [_code(m.name), _md(m.namespace), _code(m.latest_tag),
                ", ".join(_code(t) for t in m.tags), "yes" if m.eu_restricted else "no"]

    model_headers = ["Model", "Namespace", "Latest tag", "Tags", "EU restricted"]
    table("Added", model_headers, [model_row(m) for m in diff.added])
    table("Removed", model_headers, [model_row(m) for m in diff.removed])
    table("Changed", ["Model", "New tags", "Removed tags", "Latest tag", "EU restricted",
                      "Namespace"],
          [[_code(c.name), *_change_cells(c, code=_code, arrow="→", none="—")]
           for c in diff.changed])
    return "\n".join(lines) + "\n"


# --- the embedded sample catalog -------------------------------------------------------------

@dataclass(frozen=True)
class Selection:
    models: tuple[Model, ...]
    missing: tuple[str, ...] = field(default=())


def select_models(full: Iterable[Model], names: Iterable[str]) -> Selection:
    """The models named, from a full catalog; names it does not hold are listed as missing."""
    by_name = {m.name: m for m in full}
    wanted = sorted(set(names))
    return Selection(models=tuple(by_name[n] for n in wanted if n in by_name),
                     missing=tuple(n for n in wanted if n not in by_name))
