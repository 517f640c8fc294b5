"""`delete`: remove one NIM deployment, and only what is its own."""

from __future__ import annotations

import click

from kubectl_nim import log
from kubectl_nim.errors import UsageError
from kubectl_nim.cli.options import dry_run_option, global_options, validated
from kubectl_nim.cli.context import get_globals
from kubectl_nim.cli.context import get_environment


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
    legacy secrets (nvidia-nim-secrets, ngc-secret) are never deleted here. The CA bundle
    ConfigMap of `deploy --ca-bundle` (nim-proxy-ca-NAME) goes too, unless it is not the
    deployment's own (another deployment mounts it, a cache Job owns it, or it lacks deploy's
    label). The model cache PVC is kept unless --delete-pvc, and even then kept while another
    ServingRuntime mounts it.

    Asks for confirmation when run in a terminal; without a terminal (scripts, CI) it refuses
    unless --yes is given, so a pipeline never deletes by accident.
    """
    from kubectl_nim.app import delete as app
    from kubectl_nim.app.session import Session
    from kubectl_nim.cli.output import result_line
    from kubectl_nim.domain.refs import kind_ref

    env = get_environment()
    session = Session(get_globals(), env)
    cluster, namespace = session.cluster, session.namespace
    plan = app.find_plan(cluster, namespace, name, delete_pvc, ignore_not_found, env)
    if plan is None:
        return
    for ref, why in plan.kept:
        log.notice(f"Keeping {ref}: {why}.")
    if dry_run.persists and not yes:
        if not env.stdin_isatty:
            raise UsageError(f"refusing to delete {name!r} without confirmation: not running "
                             f"in a terminal",
                             hint="pass --yes to delete, or --dry-run=client to see what would go")
        click.echo(f"This deletes from project {namespace}:", err=True)
        for kind, obj_name in plan.delete:
            click.echo(f"  {kind_ref(kind, obj_name)}", err=True)
        if not click.confirm("Delete?", default=False, err=True):
            raise click.exceptions.Abort()

    def deleted(ref: str, gone: bool) -> None:
        if output == "name":
            if gone:  # kubectl -o name lists what it deleted
                click.echo(ref)
        else:
            click.echo(result_line(ref, "deleted", dry_run) if gone else f"{ref} already gone")

    app.execute(cluster, namespace, plan, dry_run, deleted, env)
