"""Pointing a runtime at its deployment's own secrets: one function
(domain/nim_runtime.point_at_own_secrets) for deploy's render and migrate, pure."""

from __future__ import annotations

import copy

import pytest

from kubectl_nim.app import local_catalog
from kubectl_nim.app import discovery
from kubectl_nim.domain import nim_runtime, render
from kubectl_nim.domain.names import derived_names

pytestmark = pytest.mark.pure

KEY = "nvapi-TEST-0000"
MODEL = "llama-3.1-8b-instruct"
SHARED = {"name": "NGC_API_KEY",
          "valueFrom": {"secretKeyRef": {"name": "nvidia-nim-secrets", "key": "NGC_API_KEY"}}}


def _render(name="llama", disconnected=False, sidecar=True):
    template = copy.deepcopy(discovery.embedded_template())
    runtime = next(o for o in template["objects"] if o.get("kind") == "ServingRuntime")
    spec = runtime["spec"]
    if sidecar:
        spec["containers"].append({"name": "key-reader", "image": "example/sidecar",
                                   "env": [{"name": "A", "value": "1"}, dict(SHARED),
                                           dict(SHARED)]})
    spec["imagePullSecrets"] = [{"name": "ngc-secret"}, {"name": "quay-pull"}]
    model = local_catalog.load_embedded().get(MODEL)
    options = render.DeployOptions(name=name, namespace="team", model=model,
                                   tag=model.latest_tag, disconnected=disconnected)
    objects = render.render_deployment(options, template, None if disconnected else KEY)
    return next(o for o in objects if o["kind"] == "ServingRuntime")


def test_a_sidecar_reading_the_shared_secret_reads_the_deployments_own():
    runtime = _render()
    own = derived_names("llama")
    refs = nim_runtime.runtime_refs(runtime)
    assert refs.key_secrets == (own["secret"],)
    assert {r.container for r in refs.key_refs} == {"kserve-container", "key-reader"}
    sidecar = next(c for c in runtime["spec"]["containers"] if c["name"] == "key-reader")
    assert [e["name"] for e in sidecar["env"]] == ["A", "NGC_API_KEY"]  # in place, once
    assert nim_runtime.key_scheme("llama", refs) == nim_runtime.PER_DEPLOYMENT
    # other registries' pull secrets are kept, the shared one gives way to the own one
    assert runtime["spec"]["imagePullSecrets"] == [{"name": own["pull_secret"]},
                                                   {"name": "quay-pull"}]


def test_migrate_finds_nothing_to_change_in_what_deploy_renders():
    assert nim_runtime.switch_refs(_render(), "llama") is None


def test_disconnected_drops_the_key_everywhere():
    runtime = _render(disconnected=True)
    assert nim_runtime.runtime_refs(runtime).key_refs == ()
    assert runtime["spec"]["imagePullSecrets"] == [{"name": "quay-pull"}]
