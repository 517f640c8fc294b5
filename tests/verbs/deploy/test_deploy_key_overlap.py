"""`deploy` asks NVIDIA about the key while the preflight's dry runs are on the API server
(BENCHMARKS.md): one round trip of wall time instead of two, and still nothing written until NVIDIA has
accepted the key.

Timing is read from the fakes' own logs (the API server stamps each request's arrival), with a
slow NGC fake so that the difference between "at once" and "one after the other" is a second, not
a few milliseconds.
"""

from __future__ import annotations

import pytest

from tests.helpers.deploy import (MODEL, NAME, NOTICE, dry_runs, lines,  # noqa: F401
                                  project, refs, run_deploy, state, writes)

NGC_LATENCY_MS = 1000
REJECTED = ("error: NVIDIA rejected the API key (HTTP 401); check that it is a current personal "
            "key (nvapi-...), neither revoked nor expired; create one at "
            "https://org.ngc.nvidia.com/setup/personal-keys\n")


def _not_dry_run(server) -> list[dict]:
    """Every request that could change something: any method but GET without dryRun=All."""
    return [r for r in server.requests
            if r["method"] != "GET" and "dryRun=All" not in r["query"]]


def test_the_key_check_and_the_dry_runs_overlap(run_deploy, project, ngc_server):
    ngc_server.set_latency(NGC_LATENCY_MS)
    result = run_deploy(NAME, "--model", MODEL)
    assert (result.exit_code, result.stdout) == (0, lines("created"))
    assert [r["path"] for r in ngc_server.requests] == ["/v3/keys/get-caller-info"]
    requests = project.server.requests
    dry = [r["arrived"] for r in requests if "dryRun=All" in r["query"]]
    real = [r["arrived"] for r in requests
            if r["method"] != "GET" and "dryRun=All" not in r["query"]]
    assert len(dry) == 5 and len(real) >= 5
    # The dry runs went out while NVIDIA was still answering: one after the other, the first
    # write would follow the last dry run within a few milliseconds (no latency on the API
    # server); at once, it waits for the rest of NVIDIA's second.
    assert min(real) - max(dry) > 0.5 * NGC_LATENCY_MS / 1000


def test_a_rejected_key_writes_nothing_even_when_the_dry_runs_answered_first(
        run_deploy, project, ngc_server):
    ngc_server.set_latency(NGC_LATENCY_MS)
    before = state(project.server)
    result = run_deploy(NAME, "--model", MODEL, key="nvapi-revoked")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == NOTICE + REJECTED
    assert len(dry_runs(project.server)) == 5  # they did go out, and answered
    assert _not_dry_run(project.server) == []   # but nothing that persists followed them
    assert state(project.server) == before


def test_unreachable_nvidia_writes_nothing_and_exits_3(run_deploy, project, ngc_server,
                                                        ngc_sleeps):
    ngc_server.fail("POST", "/v3/keys", status=503, times=100)
    result = run_deploy(NAME, "--model", MODEL)
    assert (result.exit_code, result.stdout) == (3, "")
    assert "--skip-key-validation" in result.stderr
    assert _not_dry_run(project.server) == []


def test_when_both_fail_the_key_problem_is_reported(run_deploy, project, ngc_server):
    # The preflight fails too (the deployment's ServingRuntime cannot be created), yet the
    # message and exit code are the rejected key's, exactly as when the key was checked first.
    project.server.fail("POST", r"/servingruntimes\?dryRun=All", status=403)
    result = run_deploy(NAME, "--model", MODEL, key="nvapi-revoked")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == NOTICE + REJECTED
    assert _not_dry_run(project.server) == []


def test_when_both_fail_unreachable_nvidia_wins_over_a_missing_project(
        run_deploy, project, ngc_server, ngc_sleeps):
    ngc_server.fail("POST", "/v3/keys", status=503, times=100)
    result = run_deploy(NAME, "--model", MODEL, "-n", "nope")
    assert (result.exit_code, result.stdout) == (3, "")
    assert "does not exist" not in result.stderr
    assert _not_dry_run(project.server) == []


def test_a_preflight_failure_with_a_good_key_keeps_its_own_code(run_deploy, project, ngc_server):
    result = run_deploy(NAME, "--model", MODEL, "-n", "nope")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.endswith("error: project 'nope' does not exist; create it "
                                  "(`oc new-project`) or pick another with -n\n")
    assert [r["path"] for r in ngc_server.requests] == ["/v3/keys/get-caller-info"]
    assert writes(project.server) == []


@pytest.mark.parametrize("flag", ["--skip-key-validation", "--skip-secrets"])
def test_no_key_check_no_nvidia_request(run_deploy, project, ngc_server, flag):
    result = run_deploy(NAME, "--model", MODEL, flag)
    assert result.exit_code == 0
    assert ngc_server.requests == []
