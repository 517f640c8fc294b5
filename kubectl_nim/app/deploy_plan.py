"""The options of a deployment as `deploy` resolves them from its request, shared by `deploy`
and `diff`.

Catalog, model, tag, name, disconnected mode and the runtime Template are resolved here, once, so
`diff` renders exactly what `deploy --apply` with the same flags would send.
"""

from __future__ import annotations

from kubectl_nim.domain.deploy_request import DeployRequest


def build_options(session, request: DeployRequest):
    """(deploy_options.DeployOptions, template) for `request`; UsageError/NotFound for flags that
    cannot work, before anything is asked for or sent."""
    from kubectl_nim.domain import catalog as catalog_mod, deploy_options, names

    local = request.local
    client_only = not request.dry_run.sends
    session.probe_project_account = not local and request.key_scope != "deployment"
    catalog = session.catalog(request.catalog_file, request.offline, announce=False,
                              with_template=True)
    model = catalog.get(request.model)
    tag = catalog_mod.resolve_tag(model, request.tag)
    floating = catalog_mod.floating_tag_warning(model, tag)
    if floating:
        session.env.warn(floating)
    if model.eu_restricted:
        session.env.warn(f"{model.name} is restricted in the European Union: NVIDIA refuses to serve it "
                 f"(HTTP 451) to EU locations, so pulls from such a cluster will fail")

    namespace = session.options.namespace if (client_only and local) else session.namespace
    # Checked (case, length against the project) by DeployOptions below, before the notice.
    name = request.name if request.name is not None else \
        names.derive_deployment_name(model.name, namespace)

    disconnected = request.disconnected
    if not local and not disconnected:
        disconnected = bool(session.settings.disconnected.value)
        if disconnected:
            session.env.notice(f"The cluster is disconnected ({session.settings.disconnected.source}: "
                       f"{session.settings.disconnected.reason}): no key, no secrets.")
    template, template_source = session.template(offline=local)
    from kubectl_nim.app import key_scope
    scope = key_scope.resolve(session, name, namespace, request.key_scope, local=local,
                              disconnected=disconnected, skip_secrets=request.skip_secrets,
                              reapply=request.apply)
    if scope.template is not None:
        template, template_source = scope.template, scope.template_source
    secret_naming = request.secret_naming
    if request.apply and not (secret_naming or local or client_only):
        # Re-applying keeps the names the deployment already references, even if the cluster's
        # generation changed since: switching would leave the old pair behind.
        secret_naming = naming_in_use(session.cluster, name, namespace)
    naming = (secret_naming or names.SEED) if local else \
        session.secret_naming(secret_naming).value
    options = deploy_options.DeployOptions(
        name=name, namespace=namespace, model=model, tag=tag, display_name=request.display_name,
        storage=request.storage, compute=request.compute, scaling=request.scaling,
        nim=request.nim, expose=request.expose, disconnected=disconnected,
        skip_secrets=request.skip_secrets, template_params=request.template_params,
        secret_naming=naming, project_key=scope.project_key)
    if options.storage.existing and options.disconnected and not local:
        from kubectl_nim.app.cache_check import warn_on_profile

        warn_on_profile(session.cluster, options, session.env.warn)
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
