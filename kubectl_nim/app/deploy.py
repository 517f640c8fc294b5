"""`deploy`, one action: plan (options, template, objects), then run (the preflight with NVIDIA's
key check, the writes, the project's marker, the secrets' ownership, the wait).

The click command builds a `DeployRequest` (every flag combination checked there) and hands it
here with what the run provides: how to read and check the key, where progress goes, the
Environment. `diff` is `plan` plus a compare (app/diff), so it refuses whatever deploy refuses.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Optional

from kubectl_nim.app import Emit
from kubectl_nim.domain.deploy_options import DeployOptions
from kubectl_nim.domain.deploy_request import DeployRequest
from kubectl_nim.domain.dry_run import DryRun
from kubectl_nim.environment import Environment


@dataclass(frozen=True)
class KeySource:
    """How the plan gets the NVIDIA key: `read()` reads it (personal keys only) or returns None
    when none was given and none is needed (diff: the Secrets are then left out); `offered`: the
    user named a key (--api-key-file), worth a warning when it is going to be ignored."""
    read: Callable[[], Optional[str]]
    offered: bool = False


@dataclass(frozen=True)
class Plan:
    options: DeployOptions
    objects: list                 # every object deploy writes, in order (domain/render)
    key: Optional[str] = None     # the key in the Secrets (None: no Secrets)


@dataclass(frozen=True)
class Result:
    plan: Plan
    objects: list                 # what was written (the server's answers) or would be


def plan(session, request: DeployRequest, key_source: KeySource) -> Plan:
    """Resolve the options (app/deploy_plan), read the key when the Secrets need one, render
    (pure, checks the rest before the key leaves the machine). Nothing is written."""
    from kubectl_nim.app.deploy_plan import build_options
    from kubectl_nim.domain import render

    options, template = build_options(session, request)
    key = None
    if options.disconnected:
        if key_source.offered:
            session.env.warn("the cluster is disconnected: key collection is disabled, the key is ignored")
    elif options.creates_secrets:  # not with --skip-secrets, nor on the project's key
        key = key_source.read()
        if key is None:
            options = dataclasses.replace(options, skip_secrets=True)
    return Plan(options, render.render_deployment(options, template, key), key)


def deploy(session, request: DeployRequest, *, key_source: KeySource,
           validate_key: Optional[Callable[[str], None]], emit: Emit,
           reporter: Callable, env: Environment) -> Result:
    """Plan, then write as `request.dry_run` says. `validate_key(key)` asks NVIDIA (None: not
    checked); `emit(ref, action)` reports each object written (or that would be); `reporter`
    shows the wait's progress (app/wait.Reporter)."""
    planned = plan(session, request, key_source)
    if not request.dry_run.sends:
        for obj in planned.objects:
            emit(_ref(obj), "created")
        return Result(planned, planned.objects)
    written = run(session.cluster, planned, request, validate_key, emit, env)
    if request.wait and request.dry_run.persists:
        from kubectl_nim.app.wait import wait_ready
        from kubectl_nim.domain.refs import kind_ref

        options = planned.options
        assert options.namespace is not None  # sent to a cluster: the session's (deploy_plan)
        env.notice(f"Waiting {request.wait_limit} for "
                   f"{kind_ref('InferenceService', options.name)} to become ready...")
        wait_ready(session.cluster, options.name, options.namespace, request.wait_timeout,
                   reporter, clock=env.clock, sleep=env.sleep, warn=env.warn,
                   watch=env.watch)
    return Result(planned, written)


def run(cluster, planned: Plan, request: DeployRequest,
        validate_key: Optional[Callable[[str], None]], emit: Emit, env: Environment) -> list:
    """The preflight with the key check alongside (nothing persists before NVIDIA accepted the
    key), then the writes with the project's marker and the secrets' ownership in the last
    batch, rolled back on a failure. Returns the server's answers."""
    from kubectl_nim.app import deploy_preflight, deploy_write

    key = planned.key
    namespace = planned.options.namespace
    assert namespace is not None  # sent to a cluster: the session's namespace (deploy_plan)
    # It runs on a worker thread, outside click's context: everything it needs is passed in.
    key_check = None if key is None or validate_key is None else (lambda: validate_key(key))
    checked = deploy_preflight.check_with_key(
        cluster, planned.objects, namespace, key_check, warn=env.warn, apply=request.apply,
        force_conflicts=request.force_conflicts, existing_pvc=planned.options.storage.existing)
    if not request.dry_run.persists:
        if checked.annotate:
            deploy_write.annotate_project(cluster, namespace, env.warn, dry_run=DryRun.SERVER)
        for answer in checked.answers:
            emit(_ref(answer), "created")
        return list(checked.answers)
    outcomes = deploy_write.write(
        cluster, planned.objects, apply=request.apply, before=checked.before, checked=checked,
        on_written=lambda outcome: emit(outcome.ref, outcome.action), own_secrets=True,
        annotate_namespace=namespace if checked.annotate else None,
        sleep=env.sleep, clock=env.clock, now=env.now, warn=env.warn,
        patience=env.rollback_patience)
    return [o.obj for o in outcomes]


def _ref(obj: dict) -> str:
    from kubectl_nim.domain.refs import object_ref

    return object_ref(obj)
