"""`diff`: what `deploy --apply` would change, as unified diffs of live vs the server's answer to a
server-side apply with `dryRun=All` (so defaulting, admission and merging are the server's own).

Both sides lose the fields the server rewrites on every write (managedFields, resourceVersion,
uid, creationTimestamp, generation, status) before they are compared. Secret values never reach
the output: each data key reads `<redacted>` on both sides when the value stays, and
`<redacted: old>` / `<redacted: new>` when it changes.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from kubectl_nim.adapters.kube.cluster import Cluster
from kubectl_nim.domain.ownership import without_server_noise
from kubectl_nim.domain.refs import object_ref

SECRET_FIELDS = ("data", "stringData")


@dataclass(frozen=True)
class ObjectDiff:
    ref: str
    text: str           # unified diff, "" when nothing changes
    live: Optional[dict] = None    # what was compared (noise stripped, secrets redacted),
    merged: Optional[dict] = None  # for an external diff program (KUBECTL_EXTERNAL_DIFF)

    @property
    def changed(self) -> bool:
        return bool(self.text)


def strip_noise(obj: Optional[dict]) -> Optional[dict]:
    if obj is None:
        return None
    obj = without_server_noise(obj)
    if not obj["metadata"].get("annotations"):
        obj["metadata"].pop("annotations", None)
    return obj


def redact_pair(live: Optional[dict], merged: Optional[dict]) -> tuple[Optional[dict],
                                                                        Optional[dict]]:
    """Secret values replaced by markers that show whether they change, never what they are."""
    if (live or merged or {}).get("kind") != "Secret":
        return live, merged
    live, merged = copy.deepcopy(live), copy.deepcopy(merged)
    for field in SECRET_FIELDS:
        old = (live or {}).get(field) or {}
        new = (merged or {}).get(field) or {}
        for key in set(old) | set(new):
            same = key in old and key in new and old[key] == new[key]
            if live is not None and key in old:
                live[field][key] = "<redacted>" if same else "<redacted: old>"
            if merged is not None and key in new:
                merged[field][key] = "<redacted>" if same else "<redacted: new>"
    return live, merged


def unified(ref: str, live: Optional[dict], merged: Optional[dict]) -> str:
    from kubectl_nim.domain.formats import dump_yaml

    before = dump_yaml(live).splitlines(keepends=True) if live is not None else []
    after = dump_yaml(merged).splitlines(keepends=True) if merged is not None else []
    lines = difflib.unified_diff(before, after, fromfile=f"live/{ref}",
                                 tofile=f"merged/{ref}" if merged is not None else "/dev/null")
    return "".join(lines)


def compare(ref: str, live: Optional[dict], merged: Optional[dict]) -> ObjectDiff:
    live, merged = redact_pair(strip_noise(live), strip_noise(merged))
    return ObjectDiff(ref, unified(ref, live, merged), live, merged)


def diff(cluster: Cluster, objects: Sequence[dict], *, warn: Callable[[str], None],
         force_conflicts: bool = False) -> list[ObjectDiff]:
    """One round trip, the one `deploy --apply` makes before writing
    (deploy_preflight.check_and_preflight): every live object and every dry-run apply, judged the
    same way (not a NIM deployment, terminating objects, conflicts with other managers, the
    plugin's own earlier writes). `objects`: `app/deploy.plan`'s, as deploy would write them."""
    from kubectl_nim.app import deploy_preflight

    namespace = objects[0]["metadata"].get("namespace") or cluster.namespace
    checked = deploy_preflight.check_and_preflight(cluster, objects, namespace, warn=warn,
                                                   apply=True,
                                         force_conflicts=force_conflicts)
    assert checked.before is not None
    return [compare(object_ref(o), before, after)
            for o, before, after in zip(objects, checked.before, checked.answers)]
