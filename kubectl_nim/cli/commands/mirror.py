"""`mirror plan`: what an admin mirrors for a disconnected cluster, and applies there."""

from __future__ import annotations

import click

from kubectl_nim.cli.options import catalog_source_options, global_options, model_option, validated
from kubectl_nim.cli.context import get_environment, get_globals


@click.group("mirror")
def command():
    """Plan the images and catalog a disconnected cluster needs (oc-mirror)."""


@command.command("plan")
@model_option(multiple=True,
              help="Model to mirror (repeatable); :TAG picks a tag (a floating one such as "
                   "latest only when named so). Default: the model's default tag.")
@click.option("--all-tags", is_flag=True,
              help="Mirror every concrete version of each model given without a tag "
                   "(floating tags never).")
@click.option("--registry", metavar="HOST[/PATH]",
              help="The mirror registry: adds an ImageTagMirrorSet pointing nvcr.io there.")
@click.option("--part", "parts", multiple=True,
              type=click.Choice(["imageset", "itms", "catalog"]),
              help="Print only this part (repeatable): the ImageSetConfiguration, the "
                   "ImageTagMirrorSet or the catalog ConfigMap.")
@click.option("--catalog-name", metavar="NAME", callback=validated("subdomain", "ConfigMap name"),
              help="Name of the mirrored catalog ConfigMap (default: nim-models-mirrored).")
@catalog_source_options
@global_options
def plan(models, all_tags, registry, parts, catalog_name, catalog_file, offline):
    """Print what to mirror for MODELs and apply on the disconnected cluster, as YAML.

    One multi-document YAML: an oc-mirror v2 ImageSetConfiguration (mirror.additionalImages,
    concrete tags), with --registry an ImageTagMirrorSet redirecting nvcr.io to the mirror, and
    a catalog ConfigMap listing only the mirrored models and tags (load it on the disconnected
    side with `config set-custom-configmap NAME --from-file FILE`). The catalog comes from the
    cluster, --catalog FILE or --offline, as for `models`. Never needs the NVIDIA key.

    \b
    Examples:
      kubectl nim mirror plan --offline --model llama-3.1-8b-instruct \\
          --registry mirror.example.com:5000 > nim-mirror.yaml
      kubectl nim mirror plan --offline --model llama-3.1-8b-instruct --part imageset \\
          > isc.yaml && oc mirror -c isc.yaml file://nim-mirror --v2
    """
    from kubectl_nim import log
    from kubectl_nim.app import mirror
    from kubectl_nim.app.session import Session
    from kubectl_nim.domain.formats import dump_yaml_documents

    request = mirror.MirrorRequest(models=tuple(models), all_tags=all_tags, registry=registry,
                                   parts=tuple(parts), catalog_file=catalog_file,
                                   offline=offline, catalog_name=catalog_name)
    result = mirror.plan(Session(get_globals(), get_environment()), request)
    for warning in result.warnings:
        log.warn(warning)
    click.echo(dump_yaml_documents(result.documents), nl=False)
    log.notice(f"{len(result.images)} image(s) to mirror. {result.hint}.")
