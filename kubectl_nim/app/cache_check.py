"""A disconnected deploy onto a cache PVC: does it pin the profile the cache holds?

`kubectl nim cache` records the model, tag and profile on the PVC (domain/cache_job); a NIM that
is told another profile (or, with none, picks one for its GPUs) tries to download it, which a
disconnected cluster cannot: the deploy then never becomes Ready. Warn before writing.
"""

from __future__ import annotations

from typing import Callable, Optional

from kubectl_nim import log
from kubectl_nim.errors import ClusterError


def mismatch(record: Optional[dict], model: str, tag: str, profile: Optional[str],
             claim: str) -> Optional[str]:
    """What is wrong with deploying model:tag with `profile` onto a cache holding `record`."""
    from kubectl_nim.domain.cache_job import DEFAULT_PROFILE

    if not record:
        return None
    where = f"persistentvolumeclaim/{claim}"
    held = f"{record['model']}:{record['tag']}"
    if record["model"] != model or (record["tag"] and record["tag"] != tag):
        return (f"{where} caches {held}, not {model}:{tag}: the NIM will try to download its "
                f"weights, which a disconnected cluster cannot")
    cached = record["profile"] or DEFAULT_PROFILE
    if cached == DEFAULT_PROFILE:
        if profile:
            return (f"{where} holds the profile the NIM chose when it was cached, and this "
                    f"deployment pins profile {profile}: if they differ, the NIM will try to "
                    f"download it")
        return None
    if profile is None:
        return (f"{where} caches profile {cached} of {held}; pass --profile {cached} so the NIM "
                f"serves it instead of choosing (and downloading) another")
    if profile != cached:
        return (f"{where} caches profile {cached} of {held}, and this deployment pins profile "
                f"{profile}: the NIM will try to download it, which a disconnected cluster "
                f"cannot; pass --profile {cached}")
    return None


def warn_on_profile(cluster, options, warn: Callable[[str], None]) -> None:
    """The warning for a disconnected deploy with --existing-pvc, through `warn` (the run's
    console); silent when the PVC cannot be read (the preflight reports a missing one) or
    records nothing."""
    from kubectl_nim.domain.cache_job import cache_record

    try:
        pvc = cluster.get_or_none("PersistentVolumeClaim", options.storage.existing,
                                  options.namespace)
    except ClusterError as e:
        log.debug(f"not checking the cache's record: {e.message}")
        return
    problem = mismatch(cache_record(pvc) if isinstance(pvc, dict) else None,
                       options.model.name, options.tag, options.nim.profile,
                       options.storage.existing)
    if problem:
        warn(problem)
