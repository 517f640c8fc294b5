"""`deploy --key-scope project|deployment` (docs/compatibility.md, per-project NIM Accounts): the
project scope deploys as the dashboard's NIM wizard does (the Account's Template, its key
Secret and pull secret, no per-deployment secrets) and needs a ready Account; without the flag
a project with a ready Account gets it and says so. diff and --apply follow the scheme."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.helpers.day2 import account as account_obj, assert_key_hidden
from tests.helpers.deploy import (KEY, MODEL, NAME, NS, SR, dry_runs, project,  # noqa: F401
                                  run_deploy, writes)
from tests.fakes.nim_controller import NimController

PROJECT_NOTICE = "Using the project's NIM key (NIM Account odh-nim-account is ready)"


@pytest.fixture
def enabled(project, nim):
    """NIM enabled on the project as the wizard does, the controller done with it."""
    from tests.helpers.day2 import seed_project_account

    seed_project_account(project.server, NS, KEY)
    ctl = NimController.on_fake(project.server)
    ctl.reconcile()
    project.server.clear_requests()
    return project


def runtime_of(project, name=NAME):
    return project.get("ServingRuntime", name)


def secrets_made(project):
    return sorted(o["metadata"]["name"] for o in project.server.objects()
                  if o["kind"] == "Secret" and o["metadata"].get("namespace") == NS)


def test_a_project_with_a_ready_account_deploys_on_its_key(run_deploy, enabled, nim):
    result = run_deploy(NAME, "--model", MODEL, key=None)   # no key needed at all
    assert result.exit_code == 0, result.stderr
    assert PROJECT_NOTICE in result.stderr
    assert "template team/odh-nim-account-template" in result.stderr
    spec = runtime_of(enabled)["spec"]
    container = next(c for c in spec["containers"] if c["name"] == "kserve-container")
    keys = [e for e in container["env"] if e["name"] == "NGC_API_KEY"]
    assert keys == [{"name": "NGC_API_KEY", "valueFrom": {"secretKeyRef": {
        "name": "nvidia-nim-secrets", "key": "NGC_API_KEY"}}}]
    assert spec["imagePullSecrets"] == [{"name": "odh-nim-account-pull"}]
    assert secrets_made(enabled) == ["nvidia-nim-secrets", "odh-nim-account-pull"]
    assert "secret/" not in result.stdout
    listed = nim("list", "-o", "json", "--kubeconfig", enabled.kubeconfig)
    assert json.loads(listed.stdout)["items"][0]["keyScheme"] == "project-account"


def test_key_scope_deployment_gives_it_its_own_secrets(run_deploy, enabled):
    result = run_deploy(NAME, "--model", MODEL, "--key-scope", "deployment")
    assert result.exit_code == 0, result.stderr
    assert PROJECT_NOTICE not in result.stderr
    assert runtime_of(enabled)["spec"]["imagePullSecrets"] == [
        {"name": f"nvidia-nim-image-pull-{NAME}"}]
    assert f"nvidia-nim-secrets-{NAME}" in secrets_made(enabled)
    assert_key_hidden(result, KEY)


def test_a_project_without_an_account_gets_per_deployment_secrets(run_deploy, project):
    result = run_deploy(NAME, "--model", MODEL)
    assert result.exit_code == 0, result.stderr
    assert "NIM key" not in result.stderr
    assert f"nvidia-nim-secrets-{NAME}" in secrets_made(project)


def test_key_scope_project_needs_an_account(run_deploy, project):
    result = run_deploy(NAME, "--model", MODEL, "--key-scope", "project", key=None)
    assert result.exit_code == 1
    assert "has no NIM Account" in result.stderr and "project enable" in result.stderr
    assert writes(project.server) == []


def test_key_scope_project_needs_a_ready_account(run_deploy, project):
    project.server.put_object(account_obj(NS, ready=False))
    result = run_deploy(NAME, "--model", MODEL, "--key-scope", "project", key=None)
    assert result.exit_code == 1
    assert "is not ready: api key failed validation" in result.stderr
    assert writes(project.server) == []


def test_without_the_flag_an_account_not_ready_means_own_secrets(run_deploy, project):
    project.server.put_object(account_obj(NS, ready=False))
    result = run_deploy(NAME, "--model", MODEL)
    assert result.exit_code == 0, result.stderr
    assert "is not ready (api key failed validation)" in result.stderr
    assert f"nvidia-nim-secrets-{NAME}" in secrets_made(project)


def test_client_dry_run_renders_no_secrets(run_deploy, enabled):
    result = run_deploy(NAME, "--model", MODEL, "--key-scope", "project", "--dry-run=client",
                        "-o", "yaml", key=None)
    assert result.exit_code == 0, result.stderr
    kinds = [d["kind"] for d in yaml.safe_load_all(result.stdout)]
    assert kinds == ["PersistentVolumeClaim", "ServingRuntime", "InferenceService"]
    assert writes(enabled.server) == [] and dry_runs(enabled.server) == []


def test_offline_cannot_use_the_project_key(run_deploy, project):
    result = run_deploy(NAME, "--model", MODEL, "--key-scope", "project", "--offline",
                        "--dry-run=client", key=None)
    assert result.exit_code == 2
    assert "--key-scope project" in result.stderr


def test_apply_keeps_the_scheme_of_an_existing_deployment(run_deploy, project, nim):
    assert run_deploy(NAME, "--model", MODEL).exit_code == 0     # per-deployment, no Account
    from tests.helpers.day2 import seed_project_account

    seed_project_account(project.server, NS, KEY)
    NimController.on_fake(project.server).reconcile()
    result = run_deploy(NAME, "--model", MODEL, "--apply")
    assert result.exit_code == 0, result.stderr
    assert PROJECT_NOTICE not in result.stderr
    assert runtime_of(project)["spec"]["imagePullSecrets"] == [
        {"name": f"nvidia-nim-image-pull-{NAME}"}]


def test_diff_and_apply_follow_the_project_scheme(run_deploy, enabled, nim):
    assert run_deploy(NAME, "--model", MODEL, key=None).exit_code == 0
    diff = nim("diff", NAME, "--model", MODEL, "--kubeconfig", enabled.kubeconfig)
    assert diff.exit_code == 0, diff.stdout + diff.stderr
    assert "No key given" not in diff.stderr
    again = run_deploy(NAME, "--model", MODEL, "--apply", key=None)
    assert again.exit_code == 0, again.stderr
    assert f"{SR}/{NAME} unchanged" in again.stdout, again.stdout
    assert secrets_made(enabled) == ["nvidia-nim-secrets", "odh-nim-account-pull"]


def test_reading_the_account_costs_no_round_trip(run_deploy, project):
    from tests.helpers.obs import round_trips

    rounds = {}
    for scope in (["--key-scope", "deployment"], []):
        project.server.clear_requests()
        project.server.set_latency(200)
        result = run_deploy(NAME, "--model", MODEL, "--dry-run=server", *scope)
        assert result.exit_code == 0, result.stderr
        rounds[bool(scope)] = round_trips(project.server.requests, 0.2)
    assert rounds[False] == rounds[True], rounds


def test_key_scope_project_when_accounts_cannot_be_read(run_deploy, enabled):
    enabled.server.deny("list", "accounts")
    result = run_deploy(NAME, "--model", MODEL, "--key-scope", "project", key=None)
    assert result.exit_code == 1
    assert "cannot read the NIM Accounts of team" in result.stderr
    assert writes(enabled.server) == []
    fallback = run_deploy(NAME, "--model", MODEL)      # without the flag: its own secrets
    assert fallback.exit_code == 0, fallback.stderr
    assert f"nvidia-nim-secrets-{NAME}" in [o["metadata"]["name"] for o in
                                           enabled.server.objects() if o["kind"] == "Secret"]
