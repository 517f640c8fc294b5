"""`cache NAME` and `cache profiles MODEL`: run the NIM image's own tools in a Job (docs/airgap.md).

`create` validates the key with NVIDIA first, then writes the objects of domain/cache_job in
order (secrets, CA ConfigMap, PVC, Job), gives the secrets an ownerReference to the Job, records
what is cached on an `--existing-pvc`, and with `wait` follows the Job: on failure the pod's log
is returned and everything this run created is deleted again. `profiles` runs
`list-model-profiles` the same way, always waits, returns the pod's output and deletes its
objects whatever happened. Both take the run's `Environment`: its clock and sleep for the
wait, its console for the warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from kubectl_nim import log
from kubectl_nim.adapters.kube.cluster import ApiError, Cluster
from kubectl_nim.domain import cache_job
from kubectl_nim.domain.refs import object_ref
from kubectl_nim.environment import Environment
from kubectl_nim.errors import ClusterError, NimError

LOG_TAIL = 40  # lines of the failed pod's log shown


class CacheFailed(NimError):
    """The cache Job failed, or a write of the run did (after the rollback)."""

    def __init__(self, message: str, hint: Optional[str] = None, logs: tuple[str, ...] = (),
                 signal: Optional[BaseException] = None):
        super().__init__(message, hint, signal=signal)
        self.logs = logs


@dataclass
class Run:
    """What one run wrote, for the rollback: created objects and the PVC's former annotations."""

    created: list = field(default_factory=list)
    patched_pvc: Optional[dict] = None   # the existing PVC as it was before the record


@dataclass(frozen=True)
class Settings:
    wait: bool = False
    timeout: float = 1800.0
    dry_run_server: bool = False
    interval: float = 2.0


def create(cluster: Cluster, options: cache_job.CacheOptions, objects: list[dict],
           key_check: Optional[Callable[[], object]], settings: Settings,
           emit: Callable[[str, str], None], env: Environment,
           report: Callable[[cache_job.JobState], None] = lambda s: None) -> list[dict]:
    """Write `objects` (from cache_job.render_cache); return what the server answered."""
    namespace = options.namespace or cluster.namespace
    if key_check is not None:
        key_check()  # KeyRejected / NvidiaUnreachable before anything is written
    _preflight(cluster, options, objects, namespace, env.warn)
    if settings.dry_run_server:
        answers = [cluster.create(obj, dry_run=True) for obj in objects]
        for obj in answers:
            emit(object_ref(obj), "created")
        return answers
    run = Run()
    try:
        answers = _write(cluster, options, objects, namespace, run, emit)
    except ClusterError as error:
        raise _rolled_back(cluster, run, namespace,
                           f"writing the cache objects failed: {error.message}",
                           error.hint, env=env) from None
    except KeyboardInterrupt as signal:
        from kubectl_nim import interrupts

        raise _rolled_back(cluster, run, namespace,
                           f"{interrupts.describe(signal)} while writing the cache objects",
                           None, signal=signal, env=env) from None
    if settings.wait:
        state = follow(cluster, options.job_name, namespace, settings, report, env)
        if state.failed:
            logs = job_logs(cluster, options.name, namespace, warn=env.warn)
            raise _rolled_back(cluster, run, namespace,
                               f"{object_ref(answers[-1])} failed: {state.reason}",
                               "the pod's log is above; fix the cause (key, proxy, "
                               "profile, disk size) and run cache again", logs, env=env)
        _drop_secrets(cluster, objects, namespace, env.warn)
    return answers


def _preflight(cluster: Cluster, options, objects, namespace,
               warn: Callable[[str], None]) -> None:
    from kubectl_nim.app import deploy_preflight

    if options.storage.existing:
        deploy_preflight.check_existing_claim(cluster, options.storage.existing, namespace, warn)
    from kubectl_nim.adapters.kube.cluster import concurrently

    found = concurrently(lambda obj: cluster.get_or_none(obj["kind"], obj["metadata"]["name"],
                                                         namespace), objects)
    for obj, answer in zip(objects, found):
        if isinstance(answer, ClusterError):
            raise answer
        if answer is not None:
            way = f"fill it with --existing-pvc {obj['metadata']['name']}, or choose another " \
                  f"name" if obj["kind"] == "PersistentVolumeClaim" else \
                f"a cache named {options.name} was made before: delete its Job, or choose " \
                f"another name"
            raise CacheFailed(f"{object_ref(obj)} already exists in {namespace}", hint=way)


