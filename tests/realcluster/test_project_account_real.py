"""A project whose NIM key is the NIM wizard's (an Account naming `nvidia-nim-secrets`) on a real
kube-apiserver with the Account CRD: `migrate --cleanup-shared`, `delete` and `rotate-key` leave
the Account's Secrets alone. The controller's part (the Account's status, its pull secret) is
played by the test, as the wizard's objects are."""

from __future__ import annotations

import base64

from tests.helpers.day2 import ACCOUNT, ACCOUNT_PULL, account, seed_wizard
from tests.helpers.realcluster import Seeder, deployed

OLD = "nvapi-old-key-0123456789"


def seed(real, name="wiz"):
    seeder = Seeder(real)
    seed_wizard(seeder, name, real.ns, OLD)
    # status is a subresource on a real server: written as odh-model-controller would
    real.server.patch_status("Account", ACCOUNT, real.ns, account(real.ns)["status"])
    assert real.get("Account", ACCOUNT)["status"]["nimPullSecret"]["name"] == ACCOUNT_PULL


def untouched(real):
    key = real.get("Secret", "nvidia-nim-secrets")
    assert key is not None and base64.b64decode(key["data"]["api_key"]).decode() == OLD
    assert real.get("Secret", ACCOUNT_PULL) is not None


def test_migrate_cleanup_keeps_the_accounts_secrets(real):
    seed(real)
    for dry_run in ("server", "none"):
        result = real.nim("migrate", "wiz", "--reuse-key", "--from-project-account",
                          "--cleanup-shared", "--skip-key-validation", f"--dry-run={dry_run}",
                          key=None)
        assert result.exit_code == 0, result.stderr
        assert "secret/nvidia-nim-secrets deleted" not in result.stdout
        assert "it belongs to the project's NIM Account odh-nim-account" in result.stderr
        untouched(real)
    assert real.get("Secret", "nvidia-nim-secrets-wiz") is not None


def test_migrate_without_the_flag_is_refused(real):
    seed(real)
    result = real.nim("migrate", "wiz", "--reuse-key", "--cleanup-shared", key=None)
    assert result.exit_code == 1
    assert "--from-project-account" in result.stderr
    untouched(real)
    assert real.get("Secret", "nvidia-nim-secrets-wiz") is None


def test_delete_and_rotate_key_leave_the_account_alone(real):
    seed(real)
    deployed(real, "own", "--key-scope", "deployment")  # a per-deployment one beside it
    rotated = real.nim("rotate-key", "wiz", "--skip-key-validation")
    assert rotated.exit_code == 1 and "NIM Account odh-nim-account" in rotated.stderr
    assert real.nim("rotate-key", "own", "--skip-key-validation", "--no-restart").exit_code == 0
    result = real.nim("delete", "wiz", "--yes")
    assert result.exit_code == 0, result.stderr
    assert real.get("InferenceService", "wiz") is None
    assert "Keeping secret/odh-nim-account-pull: it belongs to the project's NIM Account" \
        in result.stderr
    untouched(real)
    assert real.nim("delete", "own", "--yes").exit_code == 0
    untouched(real)
