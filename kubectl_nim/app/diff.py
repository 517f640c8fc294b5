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
from typing import Optional, Sequence

from kubectl_nim import day2
from kubectl_nim.cluster import Cluster, concurrently
from kubectl_nim.errors import ClusterError, NimError
from kubectl_nim.render import object_ref

NOISE_METADATA = ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation",
                  "selfLink")
SECRET_FIELDS = ("data", "stringData")


@dataclass(frozen=True)
class ObjectDiff:
    ref: str
    text: str           # unified diff, "" when nothing changes

    @property
    def changed(self) -> bool:
        return bool(self.text)


def strip_noise(obj: Optional[dict]) -> Optional[dict]:
    if obj is None:
        return None
    obj = copy.deepcopy(obj)
    obj.pop("status", None)
    meta = obj.get("metadata") or {}
    for key in NOISE_METADATA:
        meta.pop(key, None)
    if not meta.get("annotations"):
        meta.pop("annotations", None)
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
            if key in old:
                live[field][key] = "<redacted>" if same else "<redacted: old>"
            if key in new:
                merged[field][key] = "<redacted>" if same else "<redacted: new>"
    return live, merged


def unified(ref: str, live: Optional[dict], merged: Optional[dict]) -> str:
    from kubectl_nim.output import dump_yaml

    before = dump_yaml(live).splitlines(keepends=True) if live is not None else []
    after = dump_yaml(merged).splitlines(keepends=True) if merged is not None else []
    lines = difflib.unified_diff(before, after, fromfile=f"live/{ref}",
                                 tofile=f"merged/{ref}" if merged is not None else "/dev/null")
    return "".join(lines)


def compare(ref: str, live: Optional[dict], merged: Optional[dict]) -> ObjectDiff:
    live, merged = redact_pair(strip_noise(live), strip_noise(merged))
    return ObjectDiff(ref, unified(ref, live, merged))


def check_nim_objects(name: str, live: Sequence[Optional[dict]]) -> None:
    """`deploy --apply` only touches NIM deployments: a different deployment of the same name
    is refused the same way here, before any dry run."""
    by_kind = {o["kind"]: o for o in live if o}
    runtime, isvc = by_kind.get("ServingRuntime"), by_kind.get("InferenceService")
    if runtime is None and isvc is None:
        return
    if not day2.is_nim(isvc or {}, runtime):
        raise NimError(f"{name!r} exists and is not a NIM deployment; deploy --apply would "
                       f"refuse to change it", hint="pick another name")


def diff(cluster: Cluster, name: str, objects: Sequence[dict]) -> list[ObjectDiff]:
    """Round 1: every live object; round 2: every dry-run apply. Raises on any API error."""
    def read(obj):
        return cluster.get_or_none(obj["kind"], obj["metadata"]["name"],
                                   obj["metadata"].get("namespace"))
    live = concurrently(read, objects)
    _raise_first(objects, live, "read")
    check_nim_objects(name, live)
    merged = concurrently(lambda o: cluster.apply(o, dry_run=True), objects)
    _raise_first(objects, merged, "dry-run apply")
    return [compare(object_ref(o), before, after)
            for o, before, after in zip(objects, live, merged)]


def _raise_first(objects: Sequence[dict], answers: list, action: str) -> None:
    for obj, answer in zip(objects, answers):
        if isinstance(answer, ClusterError):
            raise NimError(f"cannot {action} {object_ref(obj)}: {answer.message}",
                           hint=answer.hint)

