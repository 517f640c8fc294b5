"""`rotate-key`: put a new NVIDIA key into one deployment's secrets and restart its predictor."""

from __future__ import annotations

import copy

import click

from kubectl_nim import log
from kubectl_nim.errors import UsageError
from kubectl_nim.cli.options import (field_manager_option, get_globals, global_options, key_options,
                                 ngc_options, parse_duration, validated)
from kubectl_nim.cli.options import get_environment

DRY_RUN = click.Choice(["none", "client", "server"])
SUFFIX = {"none": "", "client": " (dry run)", "server": " (server dry run)"}


def dry_run_option(f):
    return click.option("--dry-run", type=DRY_RUN, default="none", show_default=True,
                        help="client: only show what would change; server: send every write "
                             "with dryRun=All.")(f)


def restart_options(f):
    f = click.option("--timeout", default="30m", show_default=True, metavar="DURATION",
                     help="How long --wait waits.")(f)
    f = click.option("--wait", is_flag=True,
                     help="Wait until the restarted predictor pods are ready.")(f)
    f = click.option("--no-restart", is_flag=True,
                     help="Do not restart the predictor: running pods keep the old key until "
                          "they restart.")(f)
    return f


def obtain_key(api_key_file, skip_validation: bool, client_only: bool, ngc_api_url: str,
               request_timeout, verb: str = "rotate-key") -> str:
    """The new key: read (never from argv), personal only, validated with NVIDIA unless told not
    to (or only printing a client dry run)."""
    from kubectl_nim.cli import api_key
    from kubectl_nim.domain import keys
    from kubectl_nim.app import keycheck

    key = keys.ensure_personal(api_key.read_api_key(api_key_file, get_environment()))
    if not (skip_validation or client_only):
        keycheck.validate(key, ngc_api_url, request_timeout, verb=verb,
                          sleep=get_environment().sleep)
    return key


def check_restart_flags(no_restart: bool, wait: bool) -> None:
    if wait and no_restart:
        raise UsageError("--wait needs a restart; drop --no-restart or --wait")


def restart_step(cluster, dep, dry_run: str, no_restart: bool, wait: bool, timeout: str,
                 done_what: str) -> None:
    """Restart the predictor after the secrets changed (and --wait for it); explain failures
    without hiding that the secrets are already done."""
    from kubectl_nim.app import predictor_restart
    from kubectl_nim.domain import nim_runtime
    from kubectl_nim.errors import Day2Error
    from kubectl_nim.errors import ClusterError

    ref = f"inferenceservice.serving.kserve.io/{dep.name}"
    if no_restart:
        log.notice(f"Not restarting {ref}: its running pods keep the old key until they restart "
                   f"(re-run with the restart, or delete the pods).")
        return
    if dep.isvc is None:
        log.warn(f"there is no InferenceService {dep.name}: nothing to restart")
        return
    if dry_run == "client":
        click.echo(f"{ref} restarted{SUFFIX[dry_run]}")
        return
    try:
        env = get_environment()
        stamp, answer = predictor_restart.restart(cluster, dep.namespace, dep.name,
                                     dry_run=dry_run == "server", sleep=env.sleep, now=env.now)
    except ClusterError as e:
        raise Day2Error(
            f"{done_what}, but restarting {ref} failed: {e.message}",
            hint=f"the running pods keep the old key until they restart; re-run the same "
                 f"command (it converges) or set the annotation {nim_runtime.RESTART_ANNOTATION} on "
                 f"spec.predictor.annotations by hand") from None
    click.echo(f"{ref} restarted{SUFFIX[dry_run]}")
    if wait and dry_run == "none":
        from kubectl_nim.app.wait import Reporter

        generation = (answer.get("metadata") or {}).get("generation")
        log.notice(f"Waiting up to {timeout} for the new predictor pods of {dep.name}...")
        predictor_restart.wait_restarted(cluster, dep.name, dep.namespace, stamp, generation,
                            parse_duration(timeout), Reporter(click.echo, env.stderr_isatty),
                            clock=env.clock, wait=env.sleep)


@click.command("rotate-key")
@click.argument("name", callback=validated("subdomain", "deployment name"))
@key_options
@click.option("--skip-key-validation", is_flag=True,
              help="Do not check the new key with NVIDIA first.")
@restart_options
@dry_run_option
@ngc_options
@field_manager_option
@global_options
def command(name, api_key_file, skip_key_validation, no_restart, wait, timeout, dry_run,
            ngc_api_url):
    """Replace the NVIDIA API key of one deployment, and restart it.

    Reads the deployment's ServingRuntime, finds the secrets it really references (the
    NGC_API_KEY env's secret and the nvcr.io pull secret), checks the new key with NVIDIA, then
    updates both secrets with optimistic concurrency: both end with the new key, or, if a write
    fails, both keep the old one. The predictor is then restarted by a timestamp annotation
    (KServe rolls the pods; a new pod starts before the old one stops, so a free GPU is needed
    for a while). No other deployment is touched.

    \b
    Examples:
      kubectl nim rotate-key llama --api-key-file new-key.txt --wait
      NGC_API_KEY=nvapi-... kubectl nim rotate-key llama -n team --no-restart
    """
    from kubectl_nim.app import day2
    from kubectl_nim.app import secret_writes
    from kubectl_nim.domain import nim_runtime
    from kubectl_nim.app.session import Session

    check_restart_flags(no_restart, wait)
    parse_duration(timeout)
    options = get_globals()
    session = Session(options, get_environment())
    cluster, namespace = session.cluster, session.namespace

    dep = day2.find_deployment(cluster, namespace, name)
    plan = day2.plan_rotation(cluster, dep)
    for ref, why in plan.skipped:
        log.notice(f"Leaving {ref} alone: {why}.")
    if not plan.targets:
        log.notice(f"Nothing to rotate: the ServingRuntime of {name!r} references no key secret "
                   f"(a disconnected deployment pulls through the cluster's global pull secret).")
        return

    key = obtain_key(api_key_file, skip_key_validation, dry_run == "client", ngc_api_url,
                     options.request_timeout)
    if not no_restart and dep.isvc is not None:
        log.warn(nim_runtime.double_capacity_warning(dep.isvc))

    if dry_run == "client":
        for target in plan.targets:
            before = plan.current.get(target.name)
            want = target.desired(namespace, key)(copy.deepcopy(before))
            action = "unchanged" if want is None else ("created" if before is None
                                                       else "configured")
            click.echo(f"secret/{target.name} {action}{SUFFIX[dry_run]}")
    else:
        secret_writes.write_secrets(cluster, namespace, plan.targets, key,
                           dry_run=dry_run == "server", current=plan.current,
                           sleep=get_environment().sleep,
                           on_written=lambda w: click.echo(f"{w.ref} {w.action}"
                                                           f"{SUFFIX[dry_run]}"))
    restart_step(cluster, dep, dry_run, no_restart, wait, timeout,
                 "the secrets hold the new key")
