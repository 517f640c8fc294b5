"""`project enable | status | rotate-key | disable`: the project's NIM Account, as the
dashboard's project settings manage it (docs/compatibility.md, per-project NIM Accounts)."""

from __future__ import annotations

import click

from kubectl_nim.cli.options import (dry_run_option, field_manager_option, global_options,
                                     key_options, ngc_options, rotation_options,
                                     skip_key_validation_option, wait_timeout_option)
from kubectl_nim.cli.context import get_environment, get_globals
from kubectl_nim.cli.print_flags import print_flags


@click.group("project")
def command():
    """Enable NIM on the project with one NVIDIA key for all its deployments, and manage it."""


def _session():
    from kubectl_nim.app.session import Session

    env = get_environment()
    options = get_globals()
    return Session(options, env), options, env


@command.command("enable")
@key_options
@skip_key_validation_option
@click.option("--wait", is_flag=True,
              help="Wait until the NIM controller validated the key (the Account is ready).")
@wait_timeout_option
@dry_run_option
@ngc_options
@field_manager_option
@global_options
def enable(api_key_file, skip_key_validation, wait, timeout, dry_run, ngc_api_url):
    """Enable NIM on the project: one key Secret and one NIM Account, as the dashboard does.

    The key (from --api-key-file, $NGC_API_KEY or a prompt) is checked with NVIDIA first; both
    objects are then tried with a server dry run, the Secret nvidia-nim-secrets is created, then
    the Account odh-nim-account (if that fails the Secret is removed again). The NIM controller
    then validates the key and makes the project's pull secret, ConfigMap and Template; with
    --wait this waits for it and reports a rejected key in the controller's words (exit 1).

    \b
    Examples:
      kubectl nim project enable -n team --api-key-file key.txt --wait
      NGC_API_KEY=nvapi-... kubectl nim project enable --dry-run=server
    """
    from kubectl_nim.app import project
    from kubectl_nim.cli.api_key import key_reader, key_validator
    from kubectl_nim.cli.options import parse_duration
    from kubectl_nim.cli.output import result_printer

    session, options, env = _session()
    seconds = parse_duration(timeout)
    project.enable(session.cluster, session.namespace, new_key=key_reader(api_key_file, env),
                   validate_key=key_validator(skip_key_validation, ngc_api_url,
                                              options.request_timeout, "project enable", env),
                   dry_run=dry_run, wait_timeout=seconds if wait else None,
                   emit=result_printer(dry_run), env=env)


@command.command("status")
@print_flags(sort=False)
@global_options
def status(printer):
    """Show the project's NIM Account: ready or not, its last validation, what it made, and
    which deployments use its key. kubectl's print flags: -o json|yaml|name|jsonpath=…|…"""
    from kubectl_nim.app import project

    session, _, _ = _session()
    data = project.status(session.cluster, session.namespace).to_data()
    click.echo(printer.one(data, text=lambda: _text(data),
                           name=f"account.nim.opendatahub.io/{data['name']}"), nl=False)


def _text(data: dict) -> str:
    """`project status` for a person: the verdict first, then the facts."""
    ready = {"True": "ready", "False": "not ready"}.get(data["ready"], "readiness unknown")
    lines = [f"{data['name']}: {ready}" + (f": {data['message']}" if data["message"] else "")]
    for cond in data["conditions"]:
        lines.append(f"  {cond['type']}={cond['status']}"
                     + (f" ({cond['reason']})" if cond["reason"] else "")
                     + (f": {cond['message']}" if cond["message"] else ""))
    facts = [("Key secret", data["keySecret"]), ("Validated", data["lastSuccessfulValidation"]
                                                  or "never"),
             ("Pull secret", data["pullSecret"]), ("ConfigMap", data["configMap"]),
             ("Template", data["template"]),
             ("Deployments", ", ".join(data["deployments"]) or "none")]
    lines += [f"{label + ':':<13}{value or '<none yet>'}" for label, value in facts]
    lines += [f"  {ref} {state}" for ref, state in data["objects"].items() if state != "present"]
    return "\n".join(lines) + "\n"


@command.command("rotate-key")
@rotation_options
def rotate_key(api_key_file, skip_key_validation, no_restart, wait, timeout, dry_run,
               ngc_api_url):
    """Replace the project's NVIDIA key, then restart the deployments that use it.

    Both data keys of the Account's key Secret are rewritten (optimistic concurrency) and the
    Account is annotated runtimes.opendatahub.io/nim-force-validation; once the NIM controller
    validated the new key and rewrote the pull secret (within --timeout), every deployment that
    reads the project key is restarted (--no-restart to skip; --wait for the new pods).
    """
    from kubectl_nim.app import project_rotate
    from kubectl_nim.cli.api_key import key_reader, key_validator
    from kubectl_nim.cli.output import result_printer
    from kubectl_nim.cli.restart import restart_settings

    session, options, env = _session()
    restart = restart_settings(no_restart, wait, timeout, env)
    project_rotate.rotate(session.cluster, session.namespace,
                          new_key=key_reader(api_key_file, env),
                          validate_key=key_validator(skip_key_validation, ngc_api_url,
                                                     options.request_timeout,
                                                     "project rotate-key", env),
                          dry_run=dry_run, restart=restart, emit=result_printer(dry_run),
                          env=env)


@command.command("disable")
@click.option("--force", is_flag=True,
              help="Disable even while deployments use the project key (they lose it on their "
                   "next restart).")
@dry_run_option
@field_manager_option
@global_options
def disable(force, dry_run):
    """Disable NIM on the project: delete its NIM Account, then its key Secret.

    Refused while deployments read the project key (they are named), unless --force. The NIM
    controller removes the Account's pull secret, ConfigMap and Template.
    """
    from kubectl_nim.app import project
    from kubectl_nim.cli.output import result_printer

    session, _, env = _session()
    project.disable(session.cluster, session.namespace, force=force, dry_run=dry_run,
                    emit=result_printer(dry_run), env=env)
