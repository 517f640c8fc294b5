"""`delete`: remove one NIM deployment, and only what is its own."""

from __future__ import annotations

import click

from kubectl_nim import log
from kubectl_nim.errors import UsageError
from kubectl_nim.cli.options import dry_run_option, get_globals, global_options, validated
from kubectl_nim.cli.options import get_environment


@click.command("delete")
@click.argument("name", callback=validated("subdomain", "deployment name"))
@click.option("--delete-pvc", is_flag=True,
              help="Also delete the model cache PVC (kept if another ServingRuntime mounts it).")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--ignore-not-found", is_flag=True,
              help="Succeed when the deployment does not exist.")
@dry_run_option
@click.option("-o", "--output", type=click.Choice(["name"]),
              help="name: print only what was deleted, as kubectl -o name (for scripts).")
@global_options
def command(name, delete_pvc, yes, ignore_not_found, dry_run, output):
    """Delete a NIM deployment: InferenceService, ServingRuntime and its own secrets.

    The two secrets go when the ServingRuntime references them by the deployment's own names
    (nvidia-nim-secrets-NAME, nvidia-nim-image-pull-NAME, or the later naming nim-api-key-NAME,
    nim-image-pull-NAME) and nothing else uses them. The shared
    legacy secrets (nvidia-nim-secrets, ngc-secret) are never deleted here. The model cache PVC
    is kept unless --delete-pvc, and even then kept while another ServingRuntime mounts it.

    Asks for confirmation when run in a terminal; without a terminal (scripts, CI) it refuses
    unless --yes is given, so a pipeline never deletes by accident.
    """
    from kubectl_nim.app import day2
    from kubectl_nim.app import optimistic
    from kubectl_nim.cli.output import result_line
    from kubectl_nim.domain.refs import kind_ref
    from kubectl_nim.domain import nim_runtime
    from kubectl_nim.errors import Day2Error
    from kubectl_nim.app import delete as delete_reads
    from kubectl_nim.errors import ClusterError, NotFound
    from kubectl_nim.app.session import Session

    session = Session(get_globals(), get_environment())
    cluster, namespace = session.cluster, session.namespace
    try:
        dep = day2.find_deployment(cluster, namespace, name, require_runtime=False)
        if nim_runtime.is_foreign(dep.isvc, dep.runtime):
            raise Day2Error(
                f"{name!r} in {namespace} is not a NIM deployment (its runtime runs "
                f"{nim_runtime.runtime_image(dep.runtime) or 'no NIM image'})",
                hint="kubectl nim delete removes NIM deployments only; use oc delete for others")
        plan = delete_reads.plan(cluster, dep, delete_pvc)
    except NotFound as missing:
        # No InferenceService or runtime: an earlier delete may have stopped before the secrets.
        dep = nim_runtime.Deployment(name, namespace, None, None)
        plan = delete_reads.plan(cluster, dep, delete_pvc)
        if not plan.delete:
            if ignore_not_found:
                log.notice(f"No NIM deployment {name!r} in {namespace}; nothing to delete.")
                return
            raise missing from None
        log.notice(f"No InferenceService or ServingRuntime {name!r} in {namespace}; deleting "
                   f"what is left of it.")

    for ref, why in plan.kept:
        log.notice(f"Keeping {ref}: {why}.")
    if dry_run == "none" and not yes:
        if not get_environment().stdin_isatty:
            raise UsageError(f"refusing to delete {name!r} without confirmation: not running "
                             f"in a terminal",
                             hint="pass --yes to delete, or --dry-run=client to see what would go")
        click.echo(f"This deletes from project {namespace}:", err=True)
        for kind, obj_name in plan.delete:
            click.echo(f"  {kind_ref(kind, obj_name)}", err=True)
        if not click.confirm("Delete?", default=False, err=True):
            raise click.exceptions.Abort()

    deleted: list[str] = []
    for kind, obj_name in plan.delete:
        ref = kind_ref(kind, obj_name)
        if dry_run == "client":
            click.echo(ref if output == "name" else result_line(ref, "deleted", dry_run))
            continue
        try:
            gone = optimistic.delete_object(cluster, kind, obj_name, namespace,
                                      dry_run=dry_run == "server", sleep=get_environment().sleep)
        except KeyboardInterrupt as signal:
            # The delete in flight was finished first (interrupts.deferred): say where we are.
            from kubectl_nim import interrupts

            left = [kind_ref(k, n) for k, n in plan.delete[len(deleted) + 1:]]
            raise Day2Error(
                f"{interrupts.describe(signal)} while deleting {ref} (its delete was sent)",
                hint=(f"deleted {', '.join(deleted)}; " if deleted else "")
                + (f"still there: {', '.join(left)}; " if left else "")
                + "re-run the same command to finish",
                signal=signal) from None
        except ClusterError as e:
            left = [kind_ref(k, n) for k, n in plan.delete[len(deleted):]]
            raise Day2Error(
                f"cannot delete {ref}: {e.message}",
                hint=(f"deleted {', '.join(deleted)}; " if deleted else "nothing was deleted; ")
                + f"still there: {', '.join(left)}; re-run to finish"
                + (f"; {e.hint}" if e.hint else "")) from None
        deleted.append(ref)
        if output == "name":
            if gone or dry_run == "server":  # kubectl -o name lists what it deleted
                click.echo(ref)
            continue
        click.echo(result_line(ref, "deleted", dry_run) if gone or dry_run == "server"
                   else f"{ref} already gone")
        if kind == "PersistentVolumeClaim" and gone and dry_run == "none":
            delete_reads.say_if_terminating(cluster, obj_name, namespace)
