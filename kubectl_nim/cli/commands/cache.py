"""`cache NAME --model M`: fill a PVC with a model's weights; `cache profiles M`: list its profiles."""

from __future__ import annotations

import click

from kubectl_nim import log
from kubectl_nim.cli import completion
from kubectl_nim.cli.options import (cache_target_options, catalog_source_options, dry_run_option,
                                     global_options, hardware_profile_options, key_options,
                                     model_option, ngc_options, parse_duration,
                                     pod_placement_options, profile_option, proxy_options,
                                     wait_option, wait_timeout_option)
from kubectl_nim.cli.context import get_environment, get_globals


class _CacheGroup(click.Group):
    """`cache NAME ...` runs `cache create NAME ...`; `cache profiles M` is the other verb."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["create", *args]
        return super().resolve_command(ctx, args)


@click.group("cache", cls=_CacheGroup)
def command():
    """Fill a PVC with a model's weights before a cluster is cut off (or list its profiles).

    `cache NAME --model M` is short for `cache create NAME --model M` (a cache named
    create or profiles needs the long form). The whole disconnected path: docs/airgap.md.
    """


@command.command("create")
@click.argument("name")
@model_option()
@profile_option
@cache_target_options
@pod_placement_options
@hardware_profile_options
@proxy_options
@key_options
@dry_run_option
@click.option("-o", "--output", type=click.Choice(["yaml", "json", "name"]),
              help="Print the objects (yaml, json) or their names instead of progress lines.")
@wait_option("Wait for the download; on failure show the pod's log and undo the run.")
@wait_timeout_option
@catalog_source_options
@ngc_options
@global_options
def create(name, model_name, profile, pvc_size, storage_class, existing_pvc, tag, node_selector,
           tolerations, gpus, hardware_profile, hardware_profile_namespace, https_proxy,
           no_proxy, ca_bundle, api_key_file, dry_run, output, wait, timeout, catalog_file,
           offline, ngc_api_url):
    """Fill a PVC with MODEL's weights: a Job runs the NIM image's download-to-cache.

    The key is validated with NVIDIA first and goes into a Secret of its own (never into the
    Job), owned by the Job; the PVC (nim-pvc-NAME, or --existing-pvc) is mounted where the
    runtime mounts its cache, and records the model, tag and profile it holds. A disconnected
    deploy then uses it: `deploy --existing-pvc nim-pvc-NAME --profile P`, no key.

    \b
    Examples:
      kubectl nim cache llama --model llama-3.1-8b-instruct --api-key-file key.txt --wait
      kubectl nim cache llama --model llama-3.1-8b-instruct --offline --dry-run=client -o yaml
    """
    _create(locals())


@command.command("profiles")
@click.argument("model_name", metavar="MODEL", shell_complete=completion.model_names)
@pod_placement_options
@hardware_profile_options
@proxy_options
@key_options
@wait_timeout_option
@catalog_source_options
@ngc_options
@global_options
def profiles(model_name, tag, node_selector, tolerations, gpus, hardware_profile,
             hardware_profile_namespace, https_proxy, no_proxy, ca_bundle, api_key_file,
             timeout, catalog_file, offline, ngc_api_url):
    """Print MODEL's profiles: a Job runs the NIM image's list-model-profiles.

    Run it on the kind of node the model will serve on (--node-selector, --toleration,
    --gpus): NIM tells which profiles fit the GPUs it sees. Everything it creates is deleted
    afterwards.
    """
    _profiles(locals())


def _options(session, p, name=None):
    """The model, tag and flags as cache_job.CacheOptions (usage errors before any key)."""
    from kubectl_nim.app import netproxy
    from kubectl_nim.domain import cache_job, catalog as catalog_mod, deploy_values

    local = bool(p["offline"] or p["catalog_file"])
    catalog = session.catalog(p["catalog_file"], p["offline"])
    model = catalog.get(p["model_name"])
    tag = catalog_mod.resolve_tag(model, p["tag"])
    for warning in filter(None, (catalog_mod.floating_tag_warning(model, tag),
                                 catalog_mod.eu_restricted_warning(model))):
        log.warn(warning)
    namespace = session.options.namespace if local and p.get("dry_run") == "client" \
        and not p.get("hardware_profile") else session.namespace
    selector = deploy_values.parse_assignments(p["node_selector"], "--node-selector")
    tolerations = tuple(cache_job.parse_toleration(t) for t in p["tolerations"])
    gpus = p["gpus"]
    hardware = deploy_values.HardwareProfileRef.given(p.get("hardware_profile"),
                                                      p.get("hardware_profile_namespace"))
    if hardware is not None:
        from kubectl_nim.app.cache import hardware_profile_placement

        selector, tolerations, gpus = cache_job.merged_placement(
            selector, tolerations, gpus,
            hardware_profile_placement(session, hardware.name, hardware.namespace))
    return cache_job.CacheOptions(
        name=name or p["name"], namespace=namespace, model=model, tag=tag,
        profile=p.get("profile"),
        storage=deploy_values.Storage(size=p.get("pvc_size") or "50Gi",
                                      storage_class=p.get("storage_class"),
                                      existing=p.get("existing_pvc")),
        node_selector=selector, tolerations=tolerations,
        compute=deploy_values.Compute(gpus=gpus),
        proxy=netproxy.settings(p["https_proxy"], p["no_proxy"], p["ca_bundle"]))


def _key(p, env, client_only=False):
    from kubectl_nim.cli import api_key
    from kubectl_nim.domain import keys
    from kubectl_nim.errors import UsageError

    try:
        return keys.ensure_personal(api_key.read_api_key(p["api_key_file"], env))
    except UsageError as e:
        if client_only:
            raise UsageError("the cache's Secret needs the NVIDIA API key, and none was given",
                             hint="provide it (--api-key-file PATH, - for stdin, or "
                                  "NGC_API_KEY)") from None
        raise e


def _key_check(key, p, session, env):
    """NVIDIA is asked from this machine, through its own network settings (HTTPS_PROXY...):
    --https-proxy and --ca-bundle describe the cluster's way out, for the Job."""
    from kubectl_nim.app import keycheck

    return lambda: keycheck.validate(key, p["ngc_api_url"], session.options.request_timeout,
                                     verb=None, sleep=env.sleep)


