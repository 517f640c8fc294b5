"""The ServingRuntime of a deployment: the Template's runtime made specific to it
(docs/design.md#what-deploy-creates).

Separate from render.py because adapting a template is its own set of rules (the model image,
the cache claim's volume and mounts, shared memory, the dashboard's annotations), tested
against every template shape seen on clusters.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

from kubectl_nim.domain.deploy_options import DeployOptions
from kubectl_nim.domain.names import (API_PROTOCOL_ANNOTATION, DASHBOARD_LABEL,
                                      DISPLAY_NAME_ANNOTATION, KSERVE_CONTAINER,
                                      RUNTIME_API_VERSION, TEMPLATE_DISPLAY_NAME_ANNOTATION,
                                      TEMPLATE_NAME_ANNOTATION, is_dns1123_label)
from kubectl_nim.domain.nim_runtime import point_at_own_secrets
from kubectl_nim.domain.objects import object_metadata
from kubectl_nim.domain.template import TemplateError

CACHE_MOUNT_PATH = "/mnt/models/cache"
SHM_MOUNT_PATH = "/dev/shm"
PVC_VOLUME_PREFIX = "nim-pvc"
SHM_VOLUME_SOURCE = {"emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}}


def serving_runtime(options: DeployOptions, template: Mapping[str, Any],
                    runtime: Mapping[str, Any]) -> dict:
    """The Template's ServingRuntime made specific to this deployment
    (docs/design.md#what-deploy-creates)."""
    spec = copy.deepcopy(dict(runtime.get("spec") or {}))
    container = kserve_container(spec)
    container["image"] = options.image
    spec["supportedModelFormats"] = [
        {"name": options.model.name, "version": options.tag, "autoSelect": False, "priority": 1}]
    _attach_cache_claim(spec, container, options)
    if options.project_key is not None:  # the wizard's: the project's key and pull secret
        project = options.project_key
        point_at_own_secrets(spec, options.name, project.key_secret, project.pull_secret,
                             replaced=[project.pull_secret])
    else:
        point_at_own_secrets(spec, options.name,
                             None if options.disconnected else options.names["secret"],
                             None if options.disconnected else options.names["pull_secret"])
    _declare_missing_shm(spec)
    _set_profile_and_proxy(spec, container, options)
    for each in spec.get("containers") or []:
        each.pop("resources", None)  # sized on the InferenceService instead
    meta = runtime.get("metadata") or {}
    return {
        "apiVersion": RUNTIME_API_VERSION,
        "kind": "ServingRuntime",
        "metadata": object_metadata(options.namespace, options.names["runtime"],
                              labels={**(meta.get("labels") or {}), DASHBOARD_LABEL: "true"},
                              annotations={**(meta.get("annotations") or {}),
                                           **_runtime_annotations(options, template, runtime)}),
        "spec": spec,
    }


def kserve_container(spec: Mapping[str, Any]) -> dict:
    """The container KServe runs the model in; every NIM template has one named kserve-container."""
    for container in spec.get("containers") or []:
        if container.get("name") == KSERVE_CONTAINER:
            return container
    raise TemplateError(f"the runtime template's ServingRuntime has no container named "
                        f"{KSERVE_CONTAINER}", hint="the template is not a NIM runtime template")


def _runtime_annotations(options: DeployOptions, template: Mapping[str, Any],
                         runtime: Mapping[str, Any]) -> dict[str, str]:
    """The dashboard's bookkeeping: which Template this came from and how to show it."""
    template_annotations = (template.get("metadata") or {}).get("annotations") or {}
    runtime_annotations = (runtime.get("metadata") or {}).get("annotations") or {}
    template_name = (template.get("metadata") or {}).get("name") or ""
    found = {
        TEMPLATE_NAME_ANNOTATION: template_name,
        TEMPLATE_DISPLAY_NAME_ANNOTATION: (template_annotations.get(DISPLAY_NAME_ANNOTATION)
                                or runtime_annotations.get(DISPLAY_NAME_ANNOTATION)
                                           or template_name),
        DISPLAY_NAME_ANNOTATION: options.shown_name,
        API_PROTOCOL_ANNOTATION: template_annotations.get(API_PROTOCOL_ANNOTATION),
    }
    return {k: v for k, v in found.items() if v}


def _attach_cache_claim(spec: dict, container: dict, options: DeployOptions) -> None:
    """Point the template's `nim-pvc*` volume, and the mounts of it and of the cache path, at the
    real claim. A template without them gets both, so the claim is always used."""
    claim = options.claim_name
    # A pod volume name is a DNS-1123 label; an existing claim's name may be longer or dotted.
    volume_name = claim if is_dns1123_label(claim) else options.names["pvc"]
    volumes = spec.setdefault("volumes", [])
    old = next((i for i, v in enumerate(volumes)
                if str(v.get("name", "")).startswith(PVC_VOLUME_PREFIX)), None)
    old_name = volumes[old]["name"] if old is not None else None
    new_volume = {"name": volume_name, "persistentVolumeClaim": {"claimName": claim}}
    if old is None:
        volumes.append(new_volume)
    else:
        volumes[old] = new_volume
    for each in spec.get("containers") or []:
        for mount in each.get("volumeMounts") or []:
            if mount.get("mountPath") == CACHE_MOUNT_PATH or mount.get("name") == old_name:
                mount["name"] = volume_name
    cache_mount = next((m for m in container.get("volumeMounts") or []
                        if m.get("mountPath") == CACHE_MOUNT_PATH), None)
    if cache_mount is None:
        cache_mount = {"name": volume_name, "mountPath": CACHE_MOUNT_PATH}
        container.setdefault("volumeMounts", []).append(cache_mount)
    if options.storage.subpath:
        cache_mount["subPath"] = options.storage.subpath


def _declare_missing_shm(spec: dict) -> None:
    """A /dev/shm mount whose volume the template forgot would make the pod unschedulable; NIM
    needs shared memory, so declare it as a memory-backed emptyDir under the mount's name."""
    volumes = spec.setdefault("volumes", [])
    declared = {v.get("name") for v in volumes}
    for each in spec.get("containers") or []:
        for mount in each.get("volumeMounts") or []:
            if mount.get("mountPath") == SHM_MOUNT_PATH and mount.get("name") not in declared:
                volumes.append({"name": mount["name"], **copy.deepcopy(SHM_VOLUME_SOURCE)})
                declared.add(mount["name"])


def _set_profile_and_proxy(spec: dict, container: dict, options: DeployOptions) -> None:
    """`--profile` as NIM_MODEL_PROFILE on the model container, and the proxy settings
    (domain/proxy) on it: the NIM's downloads go through the proxy, trusting its CA."""
    from kubectl_nim.domain.deploy_values import PROFILE_ENV
    from kubectl_nim.domain.proxy import add_to_pod

    nim = options.nim
    if nim.profile:
        env = [e for e in container.get("env") or [] if e.get("name") != PROFILE_ENV]
        container["env"] = env + [{"name": PROFILE_ENV, "value": nim.profile}]
    if nim.proxy is not None and not nim.proxy.empty:
        adapted = add_to_pod(spec, KSERVE_CONTAINER, nim.proxy, options.name)
        spec.clear()
        spec.update(adapted)
