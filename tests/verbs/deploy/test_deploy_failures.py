"""`deploy` failures: every check before a write, preflight, refusal of an existing deployment,
rollback, and the fault matrix (each write × 403, 409, 500, hang past the timeout).

The invariant checked everywhere: after a failed run the fake API server holds exactly the
objects it held before, byte for byte (resourceVersions included; for the namespace, whose marker
annotation goes out with the last write and is removed again by a rollback, its content).
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from kubectl_nim.cli.exit_status import for_error
from kubectl_nim.environment import Environment

from tests.fakes.clock import FakeClock
from tests.helpers.deploy import (EU_MODEL, ISVC, KEY, MODEL, NAME, NOTICE, NS, SR,  # noqa: F401
                                  dry_runs, lines, project, refs, run_deploy, state,
                                  writes)

PATHS = {  # the real (not dry-run) write of each object; dry runs carry dryRun=All first. The
    # secrets go out together, so each is told apart by the name the fake appends (#NAME).
    0: ("POST", rf"/secrets\?fieldManager.*#nvidia-nim-secrets-{NAME}$", 1),
    1: ("POST", rf"/secrets\?fieldManager.*#nvidia-nim-image-pull-{NAME}$", 1),
    2: ("POST", r"/persistentvolumeclaims\?fieldManager", 1),
    3: ("POST", r"/servingruntimes\?fieldManager", 1),
    4: ("POST", r"/inferenceservices\?fieldManager", 1),
}
FIRST_BATCH = 4  # the secrets, the PVC and the ServingRuntime are written at once
TIMEOUT = 0.25  # --request-timeout for hang cases
HANG = 0.32     # longer than TIMEOUT, well within TIMEOUT + the grace the rollback allows


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _nothing_sent(project, ngc_server=None):
    assert writes(project.server) == []
    assert dry_runs(project.server) == []
    if ngc_server is not None:
        assert ngc_server.requests == []


def _nothing_written(project):
    """The key is checked while the preflight's dry runs are out: those may have
    reached the server, nothing else that changes anything."""
    assert writes(project.server) == []
    assert all("dryRun=All" in r["query"] for r in project.server.requests
               if r["method"] != "GET")


# --- checks before any write ---------------------------------------------------------------------

def test_uppercase_name(run_deploy, project, ngc_server):
    result = run_deploy("Llama", "--model", MODEL)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "error: invalid deployment name 'Llama': it must be lowercase; " \
                            "for example 'llama'\n"
    _nothing_sent(project, ngc_server)


def test_name_too_long_states_the_computed_limit(run_deploy, project, ngc_server):
    name = "n" * 49
    result = run_deploy(name, "--model", MODEL)
    assert result.exit_code == 2
    # 63 - len("-predictor-team") = 48: the limit depends on the project name.
    assert f"error: invalid deployment name '{name}': name is 49 characters; " in result.stderr
    assert ("the longest name derived from it, NAME-predictor-team (KServe's host-name label), "
            "would be 64 and must be at most 63, so use at most 48;") in result.stderr
    _nothing_sent(project, ngc_server)


def test_name_at_the_limit_is_accepted(run_deploy, project):
    assert run_deploy("n" * 48, "--model", MODEL, "--dry-run=server").exit_code == 0


def test_unknown_model_did_you_mean(run_deploy, project, ngc_server):
    result = run_deploy(NAME, "--model", "llama-3.1-8b-instruc")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: model 'llama-3.1-8b-instruc' is not in the catalog (embedded catalog); did you "
        "mean llama-3.1-8b-instruct, llama-3.1-70b-instruct, llama3-8b-instruct?\n")
    _nothing_sent(project, ngc_server)


def test_unknown_tag_did_you_mean(run_deploy, project, ngc_server):
    result = run_deploy(NAME, "--model", MODEL, "--tag", "1.15.9")
    assert result.exit_code == 1
    assert result.stderr == "error: model 'llama-3.1-8b-instruct' has no tag '1.15.9'; " \
                            "did you mean 1.15.5, 1.15.4, 1.15?\n"
    _nothing_sent(project, ngc_server)


def test_legacy_key_refused_without_any_network_call(run_deploy, project, ngc_server):
    legacy = "bGVnYWN5LWtleS0wMTIzNDU2Nzg5YWJjZGVm"
    result = run_deploy(NAME, "--model", MODEL, key=legacy)
    assert result.exit_code == 1
    assert result.stderr == NOTICE + (
        "error: this is a legacy NVIDIA API key; only personal keys (starting with nvapi-) are "
        "supported; create a personal key with the NGC Catalog service at "
        "https://org.ngc.nvidia.com/setup/personal-keys\n")
    assert legacy not in result.stderr
    _nothing_sent(project, ngc_server)


def test_key_rejected_by_nvidia(run_deploy, project, ngc_server):
    result = run_deploy(NAME, "--model", MODEL, key="nvapi-revoked")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == NOTICE + (
        "error: NVIDIA rejected the API key (HTTP 401); check that it is a current personal key "
        "(nvapi-...), neither revoked nor expired; create one at "
        "https://org.ngc.nvidia.com/setup/personal-keys\n")
    assert [r["path"] for r in ngc_server.requests] == ["/v3/keys/get-caller-info"]
    _nothing_written(project)


def test_nvidia_unreachable(run_deploy, project, ngc_sleeps):
    port = closed_port()
    result = run_deploy(NAME, "--model", MODEL, ngc_url=f"http://127.0.0.1:{port}")
    # NVIDIA unreachable exits 3 from every verb, and deploy names the way out.
    assert (result.exit_code, result.stdout) == (3, "")
    assert f"error: NVIDIA could not be reached at 127.0.0.1:{port}: connection refused" \
        in result.stderr
    assert "--skip-key-validation" in result.stderr
    _nothing_written(project)


def test_nvidia_check_honours_request_timeout(run_deploy, project, ngc_server, ngc_sleeps):
    ngc_server.fail("POST", "/v3/keys", hang_seconds=5, times=100)
    result = run_deploy(NAME, "--model", MODEL, "--request-timeout", "0.1s")
    assert (result.exit_code, result.stdout) == (3, "")  # NVIDIA unreachable
    assert "timed out after 0.1s (5 attempts)" in result.stderr
    _nothing_written(project)


def test_skip_key_validation(run_deploy, project, ngc_server):
    result = run_deploy(NAME, "--model", MODEL, "--skip-key-validation",
                        ngc_url=f"http://127.0.0.1:{closed_port()}")
    assert (result.exit_code, result.stdout) == (0, lines("created"))
    assert ngc_server.requests == []


def test_missing_key_non_interactive(run_deploy, project, ngc_server):
    result = run_deploy(NAME, "--model", MODEL, key=None)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == NOTICE + (
        "error: no NVIDIA API key given; use --api-key-file PATH (- for stdin), set the "
        "NGC_API_KEY environment variable, or run in a terminal to be prompted\n")
    _nothing_sent(project, ngc_server)


def test_key_on_the_command_line_is_refused(run_deploy, project, ngc_server):
    result = run_deploy(NAME, "--model", MODEL, "--api-key", KEY, key=None)
    assert result.exit_code == 2
    assert KEY not in result.stderr
    _nothing_sent(project, ngc_server)


def test_bad_flag_values_refused_before_the_key_is_checked(run_deploy, project, ngc_server):
    result = run_deploy(NAME, "--model", MODEL, "--cpu-request", "4", "--cpu-limit", "2")
    assert result.exit_code == 2
    assert "error: the cpu request 4 is more than its limit 2" in result.stderr
    _nothing_sent(project, ngc_server)


def test_project_missing(run_deploy, project, ngc_server):
    result = run_deploy(NAME, "--model", MODEL, "-n", "nope")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == NOTICE + ("error: project 'nope' does not exist; create it "
                                      "(`oc new-project`) or pick another with -n\n")
    # The project check shares its round trip with the dryRun=All preflight: dry runs may go
    # out, and nothing is written.
    assert writes(project.server) == []
    assert all("dryRun=All" in r["query"] for r in project.server.requests
               if r["method"] != "GET")


def test_eu_restricted_warning_comes_before_the_checks(run_deploy, project):
    result = run_deploy("Vision", "--model", EU_MODEL)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"warning: {EU_MODEL} is restricted in the European Union")


# --- preflight (dryRun=All) ----------------------------------------------------------------------

def test_preflight_forbidden_creates_nothing(run_deploy, project):
    before = state(project.server)
    project.server.deny("create", "inferenceservices", namespace=NS)
    result = run_deploy(NAME, "--model", MODEL)
    assert (result.exit_code, result.stdout) == (1, "")
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"error: cannot create {ISVC}/{NAME}: ")
    assert "forbidden" in last
    assert last.endswith("; nothing was created; ask a cluster or project admin for that "
                         "permission, or use another --namespace")
    assert writes(project.server) == []
    assert state(project.server) == before
    # All five writes went out as dry runs, and nothing else was written.
    assert len(dry_runs(project.server)) == 5
    assert all("dryRun=All" in r["query"] for r in project.server.requests
               if r["method"] != "GET")


def test_preflight_invalid_creates_nothing(run_deploy, project):
    before = state(project.server)
    project.server.fail("POST", r"/servingruntimes\?dryRun=All", 422)
    result = run_deploy(NAME, "--model", MODEL)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(f"error: cannot create {SR}/{NAME}: ")
    assert "nothing was created" in result.stderr
    assert state(project.server) == before and writes(project.server) == []


def test_preflight_names_the_first_failing_object_in_write_order(run_deploy, project):
    project.server.deny("create", "secrets", namespace=NS)
    project.server.deny("create", "inferenceservices", namespace=NS)
    result = run_deploy(NAME, "--model", MODEL)
    assert result.exit_code == 1
    assert f"error: cannot create secret/nvidia-nim-secrets-{NAME}: " in result.stderr
    # every missing permission is named, not only the first one
    assert (f"; also forbidden: secret/nvidia-nim-image-pull-{NAME}, {ISVC}/{NAME}"
            in result.stderr)
    assert result.stderr.count("\n") == 1 + result.stderr.count("Using the")
    assert writes(project.server) == []


# --- an existing deployment is refused, untouched ------------------------------------------------

def test_existing_deployment_refused(run_deploy, project):
    assert run_deploy(NAME, "--model", MODEL).exit_code == 0
    before = state(project.server)
    project.server.clear_requests()
    result = run_deploy(NAME, "--model", MODEL, "--tag", "1.15.5")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == NOTICE + (
        f"error: a deployment named '{NAME}' already exists in {NS} ({SR}/{NAME}); use --apply "
        f"to update it, pick another name, or delete it first\n")
    assert state(project.server) == before
    assert writes(project.server) == []


def test_existing_inference_service_alone_is_refused(run_deploy, project):
    project.server.put_object({"apiVersion": "serving.kserve.io/v1beta1",
                               "kind": "InferenceService",
                               "metadata": {"name": NAME, "namespace": NS}, "spec": {}})
    before = state(project.server)
    result = run_deploy(NAME, "--model", MODEL)
    assert result.exit_code == 1
    assert f"error: a deployment named '{NAME}' already exists in {NS} ({ISVC}/{NAME})" \
        in result.stderr
    assert state(project.server) == before


@pytest.mark.parametrize("index,hint", [
    (0, "delete it first, or use --apply to take it over"),
    (2, f"reuse it with --existing-pvc nim-pvc-{NAME}, or delete it first")])
def test_leftover_object_refused(run_deploy, project, index, hint):
    kind = "Secret" if index == 0 else "PersistentVolumeClaim"
    name = refs()[index].split("/")[1]
    project.server.put_object({"apiVersion": "v1", "kind": kind,
                               "metadata": {"name": name, "namespace": NS}})
    before = state(project.server)
    result = run_deploy(NAME, "--model", MODEL)
    assert result.exit_code == 1
    assert f"error: {refs()[index]} already exists in {NS}" in result.stderr
    assert result.stderr.endswith(f"; {hint}\n")
    assert state(project.server) == before


# --- the fault matrix: each write × 403, 409, 500, hang past --request-timeout -------------------

def _inject(server, index: int, fault) -> None:
    method, path, nth = PATHS[index]
    if fault == "hang":  # the server sleeps past our timeout, then carries the create out
        server.fail(method, path, 0, nth=nth, hang_seconds=HANG)
    elif fault == 409:  # an object someone else holds: it stays (a concurrent deploy's would
        # go with its rollback, and is waited for: tests/verbs/deploy/test_deploy_concurrent.py)
        server.fail(method, path, fault, nth=nth, times=1000)
    else:
        server.fail(method, path, fault, nth=nth)


def _created_with(index: int) -> list[str]:
    """What a run whose write `index` fails has created: the rest of its batch, and every
    batch before it."""
    end = FIRST_BATCH if index < FIRST_BATCH else len(refs())
    return [r for i, r in enumerate(refs()[:end]) if i != index]


def _rolled_back(index: int) -> str:
    done = list(reversed(_created_with(index)))
    return "rolled back " + ", ".join(done) if done else "nothing was created"


@pytest.mark.parametrize("fault", [403, 409, 500, "hang"])
@pytest.mark.parametrize("index", range(5), ids=lambda i: refs()[i].split("/")[0].split(".")[0]
                         + ("-pull" if i == 1 else ""))
def test_fault_matrix_leaves_no_trace(run_deploy, project, index, fault):
    before = state(project.server)
    _inject(project.server, index, fault)
    started = time.monotonic()
    result = run_deploy(NAME, "--model", MODEL, "--request-timeout", f"{TIMEOUT}s")
    assert result.exit_code == 1
    # Progress lines of the writes that succeeded, then one error naming the failed object.
    assert result.stdout == lines("created", only=_created_with(index))
    error = result.stderr.splitlines()[-1]
    assert error.startswith(f"error: cannot create {refs()[index]}: "), error
    if fault == "hang":
        assert f"timed out after {TIMEOUT:g}s" in error
        # The server created it after we gave up; the rollback waited for it and deleted it
        # (first: it is deleted before the rest once it appears).
        assert "rolled back " + ", ".join([refs()[index]] + list(reversed(
            _created_with(index)))) in error
        time.sleep(max(0.0, started + HANG + 0.1 - time.monotonic()))
    else:
        assert f"; {_rolled_back(index)}" in error
    assert state(project.server) == before


def test_hang_longer_than_the_grace_is_reported_honestly(run_deploy, project):
    """A create the server carries out long after we gave up cannot be undone by us: say so,
    name the object and how to check, and never claim it was rolled back."""
    project.server.fail("POST", r"/servingruntimes\?fieldManager", 0, hang_seconds=1.0)
    started = time.monotonic()
    result = run_deploy(NAME, "--model", MODEL, "--request-timeout", "0.2s")
    assert result.exit_code == 1
    error = result.stderr.splitlines()[-1]
    assert error.startswith(f"error: cannot create {SR}/{NAME}: POST ")
    assert f"rolled back persistentvolumeclaim/nim-pvc-{NAME}, secret/nvidia-nim-image-pull-" \
           f"{NAME}, secret/nvidia-nim-secrets-{NAME}" in error
    assert f"{SR}/{NAME} may still be created by the server (its create timed out); check " \
           f"`oc get {SR}/{NAME} -n {NS}` and delete it if it is there" in error
    assert f"rolled back {SR}" not in error
    # What we warned about: the late create lands (when the server's hang ends), alone.
    def ours():
        return [(o["kind"], o["metadata"]["name"]) for o in project.server.objects()
                if o["metadata"].get("namespace") == NS]
    deadline = time.monotonic() + 5
    while not ours() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ours() == [("ServingRuntime", NAME)]
    assert time.monotonic() - started >= 1.0


def test_hang_then_error_is_reported_as_uncertain(run_deploy, project):
    before = state(project.server)
    project.server.fail("POST", r"/inferenceservices\?fieldManager", 500, hang_seconds=0.5)
    result = run_deploy(NAME, "--model", MODEL, "--request-timeout", "0.2s")
    assert result.exit_code == 1
    assert f"{ISVC}/{NAME} may still be created by the server" in result.stderr
    time.sleep(0.4)
    assert state(project.server) == before


def test_gateway_timeout_is_uncertain_too(run_deploy, project):
    """504 from the API server means "did not finish in time", not "did not happen"."""
    before = state(project.server)
    project.server.fail("POST", r"/persistentvolumeclaims\?fieldManager", 504)
    result = run_deploy(NAME, "--model", MODEL, "--request-timeout", "0.2s")
    assert result.exit_code == 1
    assert f"persistentvolumeclaim/nim-pvc-{NAME} may still be created" in result.stderr
    assert state(project.server) == before


# --- rollback never touches what existed before --------------------------------------------------

def test_existing_pvc_survives_rollback(run_deploy, project):
    project.server.put_object({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                               "metadata": {"name": "shared-cache", "namespace": NS}})
    before = state(project.server)
    project.server.fail("POST", r"/inferenceservices\?fieldManager", 500)
    result = run_deploy(NAME, "--model", MODEL, "--existing-pvc", "shared-cache")
    assert result.exit_code == 1
    assert (f"; rolled back {SR}/{NAME}, secret/nvidia-nim-image-pull-{NAME}, "
            f"secret/nvidia-nim-secrets-{NAME};") in result.stderr
    assert state(project.server) == before
    assert not any(m == "DELETE" and "shared-cache" in p for m, p in writes(project.server))


def test_object_created_by_someone_else_meanwhile_is_not_deleted(run_deploy, project):
    """Preflight passed; between it and our create, another client created the PVC. Our create
    gets a real 409: the rollback removes our secrets and leaves their claim alone."""
    server = project.server
    server.fail("POST", r"/persistentvolumeclaims\?fieldManager", 0, hang_seconds=0.3)
    theirs = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
              "metadata": {"name": f"nim-pvc-{NAME}", "namespace": NS,
                           "labels": {"owner": "someone-else"}}}

    def someone_else():  # as soon as both our secrets exist, our PVC create is in flight
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if sum(1 for m, p in writes(server) if m == "POST" and p.endswith("/secrets")) == 2:
                server.put_object(theirs)
                return
            time.sleep(0.005)

    other = threading.Thread(target=someone_else)
    other.start()
    result = run_deploy(NAME, "--model", MODEL)
    other.join()
    assert result.exit_code == 1
    error = result.stderr.splitlines()[-1]
    assert error.startswith(f"error: cannot create persistentvolumeclaim/nim-pvc-{NAME}: ")
    assert "already exists" in error
    # The ServingRuntime went out in the same batch as the PVC: it is rolled back too.
    assert f"; rolled back {SR}/{NAME}, secret/nvidia-nim-image-pull-{NAME}, " \
           f"secret/nvidia-nim-secrets-{NAME}" in error
    pvc = project.get("PersistentVolumeClaim", f"nim-pvc-{NAME}")
    assert pvc is not None and pvc["metadata"]["labels"] == {"owner": "someone-else"}
    assert project.get("Secret", f"nvidia-nim-secrets-{NAME}") is None


def test_rollback_failure_is_reported(run_deploy, project):
    project.server.fail("POST", r"/servingruntimes\?fieldManager", 500)
    project.server.fail("DELETE", rf"/secrets/nvidia-nim-image-pull-{NAME}", 500)
    result = run_deploy(NAME, "--model", MODEL)
    assert result.exit_code == 1
    error = result.stderr.splitlines()[-1]
    assert f"rolled back persistentvolumeclaim/nim-pvc-{NAME}, secret/nvidia-nim-secrets-{NAME}" \
        in error
    assert f"COULD NOT delete secret/nvidia-nim-image-pull-{NAME} (" in error
    assert "; delete by hand" in error
    # Honest: the one it could not delete is still there, the others are gone.
    assert project.get("Secret", f"nvidia-nim-image-pull-{NAME}") is not None
    assert project.get("Secret", f"nvidia-nim-secrets-{NAME}") is None


@pytest.mark.parametrize("index", range(5))
def test_apply_rollback_deletes_only_what_this_run_created(run_deploy, project, index):
    """With --apply, objects that existed before (here: the pull secret and the PVC, left from an
    earlier run) are applied to but never deleted by the rollback."""
    for i in (1, 2):
        kind = "Secret" if i == 1 else "PersistentVolumeClaim"
        project.server.put_object({"apiVersion": "v1", "kind": kind, "metadata": {
            "name": refs()[i].split("/")[1], "namespace": NS}})
    plural = PATHS[index][1].split("\\")[0]   # apply PATCHes the object's own path
    project.server.fail("PATCH", rf"{plural}/{refs()[index].split('/')[1]}\?fieldManager", 500)
    existed = {k for k in state(project.server)}
    result = run_deploy(NAME, "--model", MODEL, "--apply")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(f"error: cannot apply {refs()[index]}: ")
    created_before_failure = [r for i, r in enumerate(refs()[:FIRST_BATCH])
                              if i not in (1, 2, index)]
    expected = ("rolled back " + ", ".join(reversed(created_before_failure))
                if created_before_failure else "nothing was created")
    assert f"; {expected};" in result.stderr
    assert set(state(project.server)) == existed
    assert not any(m == "DELETE" and ("image-pull" in p or "nim-pvc" in p)
                   for m, p in writes(project.server))


# --- Ctrl-C during the writes --------------------------------------------------------------------

def _objects(name=NAME):
    from kubectl_nim.domain import render
    from kubectl_nim.app.local_catalog import load_embedded
    from kubectl_nim.app.discovery import embedded_template

    model = load_embedded().get(MODEL)
    options = render.DeployOptions(name=name, namespace=NS, model=model, tag="latest")
    return render.render_deployment(options, embedded_template(), KEY)


# What a run hands deploy's writes: its clock, its pauses, its console (here: real time, no
# console; these tests read the error).
RUN = dict(sleep=time.sleep, clock=time.monotonic, now=FakeClock().now, warn=lambda text: None,
           patience=None)


def test_interrupt_between_writes_rolls_back(project):
    from kubectl_nim.app import deploy_write as deploy
    from kubectl_nim.adapters.kube.cluster import Cluster

    cluster = Cluster.connect(kubeconfig=project.kubeconfig, env=Environment.default())
    before = state(project.server)

    def interrupt_after_the_pvc(outcome):
        if outcome.ref.startswith("persistentvolumeclaim/"):
            raise KeyboardInterrupt

    with pytest.raises(deploy.DeployFailed) as caught:
        deploy.write(cluster, _objects(), on_written=interrupt_after_the_pvc, **RUN)
    assert for_error(caught.value) == 130
    # Progress is reported once the whole first batch answered: the ServingRuntime exists too.
    assert str(caught.value) == (
        f"interrupted; rolled back {SR}/{NAME}, persistentvolumeclaim/nim-pvc-{NAME}, "
        f"secret/nvidia-nim-image-pull-{NAME}, secret/nvidia-nim-secrets-{NAME}")
    assert state(project.server) == before


def test_interrupt_during_a_create_undoes_it_too(project):
    """Ctrl-C while a create is in flight: the server may have carried it out."""
    from kubectl_nim.app import deploy_write as deploy
    from kubectl_nim.adapters.kube.cluster import Cluster

    cluster = Cluster.connect(kubeconfig=project.kubeconfig, env=Environment.default())
    before = state(project.server)
    real_create = cluster.create

    def create(obj, **kw):
        answer = real_create(obj, **kw)
        if obj["kind"] == "ServingRuntime":
            raise KeyboardInterrupt  # after the server created it, before we saw the answer
        return answer

    cluster.create = create
    with pytest.raises(deploy.DeployFailed) as caught:
        deploy.write(cluster, _objects(), **RUN)
    assert str(caught.value).startswith(
        f"interrupted while creating {SR}/{NAME}; rolled back {SR}/{NAME}, "
        f"persistentvolumeclaim/nim-pvc-{NAME}, ")
    assert state(project.server) == before


# --- which transport failures may have been carried out --------------------------------------------

def _failing_create(cluster, kind, error, create_first):
    real_create = cluster.create

    def create(obj, **kw):
        if obj["kind"] == kind:
            if create_first:
                real_create(obj, **kw)  # the server got it; the answer never came back
            raise error
        return real_create(obj, **kw)
    cluster.create = create


def test_dropped_connection_is_treated_as_possibly_created(project):
    from kubectl_nim.app import deploy_write as deploy
    from kubectl_nim.adapters.kube.cluster import Cluster
    from kubectl_nim.adapters.kube.transport import Unreachable

    cluster = Cluster.connect(kubeconfig=project.kubeconfig, timeout=0.2, env=Environment.default())
    before = state(project.server)
    dropped = cluster._unreachable(
        Unreachable("other", "Server disconnected without sending a response."), "POST", "/x")
    _failing_create(cluster, "ServingRuntime", dropped, create_first=True)
    with pytest.raises(deploy.DeployFailed) as caught:
        deploy.write(cluster, _objects(), **RUN)
    assert f"rolled back {SR}/{NAME}, persistentvolumeclaim/" in str(caught.value)
    assert state(project.server) == before


@pytest.mark.parametrize("kind,detail", [("refused", "connection refused"),
                                         ("dns", "host name not found"),
                                         ("tls", "certificate verify failed")])
def test_request_that_never_left_is_not_waited_for(project, kind, detail):
    from kubectl_nim.app import deploy_write as deploy
    from kubectl_nim.adapters.kube.cluster import Cluster
    from kubectl_nim.adapters.kube.transport import Unreachable

    cluster = Cluster.connect(kubeconfig=project.kubeconfig, timeout=5, env=Environment.default())
    error = cluster._unreachable(Unreachable(kind, detail), "POST", "/x")
    _failing_create(cluster, "ServingRuntime", error, create_first=False)
    started = time.monotonic()
    with pytest.raises(deploy.DeployFailed) as caught:
        deploy.write(cluster, _objects(), **RUN)
    assert time.monotonic() - started < 2  # no grace period spent on it
    assert "may still be created" not in str(caught.value)
    assert not any(m == "DELETE" and "servingruntimes" in p for m, p in writes(project.server))


def test_apply_hang_beyond_the_grace_says_apply(run_deploy, project):
    project.server.fail("PATCH", rf"/inferenceservices/{NAME}\?fieldManager", 0, hang_seconds=0.7)
    result = run_deploy(NAME, "--model", MODEL, "--apply", "--request-timeout", "0.15s")
    assert result.exit_code == 1
    assert f"{ISVC}/{NAME} may still be created by the server (its apply timed out)" \
        in result.stderr


# --- the first batch goes out at once ------------------------------------------------------------

def test_independent_objects_are_written_at_once(run_deploy, project):
    """The secrets, the PVC and the ServingRuntime are sent together: four slow creates cost
    the wall time of one, and the InferenceService waits for all of them."""
    for index in range(FIRST_BATCH):
        method, path, nth = PATHS[index]
        project.server.fail(method, path, 0, nth=nth, hang_seconds=0.6)
    started = time.monotonic()
    result = run_deploy(NAME, "--model", MODEL)
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.stderr
    assert elapsed < 4 * 0.6 - 0.4, f"{elapsed:.2f}s: the first batch was not concurrent"
    sent = [p for m, p in writes(project.server) if m == "POST"]
    assert sent[-1].endswith("/inferenceservices")
