"""`delete NAME` removes the CA bundle ConfigMap `deploy --ca-bundle` made (`nim-proxy-ca-NAME`,
docs/airgap.md) when it is the deployment's own, as its secrets: named after it, with deploy's
label, owned by nothing else and mounted by no other deployment; `--dry-run` says it would."""

from __future__ import annotations

from kubectl_nim.domain import proxy
from kubectl_nim.domain.names import KSERVE_CONTAINER
from tests.helpers.day2 import runtime, seed_plugin
from tests.helpers.deploy import MODEL, NAME, NS, project, run_deploy  # noqa: F401

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
CM = "configmap/nim-proxy-ca-x"




def config_map(server, name, namespace="default"):
    return server.get_object("v1", "configmaps", namespace, name)


def seed_with_ca(server, name, namespace="default", mounts=None, **meta):
    """A deployment made with `deploy --ca-bundle FILE`: its runtime mounts the ConfigMap
    `nim-proxy-ca-NAME` (`mounts`: another deployment's instead), which carries deploy's label
    (`meta` overrides its metadata)."""
    settings = proxy.ProxySettings(ca_bundle=PEM)
    seed_plugin(server, name, namespace)
    sr = runtime(server, name, namespace)
    sr["spec"] = proxy.add_to_pod(sr["spec"], KSERVE_CONTAINER, settings, mounts or name)
    server.put_object(sr)
    if mounts is None:
        cm = proxy.ca_configmap(settings, name, namespace)
        cm["metadata"].update(meta)
        server.put_object(cm)


def test_delete_removes_its_ca_config_map_after_the_secrets(delete, kube_server):
    seed_with_ca(kube_server, "x")
    result = delete("x", "--yes")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"{CM} deleted" in lines
    assert lines.index(f"{CM} deleted") == lines.index("secret/nvidia-nim-image-pull-x deleted") + 1
    assert config_map(kube_server, "nim-proxy-ca-x") is None


def test_dry_run_says_it_would_and_keeps_it(delete, kube_server):
    seed_with_ca(kube_server, "x")
    for mode, said in (("client", "(dry run)"), ("server", "(server dry run)")):
        result = delete("x", "--yes", f"--dry-run={mode}")
        assert result.exit_code == 0, result.stderr
        assert f"{CM} deleted {said}" in result.stdout.splitlines(), result.stdout
        assert config_map(kube_server, "nim-proxy-ca-x") is not None


def test_one_another_deployment_mounts_is_kept(delete, kube_server):
    seed_with_ca(kube_server, "x")
    seed_with_ca(kube_server, "y", mounts="x")  # made by hand to share x's bundle
    result = delete("x", "--yes")
    assert result.exit_code == 0, result.stderr
    assert f"Keeping {CM}: still mounted by servingruntime.serving.kserve.io/y" in result.stderr
    assert CM not in result.stdout
    assert config_map(kube_server, "nim-proxy-ca-x") is not None


def test_one_without_deploys_label_is_not_ours(delete, kube_server):
    seed_with_ca(kube_server, "x", labels={"team": "corp-ca"})
    result = delete("x", "--yes")
    assert result.exit_code == 0, result.stderr
    assert f"Keeping {CM}: not made by deploy --ca-bundle (no opendatahub.io/managed=true " \
        "label)" in result.stderr
    assert config_map(kube_server, "nim-proxy-ca-x") is not None


def test_one_a_cache_job_owns_goes_with_its_job(delete, kube_server):
    owner = {"apiVersion": "batch/v1", "kind": "Job", "name": "x", "uid": "u1"}
    seed_with_ca(kube_server, "x", labels={"opendatahub.io/managed": "true"},
                 ownerReferences=[owner])
    result = delete("x", "--yes")
    assert result.exit_code == 0, result.stderr
    assert f"Keeping {CM}: it goes with job.batch/x (its ownerReferences)" in result.stderr
    assert config_map(kube_server, "nim-proxy-ca-x") is not None


def test_without_a_ca_bundle_nothing_is_said(delete, kube_server):
    seed_plugin(kube_server, "x")
    result = delete("x", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "configmap" not in result.stdout + result.stderr


def test_unreadable_config_maps_keep_it_and_say_why(delete, kube_server):
    seed_with_ca(kube_server, "x")
    kube_server.deny("get", "configmaps")
    result = delete("x", "--yes")
    assert result.exit_code == 0, result.stderr
    assert f"Keeping {CM}: cannot read it to check that it is this deployment's own" \
        in result.stderr
    assert config_map(kube_server, "nim-proxy-ca-x") is not None


def test_deploy_with_a_ca_bundle_then_delete_leaves_nothing(run_deploy, project, nim, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text(PEM)
    made = run_deploy(NAME, "--model", MODEL, "--https-proxy", "http://proxy.corp:3128",
                      "--ca-bundle", str(ca))
    assert made.exit_code == 0, made.stderr
    gone = nim("delete", NAME, "--yes", "--kubeconfig", project.kubeconfig)
    assert gone.exit_code == 0, gone.stderr
    assert f"configmap/nim-proxy-ca-{NAME} deleted" in gone.stdout
    assert config_map(project.server, f"nim-proxy-ca-{NAME}", NS) is None
