"""`project enable → status → rotate-key → disable` on a real kube-apiserver with the Account
CRD, the NIM controller played by the test (tests/fakes/nim_controller.py) whenever the plugin
waits; both key schemes side by side in one project: a wizard deployment on the project key and
a per-deployment one made by `deploy`."""

from __future__ import annotations

import base64
import json

from tests.helpers.day2 import assert_key_hidden, seed_wizard
from tests.fakes.nim_controller import on_real
from tests.helpers.realcluster import KEY
from tests.helpers.realcluster import Seeder, deployed, keys

ACCOUNT = "odh-nim-account"


def data_key(real, name, key):
    secret = real.get("Secret", name)
    return base64.b64decode(secret["data"][key]).decode() if secret else None


def test_enable_status_rotate_disable_beside_a_per_deployment_one(real, nim):
    controller = on_real(real.server, real.ns, valid=lambda key: key.startswith("nvapi-"))
    nim.environment["sleep"] = controller.reconcile
    ngc = ["--ngc-api-url", real.ngc_url]

    enabled = real.nim("project", "enable", "--wait", "--timeout", "60s", *ngc)
    assert enabled.exit_code == 0, enabled.stderr
    assert data_key(real, "nvidia-nim-secrets", "api_key") == KEY
    assert data_key(real, "nvidia-nim-secrets", "NGC_API_KEY") == KEY
    assert real.get("Account", ACCOUNT)["spec"]["apiKeySecret"] == {"name": "nvidia-nim-secrets"}
    assert "is ready" in enabled.stderr

    seed_wizard(Seeder(real), "wiz", real.ns, KEY, account_too=False)
    deployed(real, "own", "--key-scope", "deployment")
    listed = json.loads(real.nim("list", "-o", "json").stdout)["items"]
    assert {r["name"]: r["keyScheme"] for r in listed} == {"own": "per-deployment",
                                                           "wiz": "project-account"}
    status = real.nim("project", "status", "-o", "json")
    assert status.exit_code == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["ready"] == "True" and data["deployments"] == ["wiz"]
    assert set(data["objects"].values()) == {"present"}

    new = "nvapi-rotated-key-0123456789"
    rotated = real.nim("project", "rotate-key", "--timeout", "60s", "--skip-key-validation",
                       key=new,
                       env={"NGC_API_KEY": new})
    assert rotated.exit_code == 0, rotated.stderr
    assert data_key(real, "nvidia-nim-secrets", "api_key") == new
    assert data_key(real, "nvidia-nim-secrets", "NGC_API_KEY") == new
    pull = real.get("Secret", f"{ACCOUNT}-pull")
    assert new in base64.b64decode(pull["data"][".dockerconfigjson"]).decode()
    assert "inferenceservice.serving.kserve.io/wiz restarted" in rotated.stdout
    assert "/own restarted" not in rotated.stdout
    assert keys(real, "own") == (KEY, KEY)          # the per-deployment one is untouched
    assert_key_hidden(rotated, new, KEY)

    refused = real.nim("project", "disable")
    assert refused.exit_code == 1 and "wiz" in refused.stderr
    assert real.get("Account", ACCOUNT) is not None
    assert real.nim("delete", "wiz", "--yes").exit_code == 0
    assert real.get("Secret", "nvidia-nim-secrets") is not None    # delete kept the Account's
    disabled = real.nim("project", "disable")
    assert disabled.exit_code == 0, disabled.stderr
    assert real.get("Account", ACCOUNT) is None
    assert real.get("Secret", "nvidia-nim-secrets") is None
    assert keys(real, "own") == (KEY, KEY)


def test_enable_names_the_missing_rights_of_a_project_editor(real):
    """The dev user may edit the namespace's secrets but not Accounts (RBAC of a real server)."""
    real.server.bind(real.ns, "edit")
    result = real.nim("project", "enable", "--skip-key-validation",
                      kubeconfig=real.dev_kubeconfig)
    assert result.exit_code == 1, result.stderr
    assert "accounts.nim.opendatahub.io" in result.stderr
    assert real.get("Secret", "nvidia-nim-secrets") is None


def test_deploy_on_the_project_key_beside_its_own_secrets(real, nim):
    """deploy without --key-scope in a project whose Account is ready: the wizard's shape."""
    controller = on_real(real.server, real.ns)
    nim.environment["sleep"] = controller.reconcile
    assert real.nim("project", "enable", "--wait", "--timeout", "60s", "--ngc-api-url",
                    real.ngc_url).exit_code == 0
    result = real.nim("deploy", "wiz", "--model", "llama-3.1-8b-instruct", "--tag", "1.13.1",
                      key=None)
    assert result.exit_code == 0, result.stderr
    assert "Using the project's NIM key" in result.stderr
    runtime = real.get("ServingRuntime", "wiz")
    assert runtime["spec"]["imagePullSecrets"] == [{"name": f"{ACCOUNT}-pull"}]
    assert real.get("Secret", "nvidia-nim-secrets-wiz") is None
    own = real.nim("deploy", "own", "--model", "llama-3.1-8b-instruct", "--tag", "1.13.1",
                   "--key-scope", "deployment")
    assert own.exit_code == 0, own.stderr
    listed = json.loads(real.nim("list", "-o", "json").stdout)["items"]
    assert {r["name"]: r["keyScheme"] for r in listed} == {"own": "per-deployment",
                                                           "wiz": "project-account"}
    applied = real.nim("deploy", "wiz", "--model", "llama-3.1-8b-instruct", "--tag", "1.13.1",
                       "--apply", key=None)
    assert applied.exit_code == 0, applied.stderr
    assert real.nim("delete", "wiz", "--yes").exit_code == 0
    assert data_key(real, "nvidia-nim-secrets", "api_key") == KEY
