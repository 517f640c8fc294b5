"""Every object `deploy` writes, rendered as plain dicts (docs/design.md#secrets and
docs/design.md#what-deploy-creates).

Pure: options, the runtime Template and the key in; manifests out, in write order. No cluster,
no network, no clock and no randomness (unless the Template generates parameter values), so
`--dry-run=client -o yaml` prints exactly what a real run creates, and tests compare whole
manifests against reviewed fixtures.

The flag rules live in deploy_values and deploy_options, the ServingRuntime's adaptation of the
Template in serving_runtime, the metadata and references every object shares in objects; this module puts
them together and renders the secrets, the PVC and the InferenceService.
"""

from __future__ import annotations

import base64
import json
from random import Random
from typing import Any, Mapping, Optional

from kubectl_nim.domain.deploy_options import DeployOptions
from kubectl_nim.domain.keys import ENV_VAR as API_KEY_ENV
from kubectl_nim.domain.keys import pull_secret_dockerconfig
from kubectl_nim.domain.names import (DASHBOARD_LABEL, DEPLOYMENT_MODE_ANNOTATION,
                                      DISPLAY_NAME_ANNOTATION, DOCKERCONFIG_TYPE, GPU_RESOURCE,
                                      HARDWARE_PROFILE_NAME_ANNOTATION,
                                      HARDWARE_PROFILE_NAMESPACE_ANNOTATION, ISVC_API_VERSION,
                                      MANAGED_LABEL, NIM_SUPPORT_ANNOTATION, SEED, VISIBILITY_LABEL,
                                      derived_names)
from kubectl_nim.domain.objects import object_metadata
from kubectl_nim.domain.proxy import ca_configmap
from kubectl_nim.domain.quantity import parse_quantity
from kubectl_nim.domain.serving_runtime import kserve_container, serving_runtime
from kubectl_nim.domain.template import find_runtime, process_template
from kubectl_nim.errors import UsageError


def render_deployment(options: DeployOptions, template: Mapping[str, Any],
                      api_key: Optional[str], rng: Optional[Random] = None) -> list[dict]:
    """Every object `deploy` creates, in write order: secrets, PVC, runtime, InferenceService.

    `api_key` is needed unless disconnected or skip_secrets; the CLI reads and validates it
    first, so its absence here is a programming error (ValueError). `rng` only matters for a
    Template that generates parameter values.
    """
    objects: list[dict] = []
    if options.creates_secrets:
        if api_key is None:
            raise ValueError("render_deployment needs the API key to render the secrets")
        objects += [api_key_secret(options, api_key), pull_secret(options, api_key)]
    if options.storage.existing is None:
        objects.append(cache_pvc(options))
    if options.nim.proxy is not None:
        ca = ca_configmap(options.nim.proxy, options.name, options.namespace)
        if ca:
            objects.append(ca)
    runtime = find_runtime(process_template(template, dict(options.template_params), rng))
    objects.append(serving_runtime(options, template, runtime))
    template_resources = kserve_container(runtime.get("spec") or {}).get("resources") or {}
    objects.append(inference_service(options, template_resources))
    return objects


# --- Secrets and PVC -----------------------------------------------------------------------------

def api_key_secret(options: DeployOptions, api_key: str) -> dict:
    """The Opaque secret the runtime's `NGC_API_KEY` env reads (docs/design.md#secrets)."""
    return api_key_secret_for(options.name, options.namespace, api_key, options.secret_naming)


def pull_secret(options: DeployOptions, api_key: str) -> dict:
    """The nvcr.io pull secret the runtime's `imagePullSecrets` names (docs/design.md#secrets)."""
    return pull_secret_for(options.name, options.namespace, api_key, options.secret_naming)


def api_key_secret_for(deployment: str, namespace: Optional[str], api_key: str,
                       naming: str = SEED) -> dict:
    """`api_key_secret` by deployment name: what rotate-key and migrate write, byte for byte."""
    return _secret(derived_names(deployment, naming)["secret"], namespace, "Opaque",
                   {API_KEY_ENV: api_key})


def pull_secret_for(deployment: str, namespace: Optional[str], api_key: str,
                    naming: str = SEED) -> dict:
    """`pull_secret` by deployment name: what rotate-key and migrate write, byte for byte."""
    config = json.dumps(pull_secret_dockerconfig(api_key), separators=(",", ":"))
    return _secret(derived_names(deployment, naming)["pull_secret"], namespace,
                   DOCKERCONFIG_TYPE, {".dockerconfigjson": config})


def _secret(name: str, namespace: Optional[str], secret_type: str,
            data: Mapping[str, str]) -> dict:
    return secret_manifest(name, namespace, secret_type, data)


