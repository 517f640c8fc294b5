"""`mirror plan`: the catalog resolved as `models` resolves it, then the plan (domain/mirror_plan).

Run on the connected side by an admin; it only reads (the catalog), never writes, and never
needs the NVIDIA key (docs/airgap.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class MirrorRequest:
    models: tuple[str, ...]             # `M` or `M:TAG`, as typed
    all_tags: bool = False
    registry: Optional[str] = None
    parts: tuple[str, ...] = ()          # empty: every part
    catalog_file: Optional[str] = None
    offline: bool = False
    catalog_name: Optional[str] = None  # the mirrored catalog ConfigMap's name


@dataclass(frozen=True)
class MirrorResult:
    documents: list
    warnings: tuple[str, ...]
    hint: str
    images: tuple[str, ...]


def plan(session, request: MirrorRequest) -> MirrorResult:
    """The plan's documents; NotFound for an unknown model or tag (closest names in the hint),
    UsageError for flags that cannot make a plan."""
    from kubectl_nim.domain import mirror_plan
    from kubectl_nim.errors import ClusterError, UsageError

    parts = request.parts or mirror_plan.PARTS
    if "itms" in parts and request.parts and not request.registry:
        raise UsageError("--part itms needs --registry HOST[/PATH]: the mirror the "
                         "ImageTagMirrorSet points to")
    if request.registry:  # a bad flag is refused before the cluster is asked
        mirror_plan.check_registry(request.registry)
    try:
        catalog = session.catalog(request.catalog_file, request.offline)
    except ClusterError as e:
        way_out = "or pass --offline to plan from the catalog embedded in the plugin"
        raise ClusterError(e.message, hint=f"{e.hint}; {way_out}" if e.hint else way_out,
                           status=e.status, reason=e.reason) from None
    result = mirror_plan.plan(catalog, request.models, request.all_tags, request.registry)
    docs = mirror_plan.documents(result, parts,
                                 request.catalog_name or mirror_plan.MIRRORED_CATALOG_NAME)
    return MirrorResult(docs, result.warnings, mirror_plan.login_hint(result),
                        tuple(result.images))

