"""A small, honest fake of the Kubernetes API server for tests and benchmarks.

It speaks the real JSON wire format over plain HTTP on 127.0.0.1 so the real
``kubernetes`` Python client, ``httpx`` and the real ``kubectl`` binary work
against it unchanged.  Only the standard library (plus PyYAML) is used.

Python use::

    with FakeKubeAPIServer() as srv:
        kubeconfig = srv.write_kubeconfig(tmp_path / "kubeconfig", namespace="nim")
        ...
        srv.fail("POST", r"/inferenceservices", 503)   # inject failures
        srv.deny("create", "secrets", namespace="nim")   # 403 Forbidden

Standalone (benchmarks, manual poking)::

    python tests/fakes/kube_apiserver.py --kubeconfig-out /tmp/kc [--port 0]
        [--latency-ms 5] [--seed objects.yaml ...] [--without-nimconfig]

prints its URL as the first stdout line and serves until SIGTERM/SIGINT.
``pods/log`` and ``services/proxy`` (admin ``/_fake/logs``, ``/_fake/backends``): kube_pods.py.

kubectl against the fake
------------------------
``kubectl --kubeconfig PATH --cache-dir DIR ...`` (``--cache-dir`` keeps the
discovery cache out of ``$HOME``).  Read verbs (``get``, ``get -o json``,
``delete``, ``api-resources``) need no flags.  Anything that sends objects
(``create -f``, ``apply --server-side -f``, ``replace -f``) needs
``--validate=false``: ``/openapi/v2`` and ``/openapi/v3`` answer 404, and
kubectl's default ``--validate=strict`` must download OpenAPI to find out
whether the server validates fields ("failed to download openapi").  With
``--validate=false`` kubectl sends ``fieldValidation=Ignore``.  Discovery is
served in the legacy (non-aggregated) format, which kubectl falls back to.
``kubectl get`` prints NAME/AGE only (no server-side Table printing).
``kubectl wait`` works (the WatchList protocol is served).  Client-side
``kubectl apply`` (without ``--server-side``) needs OpenAPI for strategic
merge and is not supported; nor is ``kubectl auth can-i``, which sends a
protobuf body (answered 415).  The Python client's SelfSubjectAccessReview
(JSON) works and reflects ``deny`` rules.

Deliberate realism (things a looser fake would get wrong)
---------------------------------------------------------
* Creates into a missing namespace fail with 404 ``namespaces "x" not found``;
  ``put_object``/seeds/``POST /_fake/objects`` create namespaces implicitly.
  ``default``, ``kube-system`` and ``kube-public`` always exist (also after
  ``reset()``), as on every real cluster.
* Body apiVersion/kind not matching the URL, or a PUT body name not matching
  the URL, is 400 BadRequest (that is what kube-apiserver answers).
* Forbidden messages for create/list carry no object name, as the real
  authorizer only knows names from the URL.
* ``application/strategic-merge-patch+json`` is a merge patch for built-in
  kinds and 415 UnsupportedMediaType for custom resources.
* Unknown fields: pruned (Warning header, fieldValidation unset/Warn/Ignore) or
  400 ``strict decoding error`` (Strict) for kinds with a schema in
  ``schemas.py``.  Server-side apply of an unknown field fails with 500
  ``failed to create typed patch object ... field not declared in schema``
  whatever fieldValidation says (today's kube-apiserver, kubernetes#122480).
* Server-side apply is approximated as a deep merge of the applied config
  over the live object (maps merge, lists and scalars replace, null removes);
  field ownership conflicts are not modelled, ``force`` is accepted.
* Secrets: ``stringData`` is folded into base64 ``data`` and dropped;
  ``type`` defaults to Opaque.  Writes to the main resource of kinds with a
  ``status`` subresource keep the stored status (use ``.../status`` or
  ``put_object`` to set it).
* ``watch=true`` streams real watch events (ADDED/MODIFIED/DELETED) until
  ``timeoutSeconds`` (default 30 s) or server stop; an expired
  resourceVersion gets an ERROR event with a 410 Status (``compact()`` expires
  every resourceVersion seen so far). With ``allowWatchBookmarks=true`` a
  BOOKMARK carrying the latest resourceVersion comes shortly before the timeout,
  as kube-apiserver's watch cache sends one before a watch's deadline.
  ``break_watches()`` drops every open watch mid-stream (no final chunk: the
  client sees a broken connection); ``set_watch(False)`` makes the server answer
  watches with 405, as a server or proxy that cannot watch.
* A list with ``Accept: ...;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1``
  answers each item's metadata only (no Secret values), as kube-apiserver does.
* DELETE returns the object for custom resources, namespaces and pods, and a
  ``Status`` of Success for other built-in kinds, like the real registries.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import random
import re
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

import yaml

try:
    from .loopback import FailRule, LoopbackServer  # imported as tests.fakes.*
except ImportError:  # run as a script: python tests/fakes/<name>.py
    from loopback import FailRule, LoopbackServer

try:  # imported as tests.fakes.kube_apiserver
    from . import kube_pods, schemas
except ImportError:  # run as a script: python tests/fakes/kube_apiserver.py
    import kube_pods  # type: ignore[no-redef]
    import schemas  # type: ignore[no-redef]

USER = "fake-user"
GIT_VERSION = "v1.31.0"
BUILTIN_NAMESPACES = ("default", "kube-system", "kube-public")
ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
WATCH_HISTORY = 5000


# --------------------------------------------------------------------------- resources

@dataclass(frozen=True)
class Resource:
    """One served resource: what discovery lists and routing resolves to."""

    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool = True
    short_names: Tuple[str, ...] = ()
    status_subresource: bool = False
    builtin: bool = True  # compiled-in Go type (vs CRD): decoding/patch rules differ
    verbs: Tuple[str, ...] = ALL_VERBS

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """``secrets`` / ``inferenceservices.serving.kserve.io`` as in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind


RESOURCES: Tuple[Resource, ...] = (
    Resource("", "v1", "namespaces", "namespace", "Namespace", False, ("ns",), True,
             verbs=("create", "delete", "get", "list", "patch", "update", "watch")),
    Resource("", "v1", "secrets", "secret", "Secret"),
    Resource("", "v1", "configmaps", "configmap", "ConfigMap", short_names=("cm",)),
    Resource("", "v1", "persistentvolumeclaims", "persistentvolumeclaim",
             "PersistentVolumeClaim", short_names=("pvc",), status_subresource=True),
    Resource("", "v1", "events", "event", "Event", short_names=("ev",)),
    Resource("", "v1", "pods", "pod", "Pod", short_names=("po",), status_subresource=True),
    Resource("", "v1", "services", "service", "Service", short_names=("svc",)),
    Resource("apps", "v1", "deployments", "deployment", "Deployment",
             short_names=("deploy",), status_subresource=True),
    Resource("batch", "v1", "jobs", "job", "Job", status_subresource=True),
    Resource("serving.kserve.io", "v1alpha1", "servingruntimes", "servingruntime",
             "ServingRuntime", status_subresource=True, builtin=False),
    Resource("serving.kserve.io", "v1beta1", "inferenceservices", "inferenceservice",
             "InferenceService", short_names=("isvc",), status_subresource=True, builtin=False),
    Resource("template.openshift.io", "v1", "templates", "template", "Template"),
    Resource("opendatahub.io", "v1alpha", "odhdashboardconfigs", "odhdashboardconfig",
             "OdhDashboardConfig", builtin=False),
    Resource("nim.opendatahub.io", "v1", "accounts", "account", "Account",
             status_subresource=True, builtin=False),
    Resource("dscinitialization.opendatahub.io", "v1", "dscinitializations",
             "dscinitialization", "DSCInitialization", False, ("dsci",), True, builtin=False),
    Resource("datasciencecluster.opendatahub.io", "v1", "datascienceclusters",
             "datasciencecluster", "DataScienceCluster", False, ("dsc",), True, builtin=False),
    Resource("infrastructure.opendatahub.io", "v1", "hardwareprofiles", "hardwareprofile",
             "HardwareProfile", builtin=False),
    Resource("authorization.k8s.io", "v1", "selfsubjectaccessreviews",
             "selfsubjectaccessreview", "SelfSubjectAccessReview", False, verbs=("create",)),
)

PREFERRED_VERSIONS = {"serving.kserve.io": "v1beta1"}
CATEGORIES = {"pods": ["all"], "deployments": ["all"]}  # so `kubectl get all` works


