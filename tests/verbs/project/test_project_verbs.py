"""`project enable | status | rotate-key | disable` on the fake API server, with the test
playing the NIM controller (tests/fakes/nim_controller.py) whenever the plugin waits."""

from __future__ import annotations

import json

import pytest

from tests.helpers.day2 import (ACCOUNT_PULL, NEW_KEY, OLD_KEY, assert_key_hidden, cli, isvc,
                                opaque_key, pull_key, secret, seed_plugin, seed_project_account,
                                seed_wizard, writes)
from tests.fakes.nim_controller import REJECTED, NimController

ACCOUNTS = "/apis/nim.opendatahub.io/v1/namespaces/default/accounts"
SECRETS = "/api/v1/namespaces/default/secrets"


def account_obj(server):
    return server.get_object("nim.opendatahub.io/v1", "accounts", "default", "odh-nim-account")


@pytest.fixture
def controller(kube_server, nim):
    ctl = NimController.on_fake(kube_server, valid=lambda key: key in (NEW_KEY, OLD_KEY))
    nim.environment["sleep"] = ctl.reconcile   # the controller acts while the plugin waits
    return ctl


@pytest.fixture
def run(nim, kubeconfig, ngc_server, controller):
    return cli(nim, kubeconfig, "project",
               flags=lambda args, validate=True: ["--ngc-api-url", ngc_server.url] if validate
               else [])


# -- enable -----------------------------------------------------------------------------------

def test_enable_makes_the_secret_then_the_account_and_waits_for_the_controller(run,
                                                                                kube_server):
    result = run("enable", "--wait", "--timeout", "30s")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "secret/nvidia-nim-secrets created",
        "account.nim.opendatahub.io/odh-nim-account created"]
    key_secret = secret(kube_server, "nvidia-nim-secrets")
    assert opaque_key(key_secret) == NEW_KEY and opaque_key(key_secret, "api_key") == NEW_KEY
    assert key_secret["metadata"]["labels"] == {"opendatahub.io/managed": "true"}
    acct = account_obj(kube_server)
    assert acct["spec"] == {"apiKeySecret": {"name": "nvidia-nim-secrets"}}
    assert "is ready" in result.stderr
    assert [r["path"] for r in kube_server.requests if r["method"] == "POST"
            and "accessreview" not in r["path"] and "dryRun" not in str(r["query"])] == \
        [SECRETS, ACCOUNTS]
    assert_key_hidden(result, NEW_KEY)


def test_enable_first_tries_both_objects_with_a_server_dry_run(run, kube_server):
    kube_server.clear_requests()
    assert run("enable").exit_code == 0
    posts = [(r["path"], "dryRun" in str(r["query"])) for r in kube_server.requests
             if r["method"] == "POST" and "accessreview" not in r["path"]]
    assert sorted(posts[:2]) == [(SECRETS, True), (ACCOUNTS, True)]
    assert posts[2:] == [(SECRETS, False), (ACCOUNTS, False)]


def test_enable_reports_a_rejected_key_in_the_controllers_words(run, kube_server, controller):
    controller.valid = lambda key: False
    result = run("enable", "--wait", "--timeout", "30s")
    assert result.exit_code == 1
    assert f"the NIM controller rejected the key of project default: {REJECTED}" \
        in result.stderr
    assert_key_hidden(result, NEW_KEY)


def test_enable_removes_the_secret_when_the_account_cannot_be_made(run, kube_server):
    kube_server.fail("POST", r".*/accounts\?(?!.*dryRun).*#odh-nim-account$", 403, times=9)
    result = run("enable")
    assert result.exit_code == 1
    assert "removed again, nothing is left" in result.stderr
    assert secret(kube_server, "nvidia-nim-secrets") is None
    assert account_obj(kube_server) is None
    assert_key_hidden(result, NEW_KEY)


def test_enable_names_every_missing_right_and_writes_nothing(run, kube_server):
    kube_server.deny("delete", "accounts")
    kube_server.deny("update", "secrets")
    kube_server.clear_requests()
    result = run("enable")
    assert result.exit_code == 1
    assert "delete accounts.nim.opendatahub.io" in result.stderr
    assert "update secrets" in result.stderr
    assert "create secrets" not in result.stderr
    assert [w for w in writes(kube_server) if "accessreview" not in w[1]] == []


def test_enable_refused_by_the_server_dry_run_writes_nothing(run, kube_server):
    kube_server.fail("POST", r".*/accounts\?.*dryRun=All.*", 422)
    result = run("enable")
    assert result.exit_code == 1
    assert "nothing was written" in result.stderr
    assert secret(kube_server, "nvidia-nim-secrets") is None


def test_enable_on_a_project_with_nim_enabled_is_refused(run, kube_server):
    seed_project_account(kube_server)
    result = run("enable")
    assert result.exit_code == 1
    assert "already enabled" in result.stderr and "project rotate-key" in result.stderr


def test_enable_will_not_take_over_the_global_flows_copy(run, kube_server):
    from tests.helpers.day2 import seed_legacy

    seed_legacy(kube_server, "old")
    result = run("enable")
    assert result.exit_code == 1
    assert "secret/nvidia-nim-secrets already exists" in result.stderr
    assert account_obj(kube_server) is None


