"""`diff` is `deploy --apply`'s plan plus a compare: both accept and refuse exactly the same flag
combinations (docs/architecture.md#deploy-through-the-layers). The whole matrix of the flags that constrain each
other goes through both verbs against one fake API server."""

from __future__ import annotations

import itertools

import pytest

from tests.helpers.day2 import MODEL, OLD_KEY
from tests.helpers.obs import NAME, cluster  # noqa: F401 - fixture

WRITES = ("POST", "PUT", "PATCH", "DELETE")

# Flags that refuse or require one another (each alone, and every combination of them).
ATOMS = {
    "subpath": ("--pvc-subpath", "llama/8b"),
    "existing": ("--existing-pvc", "shared-models"),
    "class": ("--storage-class", "fast"),
    "force": ("--force-conflicts",),
    "hwp-ns": ("--hardware-profile-namespace", "apps"),
    "replicas": ("--min-replicas", "2"),
}
MATRIX = [combo for n in range(len(ATOMS) + 1) for combo in itertools.combinations(ATOMS, n)]


def _flags(combo) -> list[str]:
    return [word for atom in combo for word in ATOMS[atom]]


def _refusal(server, result, sent_before: int) -> str | None:
    """The usage error a run refused with (exit 2, nothing sent, not even a dry run), or None."""
    sent = [r for r in server.requests[sent_before:] if r["method"] in WRITES]
    if result.exit_code != 2 or sent:
        return None
    return result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "(no message)"


def _run(nim, server, kc, verb, *args):
    before = len(server.requests)
    result = nim(verb, NAME, "--model", MODEL, *args, *kc, env={"NGC_API_KEY": OLD_KEY})
    return _refusal(server, result, before), result


@pytest.mark.parametrize("combo", MATRIX, ids=lambda c: "+".join(c) or "none")
def test_diff_refuses_exactly_what_deploy_refuses(nim, cluster, combo):
    server, kc = cluster
    flags = _flags(combo)
    deploy, deploy_run = _run(nim, server, kc, "deploy", "--apply", "--dry-run=server",
                              "--skip-key-validation", *flags)
    diff, diff_run = _run(nim, server, kc, "diff", *flags)
    assert deploy == diff, (deploy_run.stderr, diff_run.stderr)
    # The rules themselves, so that "both accept everything" cannot pass.
    expect_refused = ("subpath" in combo and "existing" not in combo) or \
        ("class" in combo and "existing" in combo) or "hwp-ns" in combo or "replicas" in combo
    assert (deploy is not None) == expect_refused, deploy_run.stderr


@pytest.mark.parametrize("mode", ["none", "client", "server"])
def test_force_conflicts_without_apply_is_refused_in_every_mode(nim, cluster, mode):
    server, kc = cluster
    refusal, result = _run(nim, server, kc, "deploy", "--force-conflicts", f"--dry-run={mode}",
                           "--skip-key-validation")
    assert refusal == "error: --force-conflicts goes with --apply", result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("mode", ["none", "client", "server"])
def test_pvc_subpath_without_existing_pvc_is_refused_in_every_mode(nim, cluster, mode):
    server, kc = cluster
    refusal, result = _run(nim, server, kc, "deploy", "--pvc-subpath", "x", f"--dry-run={mode}",
                           "--skip-key-validation")
    assert refusal == "error: --pvc-subpath needs --existing-pvc", result.stderr