def _group_versions() -> Dict[str, List[str]]:
    """Group -> served versions, in first-seen order."""
    out: Dict[str, List[str]] = {}
    for rt in RESOURCES:
        versions = out.setdefault(rt.group, [])
        if rt.version not in versions:
            versions.append(rt.version)
    return out


def find_resource(group: str, version: Optional[str], plural: str) -> Optional[Resource]:
    for rt in RESOURCES:
        if rt.group == group and rt.plural == plural and version in (None, rt.version):
            return rt
    return None


def resource_for_object(obj: dict) -> Resource:
    """The resource an object with apiVersion/kind belongs to (ValueError if none)."""
    api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
    group, _, version = api_version.rpartition("/")
    for rt in RESOURCES:
        if rt.group == group and rt.version == version and rt.kind == kind:
            return rt
    raise ValueError(f"no resource served for apiVersion={api_version!r} kind={kind!r}")


def split_api_version(api_version: str) -> str:
    """'v1' -> '', 'apps/v1' -> 'apps', 'serving.kserve.io' -> itself (group only)."""
    if "/" in api_version:
        return api_version.split("/", 1)[0]
    return "" if re.fullmatch(r"v\d+\w*", api_version) else api_version


# --------------------------------------------------------------------------- errors

REASONS = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
    405: "MethodNotAllowed", 406: "NotAcceptable", 409: "Conflict", 410: "Expired",
    415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests",
    500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout",
}
INJECTED_MESSAGES = {
    404: "the server could not find the requested resource (injected failure)",
    409: "Operation cannot be fulfilled (injected failure): the object has been modified; "
         "please apply your changes to the latest version and try again",
    429: "Too many requests, please try again later.",
    500: "Internal error occurred: injected failure (fake API server)",
    503: "the server is currently unable to handle the request (injected failure)",
    504: "the server was unable to return a response in the time allotted, but may "
         "still be processing the request (injected failure)",
}
NOT_FOUND_MESSAGE = "the server could not find the requested resource"


class ApiError(Exception):
    """An error the server answers as a ``Status`` object."""

    def __init__(self, code: int, message: str, reason: Optional[str] = None,
                 details: Optional[dict] = None, headers: Optional[dict] = None):
        super().__init__(message)
        self.code, self.message, self.details = code, message, details
        self.reason = REASONS.get(code, "") if reason is None else reason
        self.headers = headers or {}

    def status(self) -> dict:
        body: Dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                "status": "Failure", "message": self.message}
        if self.reason:
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def _details(rt: Resource, name: str, kind: Optional[str] = None) -> dict:
    details = {"name": name} if name else {}
    if rt.group:
        details["group"] = rt.group
    details["kind"] = kind or rt.plural
    return details


def not_found(rt: Resource, name: str) -> ApiError:
    return ApiError(404, f'{rt.qualified} "{name}" not found', details=_details(rt, name))


def namespace_not_found(name: str) -> ApiError:
    return not_found(RESOURCES[0], name)


def already_exists(rt: Resource, name: str) -> ApiError:
    return ApiError(409, f'{rt.qualified} "{name}" already exists', "AlreadyExists",
                    _details(rt, name))


def conflict(rt: Resource, name: str) -> ApiError:
    return ApiError(409, f'Operation cannot be fulfilled on {rt.qualified} "{name}": the '
                         "object has been modified; please apply your changes to the latest "
                         "version and try again", details=_details(rt, name))


def forbidden(rt: Resource, verb: str, namespace: str, name: str, sub: str = "") -> ApiError:
    who = f'{rt.qualified} "{name}"' if name else rt.qualified
    resource = f"{rt.plural}/{sub}" if sub else rt.plural
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = (f'{who} is forbidden: User "{USER}" cannot {verb} resource "{resource}" '
               f'in API group "{rt.group}" {scope}')
    return ApiError(403, message, details=_details(rt, name))


def invalid(rt: Resource, name: str, causes: List[Tuple[str, str]]) -> ApiError:
    """422 with ``causes`` as (field, message-after-field) pairs."""
    parts = [f"{f}: {m}" for f, m in causes]
    joined = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    details = _details(rt, name, kind=rt.kind)
    details["causes"] = [{"reason": "FieldValueInvalid" if m.startswith("Invalid") else
                          "FieldValueRequired", "message": m, "field": f} for f, m in causes]
    return ApiError(422, f'{rt.qualified_kind} "{name}" is invalid: {joined}', details=details)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def undecodable(rt: Resource, why: str) -> ApiError:
    return bad_request(f'{rt.kind} in version "{rt.version}" cannot be handled as a '
                       f"{rt.kind}: {why}")


# --------------------------------------------------------------------------- validation

LABEL_RE = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
SUBDOMAIN_RE = LABEL_RE + r"(\." + LABEL_RE + r")*"
KEY_RE = r"[-._a-zA-Z0-9]+"
LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
             "or '-', and must start and end with an alphanumeric character (e.g. 'my-name',"
             f"  or '123-abc', regex used for validation is '{LABEL_RE}')")
SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                 "characters, '-' or '.', and must start and end with an alphanumeric "
                 f"character (e.g. 'example.com', regex used for validation is '{SUBDOMAIN_RE}')")
KEY_MSG = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
           f"(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
           f"'{KEY_RE}')")


PVC_PROTECTION = "kubernetes.io/pvc-protection"
_QUANTITY = re.compile(r"^(?P<num>[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+))"
                       r"(?P<suffix>[KMGTPE]i|[eE][+-]?[0-9]+|[numkMGTPE])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def pvc_problems(spec: dict) -> List[Tuple[str, str]]:
    """What kube-apiserver's PVC validation refuses among what a client can get wrong: a
    storage request that is missing, malformed or not above zero, an invalid class name."""
    problems = []
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    match = _QUANTITY.fullmatch(str(storage)) if storage is not None else None
    if storage is None:
        problems.append(("spec.resources[storage]", "Required value"))
    elif not match:
        problems.append(("spec.resources.requests[storage]",
                         f'Invalid value: "{storage}": quantities must match the regular '
                         f"expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"))
    elif float(match["num"]) <= 0:
        problems.append(("spec.resources[storage]",
                         f'Invalid value: "{storage}": must be greater than zero'))
    name = spec.get("storageClassName")
    if name and (len(name) > 253 or not _SUBDOMAIN.fullmatch(name)):
        problems.append(("spec.storageClassName",
                         f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist '
                         f"of lower case alphanumeric characters, '-' or '.', and must start "
                         f"and end with an alphanumeric character"))
    return problems


def name_problems(rt: Resource, name: str) -> List[Tuple[str, str]]:
    """Namespaces must be DNS-1123 labels, everything else DNS-1123 subdomains."""
    if not name:
        return [("metadata.name", "Required value: name or generateName is required")]
    label = rt.plural == "namespaces"
    pattern, msg, limit = (LABEL_RE, LABEL_MSG, 63) if label else (SUBDOMAIN_RE, SUBDOMAIN_MSG, 253)
    problems = []
    if len(name) > limit:
        problems.append(("metadata.name",
                         f'Invalid value: "{name}": must be no more than {limit} characters'))
    if not re.fullmatch(pattern, name):
        problems.append(("metadata.name", f'Invalid value: "{name}": {msg}'))
    return problems


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "null")


def _base64_error(value: str) -> Optional[str]:
    for i, ch in enumerate(value):
        if not (ch.isalnum() or ch in "+/="):
            return f"illegal base64 data at input byte {i}"
    try:
        base64.b64decode(value, validate=True)
    except ValueError:
        return f"illegal base64 data at input byte {len(value)}"
    return None


def normalize_secret(obj: dict) -> None:
    """What the Secret registry does: stringData folds into data, type defaults."""
    string_data = obj.pop("stringData", None) or {}
    if string_data:
        data = obj.setdefault("data", {}) or {}
        obj["data"] = data
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
    obj.setdefault("type", "Opaque")


# --------------------------------------------------------------------------- selectors

_REQUIREMENT = re.compile(
    r"^(?P<neg>!)?(?P<key>[A-Za-z0-9][-A-Za-z0-9_./]*)"
    r"(?:(?P<op>==|!=|=)(?P<val>[-A-Za-z0-9_.]*)"
    r"|\s+(?P<setop>in|notin)\s*\((?P<set>[^)]*)\))?$"
)


