"""app/deploy_rollback: a rollback whose deletes get no answer (the API server restarting) keeps
trying for PATIENCE seconds, then names what is left and how to remove it. On a real control
plane with kube-apiserver stopped in the middle of `deploy`:
tests/realcluster/test_deploy_outage_control_plane_real.py."""

from __future__ import annotations

from kubectl_nim.adapters.kube.api_errors import ApiError
from kubectl_nim.app.deploy_rollback import MAX_RETRIES, PATIENCE, rollback, rollback_hint
from kubectl_nim.errors import ClusterError
from tests.fakes.clock import FakeClock
from tests.helpers.deploy import MODEL, project, run_deploy  # noqa: F401 - fixtures

NS = "team"
REFUSED = "cannot reach the cluster at https://api:6443: [Errno 111] Connection refused"


def obj(kind: str, name: str) -> dict:
    return {"apiVersion": "v1" if kind == "Secret" else "serving.kserve.io/v1alpha1",
            "kind": kind, "metadata": {"name": name, "namespace": NS}}


CREATED = [obj("Secret", "nvidia-nim-secrets-c1"), obj("ServingRuntime", "c1")]


class Outage:
    """A cluster whose API server refuses connections until `back_at` on the fake clock."""

    def __init__(self, clock: FakeClock, back_at: float, error: ClusterError | None = None):
        self.clock, self.back_at = clock, back_at
        self.error = error or ClusterError(REFUSED, never_sent=True)
        self.deleted: list[str] = []
        self.attempts = 0

    def delete(self, kind, name, namespace):
        self.attempts += 1
        if self.clock.clock() < self.back_at:
            raise self.error
        self.deleted.append(f"{kind}/{name}")


def run(cluster: Outage, clock: FakeClock):
    return rollback(cluster, CREATED, sleep=clock.sleep, clock=clock.clock, patience=None)


def test_a_short_outage_is_ridden_out_and_everything_is_rolled_back():
    clock = FakeClock()
    cluster = Outage(clock, back_at=3.0)
    undone = run(cluster, clock)
    assert cluster.deleted == ["ServingRuntime/c1", "Secret/nvidia-nim-secrets-c1"]
    assert undone.left == [] and len(undone.deleted) == 2
    assert sum(clock.slept) >= 3.0 and max(clock.slept) <= 2.0
    assert rollback_hint(undone, None).startswith("rolled back servingruntime.serving.kserve.io/c1")


def test_past_its_patience_it_names_what_is_left_and_how_to_remove_it():
    clock = FakeClock()
    cluster = Outage(clock, back_at=PATIENCE * 3)
    undone = run(cluster, clock)
    assert cluster.deleted == []
    assert sum(clock.slept) <= PATIENCE + 0.01
    assert len(undone.left) == 2
    hint = rollback_hint(undone, None)
    # One reason for both (they share it), and `delete NAME` finds the rest from the runtime.
    assert hint == (f"COULD NOT delete servingruntime.serving.kserve.io/c1, "
                    f"secret/nvidia-nim-secrets-c1 ({REFUSED}); remove them with "
                    f"`kubectl-nim delete c1` once the cluster answers")


def test_without_the_runtime_left_the_objects_are_named_for_kubectl():
    clock = FakeClock()

    class OnlySecretStays(Outage):
        def delete(self, kind, name, namespace):
            if kind == "ServingRuntime":
                self.deleted.append(f"{kind}/{name}")
                return
            super().delete(kind, name, namespace)

    undone = run(OnlySecretStays(clock, back_at=PATIENCE * 3), clock)
    assert rollback_hint(undone, None).endswith(
        f"; delete by hand (`oc delete secret/nvidia-nim-secrets-c1 -n {NS}`)")


def test_an_answered_failure_or_a_timeout_is_not_retried():
    for error in (ApiError(500, "InternalError", "etcdserver: request timed out"),
                  ClusterError("DELETE timed out after 30s", timed_out=True)):
        clock = FakeClock()
        cluster = Outage(clock, back_at=PATIENCE * 3, error=error)
        undone = run(cluster, clock)
        assert cluster.attempts == 2 and clock.slept == []
        assert len(undone.left) == 2


def test_a_server_starting_again_is_waited_for_as_it_asks():
    """A restarted API server answers 429 "storage is (re)initializing" with Retry-After."""
    clock = FakeClock()
    starting = ApiError(429, "TooManyRequests", "storage is (re)initializing")
    starting.retry_after = 1.0
    cluster = Outage(clock, back_at=2.5, error=starting)
    undone = run(cluster, clock)
    assert undone.left == [] and len(cluster.deleted) == 2
    assert clock.slept[:3] == [1.0, 1.0, 1.0]


def test_the_runs_environment_sets_the_patience():
    """Environment.rollback_patience replaces PATIENCE (the real-plane outage tests shorten it
    rather than wait it out); None keeps PATIENCE."""
    clock = FakeClock()
    cluster = Outage(clock, back_at=PATIENCE * 3)
    undone = rollback(cluster, CREATED, sleep=clock.sleep, clock=clock.clock, patience=2.0)
    assert cluster.deleted == [] and len(undone.left) == 2
    assert 1.0 <= sum(clock.slept) <= 2.0 + 0.01


def test_deploy_rolls_back_with_the_patience_of_its_environment(nim, run_deploy, project):
    """The CLI hands the run's Environment.rollback_patience to the rollback: the
    InferenceService refused (500), the ServingRuntime's delete answered 503 for good, the
    rollback gives up after the Environment's 2 s, not PATIENCE."""
    clock = FakeClock()
    nim.environment.update(sleep=clock.sleep, clock=clock.clock, rollback_patience=2.0)
    project.server.fail("POST", r"/inferenceservices\?fieldManager", 500)
    project.server.fail("DELETE", r"/servingruntimes/", 503, times=1000)
    result = run_deploy("c1", "--model", MODEL)
    assert result.exit_code == 1, result.stderr
    assert "COULD NOT delete servingruntime.serving.kserve.io/c1" in result.stderr
    retries = [s for s in clock.slept if s > 0]
    assert retries and 1.0 <= sum(retries) <= 2.0 + 0.01, clock.slept


def test_retries_are_bounded_even_when_the_clock_stands_still():
    """A test's no-op sleep with the real clock must not spin for PATIENCE seconds."""
    cluster = Outage(FakeClock(), back_at=1.0)
    undone = rollback(cluster, CREATED, sleep=lambda s: None, clock=lambda: 0.0,
                      patience=None)
    assert cluster.attempts == MAX_RETRIES + 2 and len(undone.left) == 2


def test_a_runtime_that_may_exist_still_points_at_delete_name():
    """The runtime's create got no answer and its delete none either: `delete NAME` is still
    the way to remove the rest once the cluster answers."""
    clock = FakeClock()
    cluster = Outage(clock, back_at=PATIENCE * 3)
    undone = rollback(cluster, CREATED[:1], uncertain=CREATED[1:], sleep=clock.sleep,
                      clock=clock.clock, patience=None, why="its create got no answer")
    hint = rollback_hint(undone, None)
    assert hint.startswith("servingruntime.serving.kserve.io/c1 may have been created (its "
                           "create got no answer) and could not be deleted")
    assert hint.endswith("; COULD NOT delete secret/nvidia-nim-secrets-c1 "
                         f"({REFUSED}); remove them with `kubectl-nim delete c1` once the "
                         f"cluster answers")
