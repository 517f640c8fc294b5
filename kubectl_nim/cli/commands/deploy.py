"""`deploy`: create a NIM deployment exactly the way the OpenShift AI dashboard does."""

from __future__ import annotations

import re

import click

from kubectl_nim.cli import completion
from kubectl_nim import log
from kubectl_nim.errors import UsageError
from kubectl_nim.cli.options import (catalog_source_options, dry_run_option,
                                     field_manager_option, get_globals, global_options,
                                     key_options, key_scope_option, ngc_options,
                                     parse_duration, secret_naming_option, skip_key_validation_option, validated,
                                     wait_timeout_option)
from kubectl_nim.cli.options import get_environment


def _deployment_name(ctx, param, value):
    """An empty NAME is an error, never "derive one" (issue 10). Names that could address
    something else (empty, dots, slashes) are refused at parse time, before any request; the
    full rule (case, length against the project) runs once, when the options are built
    (render.DeployOptions, after the model's warnings)."""
    from kubectl_nim.domain import names

    if value is not None and not re.fullmatch(r"[-A-Za-z0-9]+", value):
        names.validate_deployment_name(value)
    return value


def _positive(ctx, param, value):
    if value is not None and value < 0:
        raise click.BadParameter("must be 0 or more", ctx=ctx, param=param)
    return value


@click.command("deploy")
@click.argument("name", required=False, callback=_deployment_name)
@click.option("--model", "model_name", required=True, metavar="MODEL",
              shell_complete=completion.model_names,
              help="Catalog name of the NIM model (see `models`).")
@click.option("--tag", metavar="TAG", shell_complete=completion.model_tags,
              help="Image tag (default: latestTag when it is a concrete version, else the "
                   "newest concrete tag; a floating tag such as latest is allowed with a "
                   "warning).")
@click.option("--display-name", metavar="TEXT", help="Name shown in the dashboard.")
@click.option("--pvc-size", default="30Gi", show_default=True, metavar="SIZE",
              help="Size of the model cache PVC.")
@click.option("--storage-class", metavar="NAME",
              callback=validated("subdomain", "storage class name"), help="Storage class of the cache PVC.")
@click.option("--existing-pvc", metavar="NAME",
              callback=validated("subdomain", "PVC name"), help="Reuse this PVC instead of creating one.")
@click.option("--pvc-subpath", metavar="PATH", help="Sub-path inside --existing-pvc.")
@click.option("--gpus", type=int, callback=_positive, metavar="N",
              help="GPUs (nvidia.com/gpu) requested and limited (default: the template's).")
@click.option("--cpu-request", metavar="CPU", help="CPU request (default: the template's).")
@click.option("--cpu-limit", metavar="CPU", help="CPU limit (default: the template's).")
@click.option("--memory-request", metavar="MEM", help="Memory request (default: the template's).")
@click.option("--memory-limit", metavar="MEM", help="Memory limit (default: the template's).")
@click.option("--hardware-profile", metavar="NAME",
              callback=validated("subdomain", "hardware profile name"), help="Hardware profile to annotate.")
@click.option("--hardware-profile-namespace", metavar="NS",
              callback=validated("label", "hardware profile namespace"),
              help="Namespace of the hardware profile.")
# --min/--max-replicas and --deployment-mode are checked once, by render.DeployOptions (for
# deploy and diff alike): 0 <= min <= max, max >= 1, a known mode.
@click.option("--min-replicas", type=int, default=1, show_default=True,
              help="Minimum predictor replicas.")
@click.option("--max-replicas", type=int, default=1, show_default=True,
              help="Maximum predictor replicas (at least 1).")
@click.option("--deployment-mode", metavar="MODE", default="RawDeployment", show_default=True,
              shell_complete=completion.deployment_modes,
              help="KServe deployment mode: RawDeployment or Serverless.")
@click.option("--env", "env", multiple=True, metavar="KEY=VALUE",
              help="Environment variable for the model container (repeatable).")
@click.option("--expose", is_flag=True, help="Make the model reachable through an external route.")
@click.option("--template-param", "template_params", multiple=True,
              metavar="NAME=VALUE", help="Parameter of a runtime Template that declares some.")
@key_options
@skip_key_validation_option
@click.option("--skip-secrets", is_flag=True,
              help="Render/create everything but the two Secrets (they come from elsewhere).")
@click.option("--disconnected", is_flag=True,
              help="Deploy for a disconnected cluster: no key, no secrets (default: the "
                   "cluster's nimConfig or DataScienceCluster air-gap flag).")
@secret_naming_option("secrets")
@key_scope_option
@dry_run_option
@click.option("-o", "--output", type=click.Choice(["yaml", "json", "name"]),
              help="Print the objects (yaml, json) or their names instead of progress lines.")
@click.option("--apply", "use_apply", is_flag=True,
              help="Server-side apply (field manager kubectl-nim): re-runs converge.")
@click.option("--force-conflicts", is_flag=True,
              help="With --apply: take over fields another manager owns (as kubectl does).")