def _split_top_level(text: str) -> List[str]:
    """Split on commas that are not inside ``( )``."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def label_matcher(selector: str):
    """Compile a label selector (=, ==, !=, exists, !exists, in, notin) to a predicate."""
    checks = []
    for part in _split_top_level(selector or ""):
        m = _REQUIREMENT.match(part)
        if not m or (m.group("neg") and (m.group("op") or m.group("setop"))):
            raise bad_request(f"unable to parse requirement: found '{part}', expected: "
                              "valid label selector")
        key, op, val, setop = m.group("key"), m.group("op"), m.group("val"), m.group("setop")
        if setop:
            values = {v.strip() for v in m.group("set").split(",") if v.strip()}
            checks.append(lambda labels, k=key, vs=values, neg=setop == "notin":
                          (labels.get(k) in vs) != neg if k in labels else neg)
        elif op in ("=", "=="):
            checks.append(lambda labels, k=key, v=val: labels.get(k) == v)
        elif op == "!=":
            checks.append(lambda labels, k=key, v=val: labels.get(k) != v)
        else:
            negated = bool(m.group("neg"))
            checks.append(lambda labels, k=key, neg=negated: (k in labels) != neg)
    return lambda obj: all(check(obj.get("metadata", {}).get("labels") or {}) for check in checks)


EXTRA_FIELD_LABELS = {
    "Secret": ("type",),
    "Pod": ("spec.nodeName", "status.phase"),
    "Event": ("involvedObject.kind", "involvedObject.name", "involvedObject.namespace",
              "involvedObject.uid", "reason", "type"),
}


def _dig(obj: dict, dotted: str) -> str:
    value: Any = obj
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def field_matcher(rt: Resource, selector: str):
    """Field selectors: metadata.name/metadata.namespace plus a few per-kind labels."""
    allowed = ("metadata.name", "metadata.namespace") + EXTRA_FIELD_LABELS.get(rt.kind, ())
    checks = []
    for part in _split_top_level(selector or ""):
        m = re.fullmatch(r"([\w.]+)\s*(==|!=|=)\s*(.*)", part)
        if not m:
            raise bad_request(f"invalid selector: '{selector}'; can't understand '{part}'")
        path, op, value = m.groups()
        if path not in allowed:
            raise bad_request(f'field label not supported: {path}')
        checks.append(lambda o, p=path, v=value, neg=op == "!=": (_dig(o, p) == v) != neg)
    return lambda obj: all(check(obj) for check in checks)


# --------------------------------------------------------------------------- patching

def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class JsonPatchError(Exception):
    pass


def _pointer(path: str) -> List[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise JsonPatchError(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: List[str], path: str) -> Tuple[Any, str]:
    node = doc
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise JsonPatchError(f'doc is missing path: "{path}": missing value')
    if not parts:
        raise JsonPatchError("cannot operate on the document root")
    return node, parts[-1]


def _get(doc: Any, path: str) -> Any:
    node, key = _parent(doc, _pointer(path), path)
    if isinstance(node, dict) and key in node:
        return node[key]
    if isinstance(node, list) and key.isdigit() and int(key) < len(node):
        return node[int(key)]
    raise JsonPatchError(f'doc is missing path: "{path}": missing value')


def _remove(doc: Any, path: str) -> Any:
    node, key = _parent(doc, _pointer(path), path)
    if isinstance(node, dict) and key in node:
        return node.pop(key)
    if isinstance(node, list) and key.isdigit() and int(key) < len(node):
        return node.pop(int(key))
    raise JsonPatchError(f'remove operation does not apply: doc is missing path: "{path}"')


def _add(doc: Any, path: str, value: Any, replace: bool = False) -> None:
    node, key = _parent(doc, _pointer(path), path)
    if isinstance(node, dict):
        if replace and key not in node:
            raise JsonPatchError(f'replace operation does not apply: doc is missing key: {path}')
        node[key] = value
    elif isinstance(node, list):
        index = len(node) if key == "-" and not replace else int(key) if key.isdigit() else -1
        if index < 0 or index > len(node) or (replace and index == len(node)):
            raise JsonPatchError(f"Unable to access invalid index: {key}")
        if replace:
            node[index] = value
        else:
            node.insert(index, value)
    else:
        raise JsonPatchError(f'doc is missing path: "{path}": missing value')


def json_patch(doc: Any, operations: Any) -> Any:
    """RFC 6902 JSON patch (add/remove/replace/test/move/copy) on a copy of ``doc``."""
    if not isinstance(operations, list):
        raise ApiError(400, "json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(doc)
    for op in operations:
        kind, path = op.get("op"), op.get("path", "")
        if kind == "add":
            _add(doc, path, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            _add(doc, path, copy.deepcopy(op.get("value")), replace=True)
        elif kind == "test":
            if _get(doc, path) != op.get("value"):
                raise JsonPatchError(f"testing value {path} failed: test failed")
        elif kind in ("move", "copy"):
            source = op["from"]
            value = _remove(doc, source) if kind == "move" else copy.deepcopy(_get(doc, source))
            _add(doc, path, value)
        else:
            raise JsonPatchError(f"Unexpected kind: {kind}")
    return doc


def apply_merge(live: Any, applied: Any) -> Any:
    """Server-side apply, approximated: maps merge, everything else replaces."""
    if not (isinstance(live, dict) and isinstance(applied, dict)):
        return copy.deepcopy(applied)
    result = dict(live)
    for key, value in applied.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge(result.get(key), value)
    return result


# --------------------------------------------------------------------------- plumbing

def now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: Dict[str, str]
    body: bytes
    # Impersonate-Group may come as several header lines (one per group), as kubectl sends it.
    impersonate_groups: Tuple[str, ...] = ()

    @property
    def params(self) -> Dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.query, keep_blank_values=True).items()}

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass
class Response:
    status: int
    body: Any = None
    headers: Dict[str, str] = field(default_factory=dict)
    stream: Optional[Iterator[dict]] = None  # watch events, sent chunked


@dataclass(frozen=True)
class Route:
    rt: Resource
    namespace: str  # "" = cluster-scoped or all namespaces
    name: str
    sub: str  # subresource


def _decode_body(req: Request, allow_yaml: bool = False) -> Any:
    if "protobuf" in req.content_type or "cbor" in req.content_type:
        raise ApiError(415, f"the body of the request was in an unknown format - accepted "
                            f"media types include: application/json, application/yaml "
                            f"(the fake does not decode {req.content_type})")
    if not req.body.strip():
        raise bad_request("the body of the request was empty")
    try:
        if allow_yaml or "yaml" in req.content_type:
            return yaml.safe_load(req.body.decode())
        return json.loads(req.body)
    except (ValueError, yaml.YAMLError) as exc:
        raise bad_request(f"error decoding body: {exc}") from None


def _strip_volatile(obj: dict, keep_managed: bool = False) -> dict:
    """The object minus fields that change on every write (for no-op detection)."""
    obj = copy.deepcopy(obj)
    meta = obj.get("metadata", {})
    meta.pop("resourceVersion", None)
    if not keep_managed:
        meta.pop("managedFields", None)
    return obj


def _spec_part(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


# --------------------------------------------------------------------------- the server

class FakeKubeAPIServer(LoopbackServer):
    """In-memory Kubernetes API server.  See the module docstring."""

    def __init__(self, latency_ms: float = 0, without_nimconfig: bool = False,
                 seed_objects: Optional[List[dict]] = None, port: int = 0, nodelay: bool = True,
                 field_validation: bool = True):
        """`nodelay`: TCP_NODELAY on its connections, as real API servers (Go) set it; off, every
        keep-alive answer waits ~40 ms for the client's delayed ACK (headers and body are two
        writes), which only a test of that timing wants. `field_validation=False`: a server
        before Kubernetes 1.25, which ignores the fieldValidation parameter and prunes unknown
        fields silently (200, no Warning)."""
        self.without_nimconfig = without_nimconfig
        self.field_validation = field_validation
        self.nodelay = nodelay
        self._port = port
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._arrival = threading.Condition(self._lock)  # a request came in (wait_for_request)
        self._stopping = False
        with self._lock:
            self._clear_state()
        self._latency_ms = float(latency_ms)
        for obj in seed_objects or []:
            self.put_object(obj)

    # ----------------------------------------------------------------- lifecycle
    thread_name = "fake-kube-apiserver"
    poll_interval = 0.05

    def _make_httpd(self) -> ThreadingHTTPServer:
        handler = type("Handler", (_Handler,), {"fake": self,
                                                "disable_nagle_algorithm": self.nodelay})
        # A deploy opens about 8 connections at once; the default backlog of 5 can refuse some.
        httpd_class = type("Server", (ThreadingHTTPServer,), {"request_queue_size": 128})
        httpd = httpd_class(("127.0.0.1", self._port), handler)
        httpd.daemon_threads = True
        self._stopping = False
        return httpd

    def _on_stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._changed.notify_all()  # end open watches
        self.pods.wake()  # and log follows

    def write_kubeconfig(self, path: Any, namespace: str = "default",
                         context: str = "fake") -> Path:
        config = {
            "apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": context, "cluster": {"server": self.url,
                                                       "insecure-skip-tls-verify": True}}],
            "users": [{"name": USER, "user": {"token": "fake-token"}}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": USER,
                                                       "namespace": namespace}}],
            "current-context": context,
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    # ----------------------------------------------------------------- python helpers
    def put_object(self, obj: dict) -> dict:
        """Store ``obj`` as is (overwriting), filling metadata; creates its namespace."""
        obj = copy.deepcopy(obj)
        rt = resource_for_object(obj)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name"):
            raise ValueError(f"put_object: {rt.kind} without metadata.name")
        if rt.namespaced:
            meta.setdefault("namespace", "default")
        else:
            meta.pop("namespace", None)
        with self._lock:
            if rt.namespaced:
                self._ensure_namespace(meta["namespace"])
            old = self._store.get(self._key(rt, meta.get("namespace", ""), meta["name"]))
            self._finalize_new(rt, obj)
            if old:
                meta["uid"], meta["creationTimestamp"] = old["metadata"]["uid"], \
                    old["metadata"]["creationTimestamp"]
            self._write(rt, obj, "MODIFIED" if old else "ADDED")
            return copy.deepcopy(obj)

    def get_object(self, api_version: str, plural: str, namespace: Optional[str],
                   name: str) -> Optional[dict]:
        key = (split_api_version(api_version), plural, namespace or "", name)
        with self._lock:
            obj = self._store.get(key)
            return copy.deepcopy(obj) if obj else None

    def objects(self) -> List[dict]:
        with self._lock:
            return [copy.deepcopy(self._store[k]) for k in sorted(self._store)]

    @property
    def requests(self) -> List[dict]:
        with self._lock:
            return copy.deepcopy(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()
            self._arrived.clear()

    @property
    def arrivals(self) -> List[Tuple[str, str]]:
        """(method, path?query) of every request as it came in, answered or not (`requests`
        has only the answered ones)."""
        with self._lock:
            return list(self._arrived)

    def wait_for_request(self, method: str, path_regex: str, count: int = 1,
                         timeout: float = 60.0) -> None:
        """Return once `count` requests matching method and path(?query) have *arrived*,
        answered or not: a test that holds one (`fail(..., hang_seconds=...)`) acts while it is
        in flight, whatever the machine's load, instead of sleeping and hoping. `requests`
        lists a request only once it is answered. AssertionError after `timeout` seconds."""
        pattern = re.compile(path_regex)

        def seen() -> int:
            return sum(1 for m, target in self._arrived
                       if method in ("*", m) and pattern.search(target))

        with self._lock:
            if not self._arrival.wait_for(lambda: seen() >= count, timeout):
                raise AssertionError(f"no {method} {path_regex} arrived within {timeout}s "
                                     f"({seen()} of {count})")

    def reset(self) -> None:
        """Back to an empty cluster (only the built-in namespaces), no rules, no latency."""
        with self._lock:
            self._clear_state()
            self._changed.notify_all()

    def fail(self, method: Optional[str], path_regex: str, status: int = 0, nth: int = 1,
             times: int = 1, hang_seconds: float = 0, retry_after: Optional[int] = None,
             before_answer: Optional[Callable[[], None]] = None) -> None:
        """Make the nth..nth+times-1 requests matching method+path(?query) fail/hang.

        A POST's target ends with ``#NAME``, the metadata.name of the object it creates, so a
        rule can pick one of several creates sent to the same collection at once.

        ``status`` 0 (or < 400) with ``hang_seconds`` only delays the normal answer.  Every
        rule counts every request it matches; when several are in their failing window
        the oldest rule decides.  429 answers carry ``Retry-After: 1`` unless told.
        ``before_answer`` (in-process only) runs first, e.g. a concurrent write to the object.
        """
        re.compile(path_regex)
        if retry_after is None and status == 429:
            retry_after = 1
        with self._lock:
            self._fail_rules.append(FailRule((method or "*"), path_regex, int(status or 0),
                                             int(nth), int(times), float(hang_seconds),
                                             retry_after, before_answer=before_answer))

    def deny(self, verb: str, resource: str, namespace: Optional[str] = None) -> None:
        """403 Forbidden for ``verb`` on ``resource`` (plural, or plural/sub; "*" = any)."""
        with self._lock:
            self._denials.append((verb, resource, namespace))

    def set_latency(self, ms: float) -> None:
        with self._lock:
            self._latency_ms = float(ms)

    def set_watch(self, enabled: bool) -> None:
        """False: watches are answered 405 MethodNotAllowed (clients must poll)."""
        with self._lock:
            self._watch_enabled = bool(enabled)

    def break_watches(self) -> None:
        """Drop every open watch mid-stream, as a broken connection or a restarted server."""
        with self._lock:
            self._watch_epoch += 1
            self._changed.notify_all()

    def compact(self) -> None:
        """Expire every resourceVersion so far: resuming a watch from one gets 410 Gone."""
        with self._lock:
            self._history.clear()
            self._history_floor = self._rv + 1

    # ----------------------------------------------------------------- state
    def _clear_state(self) -> None:
        self._store: Dict[Tuple[str, str, str, str], dict] = {}
        self._rv = 100
        self._history: List[Tuple[int, str, Resource, dict]] = []
        self._history_floor = self._rv
        self._log: List[dict] = []
        self._arrived: List[Tuple[str, str]] = []  # (method, target) as they came in
        self._fail_rules: List[FailRule] = []
        self._denials: List[Tuple[str, str, Optional[str]]] = []
        self._latency_ms = 0.0
        self._watch_enabled = True
        self._watch_epoch = 0  # break_watches() bumps it: open watches then drop
        for ns in BUILTIN_NAMESPACES:
            self._ensure_namespace(ns)
        self.pods = kube_pods.PodsAndServices(self)  # pods/log, services/proxy (kube_pods.py)

    @staticmethod
    def _key(rt: Resource, namespace: str, name: str) -> Tuple[str, str, str, str]:
        return (rt.group, rt.plural, namespace if rt.namespaced else "", name)

    def _ensure_namespace(self, name: str) -> None:
        ns_rt = RESOURCES[0]
        if self._key(ns_rt, "", name) not in self._store:
            obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
            self._finalize_new(ns_rt, obj)
            self._write(ns_rt, obj, "ADDED")

    def _namespace_exists(self, name: str) -> bool:
        return self._key(RESOURCES[0], "", name) in self._store

    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    def _finalize_new(self, rt: Resource, obj: dict) -> None:
        """Fields the server sets on create (uid, timestamps, defaults)."""
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        meta = obj["metadata"]
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", now_rfc3339())
        if rt.group:
            meta.setdefault("generation", 1)
        if rt.kind == "Secret":
            normalize_secret(obj)
        elif rt.kind == "PersistentVolumeClaim":
            # The StorageObjectInUseProtection admission plugin (on by default) adds it.
            finalizers = meta.setdefault("finalizers", [])
            if PVC_PROTECTION not in finalizers:
                finalizers.append(PVC_PROTECTION)
            obj.setdefault("status", {"phase": "Pending"})
        elif rt.kind == "Namespace":
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            obj.setdefault("status", {"phase": "Active"})
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]

    def _write(self, rt: Resource, obj: dict, event: str) -> dict:
        """Persist with a fresh resourceVersion and record a watch event."""
        obj["metadata"]["resourceVersion"] = self._next_rv()
        key = self._key(rt, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        self._store[key] = copy.deepcopy(obj)
        self._record(event, rt, obj)
        return obj

    def _delete_key(self, rt: Resource, key: Tuple[str, str, str, str]) -> dict:
        obj = self._store.pop(key)
        gone = copy.deepcopy(obj)
        gone["metadata"]["resourceVersion"] = self._next_rv()
        self._record("DELETED", rt, gone)
        return gone

    def _record(self, event: str, rt: Resource, obj: dict) -> None:
        self._history.append((self._rv, event, rt, copy.deepcopy(obj)))
        if len(self._history) > WATCH_HISTORY:
            dropped = self._history[: WATCH_HISTORY // 2]
            self._history = self._history[WATCH_HISTORY // 2:]
            self._history_floor = dropped[-1][0]
        self._changed.notify_all()

    # ----------------------------------------------------------------- request entry
    def handle(self, req: Request) -> Response:
        """Answer one HTTP request (admin or API), applying latency/failure rules."""
        if req.path.startswith("/_fake/"):
            try:
                return self._admin(req)
            except (ApiError, ValueError, KeyError, TypeError, re.error) as exc:
                err = exc if isinstance(exc, ApiError) else bad_request(str(exc))
                return Response(err.code, err.status())
        arrived = time.time()  # logged: clients' round trips show as gaps between arrivals
        with self._lock:
            latency = self._latency_ms / 1000.0
            target = req.path + ("?" + req.query if req.query else "")
            if req.method == "POST":  # creates name the object only in the body
                target += "#" + _posted_name(req.body)
            hits = [r for r in self._fail_rules if r.hit(req.method, target)]  # count all
            rule = hits[0] if hits else None
            self._arrived.append((req.method, target))
            self._arrival.notify_all()
        if latency:
            time.sleep(latency)
        if rule and rule.hang_seconds:
            time.sleep(rule.hang_seconds)
        if rule and rule.before_answer:
            rule.before_answer()
        if rule and rule.status >= 400:  # 0/2xx: answer normally (after any hang)
            err = ApiError(rule.status, INJECTED_MESSAGES.get(rule.status, "injected failure"),
                           headers={"Retry-After": str(rule.retry_after)} if rule.retry_after
                           else None)
            response = Response(err.code, err.status(), dict(err.headers))
        else:
            try:
                response = self._api(req)
            except ApiError as err:
                response = Response(err.code, err.status(), dict(err.headers))
            except Exception as exc:  # a bug in the fake: answer like a real 500
                err = ApiError(500, f"Internal error occurred: {type(exc).__name__}: {exc}")
                response = Response(500, err.status())
        with self._lock:
            self._log.append({"method": req.method, "path": req.path, "query": req.query,
                              "user_agent": req.headers.get("user-agent", ""),
                              "impersonate_user": req.headers.get("impersonate-user"),
                              "impersonate_groups": list(req.impersonate_groups),
                              "status": response.status, "arrived": arrived})
        return response

    # ----------------------------------------------------------------- admin API
    def _admin(self, req: Request) -> Response:
        what = req.path[len("/_fake/"):].strip("/")
        body = json.loads(req.body) if req.body.strip() else {}
        if req.method == "GET" and what == "requests":
            return Response(200, self.requests)
        if req.method == "GET" and what == "objects":
            return Response(200, self.objects())
        if req.method == "DELETE" and what == "requests":
            self.clear_requests()
        elif req.method != "POST":
            raise ApiError(405, "the server does not allow this method on the requested resource")
        elif what == "fail":
            self.fail(body.get("method"), body["path_regex"], body.get("status") or 0,
                      body.get("nth", 1), body.get("times", 1), body.get("hang_seconds", 0),
                      body.get("retry_after"))
        elif what == "deny":
            self.deny(body["verb"], body["resource"], body.get("namespace"))
        elif what == "latency":
            self.set_latency(body.get("ms", 0))
        elif what == "watch":  # {"enabled": false} | {"break": true} | {"compact": true}
            if "enabled" in body:
                self.set_watch(body["enabled"])
            if body.get("break"):
                self.break_watches()
            if body.get("compact"):
                self.compact()
        elif what == "reset":
            self.reset()
        elif what == "objects":
            stored = [self.put_object(o) for o in (body if isinstance(body, list) else [body])]
            return Response(200, stored)
        elif what in kube_pods.ADMIN_PATHS:
            self.pods.admin(what, body)
        else:
            raise ApiError(404, NOT_FOUND_MESSAGE, details={})
        return Response(200, {"ok": True})

    # ----------------------------------------------------------------- routing
    def _api(self, req: Request) -> Response:
        segs = [s for s in req.path.split("/") if s]
        discovery = self._discovery(segs)
        if discovery is not None:
            if req.method not in ("GET", "HEAD"):
                raise ApiError(405, "the server does not allow this method on the requested "
                                    "resource")
            return Response(200, discovery)
        extra = self.pods.serve(req, segs)  # pods/log, services/proxy
        if extra is not None:
            return extra
        route = self._route(segs)
        if route is None:
            raise ApiError(404, NOT_FOUND_MESSAGE, details={})
        if route.sub and (route.sub != "status" or not route.rt.status_subresource):
            raise ApiError(404, NOT_FOUND_MESSAGE, details={})
        params = req.params
        verb = self._verb(req.method, route, params)
        all_namespaces = route.rt.namespaced and not route.namespace
        if verb not in route.rt.verbs or (route.sub and verb not in ("get", "update", "patch")) \
                or (all_namespaces and verb not in ("list", "watch")):
            raise ApiError(405, "the server does not allow this method on the requested resource")
        self._authorize(verb, route)
        if params.get("dryRun") not in (None, "All"):
            raise bad_request(f"Invalid dryRun value: {params['dryRun']}")
        handler = getattr(self, "_do_" + verb)
        with self._lock:
            return handler(req, route, params)

    def _route(self, segs: List[str]) -> Optional[Route]:
        if segs[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", segs[2:]
        elif len(segs) >= 3 and segs[0] == "apis":
            group, version, rest = segs[1], segs[2], segs[3:]
        else:
            return None
        if len(rest) >= 3 and rest[0] == "namespaces":
            rt = find_resource(group, version, rest[2])
            if rt and rt.namespaced and len(rest) <= 5:
                return Route(rt, rest[1], *(rest[3:] + ["", ""])[:2])
        if not rest:
            return None
        rt = find_resource(group, version, rest[0])
        if rt is None or len(rest) > 3 or (len(rest) > 1 and rt.namespaced):
            return None
        return Route(rt, "", *(rest[1:] + ["", ""])[:2])

    @staticmethod
    def _verb(method: str, route: Route, params: Dict[str, str]) -> str:
        if method in ("GET", "HEAD"):
            if not route.name:
                return "watch" if params.get("watch") in ("true", "1") else "list"
            return "get"
        if method == "DELETE":
            return "delete" if route.name else "deletecollection"
        verb = {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method, "")
        if (verb == "create") != (not route.name):
            return ""  # POST to an item or PUT/PATCH to a collection: 405
        return verb

    def _authorize(self, verb: str, route: Route) -> None:
        resource = route.rt.plural + ("/" + route.sub if route.sub else "")
        with self._lock:
            denials = list(self._denials)
        for d_verb, d_resource, d_ns in denials:
            if (d_verb in ("*", verb) and d_resource in ("*", resource)
                    and (d_ns is None or d_ns == route.namespace)):
                raise forbidden(route.rt, verb, route.namespace, route.name, route.sub)

    # ----------------------------------------------------------------- discovery
    def _discovery(self, segs: List[str]) -> Optional[Any]:
        groups = _group_versions()
        if segs == ["version"]:
            major, minor = GIT_VERSION[1:].split(".")[:2]
            return {"major": major, "minor": minor, "gitVersion": GIT_VERSION,
                    "gitCommit": "0" * 40, "gitTreeState": "clean",
                    "buildDate": "2024-08-13T07:28:49Z", "goVersion": "go1.22.5",
                    "compiler": "gc", "platform": "linux/amd64"}
        if segs == ["api"]:
            return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": self.url[len("http://"):]}]}
        if segs == ["api", "v1"]:
            return self._resource_list("", "v1")
        if segs == ["apis"]:
            return {"kind": "APIGroupList", "apiVersion": "v1",
                    "groups": [self._api_group(g) for g in groups if g]}
        if len(segs) == 2 and segs[0] == "apis" and segs[1] in groups:
            return {"kind": "APIGroup", "apiVersion": "v1", **self._api_group(segs[1])}
        if len(segs) == 3 and segs[0] == "apis" and segs[2] in groups.get(segs[1], []):
            return self._resource_list(segs[1], segs[2])
        return None

    @staticmethod
    def _api_group(group: str) -> dict:
        versions = _group_versions()[group]
        preferred = PREFERRED_VERSIONS.get(group, versions[0])
        entry = lambda v: {"groupVersion": f"{group}/{v}", "version": v}  # noqa: E731
        return {"name": group, "versions": [entry(v) for v in
                                            sorted(versions, key=lambda v: v != preferred)],
                "preferredVersion": entry(preferred)}

    @staticmethod
    def _resource_list(group: str, version: str) -> dict:
        resources = []
        for rt in RESOURCES:
            if rt.group != group or rt.version != version:
                continue
            entry = {"name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced,
                     "kind": rt.kind, "verbs": list(rt.verbs)}
            if rt.short_names:
                entry["shortNames"] = list(rt.short_names)
            if rt.plural in CATEGORIES:
                entry["categories"] = CATEGORIES[rt.plural]
            resources.append(entry)
            if rt.status_subresource:
                resources.append({"name": rt.plural + "/status", "singularName": "",
                                  "namespaced": rt.namespaced, "kind": rt.kind,
                                  "verbs": ["get", "patch", "update"]})
        gv = f"{group}/{version}" if group else version
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                "resources": resources}

    # ----------------------------------------------------------------- reads
    def _do_get(self, req: Request, route: Route, params: Dict[str, str]) -> Response:
        return Response(200, copy.deepcopy(self._existing(route)))

    def _existing(self, route: Route) -> dict:
        obj = self._store.get(self._key(route.rt, route.namespace, route.name))
        if obj is None:
            raise not_found(route.rt, route.name)
        return obj

    def _select(self, route: Route, params: Dict[str, str]) -> List[Tuple[tuple, dict]]:
        labels = label_matcher(params.get("labelSelector", ""))
        fields = field_matcher(route.rt, params.get("fieldSelector", ""))
        rt = route.rt
        return [(k, o) for k, o in sorted(self._store.items())
                if k[0] == rt.group and k[1] == rt.plural
                and (not route.namespace or k[2] == route.namespace)
                and labels(o) and fields(o)]

    def _do_list(self, req: Request, route: Route, params: Dict[str, str]) -> Response:
        selected = self._select(route, params)
        start = 0
        if params.get("continue"):
            try:
                start = int(json.loads(base64.b64decode(params["continue"]))["start"])
            except (ValueError, KeyError, TypeError):
                raise ApiError(400, "continue key is not valid") from None
        limit = int(params.get("limit") or 0)
        page = selected[start:start + limit] if limit else selected[start:]
        meta: Dict[str, Any] = {"resourceVersion": str(self._rv)}
        if limit and start + limit < len(selected):
            token = json.dumps({"start": start + limit}).encode()
            meta["continue"] = base64.b64encode(token).decode()
            meta["remainingItemCount"] = len(selected) - start - limit
        items = [copy.deepcopy(o) for _, o in page]
        if "as=partialobjectmetadatalist" in req.headers.get("accept", "").lower():
            items = [{"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata",
                      "metadata": o["metadata"]} for o in items]
            return Response(200, {"kind": "PartialObjectMetadataList",
                                  "apiVersion": "meta.k8s.io/v1", "metadata": meta,
                                  "items": items})
        return Response(200, {"kind": route.rt.kind + "List", "apiVersion": route.rt.api_version,
                              "metadata": meta, "items": items})

    def _do_watch(self, req: Request, route: Route, params: Dict[str, str]) -> Response:
        """Stream events after ``resourceVersion``, or the current state then new events.

        ``sendInitialEvents=true`` (the WatchList protocol ``kubectl wait`` uses) ends the
        initial state with the BOOKMARK annotated ``k8s.io/initial-events-end``.
        """
        if not self._watch_enabled:
            raise ApiError(405, "the server does not allow this method on the requested resource")
        labels = label_matcher(params.get("labelSelector", ""))
        fields = field_matcher(route.rt, params.get("fieldSelector", ""))
        since = params.get("resourceVersion") or "0"
        bookmarks = params.get("allowWatchBookmarks") == "true"
        epoch = self._watch_epoch
        if not since.isdigit():
            raise bad_request(f"invalid resource version: {since}")
        timeout = float(params.get("timeoutSeconds") or 30)
        expired = int(since) < self._history_floor and since != "0"
        watch_list = params.get("sendInitialEvents") == "true"
        initial = []
        if since == "0" or watch_list:
            initial = [{"type": "ADDED", "object": copy.deepcopy(o)}
                       for _, o in self._select(route, params)]
            since = str(self._rv)
        if watch_list:
            initial.append({"type": "BOOKMARK", "object": {
                "kind": route.rt.kind, "apiVersion": route.rt.api_version,
                "metadata": {"resourceVersion": since,
                             "annotations": {"k8s.io/initial-events-end": "true"}}}})

        def matches(rt: Resource, obj: dict) -> bool:
            return (rt == route.rt and labels(obj) and fields(obj) and
                    (not route.namespace or obj["metadata"].get("namespace") == route.namespace))

        def events() -> Iterator[dict]:
            if expired:
                err = ApiError(410, f"too old resource version: {since} ({self._history_floor})")
                yield {"type": "ERROR", "object": err.status()}
                return
            yield from initial
            last, deadline = int(since), time.monotonic() + timeout
            bookmark_at = deadline - min(1.0, timeout / 2) if bookmarks else float("inf")
            while True:
                with self._lock:  # never held while writing to the socket
                    if self._watch_epoch != epoch:
                        raise BrokenWatch()
                    if self._stopping or time.monotonic() >= deadline:
                        return
                    new = [(rv, ev, o) for rv, ev, rt, o in self._history
                           if rv > last and matches(rt, o)]
                    last = max([last] + [rv for rv, _, _, _ in self._history])
                    if time.monotonic() >= bookmark_at:
                        bookmark_at = float("inf")
                        new.append((last, "BOOKMARK", {
                            "kind": route.rt.kind, "apiVersion": route.rt.api_version,
                            "metadata": {"resourceVersion": str(max(last, int(since)))}}))
                    if not new:
                        self._changed.wait(min(1.0, max(0.0, min(deadline, bookmark_at)
                                                        - time.monotonic())))
                for _, ev, obj in new:
                    yield {"type": ev, "object": copy.deepcopy(obj)}
        return Response(200, None, stream=events())

    # ----------------------------------------------------------------- schema handling
    def _decode_object(self, rt: Resource, obj: dict, params: Dict[str, str],
                       patching: bool = False) -> Tuple[dict, List[str]]:
        """Prune/validate against the kind's schema; returns (object, warnings)."""
        tree = schemas.schema_for(rt.kind, self.without_nimconfig)
        if tree is None:
            return obj, []
        if not self.field_validation:
            params = {**params, "fieldValidation": "Ignore"}  # before 1.25: silent pruning
        unknown: List[str] = []
        type_errors: List[tuple] = []
        pruned = schemas.check_tree(obj, tree, "", unknown, type_errors)
        if unknown and params.get("fieldValidation") == "Strict":
            why = "strict decoding error: " + ", ".join(f'unknown field "{u}"' for u in unknown)
            raise bad_request(why) if patching else undecodable(rt, why)
        if type_errors:
            self._raise_type_errors(rt, obj, type_errors)
        warnings = [] if params.get("fieldValidation") == "Ignore" else \
            [f'unknown field "{u}"' for u in unknown]
        return pruned, warnings

    @staticmethod
    def _raise_type_errors(rt: Resource, obj: dict, type_errors: List[tuple]) -> None:
        path, value, expected = type_errors[0]
        if rt.builtin:  # Go's encoding/json wording; map entries report the map field
            got = {"boolean": "bool"}.get(_json_type(value), _json_type(value))
            go_type = {"boolean": "bool", "integer": "int64"}.get(expected, expected)
            raise undecodable(rt, f"json: cannot unmarshal {got} into Go struct field "
                                  f"{rt.kind}.{path} of type {go_type}")
        name = obj.get("metadata", {}).get("name", "")
        raise invalid(rt, name, [(p, f'Invalid value: "{_json_type(v)}": {p} in body must be '
                                     f'of type {t}: "{_json_type(v)}"')
                                 for p, v, t in type_errors])

    def _validate(self, rt: Resource, obj: dict) -> None:
        """Field validation the registry does after decoding (422 Invalid)."""
        meta = obj["metadata"]
        problems = name_problems(rt, meta.get("name", ""))
        if rt.kind == "PersistentVolumeClaim":
            problems.extend(pvc_problems(obj.get("spec") or {}))
        if rt.kind in ("Secret", "ConfigMap"):
            for section in ("data", "binaryData", "stringData"):
                for key in (obj.get(section) or {}):
                    if not re.fullmatch(KEY_RE, key):
                        problems.append((f"{section}[{key}]", f'Invalid value: "{key}": {KEY_MSG}'))
        if problems:
            raise invalid(rt, meta.get("name", ""), problems)
        if rt.kind == "Secret":
            for value in (obj.get("data") or {}).values():
                error = _base64_error(value)
                if error:
                    raise undecodable(rt, error)

    def _check_type_meta(self, rt: Resource, obj: Any, route: Route) -> dict:
        """apiVersion/kind must match the URL; namespace must match the URL's."""
        if not isinstance(obj, dict):
            raise undecodable(rt, f"json: cannot unmarshal {_json_type(obj)} into Go value "
                                  f"of type struct")
        api_version = obj.get("apiVersion") or rt.api_version
        if api_version != rt.api_version:
            raise bad_request(f"the API version in the data ({api_version}) does not match the "
                              f"expected API version ({rt.api_version})")
        if obj.get("kind") not in (None, "", rt.kind):
            raise bad_request(f"the kind in the data ({obj['kind']}) does not match the "
                              f"expected kind ({rt.kind})")
        meta = obj.get("metadata")
        if meta is None or not isinstance(meta, dict):
            obj["metadata"] = meta = {}
        if rt.namespaced:
            if meta.get("namespace") not in (None, "", route.namespace):
                raise bad_request("the namespace of the provided object does not match the "
                                  "namespace sent on the request")
            meta["namespace"] = route.namespace
        else:
            meta.pop("namespace", None)
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        return obj

    # ----------------------------------------------------------------- writes
    def _created(self, rt: Resource, obj: dict, params: Dict[str, str],
                 warnings: List[str]) -> Response:
        """Shared tail of POST and apply-create: validate, conflict-check, persist."""
        meta = obj["metadata"]
        if rt.namespaced and not self._namespace_exists(meta["namespace"]):
            raise namespace_not_found(meta["namespace"])
        self._validate(rt, obj)
        if self._key(rt, meta.get("namespace", ""), meta["name"]) in self._store:
            raise already_exists(rt, meta["name"])
        for volatile in ("uid", "resourceVersion", "creationTimestamp", "generation",
                         "deletionTimestamp"):
            meta.pop(volatile, None)
        if rt.status_subresource:
            obj.pop("status", None)
        self._finalize_new(rt, obj)
        if params.get("dryRun") != "All":
            self._write(rt, obj, "ADDED")
        return Response(201, copy.deepcopy(obj), self._warning_headers(warnings))

    @staticmethod
    def _warning_headers(warnings: List[str]) -> Dict[str, str]:
        if not warnings:
            return {}
        return {"Warning": ", ".join('299 - "%s"' % w.replace('"', '\\"') for w in warnings)}

    def _do_create(self, req: Request, route: Route, params: Dict[str, str]) -> Response:
        rt = route.rt
        obj = self._check_type_meta(rt, _decode_body(req), route)
        if rt.plural == "selfsubjectaccessreviews":
            return self._access_review(obj)
        obj, warnings = self._decode_object(rt, obj, params)
        meta = obj["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            suffix = "".join(random.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
            meta["name"] = meta["generateName"] + suffix
        return self._created(rt, obj, params, warnings)

    def _replace(self, rt: Resource, route: Route, old: dict, new: dict,
                 params: Dict[str, str], warnings: List[str],
                 managed: Optional[List[dict]] = None) -> Response:
        """Shared tail of PUT/PATCH/apply: keep system fields, skip no-ops, persist."""
        new_meta, old_meta = new.setdefault("metadata", {}), old["metadata"]
        if new_meta.get("resourceVersion") not in (None, "", old_meta["resourceVersion"]):
            raise conflict(rt, route.name)
        for fixed in ("name", "namespace", "uid", "creationTimestamp", "generation"):
            if fixed in old_meta:
                new_meta[fixed] = old_meta[fixed]
            else:
                new_meta.pop(fixed, None)
        new_meta["managedFields"] = managed if managed is not None else \
            old_meta.get("managedFields")
        if new_meta["managedFields"] is None:
            del new_meta["managedFields"]
        if route.sub == "status":  # only .status moves; everything else stays as stored
            new = {**copy.deepcopy(old), "status": new.get("status")}
            if new["status"] is None:
                del new["status"]
            new_meta = new["metadata"]
        elif rt.status_subresource:
            new.pop("status", None)
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
        if rt.kind == "Secret":
            normalize_secret(new)
        self._validate(rt, new)
        headers = self._warning_headers(warnings)
        if _strip_volatile(new, keep_managed=True) == _strip_volatile(old, keep_managed=True):
            return Response(200, copy.deepcopy(old), headers)
        if "generation" in old_meta and _spec_part(new) != _spec_part(old):
            new_meta["generation"] = old_meta["generation"] + 1
        if params.get("dryRun") == "All":
            new_meta["resourceVersion"] = old_meta["resourceVersion"]
            return Response(200, copy.deepcopy(new), headers)
        return Response(200, copy.deepcopy(self._write(rt, new, "MODIFIED")), headers)

    def _do_update(self, req: Request, route: Route, params: Dict[str, str]) -> Response:
        rt = route.rt
        obj = self._check_type_meta(rt, _decode_body(req), route)
        body_name = obj["metadata"].get("name")
        if body_name != route.name:
            raise bad_request(f"the name of the object ({body_name}) does not match the name "
                              f"on the URL ({route.name})")
        obj, warnings = self._decode_object(rt, obj, params)
        old = self._existing(route)
        return self._replace(rt, route, old, obj, params, warnings)

    def _do_patch(self, req: Request, route: Route, params: Dict[str, str]) -> Response:
        rt, kind = route.rt, req.content_type
        if kind == "application/apply-patch+yaml":
            return self._apply(req, route, params)
        if kind == "application/strategic-merge-patch+json" and not rt.builtin:
            raise ApiError(415, "the body of the request was in an unknown format - accepted "
                                "media types include: application/json-patch+json, "
                                "application/merge-patch+json, application/apply-patch+yaml")
        if kind not in ("application/merge-patch+json", "application/json-patch+json",
                        "application/strategic-merge-patch+json"):
            raise ApiError(415, "the body of the request was in an unknown format - accepted "
                                "media types include: application/json-patch+json, "
                                "application/merge-patch+json, "
                                "application/strategic-merge-patch+json, "
                                "application/apply-patch+yaml")
        patch = _decode_body(req)
        old = self._existing(route)
        if kind == "application/json-patch+json":
            try:
                new = json_patch(old, patch)
            except (JsonPatchError, KeyError, ValueError) as exc:
                raise ApiError(422, "the server rejected our request due to an error in our "
                                    "request", details={"causes": [{
                                        "reason": "UnexpectedServerResponse",
                                        "message": str(exc)}]}) from None
        else:
            if not isinstance(patch, dict):
                raise bad_request("json: cannot unmarshal array into Go value of type "
                                  "map[string]interface {}")
            new = merge_patch(old, patch)
        new = self._check_type_meta(rt, new, route)
        new, warnings = self._decode_object(rt, new, params, patching=True)
        return self._replace(rt, route, old, new, params, warnings)

    def _apply(self, req: Request, route: Route, params: Dict[str, str]) -> Response:
        """Server-side apply (approximation documented in the module docstring)."""
        rt = route.rt
        manager = params.get("fieldManager")
        if not manager:
            raise bad_request("PATCH requests with server-side apply must specify a "
                              "fieldManager (fieldManager is required for apply requests)")
        applied = _decode_body(req, allow_yaml=True)
        if not isinstance(applied, dict) or not applied.get("apiVersion") or \
                not applied.get("kind"):
            raise bad_request("invalid object type: apiVersion and kind must be set "
                              "in an apply configuration")
        applied = self._check_type_meta(rt, applied, route)
        if applied["metadata"].get("name") not in (None, route.name):
            raise bad_request(f"the name of the object ({applied['metadata']['name']}) does "
                              f"not match the name on the URL ({route.name})")
        applied["metadata"]["name"] = route.name
        self._reject_undeclared(rt, applied, route)
        self._decode_object(rt, applied, {"fieldValidation": "Ignore"})  # type errors
        entry = {"manager": manager, "operation": "Apply", "apiVersion": rt.api_version,
                 "time": now_rfc3339(), "fieldsType": "FieldsV1", "fieldsV1": {}}
        old = self._store.get(self._key(rt, route.namespace, route.name))
        if old is None:
            applied["metadata"]["managedFields"] = [entry]
            return self._created(rt, applied, params, [])
        managed = [m for m in old["metadata"].get("managedFields") or []]
        if not any(m.get("manager") == manager and m.get("operation") == "Apply"
                   for m in managed):
            managed.append(entry)
        if applied["metadata"].get("resourceVersion") not in (None, "",
                                                             old["metadata"]["resourceVersion"]):
            raise conflict(rt, route.name)
        new = apply_merge(old, applied)
        return self._replace(rt, route, old, new, params, [], managed)

    def _reject_undeclared(self, rt: Resource, applied: dict, route: Route) -> None:
        """SSA builds a typed patch: unknown fields fail with 500 on today's servers."""
        tree = schemas.schema_for(rt.kind, self.without_nimconfig)
        if tree is None:
            return
        unknown: List[str] = []
        schemas.check_tree(applied, tree, "", unknown, [])
        if unknown:
            errs = [f".{u}: field not declared in schema" for u in unknown]
            where = f"{route.namespace}/{route.name}" if route.namespace else route.name
            group_version = rt.api_version if rt.group else f"/{rt.version}"
            why = errs[0] if len(errs) == 1 else "errors:\n  " + "\n  ".join(errs)
            raise ApiError(500, f"failed to create typed patch object ({where}; "
                                f"{group_version}, Kind={rt.kind}): {why}", reason="")

    def _do_delete(self, req: Request, route: Route, params: Dict[str, str]) -> Response:
        rt = route.rt
        options = json.loads(req.body) if req.body.strip() else {}
        if options.get("dryRun") == ["All"]:
            params = {**params, "dryRun": "All"}
        obj = self._existing(route)
        pre = options.get("preconditions") or {}
        if pre.get("uid") not in (None, obj["metadata"]["uid"]) or \
                pre.get("resourceVersion") not in (None, obj["metadata"]["resourceVersion"]):
            raise conflict(rt, route.name)
        if rt.kind == "Namespace" and route.name in BUILTIN_NAMESPACES:
            raise ApiError(403, f'namespaces "{route.name}" is forbidden: this namespace may '
                                f"not be deleted", details=_details(rt, route.name))
        if params.get("dryRun") == "All":
            return self._deleted_response(rt, copy.deepcopy(obj))
        if rt.kind == "Namespace":
            for key in [k for k in self._store if k[2] == route.name and k[1] != "namespaces"]:
                member_rt = find_resource(key[0], None, key[1])
                self._delete_key(member_rt, key)
        elif obj["metadata"].get("finalizers"):
            return Response(200, self._mark_terminating(rt, obj))
        gone = self._delete_key(rt, self._key(rt, route.namespace, route.name))
        return self._deleted_response(rt, gone)

    def _mark_terminating(self, rt: Resource, obj: dict) -> dict:
        """An object with finalizers is only marked (deletionTimestamp) and stays until they are
        removed. The PVC protection controller's part is played at once: a claim that no pod
        mounts loses its finalizer and goes; one a pod mounts stays Terminating."""
        meta = obj["metadata"]
        meta.setdefault("deletionTimestamp", now_rfc3339())
        marked = copy.deepcopy(self._write(rt, obj, "MODIFIED"))
        if rt.kind == "PersistentVolumeClaim" and meta["finalizers"] == [PVC_PROTECTION] \
                and not self._claim_in_use(meta.get("namespace", ""), meta["name"]):
            self._delete_key(rt, self._key(rt, meta.get("namespace", ""), meta["name"]))
        return marked

    def _claim_in_use(self, namespace: str, claim: str) -> bool:
        for key, obj in self._store.items():
            if key[1] == "pods" and key[2] == namespace:
                volumes = (obj.get("spec") or {}).get("volumes") or []
                if any((v.get("persistentVolumeClaim") or {}).get("claimName") == claim
                       for v in volumes):
                    return True
        return False

    @staticmethod
    def _deleted_response(rt: Resource, obj: dict) -> Response:
        if rt.kind == "Namespace":
            obj["metadata"]["deletionTimestamp"] = now_rfc3339()
            obj["status"] = {"phase": "Terminating"}
        if not rt.builtin or rt.kind in ("Namespace", "Pod"):
            return Response(200, obj)
        details = _details(rt, obj["metadata"]["name"])
        details["uid"] = obj["metadata"]["uid"]
        return Response(200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                              "status": "Success", "details": details})

    def _do_deletecollection(self, req: Request, route: Route,
                             params: Dict[str, str]) -> Response:
        selected = self._select(route, params)
        items = [copy.deepcopy(o) for _, o in selected]
        if params.get("dryRun") != "All":
            items = [self._delete_key(route.rt, key) for key, _ in selected]
        return Response(200, {"kind": route.rt.kind + "List", "apiVersion": route.rt.api_version,
                              "metadata": {"resourceVersion": str(self._rv)}, "items": items})

    def _access_review(self, review: dict) -> Response:
        """SelfSubjectAccessReview answered from the deny rules."""
        attrs = (review.get("spec") or {}).get("resourceAttributes") or {}
        rt = find_resource(attrs.get("group", ""), None, attrs.get("resource", ""))
        allowed = True
        if rt is not None:
            route = Route(rt, attrs.get("namespace", ""), attrs.get("name", ""),
                          attrs.get("subresource", ""))
            try:
                self._authorize(attrs.get("verb", ""), route)
            except ApiError:
                allowed = False
        review["status"] = {"allowed": allowed}
        if not allowed:
            review["status"]["reason"] = "denied by the fake API server"
        return Response(201, review)


