"""What changed between two catalogs (`catalog diff`): models added, removed and changed, as
JSON, a terminal table, or markdown for a release pull request.

Pure and separate from the build: a diff compares two finished catalogs, whatever built them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Optional

from kubectl_nim.domain.catalog import Model


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
