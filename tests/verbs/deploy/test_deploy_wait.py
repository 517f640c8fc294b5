"""`deploy --wait`: following the InferenceService until Ready, explaining stalls from events.

`progress_state` is pure; `wait_ready` runs against the fake API server with an injected sleep
(which changes the server's state between polls, the way KServe would) and clock, so nothing
here really waits.


Status written by hand: every sequence of conditions, fake clock (real: deploy_control_plane).
"""

from __future__ import annotations


import pytest

from kubectl_nim.cli.exit_status import ExitStatus, for_error
from kubectl_nim.errors import NimError
from kubectl_nim.app.wait import Reporter, State, progress_state, wait_ready
from tests.helpers.deploy import (MODEL, NAME, NOTICE, NS, cluster, lines,  # noqa: F401
                                  project, run_deploy)
from tests.helpers.wait import NOT_READY, READY, Echo, Script, event, isvc

GPU_MESSAGE = "0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes " \
              "are available: 3 No preemption victims found for incoming pod."


# --- progress_state (pure) -----------------------------------------------------------------------

def test_state_without_an_inference_service():
    assert progress_state(None, [], NAME) == State(False, "InferenceService not found", ())


def test_state_before_the_controller_reports():
    assert progress_state(isvc(), [], NAME) == \
        State(False, "waiting for the controller to report status", ())


def test_state_not_ready_names_the_first_reason():
    state = progress_state(isvc(NOT_READY), [], NAME)
    assert state.summary == ("PredictorReady=no IngressReady=no Ready=no (ContainersNotReady: "
                             "containers with unready status: [kserve-container])")
    assert not state.ready


def test_state_ready():
    assert progress_state(isvc(READY), [], NAME) == \
        State(True, "PredictorReady=yes IngressReady=yes Ready=yes", ())


def test_stalls_explained_from_events():
    events = [
        event(f"{NAME}-predictor-6d9f7c-x2x5q", "FailedScheduling", GPU_MESSAGE),
        event(f"nim-pvc-{NAME}", "ProvisioningFailed", "storageclass.storage.k8s.io \"fast\" "
              "not found", kind="PersistentVolumeClaim"),
        event(f"{NAME}-predictor-6d9f7c-x2x5q", "Pulling", "Pulling image \"nvcr.io/x\"",
              type_="Normal"),
    ]
    state = progress_state(isvc(NOT_READY), events, NAME)
    assert state.stalls == (
        f"FailedScheduling on {NAME}-predictor-6d9f7c-x2x5q: no node can run it (often: not "
        f"enough free GPUs) — {GPU_MESSAGE}",
        f"ProvisioningFailed on nim-pvc-{NAME}: the PVC cannot be provisioned (storage class?) — "
        f"storageclass.storage.k8s.io \"fast\" not found")


def test_image_pull_back_off_is_not_called_a_crash():
    """The kubelet reports an image pull back-off as reason BackOff ("Back-off pulling image"),
    the same reason as a crash loop; only the message tells them apart."""
    pod = f"{NAME}-predictor-6d9f7c-x2x5q"
    events = [
        event(pod, "Failed", "Failed to pull image \"nvcr.io/nim/meta/x:1\": unauthorized",
              name="e1"),
        event(pod, "BackOff", "Back-off pulling image \"nvcr.io/nim/meta/x:1\"", name="e2"),
        event(pod, "BackOff", "Back-off restarting failed container kserve-container in pod "
              f"{pod}", name="e3"),
    ]
    stalls = progress_state(isvc(NOT_READY), events, NAME).stalls
    assert [s.split(" — ")[0] for s in stalls] == [
        f"Failed on {pod}: the image cannot be pulled (key, tag, or registry access)",
        f"BackOff on {pod}: the image cannot be pulled (key, tag, or registry access)",
        f"BackOff on {pod}: a container keeps crashing (check `oc logs`)"]


