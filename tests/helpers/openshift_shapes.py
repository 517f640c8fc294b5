"""The shapes of the two OpenShift documents `mirror plan` prints, as their references define
them (no API server of ours knows these kinds, so kubernetes-validate cannot check them):

- ImageSetConfiguration `mirror.openshift.io/v2alpha1`, read by `oc mirror --v2` (OpenShift
  docs, "Image set configuration parameters" of oc-mirror plugin v2): top level `kind`,
  `apiVersion`, `mirror` (required), optional `archiveSize`; `mirror` holds `platform`,
  `operators`, `additionalImages`, `helm`, `blockedImages`; an `additionalImages` item is
  `{name: <image by tag or digest>}`.
- ImageTagMirrorSet `config.openshift.io/v1` (openshift/api, config/v1
  0000_10_config-operator_01_imagetagmirrorset.crd.yaml): cluster-scoped, `spec` required,
  `spec.imageTagMirrors[]` items `{source (required), mirrors[] (a set), mirrorSourcePolicy}`,
  with the CRD's patterns for `source` and each mirror.
- The catalog ConfigMap: the catalog format (docs/architecture.md), every entry parsing.
`problems(doc)` lists what is wrong, empty when the document has the documented shape.
"""

from __future__ import annotations

import re
from typing import Any

_HOST = (r"((?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:[a-zA-Z0-9]|"
         r"[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?)")
_PATH = r"(?:(?:/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?"
ITMS_MIRROR = re.compile(rf"^{_HOST}{_PATH}$")
ITMS_SOURCE = re.compile(r"^\*(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+$|"
                         rf"^{_HOST}{_PATH}$")
# An image reference oc-mirror accepts under additionalImages: repository:tag or @digest.
IMAGE_REF = re.compile(rf"^{_HOST}{_PATH}(?::[\w][\w.-]{{0,127}}|@sha256:[0-9a-f]{{64}})$")
ISC_TOP = {"apiVersion", "kind", "mirror", "archiveSize"}
ISC_MIRROR = {"platform", "operators", "additionalImages", "helm", "blockedImages"}
SOURCE_POLICIES = {"NeverContactSource", "AllowContactingSource"}


def problems(doc: Any) -> list[str]:
    if not isinstance(doc, dict):
        return ["not an object"]
    kind = doc.get("kind")
    if kind == "ImageSetConfiguration":
        return _isc(doc)
    if kind == "ImageTagMirrorSet":
        return _itms(doc)
    if kind == "ConfigMap":
        return _catalog(doc)
    return [f"unknown kind {kind!r}"]


def _isc(doc: dict) -> list[str]:
    found = []
    if doc.get("apiVersion") != "mirror.openshift.io/v2alpha1":
        found.append(f"apiVersion {doc.get('apiVersion')!r}")
    found += [f"unknown field {k!r}" for k in doc if k not in ISC_TOP]
    mirror = doc.get("mirror")
    if not isinstance(mirror, dict):
        return found + ["mirror is required and is an object"]
    found += [f"unknown field mirror.{k}" for k in mirror if k not in ISC_MIRROR]
    images = mirror.get("additionalImages", [])
    if not isinstance(images, list):
        return found + ["mirror.additionalImages is a list"]
    for i, item in enumerate(images):
        if not isinstance(item, dict) or set(item) != {"name"}:
            found.append(f"mirror.additionalImages[{i}] is not {{name: IMAGE}}")
        elif not isinstance(item["name"], str) or not IMAGE_REF.fullmatch(item["name"]):
            found.append(f"mirror.additionalImages[{i}].name {item['name']!r} is not an image "
                         f"reference with a tag or digest")
    names = [i.get("name") for i in images if isinstance(i, dict)]
    if len(names) != len(set(map(str, names))):
        found.append("mirror.additionalImages lists an image twice")
    return found


def _itms(doc: dict) -> list[str]:
    found = []
    if doc.get("apiVersion") != "config.openshift.io/v1":
        found.append(f"apiVersion {doc.get('apiVersion')!r}")
    meta = doc.get("metadata") or {}
    if not meta.get("name") or "namespace" in meta:
        found.append("metadata: a name, and no namespace (cluster-scoped)")
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return found + ["spec is required"]
    found += [f"unknown field spec.{k}" for k in spec if k != "imageTagMirrors"]
    for i, item in enumerate(spec.get("imageTagMirrors") or []):
        where = f"spec.imageTagMirrors[{i}]"
        if not isinstance(item, dict):
            found.append(f"{where} is not an object")
            continue
        found += [f"unknown field {where}.{k}" for k in item
                  if k not in ("source", "mirrors", "mirrorSourcePolicy")]
        if not isinstance(item.get("source"), str) or not ITMS_SOURCE.fullmatch(item["source"]):
            found.append(f"{where}.source {item.get('source')!r} does not match the CRD pattern")
        mirrors = item.get("mirrors", [])
        if not isinstance(mirrors, list) or len(set(map(str, mirrors))) != len(mirrors):
            found.append(f"{where}.mirrors is not a set of strings")
            continue
        found += [f"{where}.mirrors {m!r} does not match the CRD pattern" for m in mirrors
                  if not isinstance(m, str) or not ITMS_MIRROR.fullmatch(m)]
        policy = item.get("mirrorSourcePolicy")
        if policy is not None and (not mirrors or policy not in SOURCE_POLICIES):
            found.append(f"{where}.mirrorSourcePolicy {policy!r}")
    return found


def _catalog(doc: dict) -> list[str]:
    from kubectl_nim.domain import catalog

    try:
        parsed = catalog.parse_configmap(doc, "plan")
    except catalog.MalformedCatalog as e:
        return [e.message]
    return list(parsed.warnings) + ([] if parsed.models else ["no model"])
