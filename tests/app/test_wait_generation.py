"""`--wait` after `deploy --apply`: a Ready=True that KServe wrote for the previous spec is not
the answer; the wait goes on until KServe has seen the change (status.observedGeneration). On a
real control plane: test_control_plane_deploy.py::test_apply_with_a_new_tag_rolls_the_pods."""

from __future__ import annotations

from kubectl_nim.app.wait import progress_state

NAME = "llama"


def isvc(generation, observed, ready="True"):
    return {"metadata": {"name": NAME, "namespace": "team", "generation": generation},
            "status": {"observedGeneration": observed,
                       "conditions": [{"type": "PredictorReady", "status": ready},
                                      {"type": "Ready", "status": ready}]}}


def test_a_ready_for_the_previous_generation_is_not_ready():
    state = progress_state(isvc(2, 1), [], NAME)
    assert not state.ready
    assert state.summary == ("KServe has not seen the change yet (generation 2, last seen 1) "
                             "PredictorReady=yes Ready=yes")


def test_once_kserve_has_seen_it_ready_counts():
    assert progress_state(isvc(2, 2), [], NAME).ready
    assert progress_state(isvc(2, 2), [], NAME).summary == "PredictorReady=yes Ready=yes"


def test_without_generations_ready_counts_as_before():
    obj = isvc(2, 1)
    del obj["status"]["observedGeneration"]
    assert progress_state(obj, [], NAME).ready
