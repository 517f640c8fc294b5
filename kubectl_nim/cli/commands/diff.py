"""`diff`: what `deploy --apply` with the same flags would change, like `kubectl diff`."""

from __future__ import annotations

import click

from kubectl_nim.cli.context import get_environment, get_globals

# deploy's flags that decide how it writes, not what: meaningless for a diff.
# --offline/--catalog/--disconnected render without a cluster, which a diff needs.
NOT_FOR_DIFF = {"dry_run", "output", "use_apply", "wait", "timeout", "skip_key_validation",
                "ngc_api_url", "offline", "catalog_file", "disconnected"}


def _deploy_params():
    """deploy's own options (one definition): every flag deploy gains, diff gains too."""
    from kubectl_nim.cli.commands.deploy import command as deploy

    return [p for p in deploy.params if p.name not in NOT_FOR_DIFF]


def run(**params):
    """Show what `deploy NAME --apply [deploy flags]` would change: a unified diff per object.

    Each object is sent as a server-side apply with dryRun=All and the server's answer compared
    with the live object, server noise (managedFields, resourceVersion, uid, timestamps, status)
    stripped. Secret values are never shown: a changed key reads <redacted: old>/<redacted: new>.
    Exit 0: no change; 1: changes; 2 or more: error. The Secrets are compared only when a key
    is given (--api-key-file or NGC_API_KEY); there is no prompt.

    \b
    Example:
      kubectl nim diff llama --model llama-3.1-8b-instruct --gpus 2 -n team
    """
    from kubectl_nim.cli.exit_status import ExitStatus, for_error
    from kubectl_nim.errors import DiffFailed, NimError

    try:
        return _run(params)
    except NimError as e:
        if for_error(e) == ExitStatus.FAILURE:  # kubectl diff: 1 means "differences"
            raise DiffFailed(e.message, hint=e.hint, signal=e.signal) from None
        raise


def _run(params) -> int:
    from kubectl_nim import log
    from kubectl_nim.app import deploy, diff as app
    from kubectl_nim.app.session import Session
    from kubectl_nim.cli.api_key import key_reader
    from kubectl_nim.cli.commands.deploy import deploy_request
    from kubectl_nim.errors import UsageError

    # The request deploy --apply would make with these flags: the same rules, the same refusals.
    request = deploy_request(**params, use_apply=True)
    if not request.name:
        raise UsageError("name the deployment to compare: diff NAME --model MODEL ...")
    env = get_environment()
    session = Session(get_globals(), env)
    read = key_reader(params["api_key_file"], env, optional=True)

    def read_or_say():
        key = read()
        if key is None:
            log.notice("No key given (--api-key-file or NGC_API_KEY): the Secrets are not "
                       "compared.")
        return key

    planned = deploy.plan(session, request, deploy.KeySource(read_or_say))
    diffs = app.diff(session.cluster, planned.objects, warn=env.warn,
                     force_conflicts=request.force_conflicts)
    return _show(diffs)


def _show(diffs) -> int:
    """Unified diffs on stdout, or the KUBECTL_EXTERNAL_DIFF program's answer, as kubectl."""
    from kubectl_nim.cli import external_diff
    from kubectl_nim.errors import DiffFailed

    program = external_diff.command(get_environment().environ)
    if program is None:
        for item in diffs:
            click.echo(item.text, nl=False)
        return 1 if any(d.changed for d in diffs) else 0
    code, out, err = external_diff.run(program, diffs)
    click.echo(out, nl=False)
    if err:
        click.echo(err, nl=False, err=True)
    if code > 1:
        raise DiffFailed(f"{external_diff.VARIABLE} program {program[0]!r} failed (exit {code})")
    return code


command = click.Command("diff", callback=run, help=run.__doc__,
                        short_help="Show what deploy --apply would change (like kubectl diff).",
                        params=_deploy_params())  # global options included, as deploy has them
