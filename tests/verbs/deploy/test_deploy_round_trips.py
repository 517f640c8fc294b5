"""`deploy`'s round trips, read from the fake API server's arrival log at injected latency
(BENCHMARKS.md): requests that do not depend on each other go out together."""

from __future__ import annotations

from tests.helpers.deploy import MODEL, NAME, lines, project, run_deploy  # noqa: F401

LATENCY_MS = 300


def test_both_owner_reference_patches_go_out_together(run_deploy, project):
    project.server.set_latency(LATENCY_MS)
    result = run_deploy(NAME, "--model", MODEL, "--skip-key-validation")
    assert (result.exit_code, result.stdout) == (0, lines("created"))
    patches = [r["arrived"] for r in project.server.requests
               if r["method"] == "PATCH" and "/secrets/" in r["path"]]
    assert len(patches) == 2
    # One after the other, the second would arrive a whole latency after the first.
    assert max(patches) - min(patches) < 0.5 * LATENCY_MS / 1000