def test_events_of_other_deployments_are_ignored():
    """`llama` must not report the stalls of `llama-70b` (same prefix)."""
    events = [event(f"{NAME}-70b-predictor-5c8b9-abcde", "FailedScheduling", GPU_MESSAGE),
              event(f"nim-pvc-{NAME}-70b", "ProvisioningFailed", "no storage class",
                    kind="PersistentVolumeClaim"),
              event(f"{NAME}-predictor-7f9-zzzzz", "FailedScheduling", GPU_MESSAGE)]
    stalls = progress_state(isvc(NOT_READY), events, NAME).stalls
    assert [s.split(":")[0] for s in stalls] == [
        f"FailedScheduling on {NAME}-predictor-7f9-zzzzz"]


def test_the_same_stall_is_listed_once():
    events = [event(f"{NAME}-predictor-a", "FailedScheduling", GPU_MESSAGE, name="e1"),
              event(f"{NAME}-predictor-a", "FailedScheduling", GPU_MESSAGE, name="e2")]
    assert len(progress_state(isvc(NOT_READY), events, NAME).stalls) == 1


# --- Reporter: TTY vs piped ----------------------------------------------------------------------

STALL = f"FailedScheduling on {NAME}-predictor-a: no node can run it"
STATES = [State(False, "waiting for the controller to report status", ()),
          State(False, "PredictorReady=no Ready=no", (STALL,)),
          State(False, "PredictorReady=no Ready=no", (STALL,)),
          State(True, "PredictorReady=yes Ready=yes", (STALL,))]


def test_reporter_piped_prints_changes_only():
    echo = Echo()
    report = Reporter(echo, tty=False, clock=lambda: 0.0)
    for state in STATES:
        report(state)
    assert echo.calls == [
        ("waiting for the controller to report status", True, True),
        (f"warning: {STALL}", True, True),
        ("PredictorReady=no Ready=no", True, True),
        ("PredictorReady=yes Ready=yes", True, True)]


def test_reporter_tty_rewrites_one_line_with_the_time_waited():
    echo = Echo()
    times = iter([100.0, 100.0, 102.0, 165.0, 3830.0])
    report = Reporter(echo, tty=True, clock=lambda: next(times))
    for state in STATES:
        report(state)
    assert echo.calls == [
        ("\r\033[K/ waiting for the controller to report status (0s)", False, True),
        (f"\r\033[Kwarning: {STALL}", True, True),       # a warning stays on screen
        ("\r\033[K- PredictorReady=no Ready=no (2s)", False, True),
        ("\r\033[K\\ PredictorReady=no Ready=no (1m05s)", False, True),  # spinner turns
        ("\r\033[K✓ PredictorReady=yes Ready=yes (1h02m)", True, True)]  # ends the line


# --- wait_ready against the fake API server ------------------------------------------------------

def test_wait_ready_follows_the_status_and_reports_each_stall_once(cluster, project):
    server = project.server
    server.put_object(isvc())
    server.put_object(event("other-predictor-1", "FailedScheduling", GPU_MESSAGE))
    script = Script(server, [
        [isvc(NOT_READY), event(f"{NAME}-predictor-6d9f7c-x2x5q", "FailedScheduling",
                                GPU_MESSAGE)],
        [],  # still stuck: the same event is not reported again
        [isvc(READY)],
    ])
    echo = Echo()
    state = wait_ready(cluster, NAME, NS, 600, Reporter(echo, tty=False, clock=script.clock),
                       sleep=script.sleep, clock=script.clock, warn=pytest.fail, watch=False)
    assert state.ready
    assert script.slept == [2.0, 2.0, 2.0]
    assert [text for text, _, _ in echo.calls] == [
        "waiting for the controller to report status",
        f"warning: FailedScheduling on {NAME}-predictor-6d9f7c-x2x5q: no node can run it "
        f"(often: not enough free GPUs) — {GPU_MESSAGE}",
        "PredictorReady=no IngressReady=no Ready=no (ContainersNotReady: containers with "
        "unready status: [kserve-container])",
        "PredictorReady=yes IngressReady=yes Ready=yes",
        f"inferenceservice.serving.kserve.io/{NAME} is ready (no URL reported yet)",
        f"  details: oc get inferenceservice {NAME} -n {NS}"]


