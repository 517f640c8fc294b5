"""`status NAME` of a deployment reading the project's NIM Account key, when that Account is not
ready: a reason in the controller's own words and the `project` verb that fixes it, read in the
same round trip as the rest (docs/compatibility.md, per-project NIM Accounts)."""

from __future__ import annotations

import json

import pytest

from tests.helpers.day2 import OLD_KEY, account, assert_key_hidden, cli, seed_project_account, \
    seed_wizard
from tests.helpers.obs import round_trips


@pytest.fixture(autouse=True)
def _no_backoff(no_backoff):
    pass


@pytest.fixture
def run(nim, kubeconfig):
    return cli(nim, kubeconfig, key=None)


def test_a_rejected_project_key_is_the_reason_with_the_fix(run, kube_server):
    seed_wizard(kube_server, "wiz", account_too=False)
    seed_project_account(kube_server, ready=False)
    result = run("status", "wiz")
    assert "✗ the project's NIM Account odh-nim-account rejected the project key: api key " \
        "failed validation — put a valid key in with `kubectl nim project rotate-key -n " \
        "default`" in result.stdout, result.stdout
    data = json.loads(run("status", "wiz", "-o", "json").stdout)
    assert data["verdict"] == "Failed"
    assert data["reasons"][0]["code"] == "AccountKeyRejected"
    assert "project status -n default" in data["reasons"][0]["advice"]
    assert_key_hidden(result, OLD_KEY)


def test_an_account_not_yet_validated_is_a_wait(run, kube_server):
    seed_wizard(kube_server, "wiz")
    fresh = account()
    fresh.pop("status")  # just made: the controller has not answered yet
    kube_server.put_object(fresh)
    data = json.loads(run("status", "wiz", "-o", "json").stdout)
    codes = {r["code"]: r["severity"] for r in data["reasons"]}
    assert codes.get("AccountNotValidated") == "progressing", data["reasons"]
    assert data["verdict"] != "Failed"


def test_the_overview_says_it_too_and_a_per_deployment_one_is_untouched(run, kube_server):
    from tests.helpers.day2 import seed_plugin

    seed_wizard(kube_server, "wiz", account_too=False)
    seed_project_account(kube_server, ready=False)
    seed_plugin(kube_server, "own")
    items = {i["name"]: i for i in json.loads(run("status", "-o", "json").stdout)["items"]}
    assert "AccountKeyRejected" in [r["code"] for r in items["wiz"]["reasons"]]
    assert not any(r["code"].startswith("Account") for r in items["own"]["reasons"])


def test_no_round_trip_is_added(run, kube_server):
    seed_wizard(kube_server, "wiz", account_too=False)
    seed_project_account(kube_server, ready=False)
    kube_server.clear_requests()
    kube_server.set_latency(300)
    result = run("status", "wiz")
    assert "AccountKeyRejected" not in result.stdout  # the text says it in words
    assert "rejected the project key" in result.stdout
    assert round_trips(kube_server.requests, 0.3) == 1
