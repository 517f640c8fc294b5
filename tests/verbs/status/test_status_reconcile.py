"""domain/health.py: KServe's controller not reconciling is Progressing with reason NotReconciled,
never Failed: an InferenceService that never got a status past a grace period, and one whose spec
moved on past the status KServe wrote (a Ready=True it wrote before stays Ready, with the reason).
The same on a real control plane with KServe stopped: tests/realcluster/test_status_reconcile_control_plane_real.py."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubectl_nim.domain import health
from kubectl_nim.domain.health import (FAILED, PROGRESSING, READY, RECONCILE_GRACE, UNKNOWN,
                                       Facts, assess, never_reconciled)

NAME = "llama"
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def stamp(seconds_ago: float) -> str:
    return (NOW - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def fresh(seconds_ago: float, status=None) -> dict:
    obj = {"metadata": {"name": NAME, "generation": 1,
                        "creationTimestamp": stamp(seconds_ago)}}
    if status is not None:
        obj["status"] = status
    return obj


def verdict(isvc, pods=None, now=NOW):
    return assess(Facts(NAME, isvc, runtime={}, pods=pods, now=now))


@pytest.mark.parametrize("status", [None, {}, {"conditions": []}, {"url": None}])
def test_no_status_past_the_grace_period_is_not_reconciled(status):
    result = verdict(fresh(75, status), pods=[])
    assert result.verdict == PROGRESSING
    reason = next(r for r in result.reasons if r.code == "NotReconciled")
    assert reason.severity == health.WAITING
    assert reason.message == ("KServe has not reconciled inferenceservice.serving.kserve.io/"
                              "llama since it was created 75s ago: it has no status at all")
    assert "kserve-controller-manager pods and their logs" in reason.advice


def test_unreadable_pods_and_no_status_is_progressing_not_unknown():
    """Without the rule this was Unknown: nothing reported and the pods unreadable."""
    assert verdict(fresh(10 * 60), pods=None).verdict == PROGRESSING
    assert verdict(fresh(5), pods=None).verdict == UNKNOWN


@pytest.mark.parametrize("seconds", [0, 1, RECONCILE_GRACE - 1])
def test_within_the_grace_period_nothing_is_said(seconds):
    assert never_reconciled(fresh(seconds), NOW) == ""
    assert "NotReconciled" not in [r.code for r in verdict(fresh(seconds), pods=[]).reasons]


@pytest.mark.parametrize("status", [{"observedGeneration": 1}, {"observedGeneration": 0},
                                    {"conditions": [{"type": "Ready", "status": "False"}]}])
def test_any_status_kserve_wrote_ends_it(status):
    assert never_reconciled(fresh(3600, status), NOW) == ""


@pytest.mark.parametrize("isvc, now", [
    (fresh(3600), None),                                       # no clock: no judgement
    ({"metadata": {"name": NAME}}, NOW),                       # no creationTimestamp
    ({"metadata": {"name": NAME, "creationTimestamp": 17}}, NOW),
    ({"metadata": {"name": NAME, "creationTimestamp": "yesterday"}}, NOW),
    ({"metadata": "odd"}, NOW),
    (fresh(3600), NOW.replace(tzinfo=None)),                   # a naive clock
    (fresh(-3600), NOW),                                       # created in the future
    (None, NOW),
])
def test_odd_input_says_nothing(isvc, now):
    assert never_reconciled(isvc, now) == ""


def test_the_age_reads_like_kubectls():
    assert never_reconciled(fresh(3 * 60 + 5), NOW) == "3m5s"
    assert never_reconciled(fresh(2 * 3600), NOW) == "120m"


def test_a_ready_for_an_older_generation_stays_ready_with_the_reason():
    """KServe down after `deploy --apply --gpus 2`: Ready=True is about generation 1, the spec is
    at 2. The pods of generation 1 still serve: Ready, and the reason says the change waits.
    (Upstream KServe can also leave observedGeneration behind while it serves: a verdict that
    waited for it would never turn Ready; see docs/compatibility.md.)"""
    obj = fresh(3600, {"observedGeneration": 1,
                       "conditions": [{"type": "Ready", "status": "True"}]})
    obj["metadata"]["generation"] = 2
    result = verdict(obj, pods=[])
    assert result.verdict == READY
    assert [(r.code, r.severity) for r in result.reasons] == [("NotReconciled", health.WAITING)]


@given(seconds=st.floats(min_value=-1e6, max_value=1e8, allow_nan=False),
       status=st.one_of(st.none(), st.fixed_dictionaries({}, optional={
           "observedGeneration": st.integers(min_value=0, max_value=3),
           "conditions": st.lists(st.fixed_dictionaries(
               {"type": st.sampled_from(["Ready", "PredictorReady"]),
                "status": st.sampled_from(["True", "False", "Unknown"])}), max_size=2),
           "url": st.none()})))
def test_never_failed_for_want_of_a_status(seconds, status):
    """(Shapes as app/status hands them over: domain/shapes has dropped wrongly typed fields.)"""
    result = verdict(fresh(seconds, status), pods=[])
    assert result.verdict != FAILED
    if any("no status at all" in r.message for r in result.reasons):
        assert seconds > RECONCILE_GRACE - 1  # the timestamp has whole seconds
        assert not (status or {}).get("conditions") and \
            (status or {}).get("observedGeneration") is None


IMAGE = "nvcr.io/nim/meta/llama-3.1-8b-instruct"


def runtime(tag):
    return {"spec": {"containers": [{"name": "kserve-container", "image": f"{IMAGE}:{tag}"}]}}


def running(image, name="llama-predictor-1"):
    return {"metadata": {"name": name},
            "spec": {"containers": [{"name": "kserve-container", "image": image},
                                    {"name": "agent", "image": "kserve/agent:v0.17.0"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [{"name": "kserve-container", "ready": True,
                                              "state": {"running": {}}}]}}


def ready_isvc():
    return fresh(3600, {"observedGeneration": 1,
                        "conditions": [{"type": "Ready", "status": "True"}]})


def test_pods_still_on_the_previous_tag_say_the_rollout_waits():
    """`deploy --apply --tag` changes only the ServingRuntime: until KServe rolls the pods (never,
    while it is down) they run the old tag. Ready stays (they serve), with the reason."""
    result = assess(Facts(NAME, ready_isvc(), runtime=runtime("1.15.5"),
                          pods=[running(f"{IMAGE}:1.13.1")], now=NOW))
    assert result.verdict == READY
    reason = next(r for r in result.reasons if r.code == "RolloutPending")
    assert reason.severity == health.WAITING
    assert reason.message == ("predictor pods still run tag 1.13.1; "
                              "servingruntime.serving.kserve.io/llama names 1.15.5")
    assert "kserve-controller-manager" in reason.advice


@pytest.mark.parametrize("pods", [
    [running(f"{IMAGE}:1.15.5")],                     # rolled
    [running("nvcr.io/nim/other/model:1.13.1")],      # another repository: not a tag change
    [],
    None,                                             # pods unreadable
    [{"metadata": {"name": "p"}, "spec": {"containers": ["odd", {"name": "kserve-container"}]}}],
])
def test_nothing_said_when_the_pods_run_the_runtimes_tag_or_cannot_tell(pods):
    result = assess(Facts(NAME, ready_isvc(), runtime=runtime("1.15.5"), pods=pods, now=NOW))
    assert "RolloutPending" not in [r.code for r in result.reasons]


def test_a_terminating_pod_of_the_old_tag_is_not_behind():
    old = running(f"{IMAGE}:1.13.1", name="old")
    old["metadata"]["deletionTimestamp"] = "2026-03-01T12:00:00Z"
    result = assess(Facts(NAME, ready_isvc(), runtime=runtime("1.15.5"),
                          pods=[old, running(f"{IMAGE}:1.15.5", name="new")], now=NOW))
    assert "RolloutPending" not in [r.code for r in result.reasons]
