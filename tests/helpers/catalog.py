"""Catalog entries and catalog ConfigMaps as the tests build them."""

from __future__ import annotations

import json


def model_entry(name, namespace="nim/meta", tags=("1.0", "latest"), latest="1.0", **extra):
    entry = {"name": name, "displayName": extra.pop("displayName", name.title()),
             "shortDescription": extra.pop("shortDescription", f"{name} for tests"),
             "namespace": namespace, "tags": list(tags), "latestTag": latest,
             "updatedDate": extra.pop("updatedDate", "2026-01-02T03:04:05.000Z")}
    entry.update(extra)
    return entry


def catalog_configmap(entries, name="nvidia-nim-models-data", namespace=None, raw=None):
    data = {e["name"]: json.dumps(e) for e in entries}
    data.update(raw or {})
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}