def _show_log(lines):
    """The failed pod's log on stderr, indented; a NIM that prints its environment must not
    show the key (every registered secret is masked)."""
    for line in lines:
        click.echo(log.redact(f"  {line}"), err=True)


def _print_objects(objects, output, dry_run="none"):
    from kubectl_nim.cli.output import result_line
    from kubectl_nim.domain.formats import dump_json, dump_yaml_documents, kube_list
    from kubectl_nim.domain.refs import object_ref

    if output == "yaml":
        click.echo(dump_yaml_documents(objects), nl=False)
    elif output == "json":
        click.echo(dump_json(kube_list(objects)), nl=False)
    else:
        for obj in objects:
            click.echo(object_ref(obj) if output == "name" else
                       result_line(object_ref(obj), "created", dry_run))


def _reporter(env):
    last = []

    def report(state):
        if not last or last[-1] != state.summary:
            click.echo(f"job: {state.summary}", err=True)
            last.append(state.summary)
    return report


def _create(p):
    from kubectl_nim.app import cache
    from kubectl_nim.app.session import Session
    from kubectl_nim.cli.output import result_line
    from kubectl_nim.domain import cache_job

    env = get_environment()
    session = Session(get_globals(), env)
    options = _options(session, p)
    client_only = p["dry_run"] == "client"
    key = _key(p, env, client_only)
    objects = cache_job.render_cache(options, key)
    if client_only:
        _print_objects(objects, p["output"], "client")
        return
    settings = cache.Settings(wait=p["wait"] and p["dry_run"] == "none",
                              timeout=parse_duration(p["timeout"]),
                              dry_run_server=p["dry_run"] == "server")

    def emit(ref, action):
        if p["output"] is None:
            click.echo(result_line(ref, action, p["dry_run"]))
        elif p["output"] == "name" and action == "created":
            click.echo(ref)

    try:
        answers = cache.create(session.cluster, options, objects,
                               _key_check(key, p, session, env), settings, emit, env,
                               _reporter(env))
    except cache.CacheFailed as e:
        _show_log(e.logs)
        raise
    if p["output"] in ("yaml", "json"):
        _print_objects(answers, p["output"])
    if settings.wait:
        click.echo(f"Cached {options.model.name}:{options.tag} (profile "
                   f"{options.recorded_profile}) on persistentvolumeclaim/{options.claim_name}; "
                   f"deploy it with --existing-pvc {options.claim_name}", err=True)


def _profiles(p):
    from kubectl_nim.app import cache
    from kubectl_nim.app.session import Session
    from kubectl_nim.domain import cache_job, names

    env = get_environment()
    session = Session(get_globals(), env)
    slug = names.derive_deployment_name(p["model_name"])[:cache_job.MAX_NAME - 10].rstrip("-")
    options = _options(session, p, name=slug)
    key = _key(p, env)
    job_name = cache_job.PROFILES_JOB_PREFIX + slug
    objects = cache_job.render_profiles(options, key, job_name)
    settings = cache.Settings(wait=True, timeout=parse_duration(p["timeout"]))
    try:
        lines = cache.profiles(session.cluster, options, objects,
                               _key_check(key, p, session, env), settings, env,
                               _reporter(env))
    except cache.CacheFailed as e:
        _show_log(e.logs)
        raise
    for line in lines:
        click.echo(log.redact(line))
