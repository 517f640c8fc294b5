"""No verb deletes or rewrites a per-project NIM Account's Secrets (docs/compatibility.md,
per-project NIM Accounts): the key Secret an Account names in `spec.apiKeySecret` and its
`status.nimPullSecret` belong to the Account, even where they carry the shared legacy name
`nvidia-nim-secrets`. Regression tests for every destructive path, on the fake API server."""

from __future__ import annotations

import pytest

from tests.helpers.day2 import (ACCOUNT_PULL, NEW_KEY, OLD_KEY, assert_key_hidden, cli, isvc,
                                opaque_key, pull_key, runtime, secret, seed_legacy, seed_plugin,
                                seed_project_account, seed_wizard, writes)

SECRET_PATH = "/api/v1/namespaces/default/secrets/"


@pytest.fixture(autouse=True)
def _no_backoff(no_backoff):
    pass


@pytest.fixture
def run(nim, kubeconfig, ngc_server):
    return cli(nim, kubeconfig, flags=lambda args: ["--skip-key-validation"]
               if args[0] in ("migrate", "rotate-key") else [])


def account_secrets_untouched(server, key=OLD_KEY):
    assert opaque_key(secret(server, "nvidia-nim-secrets")) == key
    assert opaque_key(secret(server, "nvidia-nim-secrets"), "api_key") == key
    assert pull_key(secret(server, ACCOUNT_PULL)) == key
    assert not [w for w in writes(server) if w[1].startswith(SECRET_PATH + "nvidia-nim-secrets")
                and w[1] == SECRET_PATH + "nvidia-nim-secrets"]
    assert not [w for w in writes(server) if w[1] == SECRET_PATH + ACCOUNT_PULL]


@pytest.mark.parametrize("dry_run", ["none", "server", "client"])
def test_cleanup_shared_keeps_the_accounts_key_secret(run, kube_server, dry_run):
    """The data-loss bug: the wizard's key Secret has the legacy name; nothing references it
    once its only deployment moved, and --cleanup-shared deleted it."""
    seed_wizard(kube_server, "wiz")
    kube_server.clear_requests()
    result = run("migrate", "wiz", "--reuse-key", "--from-project-account", "--cleanup-shared",
                 f"--dry-run={dry_run}", key=None)
    assert result.exit_code == 0, result.stderr
    assert "secret/nvidia-nim-secrets deleted" not in result.stdout
    assert ("Keeping secret/nvidia-nim-secrets: it belongs to the project's NIM Account "
            "odh-nim-account (its spec.apiKeySecret)") in result.stderr
    account_secrets_untouched(kube_server)
    assert_key_hidden(result, OLD_KEY)


def test_cleanup_alone_keeps_the_accounts_secrets_with_no_user_left(run, kube_server):
    seed_project_account(kube_server)  # NIM enabled, no deployment (yet)
    kube_server.clear_requests()
    result = run("migrate", "--cleanup-shared", key=None)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "NIM Account odh-nim-account" in result.stderr
    account_secrets_untouched(kube_server)


def test_cleanup_still_removes_the_global_flows_copies(run, kube_server):
    """Without an Account the same names are the older global flow's disposable copies."""
    seed_legacy(kube_server, "old")
    assert run("migrate", "old", "--reuse-key", "--cleanup-shared", key=None).exit_code == 0
    assert secret(kube_server, "nvidia-nim-secrets") is None
    assert secret(kube_server, "ngc-secret") is None


def test_cleanup_keeps_the_key_secret_when_accounts_cannot_be_read(run, kube_server):
    """Not knowing whether an Account owns it is not permission to delete it."""
    seed_legacy(kube_server, "old")
    kube_server.deny("list", "accounts")
    result = run("migrate", "old", "--reuse-key", "--cleanup-shared", key=None)
    assert result.exit_code == 0, result.stderr
    assert secret(kube_server, "nvidia-nim-secrets") is not None
    assert "cannot read the project's NIM Accounts" in result.stderr
    assert secret(kube_server, "ngc-secret") is None  # never an Account's name: still cleaned


