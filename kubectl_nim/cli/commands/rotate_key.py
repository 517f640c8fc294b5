"""`rotate-key`: put a new NVIDIA key into one deployment's secrets and restart its predictor."""

from __future__ import annotations

import sys
from typing import Callable

import click

from kubectl_nim.errors import UsageError
from kubectl_nim.cli.options import (field_manager_option, get_globals, global_options, key_options,
                                 ngc_options, parse_duration, validated)

DRY_RUN = click.Choice(["none", "client", "server"])
SUFFIX = {"none": "", "client": " (dry run)", "server": " (server dry run)"}


def dry_run_option(f):
    return click.option("--dry-run", type=DRY_RUN, default="none", show_default=True,
                        help="client: only show what would change; server: send every write "
                             "with dryRun=All.")(f)


def restart_options(f):
    f = click.option("--timeout", default="30m", show_default=True, metavar="DURATION",
                     help="How long --wait waits.")(f)
    f = click.option("--wait", is_flag=True,
                     help="Wait until the restarted predictor pods are ready.")(f)
    f = click.option("--no-restart", is_flag=True,
                     help="Do not restart the predictor: running pods keep the old key until "
                          "they restart.")(f)
    return f


def key_reader(api_key_file) -> Callable[[], str]:
    """How a use case gets the new key when it needs one: read (never from argv), personal only."""
    def read() -> str:
        from kubectl_nim.cli import api_key
        from kubectl_nim.domain import keys

        return keys.ensure_personal(api_key.read_api_key(api_key_file))
    return read


def key_validator(skip_validation: bool, ngc_api_url: str, request_timeout,
                  verb: str) -> Callable[[str], None] | None:
    """The NVIDIA check of a key, or None with --skip-key-validation."""
    if skip_validation:
        return None

    def validate(key: str) -> None:
        from kubectl_nim.app import keycheck

        keycheck.validate(key, ngc_api_url, request_timeout, verb=verb)
    return validate


def check_restart_flags(no_restart: bool, wait: bool) -> None:
    if wait and no_restart:
        raise UsageError("--wait needs a restart; drop --no-restart or --wait")


def restart_settings(no_restart: bool, wait: bool, timeout: str):
    """--no-restart / --wait / --timeout as the use cases take them."""
    from kubectl_nim.app.rotate_key import Restart
    from kubectl_nim.app.wait import Reporter

    check_restart_flags(no_restart, wait)
    return Restart(skip=no_restart, wait=wait, timeout_text=timeout,
                   timeout=parse_duration(timeout), reporter=Reporter(click.echo,
                                                                      sys.stderr.isatty()))


def printer(dry_run: str) -> Callable[[str, str], None]:
    """Prints what a use case did, kubectl's way: `secret/x configured (dry run)`."""
    return lambda ref, action: click.echo(f"{ref} {action}{SUFFIX[dry_run]}")


@click.command("rotate-key")
@click.argument("name", callback=validated("subdomain", "deployment name"))
@key_options
@click.option("--skip-key-validation", is_flag=True,
              help="Do not check the new key with NVIDIA first.")
@restart_options
@dry_run_option
@ngc_options
@field_manager_option
@global_options
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

    restart = restart_settings(no_restart, wait, timeout)
    options = get_globals()
    session = Session(options)
    rotate_key.rotate(session.cluster, session.namespace, name,
                      new_key=key_reader(api_key_file),
                      validate_key=key_validator(skip_key_validation, ngc_api_url,
                                                 options.request_timeout, "rotate-key"),
                      dry_run=dry_run, restart=restart, emit=printer(dry_run))
