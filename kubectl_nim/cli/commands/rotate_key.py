"""`rotate-key`: put a new NVIDIA key into one deployment's secrets and restart its predictor."""

from __future__ import annotations

import click

from kubectl_nim import log
from kubectl_nim.cli.options import (check_restart_flags, dry_run_option, field_manager_option,
                                     get_globals, global_options, key_options, ngc_options,
                                     parse_duration, restart_options, skip_key_validation_option,
                                     validated)
from kubectl_nim.cli.options import get_environment


@click.command("rotate-key")
@click.argument("name", callback=validated("subdomain", "deployment name"))
@key_options
@skip_key_validation_option
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
    from kubectl_nim.app.session import Session
    from kubectl_nim.cli.api_key import obtain_key
    from kubectl_nim.cli.output import result_line
    from kubectl_nim.cli.restart import restart_step
    from kubectl_nim.domain import nim_runtime

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
        for ref, action in secret_writes.preview(plan.targets, namespace, key, plan.current):
            click.echo(result_line(ref, action, dry_run))
    else:
        secret_writes.write_secrets(cluster, namespace, plan.targets, key,
                                    dry_run=dry_run == "server", current=plan.current,
                                    sleep=get_environment().sleep,
                                    on_written=lambda w: click.echo(
                                        result_line(w.ref, w.action, dry_run)))
    restart_step(cluster, dep, dry_run, no_restart, wait, timeout,
                 "the secrets hold the new key")