def test_cleanup_keeps_an_account_secret_under_any_name(run, kube_server):
    seed_legacy(kube_server, "old")
    seed_project_account(kube_server, key_secret="team-ngc-key")
    kube_server.put_object({**kube_server.get_object("nim.opendatahub.io/v1", "accounts",
                                                     "default", "odh-nim-account")})
    assert run("migrate", "old", "--reuse-key", "--cleanup-shared", key=None).exit_code == 0
    assert secret(kube_server, "team-ngc-key") is not None
    assert secret(kube_server, ACCOUNT_PULL) is not None
    assert secret(kube_server, "nvidia-nim-secrets") is None  # the global flow's copy


def test_migrate_refuses_a_project_account_deployment(run, kube_server):
    seed_wizard(kube_server, "wiz")
    kube_server.clear_requests()
    result = run("migrate", "wiz", "--reuse-key", "--cleanup-shared", key=None)
    assert result.exit_code == 1
    assert "uses the project's NIM Account key" in result.stderr
    assert "--from-project-account" in result.stderr
    assert writes(kube_server) == []
    account_secrets_untouched(kube_server)


def test_migrate_from_project_account_moves_only_that_deployment(run, kube_server):
    seed_wizard(kube_server, "wiz")
    result = run("migrate", "wiz", "--from-project-account")
    assert result.exit_code == 0, result.stderr
    rt = runtime(kube_server, "wiz")
    assert rt["spec"]["imagePullSecrets"] == [{"name": "nvidia-nim-image-pull-wiz"}]
    assert secret(kube_server, "nvidia-nim-secrets-wiz") is not None
    account_secrets_untouched(kube_server)


def test_delete_keeps_the_accounts_secrets_and_says_why(run, kube_server):
    seed_wizard(kube_server, "wiz")
    kube_server.clear_requests()
    result = run("delete", "wiz", "--yes")
    assert result.exit_code == 0, result.stderr
    assert isvc(kube_server, "wiz") is None and runtime(kube_server, "wiz") is None
    assert "Keeping secret/nvidia-nim-secrets: it belongs to the project's NIM Account " \
        "odh-nim-account" in result.stderr
    assert f"Keeping secret/{ACCOUNT_PULL}: it belongs to the project's NIM Account " \
        "odh-nim-account (its status.nimPullSecret)" in result.stderr
    account_secrets_untouched(kube_server)


def test_delete_keeps_an_own_named_secret_an_account_names(run, kube_server):
    """An Account may name any Secret, even one with a deployment's own name."""
    seed_plugin(kube_server, "x")
    seed_project_account(kube_server, key_secret="nvidia-nim-secrets-x")
    result = run("delete", "x", "--yes")
    assert result.exit_code == 0, result.stderr
    assert secret(kube_server, "nvidia-nim-secrets-x") is not None
    assert "secret/nvidia-nim-secrets-x deleted" not in result.stdout
    assert secret(kube_server, "nvidia-nim-image-pull-x") is None


@pytest.mark.parametrize("dry_run", ["none", "server", "client"])
def test_rotate_key_refuses_a_project_account_deployment(run, kube_server, dry_run):
    seed_wizard(kube_server, "wiz")
    kube_server.clear_requests()
    result = run("rotate-key", "wiz", f"--dry-run={dry_run}")
    assert result.exit_code == 1
    assert "the project's NIM Account odh-nim-account" in result.stderr
    assert "migrate" not in result.stderr.split("\n")[-2]  # not the legacy advice
    assert writes(kube_server) == []
    account_secrets_untouched(kube_server)
    assert_key_hidden(result, NEW_KEY, OLD_KEY)


def test_rotate_key_never_rewrites_an_account_secret_under_another_name(run, kube_server):
    """A deployment made by hand that reads the Account's key Secret (custom scheme)."""
    seed_wizard(kube_server, "wiz", key_secret="team-ngc-key")
    kube_server.clear_requests()
    result = run("rotate-key", "wiz")
    assert result.exit_code == 1
    assert "NIM Account odh-nim-account" in result.stderr
    assert writes(kube_server) == []
    assert opaque_key(secret(kube_server, "team-ngc-key")) == OLD_KEY
    assert pull_key(secret(kube_server, ACCOUNT_PULL)) == OLD_KEY