def test_wait_ready_times_out_with_the_last_known_state(cluster, project):
    server = project.server
    server.put_object(isvc(NOT_READY))
    server.put_object(event(f"{NAME}-predictor-a", "FailedScheduling", GPU_MESSAGE))
    script = Script(server, [])
    with pytest.raises(NimError) as caught:
        wait_ready(cluster, NAME, NS, 5, Reporter(Echo(), tty=False, clock=script.clock),
                   sleep=script.sleep, clock=script.clock, warn=pytest.fail, watch=False)
    assert script.slept == [2.0, 2.0, 1.0]  # never sleeps past the deadline
    assert str(caught.value) == (
        f"timed out after 5s waiting for inferenceservice.serving.kserve.io/{NAME} to become ready: "
        f"PredictorReady=no IngressReady=no Ready=no (ContainersNotReady: containers with "
        f"unready status: [kserve-container]); FailedScheduling on {NAME}-predictor-a: no node "
        f"can run it (often: not enough free GPUs) — {GPU_MESSAGE}; it may still come up: "
        f"`oc get inferenceservice {NAME} -n {NS} -w`")
    assert for_error(caught.value) == ExitStatus.FAILURE


def test_wait_ready_without_permission_to_read_events(cluster, project):
    project.server.put_object(isvc(READY))
    project.server.deny("list", "events", namespace=NS)
    state = wait_ready(cluster, NAME, NS, 10, Reporter(Echo(), tty=False, clock=lambda: 0.0),
                       sleep=pytest.fail, clock=lambda: 0.0, warn=pytest.fail, watch=False)
    assert state.ready


# --- deploy --wait through the CLI ---------------------------------------------------------------

@pytest.fixture
def scripted_wait(nim, project):
    """Make `deploy --wait` use a sleep/clock driven by `steps` (the CLI's Environment)."""
    def install(steps):
        script = Script(project.server, steps)
        nim.environment.update(sleep=script.sleep, clock=script.clock, watch=False)
        return script
    return install


@pytest.mark.parametrize("timeout,limit", [("90", "up to 90s"), ("2.5", "up to 2.5s"),
                                           ("2m", "up to 2m"), ("1m30s", "up to 1m30s"),
                                           ("0", "up to 0s")])
def test_the_wait_notice_gives_the_timeout_its_unit(run_deploy, scripted_wait, timeout, limit):
    """A bare number is seconds (parse_duration); the notice said `up to 90 for`."""
    scripted_wait([[isvc(READY)]])
    result = run_deploy(NAME, "--model", MODEL, "--wait", "--timeout", timeout)
    assert result.exit_code in (0, 1), result.stderr  # 0 checks once (and times out here)
    assert f"Waiting {limit} for inferenceservice.serving.kserve.io/{NAME} to become " \
        "ready...\n" in result.stderr


def test_deploy_wait_until_ready(run_deploy, project, scripted_wait):
    script = scripted_wait([[isvc(NOT_READY)], [isvc(READY)]])
    result = run_deploy(NAME, "--model", MODEL, "--wait")
    assert result.exit_code == 0
    assert result.stdout == lines("created")
    assert result.stderr == NOTICE + (
        f"Waiting up to 30m for inferenceservice.serving.kserve.io/{NAME} to become ready...\n"
        "waiting for the controller to report status\n"
        "PredictorReady=no IngressReady=no Ready=no (ContainersNotReady: containers with unready "
        "status: [kserve-container])\n"
        "PredictorReady=yes IngressReady=yes Ready=yes\n"
        f"inferenceservice.serving.kserve.io/{NAME} is ready (no URL reported yet)\n"
        f"  details: oc get inferenceservice {NAME} -n {NS}\n")
    assert script.slept == [2.0, 2.0]