@pytest.mark.parametrize("mode", ["client", "server"])
def test_enable_dry_runs_write_nothing(run, kube_server, mode):
    result = run("enable", f"--dry-run={mode}")
    assert result.exit_code == 0, result.stderr
    suffix = " (dry run)" if mode == "client" else " (server dry run)"
    assert result.stdout.splitlines() == [
        f"secret/nvidia-nim-secrets created{suffix}",
        f"account.nim.opendatahub.io/odh-nim-account created{suffix}"]
    assert secret(kube_server, "nvidia-nim-secrets") is None
    assert account_obj(kube_server) is None


def test_enable_checks_the_key_with_nvidia_first(run, kube_server):
    result = run("enable", key="nvapi-rejected-by-nvidia-000")
    assert result.exit_code == 1
    assert secret(kube_server, "nvidia-nim-secrets") is None
    assert_key_hidden(result, "nvapi-rejected-by-nvidia-000")


# -- status -----------------------------------------------------------------------------------

def test_status_shows_the_account_what_it_made_and_who_uses_it(run, kube_server, controller):
    seed_wizard(kube_server, "wiz")
    seed_plugin(kube_server, "own")
    controller.reconcile()
    result = run("status", key=None, validate=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("odh-nim-account: ready\n")
    assert "AccountStatus=True (AccountSuccessful)" in result.stdout
    assert "Deployments: wiz\n" in result.stdout
    assert "Pull secret: odh-nim-account-pull" in result.stdout
    data = json.loads(run("status", "-o", "json", key=None, validate=False).stdout)
    assert data["deployments"] == ["wiz"]
    assert data["template"] == "odh-nim-account-template"
    assert data["objects"] == {"secret/nvidia-nim-secrets": "present",
                               "secret/odh-nim-account-pull": "present",
                               "configmap/odh-nim-account-cm": "present",
                               "template.template.openshift.io/odh-nim-account-template":
                                   "present"}
    assert_key_hidden(result, OLD_KEY)


def test_status_without_nim_enabled(run, kube_server):
    result = run("status", key=None, validate=False)
    assert result.exit_code == 1
    assert "NIM is not enabled on project default" in result.stderr
    assert "project enable" in result.stderr


# -- rotate-key -------------------------------------------------------------------------------

def test_rotate_key_rewrites_both_data_keys_waits_for_the_controller_then_restarts(
        run, kube_server, controller):
    seed_wizard(kube_server, "wiz")
    seed_plugin(kube_server, "own")
    controller.reconcile()
    kube_server.clear_requests()
    result = run("rotate-key")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "secret/nvidia-nim-secrets configured",
        "account.nim.opendatahub.io/odh-nim-account annotated",
        "inferenceservice.serving.kserve.io/wiz restarted"]
    key_secret = secret(kube_server, "nvidia-nim-secrets")
    assert opaque_key(key_secret) == NEW_KEY and opaque_key(key_secret, "api_key") == NEW_KEY
    assert pull_key(secret(kube_server, ACCOUNT_PULL)) == NEW_KEY    # the controller's doing
    annotations = account_obj(kube_server)["metadata"]["annotations"]
    assert "runtimes.opendatahub.io/nim-force-validation" in annotations
    assert "serving.kserve.io/restartedAt" not in str(isvc(kube_server, "own"))
    assert opaque_key(secret(kube_server, "nvidia-nim-secrets-own")) == OLD_KEY
    secret_writes = [p for m, p in writes(kube_server) if "/secrets/" in p]
    assert [p.split("?")[0] for p in secret_writes] == [SECRETS + "/nvidia-nim-secrets"]
    assert_key_hidden(result, NEW_KEY, OLD_KEY)


def test_rotate_key_no_restart(run, kube_server, controller):
    seed_wizard(kube_server, "wiz")
    controller.reconcile()
    result = run("rotate-key", "--no-restart")
    assert result.exit_code == 0, result.stderr
    assert "restarted" not in result.stdout
    assert "Not restarting" in result.stderr


def test_rotate_key_rejected_by_the_controller_restarts_nothing(run, kube_server, controller):
    seed_wizard(kube_server, "wiz")
    controller.reconcile()
    controller.valid = lambda key: key == OLD_KEY
    kube_server.clear_requests()
    result = run("rotate-key", "--timeout", "30s")
    assert result.exit_code == 1
    assert REJECTED in result.stderr
    assert "restarted" not in result.stdout
    # both or neither: the old key is back beside the pull secret the controller did not touch
    assert "the old key is back in secret/nvidia-nim-secrets" in result.stderr
    key_secret = secret(kube_server, "nvidia-nim-secrets")
    assert opaque_key(key_secret) == OLD_KEY and opaque_key(key_secret, "api_key") == OLD_KEY
    assert pull_key(secret(kube_server, ACCOUNT_PULL)) == OLD_KEY
    assert_key_hidden(result, NEW_KEY, OLD_KEY)