def _write(cluster, options, objects, namespace, run: Run, emit) -> list[dict]:
    answers = []
    for obj in objects:
        answer = cluster.create(obj)
        run.created.append(answer if isinstance(answer, dict) else obj)
        answers.append(answer)
        emit(object_ref(obj), "created")
    job = answers[-1]
    owner = cache_job.job_owner_reference(job)
    for obj in answers[:-1]:
        if obj.get("kind") in ("Secret", "ConfigMap"):  # they go with the Job
            cluster.patch(obj["kind"], obj["metadata"]["name"],
                          {"metadata": {"ownerReferences": [owner]}}, namespace)
    if options.storage.existing:
        pvc = cluster.get("PersistentVolumeClaim", options.storage.existing, namespace)
        run.patched_pvc = pvc
        cluster.patch("PersistentVolumeClaim", options.storage.existing,
                      {"metadata": {"annotations": cache_job.record(options)}}, namespace)
        emit(object_ref(pvc), "annotated")
    return answers


def _rolled_back(cluster, run: Run, namespace, message, hint, logs=(),
                 signal=None, *, env: Environment) -> CacheFailed:
    from kubectl_nim.app.deploy_rollback import rollback, rollback_hint

    if run.patched_pvc is not None:
        _restore_annotations(cluster, run.patched_pvc, namespace, env.warn)
    undone = rollback(cluster, run.created, sleep=env.sleep, clock=env.clock,
                      patience=env.rollback_patience)
    return CacheFailed(message, hint=rollback_hint(undone, hint), logs=tuple(logs),
                       signal=signal)


def _restore_annotations(cluster, pvc: dict, namespace: str,
                         warn: Callable[[str], None]) -> None:
    from kubectl_nim.domain.names import (CACHE_MODEL_ANNOTATION, CACHE_PROFILE_ANNOTATION,
                                          CACHE_TAG_ANNOTATION)

    before = (pvc.get("metadata") or {}).get("annotations") or {}
    keys = (CACHE_MODEL_ANNOTATION, CACHE_TAG_ANNOTATION, CACHE_PROFILE_ANNOTATION)
    try:
        cluster.patch("PersistentVolumeClaim", pvc["metadata"]["name"],
                      {"metadata": {"annotations": {k: before.get(k) for k in keys}}}, namespace)
    except ClusterError as e:
        warn(f"could not restore the annotations of the PVC: {e.message}")


def _drop_secrets(cluster, objects, namespace, warn: Callable[[str], None]) -> None:
    """The download is done: the key has no reason to stay in the project."""
    for obj in objects:
        if obj["kind"] == "Secret":
            try:
                cluster.delete("Secret", obj["metadata"]["name"], namespace)
            except ClusterError as e:
                if not (isinstance(e, ApiError) and e.not_found):
                    warn(f"could not delete {object_ref(obj)} ({e.message}); it goes with "
                         f"the Job (ownerReference)")


def follow(cluster: Cluster, job: str, namespace: str, settings: Settings,
           report: Callable[[cache_job.JobState], None], env: Environment) -> cache_job.JobState:
    """Poll the Job until it completes or fails; NimError at the deadline (the Job keeps
    running; an interruption says so)."""
    from kubectl_nim import caller

    try:
        return _follow(cluster, job, namespace, settings, report, env)
    except KeyboardInterrupt as signal:
        from kubectl_nim import interrupts

        raise NimError(f"{interrupts.describe(signal)} while waiting for job/{job}; it keeps "
                       f"running", hint=f"follow it with `{caller.tool()} get job {job} -n "
                                        f"{namespace} -w`", signal=signal) from None


def _follow(cluster: Cluster, job: str, namespace: str, settings: Settings,
            report: Callable[[cache_job.JobState], None], env: Environment) -> cache_job.JobState:
    from kubectl_nim import caller
    from kubectl_nim.adapters import retry

    deadline = env.clock() + settings.timeout
    failures = 0
    while True:
        try:
            state = cache_job.job_state(cluster.get_or_none("Job", job, namespace))
        except ClusterError as error:
            if not (error.status is None or retry.transient_status(error.status)) \
                    or env.clock() >= deadline:
                raise
            failures += 1
            env.sleep(min(retry.POLLING.delay(failures), settings.interval * 5))
            continue
        if not state.done:
            state = _with_pod_problem(cluster, job, namespace, state)
        report(state)
        if state.done:
            return state
        if env.clock() >= deadline:
            raise NimError(f"timed out after {settings.timeout:g}s waiting for job/{job}: "
                           f"{state.summary}",
                           hint=f"it keeps running: `{caller.tool()} get job {job} -n "
                                f"{namespace} -w`, its log: `{caller.tool()} logs job/{job} "
                                f"-n {namespace}`")
        env.sleep(min(settings.interval, max(0.0, deadline - env.clock())))


