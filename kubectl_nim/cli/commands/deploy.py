"""`deploy`: create a NIM deployment exactly the way the OpenShift AI dashboard does."""

from __future__ import annotations

import re

import click

from kubectl_nim.cli import completion
from kubectl_nim.errors import UsageError
from kubectl_nim.cli.options import (catalog_source_options, dry_run_option, field_manager_option,
                                     global_options, key_options, key_scope_option, ngc_options,
                                     parse_duration, profile_option, proxy_options,
                                     secret_naming_option, skip_key_validation_option, validated,
                                     wait_limit, wait_timeout_option)
from kubectl_nim.cli.context import get_environment, get_globals


def _deployment_name(ctx, param, value):
    """An empty NAME is an error, never "derive one" (docs/design.md#names). Names that could address
    something else (empty, dots, slashes) are refused at parse time, before any request; the
    full rule (case, length against the project) runs once, when the options are built
    (domain/deploy_options.DeployOptions, after the model's warnings)."""
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
# --min/--max-replicas and --deployment-mode are checked once, by domain/deploy_values.Scaling
# (for deploy and diff alike): 0 <= min <= max, max >= 1, a known mode.
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
@profile_option
@proxy_options
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
def command(**flags):
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
    from kubectl_nim.app import deploy
    from kubectl_nim.app.session import Session
    from kubectl_nim.app.wait import Reporter
    from kubectl_nim.cli.api_key import key_reader, key_validator

    request = deploy_request(**flags)
    env = get_environment()
    options = get_globals()
    session = Session(options, env)
    client_only = not request.dry_run.sends
    key_source = deploy.KeySource(key_reader(flags["api_key_file"], env,
                                             missing=_NO_KEY_FOR_CLIENT if client_only else None),
                                  offered=flags["api_key_file"] is not None)
    result = deploy.deploy(
        session, request, key_source=key_source,
        validate_key=key_validator(flags["skip_key_validation"], flags["ngc_api_url"],
                                   options.request_timeout, "deploy", env),
        emit=_progress(request), reporter=Reporter(click.echo, env.stderr_isatty, env.clock),
        env=env)
    if request.output in ("yaml", "json"):
        _print_objects(result.objects, request.output)


def deploy_request(*, name, model_name, tag, display_name, pvc_size, storage_class, existing_pvc,
                   pvc_subpath, gpus, cpu_request, cpu_limit, memory_request, memory_limit,
                   hardware_profile, hardware_profile_namespace, min_replicas, max_replicas,
                   deployment_mode, env, expose, template_params, skip_secrets, secret_naming,
                   force_conflicts, api_key_file=None, dry_run=None, output=None,
                   use_apply=False, wait=False, timeout="30m", skip_key_validation=False,
                   ngc_api_url=None, catalog_file=None, offline=False, disconnected=False,
                   profile=None, https_proxy=None, no_proxy=None, ca_bundle=None,
                   key_scope=None):
    """deploy's flags (and diff's, which has all of them but those that say how to write) as one
    DeployRequest: each concern's flags as one value of domain/deploy_values, checked when it is
    made, and every rule tying two flags together checked there, once."""
    from kubectl_nim.domain import deploy_values as values
    from kubectl_nim.domain.deploy_request import DeployRequest
    from kubectl_nim.domain.dry_run import DryRun

    return DeployRequest(
        name=name, model=model_name, tag=tag, display_name=display_name,
        storage=values.Storage(size=pvc_size, storage_class=storage_class,
                               existing=existing_pvc, subpath=pvc_subpath),
        compute=values.Compute(
            gpus=gpus, cpu_request=cpu_request, cpu_limit=cpu_limit,
            memory_request=memory_request, memory_limit=memory_limit,
            hardware_profile=values.HardwareProfileRef.given(hardware_profile,
                                                             hardware_profile_namespace)),
        scaling=values.Scaling(min_replicas=min_replicas, max_replicas=max_replicas,
                               mode=deployment_mode),
        nim=values.NimSettings(env=values.parse_assignments(env, "--env"), profile=profile,
                               proxy=_proxy(https_proxy, no_proxy, ca_bundle)),
        template_params=values.parse_assignments(template_params, "--template-param"),
        expose=expose, skip_secrets=skip_secrets, disconnected=disconnected,
        secret_naming=secret_naming, dry_run=DryRun.NONE if dry_run is None else dry_run,
        output=output, apply=use_apply, force_conflicts=force_conflicts, wait=wait,
        wait_timeout=parse_duration(timeout), wait_limit=wait_limit(timeout),
        catalog_file=catalog_file, offline=offline, key_scope=key_scope)


def _proxy(https_proxy, no_proxy, ca_bundle):
    """--https-proxy, --no-proxy, --ca-bundle (docs/airgap.md; the CA file read), or None."""
    if not (https_proxy or no_proxy or ca_bundle):
        return None
    from kubectl_nim.app import netproxy

    return netproxy.settings(https_proxy, no_proxy, ca_bundle)


# A client dry run without a key: say what needs it and how to do without.
_NO_KEY_FOR_CLIENT = UsageError(
    "the two Secrets need the NVIDIA API key, and none was given",
    hint="provide it (--api-key-file PATH, - for stdin, or NGC_API_KEY), or pass "
         "--skip-secrets to render everything but the Secrets")


def _progress(request):
    """Where deploy's `emit(ref, action)` goes: kubectl's lines, the names, or nowhere (-o
    yaml/json print the objects at the end)."""
    from kubectl_nim.cli.output import result_line

    if request.output is None:
        return lambda ref, action: click.echo(result_line(ref, action, request.dry_run))
    if request.output == "name":
        return lambda ref, action: click.echo(ref)
    return lambda ref, action: None


def _print_objects(objects, output):
    from kubectl_nim.domain.formats import dump_json, dump_yaml_documents, kube_list

    if output == "yaml":
        click.echo(dump_yaml_documents(objects), nl=False)
    else:
        click.echo(dump_json(kube_list(objects)), nl=False)
