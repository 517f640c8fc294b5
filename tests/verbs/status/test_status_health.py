"""domain/health.py: the verdict and reasons of `status`, on plain objects (no cluster)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubectl_nim.app import local_catalog
from kubectl_nim.domain import health
from kubectl_nim.domain.health import (FAILED, MISSING, PROGRESSING, READY, UNKNOWN, Facts,
                                       assess)
from kubectl_nim.domain.model_kind import kind_of_model

pytestmark = pytest.mark.pure

NAME = "llama"
POD = f"{NAME}-predictor-6d9f7c-x2x5q"
GPU_MESSAGE = "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."


def isvc(ready=None, reason=None, message=None):
    conds = []
    if ready is not None:
        conds.append({"type": "Ready", "status": ready, "reason": reason, "message": message})
    return {"metadata": {"name": NAME}, "status": {"conditions": conds} if conds else {}}


def pod(state=None, ready=False, restarts=0, last=None, scheduled=True, sched_msg="",
        name=POD, deleting=False):
    conds = [{"type": "Ready", "status": "True" if ready else "False"}]
    if not scheduled:
        conds.append({"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                      "message": sched_msg})
    statuses = []
    if state is not None:
        cs = {"name": "kserve-container", "image": "nvcr.io/nim/meta/llama:1.8",
              "state": state, "ready": ready, "restartCount": restarts}
        if last:
            cs["lastState"] = {"terminated": last}
        statuses.append(cs)
    meta = {"name": name}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": meta, "status": {"phase": "Running" if state else "Pending",
                                         "conditions": conds, "containerStatuses": statuses}}


def event(involved, reason, message, kind="Pod", type_="Warning"):
    return {"involvedObject": {"name": involved, "kind": kind}, "reason": reason,
            "message": message, "type": type_}


def waiting(reason, message=""):
    return {"waiting": {"reason": reason, "message": message}}


CASES = [
    # (id, facts kwargs, verdict, first reason code, words in its text)
    ("ready", dict(isvc=isvc("True"), pods=[pod({"running": {}}, ready=True)]), READY, None, ""),
    ("pull-401", dict(isvc=isvc("False"), pods=[pod(waiting(
        "ErrImagePull", "reading manifest 1.8 in nvcr.io/nim/meta/llama: unauthorized: "
        "authentication required"))]), FAILED, "ImagePullUnauthorized",
     "the NVIDIA registry rejected the key (401)"),
    ("pull-backoff-403-from-event", dict(isvc=isvc("False"), pods=[pod(waiting(
        "ImagePullBackOff", 'Back-off pulling image "nvcr.io/nim/meta/llama:1.8"'))],
        events=[event(POD, "Failed", 'Failed to pull image "nvcr.io/x": 403 Forbidden')]),
     FAILED, "ImagePullUnauthorized", "rejected the key (403)"),
    ("pull-tag-missing", dict(isvc=isvc("False"), pods=[pod(waiting(
        "ErrImagePull", "manifest unknown"))]), FAILED, "ImageNotFound", "has no image"),
    ("no-gpu", dict(isvc=isvc("False"), pods=[pod(scheduled=False, sched_msg=GPU_MESSAGE)],
                    gpus=2), FAILED, "InsufficientGPU", "no node has 2 free nvidia.com/gpu"),
    ("no-gpu-pods-unreadable", dict(isvc=isvc("False"), pods=None, gpus=1,
                                    events=[event(POD, "FailedScheduling", GPU_MESSAGE)]),
     FAILED, "InsufficientGPU", "no node has 1 free nvidia.com/gpu"),
    ("pvc-no-storage-class", dict(isvc=isvc("False"), pods=[pod(scheduled=False,
                                                                 sched_msg="unbound PVC")],
        claims={f"nim-pvc-{NAME}": {"spec": {}, "status": {"phase": "Pending"}}},
        events=[event(f"nim-pvc-{NAME}", "FailedBinding", "no persistent volumes available for "
                      "this claim and no storage class is set", kind="PersistentVolumeClaim")]),
     FAILED, "PVCPending", f"persistentvolumeclaim/nim-pvc-{NAME} is Pending: no default storage class"),
    ("pvc-binding", dict(isvc=isvc("False"), pods=[pod(waiting("ContainerCreating"))],
                         claims={f"nim-pvc-{NAME}": {"status": {"phase": "Pending"}}}),
     PROGRESSING, "PVCPending", "is Pending"),
    ("secret-missing", dict(isvc=isvc("False"), pods=[],
                            secrets={f"nvidia-nim-secrets-{NAME}": MISSING}),
     FAILED, "SecretMissing", f"secret/nvidia-nim-secrets-{NAME} is missing"),
    ("crash-loop", dict(isvc=isvc("False"), pods=[pod(
        waiting("CrashLoopBackOff"), restarts=4, last={"reason": "Error", "exitCode": 1})],
        last_lines={f"{POD}/kserve-container": "ValueError: no compatible profile found\n"}),
     FAILED, "CrashLoop", "last log line: ValueError: no compatible profile found"),
    ("oom", dict(isvc=isvc("False"), pods=[pod(waiting("CrashLoopBackOff"), restarts=2,
                                                last={"reason": "OOMKilled"})]),
     FAILED, "CrashLoop", "--memory-limit"),
    ("downloading", dict(isvc=isvc("False"), pods=[pod({"running": {}})]), PROGRESSING,
     "ModelLoading", "still downloading or loading the model"),
    ("no-pods-yet", dict(isvc=isvc(), pods=[]), PROGRESSING, "NoPods", "no predictor pod"),
    ("unknown", dict(isvc=isvc(), pods=None), UNKNOWN, None, ""),
    ("isvc-missing", dict(isvc=None), FAILED, "InferenceServiceMissing", "does not exist"),
    ("runtime-not-found", dict(isvc=isvc("False", "ServingRuntimeNotFound", "No ServingRuntime"
                                         " found"), pods=[]),
     FAILED, "ServingRuntimeNotFound", "KServe: No ServingRuntime found"),
    ("quota", dict(isvc=isvc("False"), pods=[], events=[event(
        f"{NAME}-predictor-6d9f7c", "FailedCreate", "exceeded quota: gpu", kind="ReplicaSet")]),
     PROGRESSING, "NoPods", ""),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_verdict_table(case):
    _, kwargs, verdict, code, words = case
    result = assess(Facts(name=NAME, runtime={}, **kwargs))
    assert result.verdict == verdict
    if code is None:
        assert not [r for r in result.reasons if r.severity != health.WARNING]
    else:
        assert result.reasons[0].code == code
        assert words in result.reasons[0].text


def test_quota_event_is_reported_as_a_warning():
    result = assess(Facts(name=NAME, runtime={}, isvc=isvc("False"), pods=[], events=[event(
        f"{NAME}-predictor-6d9f7c", "FailedCreate", "exceeded quota: gpu", kind="ReplicaSet")]))
    assert any(r.code == "EventFailedCreate" and "exceeded quota" in r.text
               for r in result.reasons)


def test_stale_events_of_a_gone_pod_do_not_fail_a_loading_model():
    facts = Facts(name=NAME, runtime={}, isvc=isvc("False"), pods=[pod({"running": {}})],
                  events=[event(f"{NAME}-predictor-old-aaaaa", "FailedScheduling", GPU_MESSAGE),
                          event(POD, "FailedScheduling", GPU_MESSAGE)])
    result = assess(facts)
    assert result.verdict == PROGRESSING
    assert [r.code for r in result.reasons] == ["ModelLoading"]


def test_events_of_another_deployment_are_ignored():
    facts = Facts(name=NAME, runtime={}, isvc=isvc("False"), pods=None,
                  events=[event(f"{NAME}-70b-predictor-x-y", "FailedScheduling", GPU_MESSAGE)])
    assert assess(facts).verdict == PROGRESSING


def test_the_same_cause_is_listed_once():
    facts = Facts(name=NAME, runtime={}, isvc=isvc("False"), pods=None,
                  events=[event(POD, "FailedScheduling", GPU_MESSAGE),
                          event(POD + "b", "FailedScheduling", GPU_MESSAGE.replace("3", "4"))])
    assert [r.code for r in assess(facts).reasons] == ["InsufficientGPU"]


def test_ready_keeps_warnings_and_terminating_pods_are_ignored():
    facts = Facts(name=NAME, runtime={}, isvc=isvc("True"),
                  pods=[pod({"running": {}}, ready=True, restarts=2),
                        pod(waiting("CrashLoopBackOff"), name="old", deleting=True)])
    result = assess(facts)
    assert result.verdict == READY
    assert [r.code for r in result.reasons] == ["Restarted"]
    assert health.restarts(facts.pods) == 2


def test_last_restart_is_the_latest_termination():
    pods = [pod({"running": {}}, last={"finishedAt": "2026-01-01T10:00:00Z"}),
            pod({"running": {}}, last={"finishedAt": "2026-01-02T10:00:00Z"}, name="b")]
    assert health.last_restart(pods) == "2026-01-02T10:00:00Z"
    assert health.last_restart([pod({"running": {}})]) is None


@pytest.mark.parametrize("name,display,description,kind", [
    ("llama-3.1-8b-instruct", "Llama 3.1 8B Instruct", "chat model", "llm"),
    ("nv-embedqa-e5-v5", "NVIDIA Retrieval QA E5 Embedding v5", "", "embedding"),
    ("llama-3.2-nv-rerankqa-1b-v2", "NVIDIA Retrieval QA Llama 3.2 1B Reranking v2", "",
     "ranking"),
    ("nvclip", "NV-CLIP", "multimodal embeddings model for image and text", "embedding"),
    ("llama-3.2-nemoretriever-500m-rerank-v2", "", "", "ranking"),
])
def test_kind_of_model(name, display, description, kind):
    assert kind_of_model(name, display, description) == kind


def test_kind_of_model_on_the_reference_catalog(shared_data):
    """Every embedding/reranking NIM of the 186-model catalog is recognised, no LLM is taken
    for one (the LLM names below are checked explicitly)."""
    models = {m.name: m for m in local_catalog.load_file(
        str(shared_data / "nvidia-nim-models-data.yaml")).models}
    kinds = {n: kind_of_model(n, m.display_name, m.short_description) for n, m in models.items()}
    assert kinds["nv-embedqa-e5-v5"] == "embedding"
    assert kinds["nv-rerankqa-mistral-4b-v3"] == "ranking"
    assert kinds["llama-3.1-8b-instruct"] == "llm"
    assert sum(k == "ranking" for k in kinds.values()) >= 3
    assert all(k == "llm" for n, k in kinds.items() if "instruct" in n)


_waiting_reasons = st.sampled_from(["ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff",
                                    "ContainerCreating", "CreateContainerConfigError",
                                    "Whatever", ""])
_state = st.one_of(st.none(), st.just({"running": {}}),
                   st.builds(lambda r, m: waiting(r, m), _waiting_reasons, st.text(max_size=40)))
_pods = st.one_of(st.none(), st.lists(st.builds(pod, _state, st.booleans(),
                                                 st.integers(0, 5)), max_size=3))


@settings(max_examples=200, deadline=None)
@given(ready=st.sampled_from([None, "True", "False", "Unknown"]), pods=_pods,
       secret=st.sampled_from(["present", MISSING, health.UNREADABLE]))
def test_verdict_is_total_and_consistent(ready, pods, secret):
    result = assess(Facts(name=NAME, runtime={}, isvc=isvc(ready), pods=pods,
                          secrets={"s": secret}))
    assert result.verdict in health.VERDICTS
    if ready == "True":
        assert result.verdict == READY
    elif any(r.severity == health.BLOCKING for r in result.reasons):
        assert result.verdict == FAILED
    if secret == MISSING:
        assert any(r.code == "SecretMissing" for r in result.reasons)
    assert all(r.message for r in result.reasons)


def test_missing_runtime_fails():
    result = assess(Facts(name=NAME, isvc=isvc("False"), runtime=None, pods=[]))
    assert result.verdict == FAILED
    assert result.reasons[0].code == "RuntimeMissing"
    assert f"the ServingRuntime of inferenceservice.serving.kserve.io/{NAME} does not exist" in \
        result.reasons[0].text


def test_a_ready_verdict_has_no_failed_reason_under_it():
    """Ready over a ✗ line read as a contradiction: while the InferenceService serves, what
    would stop a new pod (a secret gone) is a warning."""
    h = assess(Facts(NAME, isvc("True"), runtime={}, pods=[pod({"running": {}}, ready=True)],
                     secrets={"nvidia-nim-secrets-llama": MISSING}))
    assert h.verdict == READY
    assert [r.code for r in h.reasons] == ["SecretMissing"]
    assert all(r.severity == health.WARNING for r in h.reasons)


def test_a_change_kserve_has_not_seen_says_so_not_failed():
    """KServe's controller down: the spec moved on (generation 3) but the status is still the
    one it wrote for generation 2; the verdict is not Failed, and the reason says where to look."""
    obj = isvc("False", "Progressing")
    obj["metadata"]["generation"] = 3
    obj["status"]["observedGeneration"] = 2
    result = assess(Facts(name=NAME, runtime={}, isvc=obj, pods=[]))
    assert result.verdict == PROGRESSING
    stale = next(r for r in result.reasons if r.code == "NotReconciled")
    assert "generation 3, last seen 2" in stale.text
    assert "kserve-controller-manager" in stale.advice


@pytest.mark.parametrize("generation, observed", [(2, 2), (2, None), (None, 1), ("3", 2),
                                                  (True, 0), (2, 3)])
def test_no_stale_reason_when_kserve_is_current_or_the_fields_are_odd(generation, observed):
    obj = isvc("True")
    if generation is not None:
        obj["metadata"]["generation"] = generation
    if observed is not None:
        obj["status"]["observedGeneration"] = observed
    assert health.not_reconciled(obj) == ""
