"""The list of models NVIDIA refuses to serve in the EU (HTTP 451), as `catalog detect-eu` writes
it and `catalog generate --eu-restricted` reads it.

Its own module because the file format (a JSON array of {name, resourceId, org, team}, sorted
for stable pull-request diffs) is a contract between two commands and a reviewed file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence


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
    except json.JSONDecodeError as e:
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
            assert isinstance(name, str)  # checked above: without a resourceId, a name
            entry = EuRestricted(name=name, resource_id="", org=str(item.get("org") or ""),
                                 team=item.get("team") or None)
        entries.append(entry)
    return tuple(entries)


def is_listed(resource_id: str, name: str, eu: Sequence[EuRestricted]) -> bool:
    return any(e.resource_id == resource_id if e.resource_id else e.name == name for e in eu)