def secret_manifest(name: str, namespace: Optional[str], secret_type: str,
                    data: Mapping[str, str]) -> dict:
    """A Secret labelled managed, `data` base64-encoded: every secret the plugin writes."""
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta["labels"] = {MANAGED_LABEL: "true"}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta,
        "type": secret_type,
        "data": {k: base64.b64encode(v.encode()).decode("ascii") for k, v in data.items()},
    }


def cache_pvc(options: DeployOptions) -> dict:
    """The model cache claim, `nim-pvc-{deployment}` (docs/design.md#what-deploy-creates)."""
    return pvc_manifest(options.names["pvc"], options.namespace, options.storage.size,
                        options.storage.storage_class)


def pvc_manifest(name: str, namespace: Optional[str], size: str,
                 storage_class: Optional[str]) -> dict:
    """A model cache claim: deploy's, and the one `cache NAME` fills."""
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "volumeMode": "Filesystem",
        "resources": {"requests": {"storage": size}},
    }
    if storage_class:
        spec["storageClassName"] = storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": object_metadata(namespace, name, labels={MANAGED_LABEL: "true"},
                              annotations={DISPLAY_NAME_ANNOTATION: name}),
        "spec": spec,
    }


# --- InferenceService ----------------------------------------------------------------------------

def inference_service(options: DeployOptions, template_resources: Mapping[str, Any]) -> dict:
    """The InferenceService that runs the model on this deployment's runtime
    (docs/design.md#what-deploy-creates)."""
    labels = {DASHBOARD_LABEL: "true"}
    if options.expose:
        labels[VISIBILITY_LABEL] = "exposed"
    annotations = {DISPLAY_NAME_ANNOTATION: options.shown_name,
                   DEPLOYMENT_MODE_ANNOTATION: options.scaling.mode}
    profile = options.compute.hardware_profile
    if profile is not None:
        annotations[HARDWARE_PROFILE_NAME_ANNOTATION] = profile.name
        if profile.namespace:
            annotations[HARDWARE_PROFILE_NAMESPACE_ANNOTATION] = profile.namespace
    model: dict[str, Any] = {"modelFormat": {"name": options.model.name},
                             "runtime": options.names["runtime"]}
    resources = model_resources(options, template_resources)
    if resources:
        model["resources"] = resources
    if options.nim.env:
        model["env"] = [{"name": k, "value": v} for k, v in options.nim.env]
    return {
        "apiVersion": ISVC_API_VERSION,
        "kind": "InferenceService",
        "metadata": object_metadata(options.namespace, options.names["inference_service"], labels=labels,
                              annotations=annotations),
        "spec": {"predictor": {"minReplicas": options.scaling.min_replicas,
                               "maxReplicas": options.scaling.max_replicas,
                               "model": model}},
    }


def model_resources(options: DeployOptions, template_resources: Mapping[str, Any]) -> dict:
    """The template container's requests/limits with the flags applied on top.

    `--gpus N` sets both request and limit (Kubernetes requires them equal for extended
    resources); `--gpus 0` removes the GPU. A request above its limit is refused here rather
    than by the API server halfway through the writes.
    """
    sections = {k: {r: str(q) for r, q in (template_resources.get(k) or {}).items()}
                for k in ("requests", "limits") if k in template_resources}
    compute = options.compute
    overrides = {("requests", "cpu"): compute.cpu_request, ("limits", "cpu"): compute.cpu_limit,
                 ("requests", "memory"): compute.memory_request,
                 ("limits", "memory"): compute.memory_limit}
    if compute.gpus is not None:
        gpus = str(compute.gpus) if compute.gpus else None
        overrides.update({("requests", GPU_RESOURCE): gpus, ("limits", GPU_RESOURCE): gpus})
        if not gpus:
            for quantities in sections.values():
                quantities.pop(GPU_RESOURCE, None)
    for (section, resource), value in overrides.items():
        if value is not None:
            sections.setdefault(section, {})[resource] = value
    _check_requests_within_limits(sections)
    return {k: v for k, v in sections.items() if v}


def _check_requests_within_limits(sections: Mapping[str, Mapping[str, str]]) -> None:
    limits = sections.get("limits") or {}
    for resource, request in (sections.get("requests") or {}).items():
        limit = limits.get(resource)
        if limit is not None and parse_quantity(request) > parse_quantity(limit):
            raise UsageError(f"the {resource} request {request} is more than its limit {limit}",
                             hint="raise the limit too (--cpu-limit, --memory-limit), or lower "
                                  "the request")


def namespace_annotation_patch() -> dict:
    """The merge patch that marks the project as NIM-enabled
    (docs/design.md#what-deploy-creates)."""
    return {"metadata": {"annotations": {NIM_SUPPORT_ANNOTATION: "true"}}}