def _with_pod_problem(cluster, job, namespace, state):
    """The state with why its pod does not run (image pull, scheduling), when it says so."""
    from dataclasses import replace

    from kubectl_nim.domain.names import CACHE_JOB_LABEL

    cache = job[len(cache_job.JOB_PREFIX):] if job.startswith(cache_job.JOB_PREFIX) else \
        job[len(cache_job.PROFILES_JOB_PREFIX):]
    try:
        pods = cluster.list("Pod", namespace, label_selector=f"{CACHE_JOB_LABEL}={cache}")
    except ClusterError as e:
        log.debug(f"cannot list the Job's pods: {e.message}")
        return state
    problem = cache_job.pod_problem(pods)
    return replace(state, summary=f"{state.summary} ({problem})") if problem else state


def job_logs(cluster: Cluster, cache: str, namespace: str, tail: Optional[int] = LOG_TAIL, *,
             warn: Callable[[str], None]) -> tuple[str, ...]:
    """The log of the Job's newest pod (empty when there is none or it cannot be read)."""
    from kubectl_nim.domain.names import CACHE_JOB_LABEL

    try:
        pods = cluster.list("Pod", namespace, label_selector=f"{CACHE_JOB_LABEL}={cache}")
    except ClusterError as e:
        warn(f"cannot list the Job's pods for their log: {e.message}")
        return ()
    if not pods:
        return ()
    newest = max(pods, key=lambda p: str((p.get("metadata") or {}).get("creationTimestamp")
                                         or ""))
    name = (newest.get("metadata") or {}).get("name")
    if not isinstance(name, str) or not name:
        return ()
    query = [("container", cache_job.CONTAINER)] + \
        ([("tailLines", str(tail))] if tail is not None else [])
    try:
        text = cluster.request_text("GET", f"/api/v1/namespaces/{namespace}/pods/{name}/log",
                                    query=query)
    except ClusterError as e:
        warn(f"cannot read the log of pod/{name}: {e.message}")
        return ()
    return tuple(text.splitlines())


def profiles(cluster: Cluster, options: cache_job.CacheOptions, objects: list[dict],
             key_check: Optional[Callable[[], object]], settings: Settings, env: Environment,
             report: Callable[[cache_job.JobState], None] = lambda s: None) -> tuple[str, ...]:
    """Run `list-model-profiles`; return its output; delete its objects whatever happens."""
    namespace = options.namespace or cluster.namespace
    if key_check is not None:
        key_check()
    job_name = objects[-1]["metadata"]["name"]
    _preflight(cluster, options, objects, namespace, env.warn)
    run = Run()
    try:
        _write(cluster, options, objects, namespace, run, lambda ref, action: None)
        state = follow(cluster, job_name, namespace, settings, report, env)
        output = job_logs(cluster, options.name, namespace, tail=None, warn=env.warn)
        if state.failed:
            raise CacheFailed(f"job/{job_name} failed: {state.reason}",
                              hint="its log is above", logs=output[-LOG_TAIL:])
        return output
    finally:
        from kubectl_nim.app.deploy_rollback import rollback

        undone = rollback(cluster, run.created, sleep=env.sleep, clock=env.clock,
                          patience=env.rollback_patience)
        if undone.left:
            env.warn("could not delete " + ", ".join(undone.left) + "; delete by hand")


def hardware_profile_placement(session, name: str, namespace: Optional[str]):
    """The node selector, tolerations and GPU count of HardwareProfile `name` (in `namespace`,
    else the applications namespace, else the project): domain/cache_job.profile_scheduling."""
    from kubectl_nim.errors import NotFound

    ns = namespace or session.settings.apps_namespace.value or session.namespace
    try:
        profile = session.cluster.get("HardwareProfile", name, ns)
    except ApiError as e:
        if e.not_found:
            raise NotFound(f"hardware profile {name} not found in {ns}",
                           hint=f"list them with `kubectl get hardwareprofiles."
                                f"infrastructure.opendatahub.io -n {ns}`, or pass "
                                f"--hardware-profile-namespace") from None
        raise
    return cache_job.profile_scheduling(profile, name)
