"""What discovery found last time on this cluster, to guess which objects to read beside it.

Discovery (app/discovery.py) is two round trips: where the applications namespace is (and the
OdhDashboardConfig there), then the catalog ConfigMap and the runtime Template in it. kubectl
caches discovery per cluster on disk; we keep less: the applications namespace and the custom
catalog ConfigMap the last run found, per API server and kubeconfig context. The next run reads
the objects they point at *beside* the discovery reads, in the same round trip.

A hint is never trusted: discovery still runs in full, and a guessed answer is used only when
discovery asks for that very object (app/discovery.resolve_sources' `prefetched`). A stale hint
costs the wasted reads and the second round trip of a run without hints, never a wrong answer;
the file is rewritten when discovery finds something else, and ignored after MAX_AGE.

Where: $KUBECTL_NIM_CACHE_DIR, else $XDG_CACHE_HOME/kubectl-nim, else ~/.cache/kubectl-nim
(`discovery/<hash>.json`, private). An unwritable or unreadable cache is no cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Mapping

MAX_AGE = 6 * 3600.0  # seconds; kubectl's discovery cache lives as long


def cache_file(environ: Mapping[str, str], server: str, context: str | None) -> str | None:
    base = environ.get("KUBECTL_NIM_CACHE_DIR")
    if base is None:
        xdg = environ.get("XDG_CACHE_HOME")
        home = environ.get("HOME")
        if xdg:
            base = os.path.join(xdg, "kubectl-nim")
        elif home:
            base = os.path.join(home, ".cache", "kubectl-nim")
    if not base:  # KUBECTL_NIM_CACHE_DIR="" turns the cache off
        return None
    key = hashlib.sha256(f"{server}\0{context or ''}".encode()).hexdigest()[:24]
    return os.path.join(base, "discovery", f"{key}.json")


def load(path: str | None, now: float) -> dict | None:
    """{"apps": str, "custom": [name, namespace] | None}, or None (no usable hint). `now`: the
    run's wall clock (`Environment.now`), in seconds since the epoch, for the hint's age."""
    if not path:
        return None
    try:
        if now - os.stat(path).st_mtime > MAX_AGE:
            return None
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("apps"), str) or not doc["apps"]:
        return None
    custom = doc.get("custom")
    if not (custom is None or (isinstance(custom, list) and len(custom) == 2
                               and all(isinstance(c, str) and c for c in custom))):
        return None
    return {"apps": doc["apps"], "custom": custom}


def hints_of(apps: Any, custom: Any) -> dict | None:
    """The hints discovery's results give: `apps` the applications namespace, `custom` the
    OdhDashboardConfig's spec.nimConfig.customConfigMap (checked: any type may come)."""
    if not isinstance(apps, str) or not apps:
        return None
    ref = None
    if isinstance(custom, dict) and isinstance(custom.get("name"), str) and custom["name"]:
        ns = custom.get("namespace") if isinstance(custom.get("namespace"), str) else None
        ref = [custom["name"], ns or apps]
    return {"apps": apps, "custom": ref}


def save(path: str | None, hints: dict | None, previous: dict | None) -> None:
    """Write `hints` when they differ from what was read (atomically, private); None removes."""
    if not path or hints == previous:
        return
    try:
        if hints is None:
            os.unlink(path)
            return
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(hints, f)
        os.replace(tmp, path)
    except OSError:
        pass
