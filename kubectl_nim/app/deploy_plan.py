"""The options of a deployment as `deploy` resolves them, shared by `deploy` and `diff`.

Catalog, model, tag, name, disconnected mode and the runtime Template are resolved here, once, so
`diff` renders exactly what `deploy --apply` with the same flags would send.
"""

from __future__ import annotations

from typing import Any, Mapping

from kubectl_nim import log


def build_options(session, p: Mapping[str, Any], *, client_only: bool = False):
    """(render.DeployOptions, template) from deploy's flags `p`; UsageError/NotFound for flags
    that cannot work, before anything is asked for or sent."""
    from kubectl_nim import catalog as catalog_mod, names, render

    local = bool(p["offline"] or p["catalog_file"])
    catalog = session.catalog(p["catalog_file"], p["offline"], notice=False, with_template=True)
    model = catalog.get(p["model_name"])
    tag = catalog_mod.resolve_tag(model, p["tag"])
    if model.eu_restricted:
        log.warn(f"{model.name} is restricted in the European Union: NVIDIA refuses to serve it "
                 f"(HTTP 451) to EU locations, so pulls from such a cluster will fail")

    namespace = session.options.namespace if (client_only and local) else session.namespace
    name = p["name"] or names.derive_deployment_name(model.name, namespace)
    names.validate_deployment_name(name, namespace)

    disconnected = p["disconnected"]
    if not local:
        disconnected = bool(session.settings.disconnected.value)
    template, template_source = session.template(offline=local)
    if not local:  # one notice naming both sources the cluster decided on
        log.notice(f"Using the {catalog.source} and the {template_source}.")

    options = render.DeployOptions(
        name=name, namespace=namespace, model=model, tag=tag, display_name=p["display_name"],
        pvc_size=p["pvc_size"], storage_class=p["storage_class"],
        existing_pvc=p["existing_pvc"], pvc_subpath=p["pvc_subpath"], gpus=p["gpus"],
        cpu_request=p["cpu_request"], cpu_limit=p["cpu_limit"],
        memory_request=p["memory_request"], memory_limit=p["memory_limit"],
        hardware_profile=p["hardware_profile"],
        hardware_profile_namespace=p["hardware_profile_namespace"],
        min_replicas=p["min_replicas"], max_replicas=p["max_replicas"],
        deployment_mode=p["deployment_mode"], env=render.parse_assignments(p["env"], "--env"),
        expose=p["expose"], disconnected=disconnected, skip_secrets=p["skip_secrets"],
        template_params=render.parse_assignments(p["template_params"], "--template-param"))
    return options, template
