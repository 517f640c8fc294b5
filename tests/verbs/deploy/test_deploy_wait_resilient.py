"""`--wait` (and rotate-key's restart wait) retries transient failures until its own
deadline, and an interrupted wait says the deployment keeps running and how to resume."""

from __future__ import annotations

import signal

import pytest

from kubectl_nim.adapters.kube.cluster import Cluster
from kubectl_nim.cli.exit_status import for_error
from kubectl_nim.environment import Environment
from kubectl_nim.errors import ClusterError, NimError
from kubectl_nim.interrupts import Interrupted
from kubectl_nim.app.wait import Reporter, wait_ready
from tests.helpers.deploy import NAME, NS, cluster, project  # noqa: F401
from tests.helpers.wait import NOT_READY, READY, Echo, Script, isvc


@pytest.mark.parametrize("fault", [500, 503, 429, 504, "timeout"])
def test_one_transient_failure_does_not_end_the_wait(project, fault):
    """One read answered 5xx/429, or one that times out (the server hangs past
    --request-timeout), and the wait carries on."""
    server = project.server
    server.put_object(isvc(NOT_READY))
    cluster = Cluster.connect(kubeconfig=project.kubeconfig, timeout=0.3,
                              env=Environment.default())
    if fault == "timeout":
        server.fail("GET", r"/inferenceservices/", 0, nth=2, times=1, hang_seconds=1)
    else:
        server.fail("GET", r"/inferenceservices/", fault, nth=2, times=1)
    script = Script(server, [[], [isvc(READY)]])
    state = wait_ready(cluster, NAME, NS, 600, Reporter(Echo(), tty=False, clock=script.clock),
                       sleep=script.sleep, clock=script.clock, warn=lambda text: None,
                       watch=False)
    assert state.ready


def test_transient_errors_until_the_deadline_end_in_a_timeout(cluster, project):
    server = project.server
    server.put_object(isvc(NOT_READY))
    server.fail("GET", r"/inferenceservices/", 503, times=1000)
    script = Script(server, [])
    warnings: list[str] = []
    with pytest.raises(ClusterError):
        wait_ready(cluster, NAME, NS, 20, Reporter(Echo(), tty=False, clock=script.clock),
                   sleep=script.sleep, clock=script.clock, warn=warnings.append, watch=False)
    assert sum(script.slept) <= 20.0 + 1e-9  # never past its own deadline
    assert len(script.slept) >= 3             # but it did keep trying
    assert warnings and all(  # each retry said so, through the run's console
        w.startswith(f"cannot read the state of inferenceservice.serving.kserve.io/{NAME} (")
        and "; retrying in " in w for w in warnings)


def test_a_permanent_error_is_not_retried(cluster, project):
    server = project.server
    server.put_object(isvc(NOT_READY))
    server.deny("get", "inferenceservices", namespace=NS)
    with pytest.raises(ClusterError):
        wait_ready(cluster, NAME, NS, 600, Reporter(Echo(), tty=False, clock=lambda: 0.0),
                   sleep=pytest.fail, clock=lambda: 0.0, warn=pytest.fail, watch=False)


@pytest.mark.parametrize("signum,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143),
                                         (signal.SIGHUP, 129)])
def test_interrupted_wait_says_the_deployment_keeps_running(cluster, project, signum, code):
    project.server.put_object(isvc(NOT_READY))

    def interrupted_sleep(seconds):
        raise Interrupted(signum)

    with pytest.raises(NimError) as caught:
        wait_ready(cluster, NAME, NS, 600, Reporter(Echo(), tty=False, clock=lambda: 0.0),
                   sleep=interrupted_sleep, clock=lambda: 0.0, warn=pytest.fail,
                   watch=False)
    assert for_error(caught.value) == code
    assert "the deployment keeps running" in str(caught.value)
    assert f"resume watching with `oc get inferenceservice {NAME} -n {NS} -w`" in str(caught.value)
    assert project.server.get_object("serving.kserve.io/v1beta1", "inferenceservices", NS, NAME)
