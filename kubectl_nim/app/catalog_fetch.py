"""`catalog generate` / `detect-eu`'s NVIDIA reads: the caller check, the catalog search, and the
details of every model, fetched concurrently (the CLI supplies the key and the progress display).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional


@dataclass
class Fetched:
    resources: list      # ngc.CatalogResource, tagged
    untagged: list       # resource ids listed without a latestTag
    outcomes: list       # ngc.DetailsOutcome, one per resource
    retries: int
    timings: str


def fetch_details(key: str, ngc_api_url: str, request_timeout: Optional[float], concurrency: int,
                  start_progress: Callable, clock: Callable[[], float],
                  sleep: Callable[[float], None]) -> Fetched:
    """Caller check (the key), catalog search, details. `start_progress(total)` returns an object
    with update(retries) and finish()."""
    from kubectl_nim.adapters import ngc

    timeout = ngc.cli_timeout(request_timeout)
    marks = [clock()]
    with ngc.NgcClient(ngc_api_url, timeout=timeout, max_connections=concurrency,
                       sleep=sleep) as client:
        client.caller_info(key)
        marks.append(clock())
        untagged: list[str] = []
        resources = list(client.iter_catalog(untagged=untagged))
        marks.append(clock())
        if not resources:
            from kubectl_nim.errors import NimError

            raise NimError(f"NVIDIA's catalog search at {client.host} listed no NIM model with a "
                           f"latestTag ({len(untagged)} without); nothing was written",
                           hint="the search service may be degraded: retry later")
        progress = start_progress(len(resources))
        try:
            outcomes = client.model_details_many(
                [r.resource_id for r in resources], key, concurrency=concurrency,
                progress=lambda _: progress.update(client.retry_count))
        finally:
            progress.finish()
        marks.append(clock())
        timings = ", ".join(f"{what} {end - start:.2f}s" for what, start, end in
                            zip(("key", "catalog", "details"), marks, marks[1:]))
        return Fetched(resources, untagged, outcomes, client.retry_count, timings)
