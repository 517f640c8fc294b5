"""`list` when the NIM Accounts cannot be listed cluster-wide (or at all): a wizard deployment
(reading the project key `nvidia-nim-secrets`) must not be called `shared-legacy`. With `-A`, the
Accounts are then read project by project for the projects that need them (bounded, concurrent);
a project whose Accounts cannot be read at all shows KEY `unknown` for those deployments, with
one note on stderr saying why (docs/compatibility.md, per-project NIM Accounts)."""

from __future__ import annotations

import json

import pytest

from tests.helpers.day2 import cli, secret, seed_plugin, seed_wizard
from tests.helpers.obs import round_trips


@pytest.fixture(autouse=True)
def _no_backoff(no_backoff):
    pass


@pytest.fixture
def run(nim, kubeconfig):
    return cli(nim, kubeconfig, "list", key=None)


def schemes(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return {r["name"]: r["keyScheme"] for r in json.loads(result.stdout)["items"]}


def two_flows(server) -> None:
    """team-a: a wizard deployment with its project's Account; team-b: the older global flow's
    copy of `nvidia-nim-secrets` (no Account); team-c: a per-deployment one."""
    seed_wizard(server, "wiz", namespace="team-a")
    seed_wizard(server, "copy", namespace="team-b", account_too=False)
    server.put_object({**secret(server, "nvidia-nim-secrets", "team-a"),
                       "metadata": {"name": "nvidia-nim-secrets", "namespace": "team-b"}})
    seed_plugin(server, "own", namespace="team-c")


def deny_cluster_wide_accounts(server) -> None:
    server.deny("list", "accounts", namespace="")


def test_all_namespaces_reads_accounts_project_by_project_when_refused_cluster_wide(
        run, kube_server):
    two_flows(kube_server)
    deny_cluster_wide_accounts(kube_server)
    result = run("-A", "-o", "json")
    assert schemes(result) == {"wiz": "project-account", "copy": "shared-legacy",
                               "own": "per-deployment"}
    assert "cannot read the NIM Accounts" not in result.stderr
    per_project = sorted(r["path"] for r in kube_server.requests
                         if r["path"].endswith("/accounts") and "/namespaces/" in r["path"])
    # only the projects whose deployments read a Secret of the Account's default name
    assert per_project == ["/apis/nim.opendatahub.io/v1/namespaces/team-a/accounts",
                           "/apis/nim.opendatahub.io/v1/namespaces/team-b/accounts"]


def test_the_fallback_costs_one_more_round_trip_and_the_common_case_none(run, kube_server):
    two_flows(kube_server)
    kube_server.set_latency(300)
    kube_server.clear_requests()
    assert schemes(run("-A", "-o", "json"))["wiz"] == "project-account"
    assert round_trips(kube_server.requests, 0.3) == 1
    deny_cluster_wide_accounts(kube_server)
    kube_server.clear_requests()
    assert schemes(run("-A", "-o", "json"))["wiz"] == "project-account"
    assert round_trips(kube_server.requests, 0.3) == 2


def test_unreadable_accounts_show_unknown_with_one_note(run, kube_server):
    two_flows(kube_server)
    kube_server.deny("list", "accounts")  # cluster-wide and in every project
    result = run("-A", "-o", "json")
    assert schemes(result) == {"wiz": "unknown", "copy": "unknown", "own": "per-deployment"}
    notes = [line for line in result.stderr.splitlines() if "NIM Accounts" in line]
    assert len(notes) == 1, result.stderr
    assert "cannot read the NIM Accounts of team-a, team-b (forbidden): KEY is unknown for " \
        "deployments reading nvidia-nim-secrets" in notes[0]
    table = run("-A")
    assert "shared-legacy" not in table.stdout


def test_one_project_with_unreadable_accounts(run, kube_server):
    seed_wizard(kube_server, "wiz")
    seed_plugin(kube_server, "own")
    kube_server.deny("list", "accounts")
    result = run("-o", "json")
    assert schemes(result) == {"wiz": "unknown", "own": "per-deployment"}
    assert "cannot read the NIM Accounts of default (forbidden)" in result.stderr


def test_no_note_when_no_deployment_depends_on_the_accounts(run, kube_server):
    seed_plugin(kube_server, "own")
    kube_server.deny("list", "accounts")
    result = run("-o", "json")
    assert schemes(result) == {"own": "per-deployment"}
    assert "NIM Accounts" not in result.stderr


def test_project_by_project_listing_marks_the_unreadable_ones(run, kube_server):
    """Without the right to list InferenceServices cluster-wide: the same rule per project."""
    two_flows(kube_server)
    kube_server.deny("list", "inferenceservices", namespace="")
    kube_server.deny("list", "accounts", namespace="team-b")
    result = run("-A", "-o", "json")
    assert schemes(result) == {"wiz": "project-account", "copy": "unknown",
                               "own": "per-deployment"}
    assert "cannot read the NIM Accounts of team-b (forbidden)" in result.stderr


def test_status_agrees_with_list(nim, kubeconfig, kube_server):
    seed_wizard(kube_server, "wiz")
    kube_server.deny("list", "accounts")
    one = nim("status", "wiz", "-o", "json", "--kubeconfig", kubeconfig)
    assert one.exit_code == 0, one.stderr
    assert json.loads(one.stdout)["keyScheme"] == "unknown"
    every = nim("status", "-o", "json", "--kubeconfig", kubeconfig)
    assert [i["keyScheme"] for i in json.loads(every.stdout)["items"]] == ["unknown"]


def test_runtimes_and_accounts_both_refused_cluster_wide_cost_one_more_round(run, kube_server):
    two_flows(kube_server)
    kube_server.deny("list", "servingruntimes", namespace="")
    deny_cluster_wide_accounts(kube_server)
    kube_server.set_latency(300)
    kube_server.clear_requests()
    result = run("-A", "-o", "json")
    assert schemes(result) == {"wiz": "project-account", "copy": "shared-legacy",
                               "own": "per-deployment"}
    assert round_trips(kube_server.requests, 0.3) == 2
