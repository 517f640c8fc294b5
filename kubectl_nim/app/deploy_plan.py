"""The options of a deployment as `deploy` resolves them, shared by `deploy` and `diff`.

Catalog, model, tag, name, disconnected mode and the runtime Template are resolved here, once, so
`diff` renders exactly what `deploy --apply` with the same flags would send.
"""

from __future__ import annotations

from typing import Any, Mapping

from kubectl_nim import log


def build_options(session, p: Mapping[str, Any], *, client_only: bool = False):
    """(deploy_options.DeployOptions, template) from deploy's flags `p`; UsageError/NotFound for
    flags that cannot work, before anything is asked for or sent."""
    from kubectl_nim.domain import catalog as catalog_mod, deploy_options, names

    local = bool(p["offline"] or p["catalog_file"])
    catalog = session.catalog(p["catalog_file"], p["offline"], notice=False, with_template=True)
    model = catalog.get(p["model_name"])
    tag = catalog_mod.resolve_tag(model, p["tag"])
    floating = catalog_mod.floating_tag_warning(model, tag)
    if floating:
        log.warn(floating)
    if model.eu_restricted:
        log.warn(f"{model.name} is restricted in the European Union: NVIDIA refuses to serve it "
                 f"(HTTP 451) to EU locations, so pulls from such a cluster will fail")

    namespace = session.options.namespace if (client_only and local) else session.namespace
    # Checked (case, length against the project) by DeployOptions below, before the notice.
    name = p["name"] if p["name"] is not None else \
        names.derive_deployment_name(model.name, namespace)

    disconnected = p["disconnected"]
    if not local and not disconnected:
        disconnected = bool(session.settings.disconnected.value)
        if disconnected:
            log.notice(f"The cluster is disconnected ({session.settings.disconnected.source}: "
                       f"{session.settings.disconnected.reason}): no key, no secrets.")
    template, template_source = session.template(offline=local)
    secret_naming = p.get("secret_naming")
    if p.get("use_apply") and not (secret_naming or local or client_only):
        # Re-applying keeps the names the deployment already references, even if the cluster's
        # generation changed since: switching would leave the old pair behind.
        secret_naming = naming_in_use(session.cluster, name, namespace)
    naming = (secret_naming or names.SEED) if local else \
        session.secret_naming(secret_naming).value
    options = deploy_options.DeployOptions(
        name=name, namespace=namespace, model=model, tag=tag, display_name=p["display_name"],
        pvc_size=p["pvc_size"], storage_class=p["storage_class"],
        existing_pvc=p["existing_pvc"], pvc_subpath=p["pvc_subpath"], gpus=p["gpus"],
        cpu_request=p["cpu_request"], cpu_limit=p["cpu_limit"],
        memory_request=p["memory_request"], memory_limit=p["memory_limit"],
        hardware_profile=p["hardware_profile"],
        hardware_profile_namespace=p["hardware_profile_namespace"],
        min_replicas=p["min_replicas"], max_replicas=p["max_replicas"],
        deployment_mode=p["deployment_mode"],
        env=deploy_options.parse_assignments(p["env"], "--env"),
        expose=p["expose"], disconnected=disconnected, skip_secrets=p["skip_secrets"],
        secret_naming=naming,
        template_params=deploy_options.parse_assignments(p["template_params"], "--template-param"))
    if not local:  # one line naming both sources the cluster decided on; flags checked first
        session.announce_sources(template_source)
    return options, template


def naming_in_use(cluster, name, namespace):
    """The secret naming an existing ServingRuntime `name` references, or None."""
    from kubectl_nim.domain import nim_runtime
    from kubectl_nim.domain import names
    from kubectl_nim.errors import ClusterError

    try:
        runtime = cluster.get_or_none("ServingRuntime", name, namespace)
    except ClusterError:
        return None  # preflight reports what is wrong with the runtime
    found = [names.naming_of(name, n) for n in nim_runtime.runtime_refs(runtime).names]
    return next((n for n in found if n), None)