@click.option("--wait", is_flag=True, help="Wait until the InferenceService is Ready.")
@wait_timeout_option
@catalog_source_options
@ngc_options
@field_manager_option
@global_options
def command(name, model_name, tag, display_name, pvc_size, storage_class, existing_pvc,
            pvc_subpath, gpus, cpu_request, cpu_limit, memory_request, memory_limit,
            hardware_profile, hardware_profile_namespace, min_replicas, max_replicas,
            deployment_mode, env, expose, template_params, api_key_file, skip_key_validation,
            skip_secrets, disconnected, secret_naming, key_scope, dry_run, output, use_apply,
            force_conflicts, wait, timeout, catalog_file, offline, ngc_api_url):
    """Deploy a NIM model: per-deployment secrets, PVC, ServingRuntime and InferenceService.

    NAME defaults to a name derived from the model. Everything is checked first (names, model
    and tag, then the key with NVIDIA alongside every write with dryRun=All); if a write still
    fails, what this run created is deleted again.

    \b
    Examples:
      NGC_API_KEY=nvapi-... kubectl nim deploy --model llama-3.1-8b-instruct -n team
      kubectl nim deploy llama --model llama-3.1-8b-instruct --api-key-file key.txt --wait
      kubectl nim deploy --model llama-3.1-8b-instruct --offline --skip-secrets \\
          --dry-run=client -o yaml | kubectl apply -f -
    """
    from kubectl_nim.domain import render
    from kubectl_nim.app.session import Session

    if pvc_subpath and not existing_pvc:
        raise UsageError("--pvc-subpath needs --existing-pvc")
    wait_timeout = parse_duration(timeout)
    client_only = dry_run == "client"
    # Not `env`: that name is the --env flag, which build_options reads from locals().
    run_env = get_environment()
    session = Session(get_globals(), run_env)

    from kubectl_nim.app.deploy_plan import build_options

    options, template = build_options(session, locals(), client_only=client_only)
    name, namespace, disconnected = options.name, options.namespace, options.disconnected

    key = None
    if disconnected:
        if api_key_file:
            log.warn("the cluster is disconnected: key collection is disabled, the key is ignored")
    elif options.creates_secrets:  # not with --skip-secrets, nor on the project's key
        key = _read_key(api_key_file, client_only, run_env)
    # Rendering is pure and checks the rest (requests within limits, template parameters)
    # before the key leaves the machine.
    objects = render.render_deployment(options, template, key)
    if client_only:
        _print_objects(objects, output, dry_run)
        return
    if force_conflicts and not use_apply:
        raise UsageError("--force-conflicts goes with --apply")
    # NVIDIA is asked while the preflight's dry runs are on the API server; nothing is written
    # before it has accepted the key (app/deploy_preflight.check_with_key).
    # (It runs on a worker thread, outside click's context: everything it needs is passed in.)
    key_check = None if key is None or skip_key_validation else \
        (lambda: _validate_with_nvidia(key, ngc_api_url, session.options.request_timeout,
                                             run_env))
    _send(session, objects, namespace, output, use_apply, dry_run == "server", run_env,
          force_conflicts, existing_pvc, key_check)
    if wait and dry_run == "none":
        from kubectl_nim.app.wait import Reporter, wait_ready

        from kubectl_nim.domain.refs import kind_ref

        log.notice(f"Waiting up to {timeout} for {kind_ref('InferenceService', name)} to become "
                   f"ready...")
        wait_ready(session.cluster, name, namespace, wait_timeout,
                   Reporter(click.echo, run_env.stderr_isatty), clock=run_env.clock,
                   sleep=run_env.sleep)


def _read_key(api_key_file, client_only, env):
    from kubectl_nim.cli import api_key
    from kubectl_nim.domain import keys

    try:
        key = api_key.read_api_key(api_key_file, env)
    except UsageError as e:
        if client_only:
            raise UsageError(
                "the two Secrets need the NVIDIA API key, and none was given",
                hint="provide it (--api-key-file PATH, - for stdin, or NGC_API_KEY), or pass "
                     "--skip-secrets to render everything but the Secrets") from None
        raise e
    return keys.ensure_personal(key)


def _validate_with_nvidia(key, base_url, request_timeout, env):
    from kubectl_nim.app import keycheck

    keycheck.validate(key, base_url, request_timeout, verb="deploy", sleep=env.sleep)


def _print_objects(objects, output, dry_run="none"):
    from kubectl_nim.cli.output import result_line
    from kubectl_nim.domain.formats import dump_json, dump_yaml_documents, kube_list
    from kubectl_nim.domain.refs import object_ref

    if output == "yaml":
        click.echo(dump_yaml_documents(objects), nl=False)
    elif output == "json":
        click.echo(dump_json(kube_list(objects)), nl=False)
    elif output == "name":
        for obj in objects:
            click.echo(object_ref(obj))
    else:
        for obj in objects:
            click.echo(result_line(object_ref(obj), "created", dry_run))


def _send(session, objects, namespace, output, use_apply, server_dry_run, env,
          force_conflicts=False, existing_pvc=None, key_check=None):
    from kubectl_nim.app import deploy, deploy_preflight
    from kubectl_nim.cli.output import result_line

    cluster = session.cluster
    checked = deploy_preflight.check_with_key(cluster, objects, namespace, key_check,
                                              apply=use_apply, force_conflicts=force_conflicts,
                                              existing_pvc=existing_pvc)
    annotate, before = checked.annotate, checked.before
    if server_dry_run:
        if annotate:
            deploy.annotate_project(cluster, namespace, dry_run=True)
        _print_objects(checked.answers, output, "server")
        return

    def progress(outcome):
        if output is None:
            click.echo(result_line(outcome.ref, outcome.action))
        elif output == "name":
            click.echo(outcome.ref)

    # The project's marker and the secrets' ownerReferences go out with the last batch; a
    # rollback removes the marker again.
    outcomes = deploy.write(cluster, objects, apply=use_apply, before=before, checked=checked,
                            on_written=progress, own_secrets=True,
                            annotate_namespace=namespace if annotate else None,
                            sleep=env.sleep, clock=env.clock)
    if output in ("yaml", "json"):
        _print_objects([o.obj for o in outcomes], output)