def test_rotate_key_times_out_when_the_controller_never_answers(run, kube_server, controller,
                                                                nim):
    seed_wizard(kube_server, "wiz")
    controller.reconcile()
    controller.paused = True
    ticks = iter(range(0, 10_000, 5))
    nim.environment["clock"] = lambda: float(next(ticks))
    result = run("rotate-key", "--timeout", "60s")
    assert result.exit_code == 1
    assert "timed out" in result.stderr and "project status" in result.stderr
    assert "restarted" not in result.stdout


@pytest.mark.parametrize("mode", ["client", "server"])
def test_rotate_key_dry_runs_change_nothing(run, kube_server, controller, mode):
    seed_wizard(kube_server, "wiz")
    controller.reconcile()
    result = run("rotate-key", f"--dry-run={mode}")
    assert result.exit_code == 0, result.stderr
    assert "inferenceservice.serving.kserve.io/wiz restarted" in result.stdout
    assert opaque_key(secret(kube_server, "nvidia-nim-secrets")) == OLD_KEY
    assert "annotations" not in account_obj(kube_server)["metadata"] or \
        "runtimes.opendatahub.io/nim-force-validation" not in \
        account_obj(kube_server)["metadata"]["annotations"]


def test_rotate_key_without_nim_enabled(run, kube_server):
    result = run("rotate-key")
    assert result.exit_code == 1
    assert "NIM is not enabled" in result.stderr
    assert writes(kube_server) == []


# -- disable ----------------------------------------------------------------------------------

def test_disable_refuses_while_deployments_use_the_key(run, kube_server):
    seed_wizard(kube_server, "wiz")
    kube_server.clear_requests()
    result = run("disable", key=None, validate=False)
    assert result.exit_code == 1
    assert "use its NIM key: wiz" in result.stderr and "--force" in result.stderr
    assert writes(kube_server) == []


def test_disable_deletes_the_account_then_the_secret(run, kube_server):
    seed_project_account(kube_server)
    kube_server.clear_requests()
    result = run("disable", key=None, validate=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "account.nim.opendatahub.io/odh-nim-account deleted",
        "secret/nvidia-nim-secrets deleted"]
    assert [p.split("?")[0] for m, p in writes(kube_server) if m == "DELETE"] == [
        ACCOUNTS + "/odh-nim-account", SECRETS + "/nvidia-nim-secrets"]
    assert account_obj(kube_server) is None and secret(kube_server, "nvidia-nim-secrets") is None


def test_disable_force(run, kube_server):
    seed_wizard(kube_server, "wiz")
    result = run("disable", "--force", key=None, validate=False)
    assert result.exit_code == 0, result.stderr
    assert "wiz" in result.stderr
    assert account_obj(kube_server) is None


@pytest.mark.parametrize("mode", ["client", "server"])
def test_disable_dry_runs(run, kube_server, mode):
    seed_project_account(kube_server)
    result = run("disable", f"--dry-run={mode}", key=None, validate=False)
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2
    assert account_obj(kube_server) is not None


def test_disable_without_nim_enabled_is_a_no_op(run, kube_server):
    result = run("disable", key=None, validate=False)
    assert result.exit_code == 0
    assert "not enabled" in result.stderr


@pytest.mark.parametrize("verb", ["enable", "rotate-key"])
def test_the_key_stays_hidden_under_verbose_logs(run, kube_server, controller, verb):
    if verb == "rotate-key":
        seed_wizard(kube_server, "wiz")
        controller.reconcile()
    result = run(verb, "-vv", "--timeout", "30s", *(["--wait"] if verb == "enable" else []))
    assert result.exit_code == 0, result.stderr
    assert "GET" in result.stderr or "POST" in result.stderr or "PUT" in result.stderr
    assert_key_hidden(result, NEW_KEY, OLD_KEY)


def test_a_key_on_the_command_line_is_refused(run, kube_server):
    result = run("enable", "--api-key", "nvapi-pasted-on-argv-0000")
    assert result.exit_code == 2
    assert_key_hidden(result, "nvapi-pasted-on-argv-0000")
    assert account_obj(kube_server) is None


def test_enable_on_a_cluster_without_accounts_says_so(run, kube_server):
    kube_server.fail("POST", r".*/accounts\?.*dryRun=All.*", 404)
    result = run("enable")
    assert result.exit_code == 1
    assert "this cluster does not serve NIM Accounts" in result.stderr
    assert "--key-scope deployment" in result.stderr
    assert secret(kube_server, "nvidia-nim-secrets") is None


def test_project_status_takes_the_print_flags(nim, kube_server, kubeconfig):
    """`project status` prints through the read verbs' output layer: -o jsonpath and -o name."""
    from tests.helpers.day2 import seed_project_account

    seed_project_account(kube_server)
    named = nim("project", "status", "-o", "name", "--kubeconfig", kubeconfig)
    assert named.exit_code == 0, named.stderr
    assert named.stdout == "account.nim.opendatahub.io/odh-nim-account\n"
    ready = nim("project", "status", "-o", "jsonpath={.ready}", "--kubeconfig", kubeconfig)
    assert ready.stdout == "True"
