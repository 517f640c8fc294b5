"""`rotate-key`: put a new NVIDIA key into one deployment's secrets and restart its predictor."""

from __future__ import annotations

import click

from kubectl_nim.cli.options import rotation_options, validated
from kubectl_nim.cli.context import get_globals
from kubectl_nim.cli.context import get_environment


@click.command("rotate-key")
@click.argument("name", callback=validated("subdomain", "deployment name"))
@rotation_options
def command(name, api_key_file, skip_key_validation, no_restart, wait, timeout, dry_run,
            ngc_api_url):
    """Replace the NVIDIA API key of one deployment, and restart it.

    Reads the deployment's ServingRuntime, finds the secrets it really references (the
    NGC_API_KEY env's secret and the nvcr.io pull secret), checks the new key with NVIDIA, then
    updates both secrets with optimistic concurrency: both end with the new key, or, if a write
    fails, both keep the old one. The predictor is then restarted by a timestamp annotation
    (KServe rolls the pods; a new pod starts before the old one stops, so a free GPU is needed
    for a while). No other deployment is touched.

    \b
    Examples:
      kubectl nim rotate-key llama --api-key-file new-key.txt --wait
      NGC_API_KEY=nvapi-... kubectl nim rotate-key llama -n team --no-restart
    """
    from kubectl_nim.app import rotate_key
    from kubectl_nim.app.session import Session
    from kubectl_nim.cli.api_key import key_reader, key_validator
    from kubectl_nim.cli.output import result_printer
    from kubectl_nim.cli.restart import restart_settings

    env = get_environment()
    restart = restart_settings(no_restart, wait, timeout, env)
    options = get_globals()
    session = Session(options, env)
    rotate_key.rotate(session.cluster, session.namespace, name,
                      new_key=key_reader(api_key_file, env),
                      validate_key=key_validator(skip_key_validation, ngc_api_url,
                                                 options.request_timeout, "rotate-key", env),
                      dry_run=dry_run, restart=restart, emit=result_printer(dry_run), env=env)
