"""The restart step of the verbs that change a deployment's secrets (rotate-key, migrate)."""

from __future__ import annotations

import click

from kubectl_nim import log
from kubectl_nim.cli.options import get_environment, parse_duration
from kubectl_nim.cli.output import result_line


def restart_step(cluster, dep, dry_run: str, no_restart: bool, wait: bool, timeout: str,
                 done_what: str) -> None:
    """Restart the predictor after the secrets changed (and --wait for it); explain failures
    without hiding that the secrets are already done."""
    from kubectl_nim.app import predictor_restart
    from kubectl_nim.domain import nim_runtime
    from kubectl_nim.domain.refs import kind_ref
    from kubectl_nim.errors import ClusterError, Day2Error

    ref = kind_ref("InferenceService", dep.name)
    if no_restart:
        log.notice(f"Not restarting {ref}: its running pods keep the old key until they restart "
                   f"(re-run with the restart, or delete the pods).")
        return
    if dep.isvc is None:
        log.warn(f"there is no {ref}: nothing to restart")
        return
    if dry_run == "client":
        click.echo(result_line(ref, "restarted", dry_run))
        return
    try:
        env = get_environment()
        stamp, answer = predictor_restart.restart(cluster, dep.namespace, dep.name,
                                                  dry_run=dry_run == "server", sleep=env.sleep,
                                                  now=env.now)
    except ClusterError as e:
        raise Day2Error(
            f"{done_what}, but restarting {ref} failed: {e.message}",
            hint=f"the running pods keep the old key until they restart; re-run the same "
                 f"command (it converges) or set the annotation {nim_runtime.RESTART_ANNOTATION} "
                 f"on spec.predictor.annotations by hand") from None
    click.echo(result_line(ref, "restarted", dry_run))
    if wait and dry_run == "none":
        from kubectl_nim.app.wait import Reporter

        generation = (answer.get("metadata") or {}).get("generation")
        log.notice(f"Waiting up to {timeout} for the new predictor pods of {dep.name}...")
        predictor_restart.wait_restarted(cluster, dep.name, dep.namespace, stamp, generation,
                                         parse_duration(timeout),
                                         Reporter(click.echo, env.stderr_isatty),
                                         clock=env.clock, wait=env.sleep)