def test_deploy_wait_timeout_exits_1_with_the_last_state(run_deploy, project, scripted_wait):
    scripted_wait([[event(f"{NAME}-predictor-a", "FailedScheduling", GPU_MESSAGE)]])
    result = run_deploy(NAME, "--model", MODEL, "--wait", "--timeout", "5s")
    assert result.exit_code == 1
    assert result.stdout == lines("created")  # the deployment exists; only the wait failed
    assert result.stderr.splitlines()[-1] == (
        f"error: timed out after 5s waiting for inferenceservice.serving.kserve.io/{NAME} to become ready: "
        f"waiting for the controller to report status; FailedScheduling on {NAME}-predictor-a: "
        f"no node can run it (often: not enough free GPUs) — {GPU_MESSAGE}; it may still come "
        f"up: `oc get inferenceservice {NAME} -n {NS} -w`")
    assert project.get("InferenceService", NAME) is not None  # a timeout rolls nothing back


def test_dry_runs_do_not_wait(run_deploy, project, scripted_wait):
    script = scripted_wait([])
    result = run_deploy(NAME, "--model", MODEL, "--wait", "--dry-run=server")
    assert result.exit_code == 0
    assert "Waiting" not in result.stderr and script.slept == []


# --- the terminal, the latest problem, what to do next -----------------------------------

def test_final_error_names_the_latest_problem():
    """A GPU wait first, then an image pull refused: the pull is what the user must fix."""
    gpu = {**event(f"{NAME}-predictor-a", "FailedScheduling", GPU_MESSAGE),
           "lastTimestamp": "2026-01-01T10:00:00Z"}
    pull = {**event(f"{NAME}-predictor-a", "Failed", "Failed to pull image: 401 Unauthorized",
                    name="pull"), "lastTimestamp": "2026-01-01T10:05:00Z"}
    for events in ([gpu, pull], [pull, gpu]):  # whatever order the API lists them in
        stalls = progress_state(isvc(NOT_READY), events, NAME).stalls
        assert "401 Unauthorized" in stalls[-1]
    again = {**gpu, "lastTimestamp": "2026-01-01T10:09:00Z"}  # the GPU wait came back
    assert progress_state(isvc(NOT_READY), [gpu, pull, again], NAME).stalls[-1].startswith(
        "FailedScheduling")


def test_tty_spinner_is_cut_to_the_terminal_width_and_ended_before_an_error(cluster, project):
    class Narrow(Reporter):
        @staticmethod
        def width():
            return 30

    project.server.put_object(isvc(NOT_READY))
    echo = Echo()
    script = Script(project.server, [])
    with pytest.raises(NimError):
        wait_ready(cluster, NAME, NS, 3, Narrow(echo, tty=True, clock=script.clock),
                   sleep=script.sleep, clock=script.clock, warn=pytest.fail, watch=False)
    spinner = [text for text, nl, _ in echo.calls if text.startswith("\r\033[K") and not nl]
    assert spinner and all(len(text) - len("\r\033[K") < 30 for text in spinner)
    assert spinner[0].endswith("…")
    assert echo.calls[-1] == ("\r\033[K", False, True)  # the error starts a clean line


def test_success_prints_the_endpoint_and_next_steps():
    echo = Echo()
    ready = {**READY, "url": f"http://{NAME}-predictor.{NS}.svc.cluster.local"}
    Reporter(echo, tty=False, clock=lambda: 0.0)(progress_state(isvc(ready), [], NAME))
    assert [text for text, _, _ in echo.calls][1:] == [
        f"inferenceservice.serving.kserve.io/{NAME} is ready at http://{NAME}-predictor.{NS}.svc.cluster.local",
        f"  try: curl -s http://{NAME}-predictor.{NS}.svc.cluster.local/v1/models   (from "
        f"inside the cluster; deploy with --expose for a route)",
        f"  details: oc get inferenceservice {NAME} -n {NS}"]
