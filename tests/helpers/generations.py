"""The cluster generations of docs/compatibility.md, seeded into a fake or real API server:
the redesign under either naming, today's OpenShift AI (NIM Account status, no nimConfig, with
and without the DataScienceCluster air-gap flag) and bare KServe; and the objects discovery reads
(DSCInitialization, OdhDashboardConfig)."""

from __future__ import annotations

import copy

from kubectl_nim.app import discovery
from tests.helpers.catalog import catalog_configmap, model_entry
from tests.helpers.day2 import APPS

GENERATIONS = ("redesign-seed", "redesign-later", "today", "today-airgap", "bare")
MODEL = "acme-chat"
NAME = "chat"


def dsci(ns="custom-apps"):
    return {"apiVersion": "dscinitialization.opendatahub.io/v1", "kind": "DSCInitialization",
            "metadata": {"name": "default-dsci"}, "spec": {"applicationsNamespace": ns}}


def odc(ns=APPS, nim_config=None):
    spec = {"dashboardConfig": {"disableTracking": False}}
    if nim_config is not None:
        spec["nimConfig"] = nim_config
    return {"apiVersion": "opendatahub.io/v1alpha", "kind": "OdhDashboardConfig",
            "metadata": {"name": "odh-dashboard-config", "namespace": ns}, "spec": spec}


def seed_rhoai(kube_server, models=("cluster-model",), nim_config=None):
    """The redesign as OpenShift AI ships it: DSCInitialization, OdhDashboardConfig, catalog."""
    kube_server.put_object(dsci(APPS))
    kube_server.put_object(odc(APPS, nim_config))
    kube_server.put_object(catalog_configmap([model_entry(m) for m in models],
                                             namespace=APPS))


def _template(name, legacy_refs=False):
    tpl = copy.deepcopy(discovery.embedded_template())
    tpl["metadata"] = {**tpl["metadata"], "name": name, "namespace": APPS}
    if legacy_refs:  # today's shipped template reads the project-wide secrets
        sr = tpl["objects"][0]["spec"]
        sr["containers"][0]["env"].append({"name": "NGC_API_KEY", "valueFrom": {
            "secretKeyRef": {"name": "nvidia-nim-secrets", "key": "NGC_API_KEY"}}})
        sr["imagePullSecrets"] = [{"name": "ngc-secret"}]
    return tpl


def _catalog(name):
    return catalog_configmap([model_entry(MODEL, namespace="nim/acme",
                                          tags=("2.1.0", "2.1", "latest"), latest="latest")],
                             name=name, namespace=APPS)


def _dsc(air_gapped):
    return {"apiVersion": "datasciencecluster.opendatahub.io/v1", "kind": "DataScienceCluster",
            "metadata": {"name": "default-dsc"}, "spec": {"components": {"kserve": {
                "managementState": "Managed",
                "nim": {"managementState": "Managed", "airGapped": air_gapped}}}}}


def seed_generation(server, generation):
    if generation == "bare":
        return
    server.put_object(dsci(APPS))
    if generation.startswith("redesign"):
        server.put_object(odc(APPS, {}))
        later = generation == "redesign-later"
        server.put_object(_catalog("nim-models-data" if later else "nvidia-nim-models-data"))
        server.put_object(_template("nim-http-template" if later
                                    else "nvidia-nim-http-template"))
        return
    server.put_object(odc(APPS))
    server.put_object(_dsc(generation == "today-airgap"))
    server.put_object(_catalog("odh-nim-account-cm"))
    server.put_object(_template("nvidia-nim-serving-template", legacy_refs=True))
    server.put_object({
        "apiVersion": "nim.opendatahub.io/v1", "kind": "Account",
        "metadata": {"name": "odh-nim-account", "namespace": APPS},
        "spec": {"apiKeySecret": {"name": "nvidia-nim-access"}},
        "status": {"nimConfig": {"kind": "ConfigMap", "name": "odh-nim-account-cm",
                                 "namespace": APPS},
                   "runtimeTemplate": {"kind": "Template", "name": "nvidia-nim-serving-template",
                                       "namespace": APPS}}})
