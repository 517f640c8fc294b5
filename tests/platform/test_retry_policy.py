"""One retry policy (kubectl_nim/adapters/retry.py) for cluster reads, polling and
the NGC client: transient answers are retried with backoff and Retry-After, writes never blindly."""

from __future__ import annotations

import pytest

from kubectl_nim.adapters import retry
from kubectl_nim.adapters.kube.api_errors import ApiError
from kubectl_nim.adapters.kube.cluster import Cluster
from kubectl_nim.environment import Environment


@pytest.fixture
def slept():
    return []


@pytest.fixture
def cluster(kubeconfig, slept):
    """A Cluster whose waits between retries are recorded in `slept` (its Environment's sleep)."""
    return Cluster.connect(kubeconfig=kubeconfig, env=Environment.default(sleep=slept.append))


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_a_transient_read_failure_is_retried(cluster, kube_server, slept, status):
    kube_server.fail("GET", r"/secrets", status, times=2)
    assert cluster.list("Secret") == []
    assert len(slept) == 2


def test_retry_after_is_honoured_and_capped(cluster, kube_server, slept):
    kube_server.fail("GET", r"/secrets", 429, retry_after=3)
    kube_server.fail("GET", r"/secrets", 429, nth=2, retry_after=3600)
    cluster.list("Secret")
    assert slept == [3.0, retry.CLUSTER_READS.retry_after_cap]


def test_reads_give_up_after_the_policy_attempts(cluster, kube_server, slept):
    kube_server.fail("GET", r"/secrets", 503, times=100)
    with pytest.raises(ApiError) as e:
        cluster.list("Secret")
    assert e.value.status == 503
    assert len(slept) == retry.CLUSTER_READS.attempts - 1


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_permanent_answers_are_not_retried(cluster, kube_server, slept, status):
    kube_server.fail("GET", r"/secrets", status, times=100)
    with pytest.raises(ApiError):
        cluster.list("Secret")
    assert slept == []


def test_writes_are_never_retried_by_the_adapter(cluster, kube_server, slept):
    kube_server.fail("POST", r"/configmaps", 503, times=1)
    with pytest.raises(ApiError):
        cluster.create({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": "c", "namespace": "default"}})
    assert slept == []
    assert kube_server.get_object("v1", "configmaps", "default", "c") is None


def test_backoff_grows_with_jitter_and_is_bounded():
    policy = retry.Policy(attempts=10, backoff=1.0, max_backoff=8.0)
    assert [policy.delay(a, jitter=lambda: 1.0) for a in range(6)] == [1, 2, 4, 8, 8, 8]
    assert policy.delay(2, jitter=lambda: 0.0) == 2.0  # half the ceiling at least
    assert policy.delay(0, retry_after=100) == policy.retry_after_cap


@pytest.mark.parametrize("value,seconds", [("3", 3.0), ("0", 0.0), ("-1", None), ("soon", None),
                                           (None, None), ("inf", None),
                                           ("Wed, 21 Oct 2015 07:28:00 GMT", None)])
def test_parse_retry_after(value, seconds):
    assert retry.parse_retry_after(value) == seconds


def test_attempts_pause_by_the_policy_and_honour_retry_after():
    """Every retry loop of the use cases: bounded, backoff with jitter, Retry-After first."""
    from kubectl_nim.adapters import retry
    from kubectl_nim.errors import ClusterError

    slept = []
    policy = retry.Policy(attempts=4, backoff=0.2, max_backoff=1.0)
    attempts = retry.Attempts(policy, slept.append, jitter=lambda: 1.0)
    seen = []
    for attempt in attempts:
        seen.append(attempt)
        error = ClusterError("busy", status=429)
        error.retry_after = 3.0 if attempt == 1 else None
        attempts.failed(error)
    assert seen == [0, 1, 2, 3]
    assert slept == [0.2, 3.0, 0.8]


class _Clock:
    def __init__(self):
        self.now, self.slept = 0.0, []

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_a_budget_shares_one_deadline_and_never_sleeps_past_it():
    clock = _Clock()
    budget = retry.Budget(retry.Policy(attempts=100, backoff=1.0, max_backoff=4.0), 5.0,
                          sleep=clock.sleep, clock=lambda: clock.now, jitter=lambda: 1.0)
    while budget.wait():
        pass
    assert clock.slept == [1.0, 2.0, 2.0] and clock.now == 5.0


def test_a_budget_is_bounded_by_its_count_when_the_clock_stands_still():
    budget = retry.Budget(retry.Policy(attempts=4), 60.0, sleep=lambda s: None,
                          clock=lambda: 0.0)
    assert [budget.wait() for _ in range(5)] == [True, True, True, False, False]


def test_a_budget_honours_retry_after_within_the_policys_cap():
    clock = _Clock()
    budget = retry.Budget(retry.Policy(attempts=10, retry_after_cap=3.0), 60.0,
                          sleep=clock.sleep, clock=lambda: clock.now)
    starting = ApiError(429, "TooManyRequests", "storage is (re)initializing")
    starting.retry_after = 1.5
    assert budget.wait(starting) and clock.slept == [1.5]
    starting.retry_after = 100.0
    assert budget.wait(starting) and clock.slept == [1.5, 3.0]