# --------------------------------------------------------------------------- HTTP glue

def _posted_name(body: bytes) -> str:
    try:
        return str(json.loads(body)["metadata"]["name"])
    except (ValueError, KeyError, TypeError):
        return ""


class BrokenWatch(Exception):
    """Raised by a watch stream that `break_watches()` dropped: the connection ends without
    the last chunk."""


class _Handler(BaseHTTPRequestHandler):
    """Translates HTTP/1.1 to :class:`Request`/:class:`Response` (keep-alive aware)."""

    protocol_version = "HTTP/1.1"
    server_version = "fake-kube-apiserver/1.0"
    # Headers and body are two writes: without TCP_NODELAY, Nagle + the client's delayed ACK
    # add ~40 ms to every keep-alive answer. Set per server (FakeKubeAPIServer(nodelay=...)).
    disable_nagle_algorithm = True
    fake: FakeKubeAPIServer  # set on the subclass built in start()

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        body = self._read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(self.command, parts.path, parts.query, headers, body,
                      tuple(self.headers.get_all("Impersonate-Group") or ()))
        try:
            resp = self.fake.handle(req)
            if resp.stream is not None:
                self._send_stream(resp)
            else:
                self._send(resp)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # client gave up (e.g. timed out on a hang)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def _read_body(self) -> bytes:
        """Content-Length or chunked bodies; always drained so keep-alive stays in sync."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size + 2)[:size])  # data + CRLF
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, resp: Response) -> None:
        payload = b"" if resp.body is None else json.dumps(resp.body).encode()
        self.send_response(resp.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _send_stream(self, resp: Response) -> None:
        self.send_response(resp.status)
        headers = {"Content-Type": "application/json", **resp.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        # The connection is closed after the stream: say so, or a client reuses it from its pool
        # and its next request meets "Server disconnected without sending a response".
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            for event in resp.stream:  # watch events, or raw bytes (logs, proxied answers)
                data = event if isinstance(event, bytes) else json.dumps(event).encode() + b"\n"
                if not data:
                    continue
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
        except BrokenWatch:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass


# --------------------------------------------------------------------------- CLI

def load_seed_files(paths: List[str]) -> List[dict]:
    objects: List[dict] = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for doc in yaml.safe_load_all(fh):
                if isinstance(doc, dict) and "items" in doc and \
                        str(doc.get("kind", "")).endswith("List"):
                    objects.extend(doc["items"])  # a kind: List document
                elif doc:
                    objects.append(doc)
    return objects


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Fake Kubernetes API server for tests.")
    parser.add_argument("--kubeconfig-out", required=True, help="where to write a kubeconfig")
    parser.add_argument("--port", type=int, default=0, help="port (0 = random)")
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--seed", action="append", default=[],
                        help="multi-document YAML of objects to preload (repeatable)")
    parser.add_argument("--without-nimconfig", action="store_true",
                        help="OdhDashboardConfig CRD without spec.nimConfig (prunes it)")
    parser.add_argument("--namespace", default="default", help="kubeconfig namespace")
    args = parser.parse_args(argv)
    server = FakeKubeAPIServer(latency_ms=args.latency_ms,
                               without_nimconfig=args.without_nimconfig,
                               seed_objects=load_seed_files(args.seed), port=args.port)
    server.start()
    server.write_kubeconfig(args.kubeconfig_out, namespace=args.namespace)
    server.serve_until_signalled()
    return 0


if __name__ == "__main__":
    sys.exit(main())
