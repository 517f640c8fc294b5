"""Deployments that read the key of the project's NIM Account (docs/compatibility.md,
per-project NIM Accounts) are recognised: key scheme `project-account` in list, status, report and -o json,
beside a per-deployment one in the same project; rotate-key and migrate say what to do."""

from __future__ import annotations

import json
import tarfile

import pytest

from tests.helpers.day2 import (ACCOUNT_PULL, NEW_KEY, OLD_KEY, assert_key_hidden, cli,
                                opaque_key, runtime, secret, seed_plugin, seed_project_account,
                                seed_wizard, writes)


@pytest.fixture(autouse=True)
def _no_backoff(no_backoff):
    pass


@pytest.fixture
def run(nim, kubeconfig, ngc_server):
    return cli(nim, kubeconfig)


def test_list_tells_the_project_key_from_the_deployments_own(run, kube_server):
    seed_wizard(kube_server, "wiz")
    seed_plugin(kube_server, "own")
    result = run("list", "-o", "json")
    assert result.exit_code == 0, result.stderr
    schemes = {r["name"]: r["keyScheme"] for r in json.loads(result.stdout)["items"]}
    assert schemes == {"own": "per-deployment", "wiz": "project-account"}
    table = run("list")
    assert "project-account" in table.stdout and "shared-legacy" not in table.stdout
    assert_key_hidden(result, OLD_KEY)


def test_list_all_namespaces_matches_each_project_with_its_own_account(run, kube_server):
    seed_wizard(kube_server, "wiz", namespace="team-a")
    seed_wizard(kube_server, "copy", namespace="team-b", account_too=False)  # global flow
    kube_server.put_object({**secret(kube_server, "nvidia-nim-secrets", "team-a"),
                            "metadata": {"name": "nvidia-nim-secrets", "namespace": "team-b"}})
    result = run("list", "-A", "-o", "json")
    assert result.exit_code == 0, result.stderr
    schemes = {r["name"]: r["keyScheme"] for r in json.loads(result.stdout)["items"]}
    assert schemes == {"wiz": "project-account", "copy": "shared-legacy"}


def test_list_without_the_right_to_read_accounts_still_lists(run, kube_server):
    seed_wizard(kube_server, "wiz")
    kube_server.deny("list", "accounts")
    result = run("list", "-o", "json")
    assert result.exit_code == 0, result.stderr
    # not `shared-legacy`: only the Account tells the project key from the older shared copy
    assert json.loads(result.stdout)["items"][0]["keyScheme"] == "unknown"


def test_list_reads_the_accounts_in_the_same_round_trip(run, kube_server):
    from tests.helpers.obs import round_trips

    seed_wizard(kube_server, "wiz")
    kube_server.clear_requests()
    kube_server.set_latency(300)
    assert run("list").exit_code == 0
    assert round_trips(kube_server.requests, 0.3) == 1


def test_status_shows_the_accounts_readiness_and_last_validation(run, kube_server):
    seed_wizard(kube_server, "wiz")
    result = run("status", "wiz")
    assert result.exit_code == 0, result.stderr
    assert "Key:           project-account" in result.stdout
    assert "Account:       odh-nim-account (ready)" in result.stdout
    assert "Validated:     2026-11-30T10:00:00Z" in result.stdout
    data = json.loads(run("status", "wiz", "-o", "json").stdout)
    assert data["keyScheme"] == "project-account"
    assert data["account"] == {"name": "odh-nim-account", "ready": "True",
                               "lastSuccessfulValidation": "2026-11-30T10:00:00Z",
                               "message": None}
    assert_key_hidden(result, OLD_KEY)


def test_status_of_a_rejected_account_says_the_controllers_words(run, kube_server):
    seed_wizard(kube_server, "wiz", account_too=False)
    seed_project_account(kube_server, ready=False)
    result = run("status", "wiz")
    assert "Account:       odh-nim-account (not ready: api key failed validation)" \
        in result.stdout, result.stdout


def test_status_of_a_per_deployment_one_has_no_account(run, kube_server):
    seed_project_account(kube_server)
    seed_plugin(kube_server, "own")
    data = json.loads(run("status", "own", "-o", "json").stdout)
    assert data["keyScheme"] == "per-deployment" and data["account"] is None
    overview = json.loads(run("status", "-o", "json").stdout)
    assert overview["items"][0]["account"] is None


def test_report_holds_the_account(run, kube_server, tmp_path):
    seed_wizard(kube_server, "wiz")
    path = tmp_path / "bundle.tar.gz"
    result = run("report", "wiz", "-f", str(path))
    assert result.exit_code == 0, result.stderr
    with tarfile.open(path) as tar:
        names = tar.getnames()
        status = json.loads(tar.extractfile(next(n for n in names
                                                 if n.endswith("status.json"))).read())
        everything = b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())
    assert any(n.endswith("objects/account-odh-nim-account.yaml") for n in names)
    assert status["keyScheme"] == "project-account"
    assert OLD_KEY.encode() not in everything


def test_rotate_key_points_to_project_rotate_key(run, kube_server):
    seed_wizard(kube_server, "wiz")
    result = run("rotate-key", "wiz", "--skip-key-validation")
    assert result.exit_code == 1
    assert "kubectl nim project rotate-key -n default" in result.stderr
    assert_key_hidden(result, NEW_KEY, OLD_KEY)


def test_migrate_refuses_a_custom_named_account_key_unless_asked(run, kube_server):
    """The Account may name any Secret: the project-key refusal comes before the custom one."""
    seed_wizard(kube_server, "wiz", key_secret="team-ngc-key")
    kube_server.clear_requests()
    refused = run("migrate", "wiz", "--reuse-key", key=None)
    assert refused.exit_code == 1
    assert "uses the project's NIM Account key" in refused.stderr
    assert "--from-project-account" in refused.stderr
    assert writes(kube_server) == []
    moved = run("migrate", "wiz", "--reuse-key", "--from-project-account",
                "--skip-key-validation", key=None)
    assert moved.exit_code == 0, moved.stderr
    rt = runtime(kube_server, "wiz")
    assert rt["spec"]["imagePullSecrets"] == [{"name": "nvidia-nim-image-pull-wiz"}]
    assert opaque_key(secret(kube_server, "nvidia-nim-secrets-wiz")) == OLD_KEY
    assert opaque_key(secret(kube_server, "team-ngc-key")) == OLD_KEY
    assert secret(kube_server, ACCOUNT_PULL) is not None
    assert_key_hidden(moved, OLD_KEY)
