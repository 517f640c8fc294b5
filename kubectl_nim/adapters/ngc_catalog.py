"""The NGC catalog search's wire format: one answer page -> the NIM containers it lists.

Parsing only (no request): separate from the client so the rules for what counts as a NIM
container (CONTAINER group, a latestTag, an `org/[team/]image` id) sit together and are tested
on recorded answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Optional

from kubectl_nim import log


@dataclass(frozen=True)
class CatalogResource:
    """One NIM container from the catalog search; `resource_id` is `org/team/image`."""

    resource_id: str
    latest_tag: str
    display_name: str = ""
    description: str = ""
    date_modified: str = ""

    @property
    def org(self) -> str:
        return self.resource_id.split("/")[0]

    @property
    def team(self) -> Optional[str]:
        parts = self.resource_id.split("/")
        return parts[1] if len(parts) == 3 else None

    @property
    def name(self) -> str:
        return self.resource_id.split("/")[-1]


@dataclass(frozen=True)
class CatalogPage:
    page: int
    page_total: int
    result_total: int
    resources: tuple[CatalogResource, ...]
    untagged: tuple[str, ...] = ()  # CONTAINER resource ids listed without a latestTag

def parse_catalog_page(body: dict, requested_page: int = 0) -> CatalogPage:
    """A catalog search answer → its page number, page count and NIM containers."""
    params = body.get("params")
    if not isinstance(params, dict):
        params = {}
    return CatalogPage(page=_int(params.get("page"), requested_page),
                       page_total=_int(body.get("resultPageTotal"), 0),
                       result_total=_int(body.get("resultTotal"), 0),
                       resources=tuple(_containers(body.get("results"))),
                       untagged=tuple(_untagged(body.get("results"))))


def _containers(results: Any) -> Iterator[CatalogResource]:
    """CONTAINER resources that carry a latestTag (the `_scored` group repeats some of them)."""
    for group in results if isinstance(results, list) else ():
        if isinstance(group, dict) and group.get("groupValue") == "CONTAINER":
            for raw in group.get("resources") or ():
                resource = _resource(raw)
                if resource is not None:
                    yield resource


def _untagged(results: Any) -> Iterator[str]:
    """Ids of CONTAINER resources listed without a latestTag (each once, in listing order)."""
    seen: set[str] = set()
    for group in results if isinstance(results, list) else ():
        if isinstance(group, dict) and group.get("groupValue") == "CONTAINER":
            for raw in group.get("resources") or ():
                if isinstance(raw, dict) and isinstance(raw.get("resourceId"), str) \
                        and not _has_latest_tag(raw) and raw["resourceId"] not in seen:
                    seen.add(raw["resourceId"])
                    yield raw["resourceId"]


def _has_latest_tag(raw: dict) -> bool:
    return any(isinstance(a, dict) and a.get("key") == "latestTag" and a.get("value")
               for a in raw.get("attributes") or ())


def _resource(raw: Any) -> Optional[CatalogResource]:
    if not isinstance(raw, dict):
        return None
    attributes = {a.get("key"): a.get("value") for a in raw.get("attributes") or ()
                  if isinstance(a, dict)}
    resource_id, latest = raw.get("resourceId"), attributes.get("latestTag")
    if not (isinstance(resource_id, str) and isinstance(latest, str) and latest):
        return None
    parts = resource_id.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        log.debug(f"skipping catalog resource with an unexpected id {resource_id!r}")
        return None
    return CatalogResource(resource_id=resource_id, latest_tag=latest,
                           display_name=str(raw.get("displayName") or ""),
                           description=str(raw.get("description") or ""),
                           date_modified=str(raw.get("dateModified") or ""))

def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
