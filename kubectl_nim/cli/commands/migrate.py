"""`migrate`: move a deployment from the shared legacy secrets to its own."""

from __future__ import annotations

import click

from kubectl_nim.cli.options import (dry_run_option, field_manager_option, global_options,
                                     key_options, ngc_options, restart_options,
                                     secret_naming_option, skip_key_validation_option, validated)
from kubectl_nim.cli.context import get_globals
from kubectl_nim.errors import UsageError
from kubectl_nim.cli.context import get_environment


@click.command("migrate")
@click.argument("name", required=False,
                callback=validated("subdomain", "deployment name"))
@key_options
@click.option("--reuse-key", is_flag=True,
              help="Take the key from the shared secret instead of a new one (only a personal "
                   "nvapi- key; a legacy key is refused).")
@skip_key_validation_option
@click.option("--cleanup-shared", is_flag=True,
              help="Then delete nvidia-nim-secrets and ngc-secret if no ServingRuntime of the "
                   "project references them any more (NAME may be left out).")
@click.option("--from-project-account", is_flag=True,
              help="Also move a deployment that reads the project's NIM Account key (the "
                   "dashboard's NIM wizard) to its own secrets; the Account is left alone.")
@secret_naming_option("new secrets")
@restart_options
@dry_run_option
@ngc_options
@field_manager_option
@global_options
def command(name, api_key_file, reuse_key, skip_key_validation, cleanup_shared,
            from_project_account, secret_naming,
            no_restart, wait, timeout, dry_run, ngc_api_url):
    """Give a deployment made with the shared secrets its own secrets.

    Deployments made by today's dashboard integration read the key from the project-wide
    secrets nvidia-nim-secrets and ngc-secret. This creates nvidia-nim-secrets-NAME and
    nvidia-nim-image-pull-NAME (on clusters of the later generation nim-api-key-NAME and
    nim-image-pull-NAME; see --secret-naming) from a new key, or with --reuse-key from the
    shared secret,
    points the ServingRuntime's NGC_API_KEY env and imagePullSecrets at them, restarts the
    predictor and checks the result. At every step the ServingRuntime references secrets that
    exist: if a step fails, what this run created is removed again or left harmless, and
    re-running finishes the job.

    \b
    Examples:
      kubectl nim migrate llama --api-key-file key.txt
      kubectl nim migrate llama --reuse-key --cleanup-shared
      kubectl nim migrate --cleanup-shared -n team
    """
    from kubectl_nim.app import day2, migrate
    from kubectl_nim.app.session import Session
    from kubectl_nim.cli.api_key import key_reader, key_validator
    from kubectl_nim.cli.output import result_printer
    from kubectl_nim.cli.restart import restart_settings

    if not name and not cleanup_shared:
        raise UsageError("name the deployment to migrate (or use --cleanup-shared alone)")
    if reuse_key and api_key_file:
        raise UsageError("--reuse-key takes the key from the shared secret; drop --api-key-file")
    env = get_environment()
    restart = restart_settings(no_restart, wait, timeout, env)
    options = get_globals()
    session = Session(options, env)
    cluster, namespace = session.cluster, session.namespace
    emit = result_printer(dry_run)

    switched = None
    if name:
        dep = day2.find_deployment(cluster, namespace, name, action="migrate")
        new_key = None if reuse_key else key_reader(
            api_key_file, env, "or pass --reuse-key to keep the key of the shared secret")
        if migrate.migrate(cluster, dep, new_key=new_key,
                           validate_key=key_validator(skip_key_validation, ngc_api_url,
                                                      options.request_timeout, "migrate", env),
                           naming_of_cluster=lambda: session.secret_naming(secret_naming).value,
                           dry_run=dry_run, restart=restart, emit=emit, env=env,
                           from_project_account=from_project_account):
            switched = dep.runtime_name
    if cleanup_shared:
        migrate.cleanup_shared_secrets(cluster, namespace, dry_run, emit, env,
                                       switched if not dry_run.persists else None)
