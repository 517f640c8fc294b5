"""Round trips of the read verbs on a slow network: independent reads go out together, and
collection reads replace per-deployment reads (docs/architecture.md; BENCHMARKS.md, "Fast
where users are"). Every answer of the fake is delayed 300 ms; its log of arrivals shows how
many times the client waited.

Status written by hand: incidental; exact round-trip counts need the fake's request log."""

from __future__ import annotations

from tests.helpers.obs import NS, cluster, deployment, pod, round_trips  # noqa: F401

LATENCY = 0.3


def _measured(server):
    server.clear_requests()
    server.set_latency(LATENCY * 1000)


def test_list_reads_inference_services_and_runtimes_at_once(nim, cluster):
    server, kc = cluster
    deployment(server, "a")
    deployment(server, "b")
    for args in (("-A",), ("-n", NS)):
        _measured(server)
        result = nim("list", *args, *kc)
        assert result.exit_code == 0, result.stderr
        assert [line.split()[0 if args[0] == "-n" else 1] for line in
                result.stdout.splitlines()[1:]] == ["a", "b"]
        # InferenceServices, ServingRuntimes and the NIM Accounts (the key scheme), together
        assert len(server.requests) == 3
        assert round_trips(server.requests, LATENCY) == 1


def test_status_of_a_project_is_one_round_trip_whatever_its_size(nim, cluster):
    server, kc = cluster
    from kubectl_nim.app import local_catalog

    for name in ("a", "b", "c", "d"):
        deployment(server, name)
        pod(server, f"{name}-predictor-1", deployment=name)
    _measured(server)
    local_catalog.load_embedded.cache_clear()
    result = nim("status", *kc)
    # The embedded catalog (EU flags) is parsed once, not once per deployment: with 200
    # deployments that was most of the run.
    assert local_catalog.load_embedded.cache_info().misses == 1
    assert result.exit_code == 0, result.stderr
    assert [line.split()[:2] for line in result.stdout.splitlines()[1:]] == [
        [n, "Ready"] for n in ("a", "b", "c", "d")]
    # InferenceServices, runtimes, pods, events, NIM Accounts, secrets (names), PVCs: no read
    # per deployment
    assert len(server.requests) == 7
    assert round_trips(server.requests, LATENCY) == 1


def test_rotate_key_reads_the_deployment_and_its_secrets_at_once(nim, cluster):
    """InferenceService, runtime and the deployment's own secrets (both namings) in one round
    trip; then the two preconditioned writes in turn, the verification and the restart."""
    server, kc = cluster
    deployment(server)
    _measured(server)
    result = nim("rotate-key", "llama", "--skip-key-validation", *kc,
                 env={"NGC_API_KEY": "nvapi-another-key-0123456789"})
    assert result.exit_code == 0, result.stderr
    writes = [r["method"] for r in server.requests if r["method"] != "GET"]
    assert writes == ["PUT", "PUT", "PATCH"]
    assert round_trips(server.requests, LATENCY) == 5
