"""The shape of every server field the read verbs use, checked once, where answers come in (pure).

`status`, `list`, `logs`, `report` and `test` read InferenceServices, ServingRuntimes, pods,
events and PVCs. Any field may arrive with another type than the API promises (a proxy, a
mis-written custom resource, a hostile server): `conform` keeps each field this module declares
only when its type is the declared one, and drops it otherwise, so the rules that read the
objects (domain/health, list_rows, nim_runtime) see a missing field, never a wrong type. Fields
no rule reads are kept as they are (`report` bundles the whole object).

A shape is a type (`str`, `int`, `bool`), `ANY`, a dict of field shapes (an object; fields
outside it kept), `[shape]` (a list; items of another shape dropped), or `MapOf(shape)` (an
object whose every value has that shape, e.g. labels). `Named(shape)`: an object that is dropped
from its list when it has no `metadata.name` (pods, events... are addressed by it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ANY = object()


@dataclass(frozen=True)
class MapOf:
    value: Any


@dataclass(frozen=True)
class Named:
    shape: dict


_DROP = object()


def conform(value: Any, shape: Any) -> Any:
    """`value` with every declared field of the wrong type removed; `_DROP` (internal) when
    `value` itself does not fit. Top level: use `conform_object`."""
    if shape is ANY:
        return value
    if isinstance(shape, Named):
        out = conform(value, shape.shape)
        name = ((out.get("metadata") if out is not _DROP else None) or {}).get("name")
        return out if isinstance(name, str) and name else _DROP
    if isinstance(shape, type):
        if shape is int:
            return value if isinstance(value, int) and not isinstance(value, bool) else _DROP
        return value if isinstance(value, shape) else _DROP
    if isinstance(shape, list):
        if not isinstance(value, list):
            return _DROP
        items = (conform(item, shape[0]) for item in value)
        return [item for item in items if item is not _DROP]
    if isinstance(shape, MapOf):
        if not isinstance(value, dict):
            return _DROP
        items = ((k, conform(v, shape.value)) for k, v in value.items() if isinstance(k, str))
        return {k: v for k, v in items if v is not _DROP}
    if not isinstance(value, dict):
        return _DROP
    out = {}
    for key, item in value.items():
        if key in shape:
            item = conform(item, shape[key])
            if item is _DROP:
                continue
        out[key] = item
    return out


def conform_object(value: Any, shape: Any) -> dict | None:
    """One object (a GET's answer): conformed, or None when it is not an object at all."""
    out = conform(value, shape.shape if isinstance(shape, Named) else shape)
    return None if out is _DROP else out


def conform_items(items: Any, shape: Any) -> list:
    """A list answer's items that fit (a nameless pod or event is dropped)."""
    out = conform(items, [shape])
    return [] if out is _DROP else out


STRINGS = MapOf(str)
META = {"name": str, "namespace": str, "labels": STRINGS, "annotations": STRINGS,
        "creationTimestamp": str, "deletionTimestamp": str, "generation": int,
        "resourceVersion": str, "uid": str}
CONDITION = {"type": str, "status": str, "reason": str, "message": str,
             "lastTransitionTime": str}
RESOURCES = {"limits": MapOf(ANY), "requests": MapOf(ANY)}
ENV = {"name": str, "value": ANY,
       "valueFrom": {"secretKeyRef": {"name": str, "key": str}}}
CONTAINER = {"name": str, "image": str, "env": [ENV], "resources": RESOURCES}
VOLUME = {"name": str, "persistentVolumeClaim": {"claimName": str},
          "secret": {"secretName": str}}

INFERENCE_SERVICE = Named({
    "metadata": META,
    "spec": {"predictor": {"minReplicas": int, "maxReplicas": int, "annotations": STRINGS,
                           "containers": [CONTAINER],
                           "model": {"modelFormat": {"name": str, "version": str},
                                     "runtime": str, "storageUri": str,
                                     "resources": RESOURCES}}},
    "status": {"conditions": [CONDITION], "url": str, "address": {"url": str},
               "servingRuntimeName": str, "observedGeneration": int}})
SERVING_RUNTIME = Named({
    "metadata": META,
    "spec": {"containers": [CONTAINER], "imagePullSecrets": [{"name": str}],
             "volumes": [VOLUME], "supportedModelFormats": [{"name": str, "version": str}]}})
_STATE = {"waiting": {"reason": str, "message": str}, "running": {"startedAt": str},
          "terminated": {"reason": str, "message": str, "exitCode": int, "finishedAt": str}}
POD = Named({
    "metadata": META,
    "spec": {"containers": [CONTAINER], "nodeName": str},
    "status": {"phase": str, "conditions": [CONDITION],
               "containerStatuses": [{"name": str, "image": str, "ready": bool,
                                      "restartCount": int, "state": _STATE,
                                      "lastState": _STATE}]}})
EVENT = {"metadata": META, "type": str, "reason": str, "message": str, "count": int,
         "lastTimestamp": str, "involvedObject": {"kind": str, "name": str, "namespace": str}}
CLAIM = Named({"metadata": META, "spec": {"storageClassName": str}, "status": {"phase": str}})
