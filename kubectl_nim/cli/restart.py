"""The restart flags of the verbs that change a deployment's secrets (rotate-key, migrate), as
their use cases take them (app/rotate_key.Restart)."""

from __future__ import annotations

import click

from kubectl_nim.cli.options import check_restart_flags, parse_duration
from kubectl_nim.environment import Environment


def restart_settings(no_restart: bool, wait: bool, timeout: str, env: Environment):
    """--no-restart / --wait / --timeout, checked; --wait shows its progress on stderr, redrawn
    in place on a terminal."""
    from kubectl_nim.app.rotate_key import Restart
    from kubectl_nim.app.wait import Reporter

    check_restart_flags(no_restart, wait)
    return Restart(skip=no_restart, wait=wait, timeout_text=timeout,
                   timeout=parse_duration(timeout),
                   reporter=Reporter(click.echo, env.stderr_isatty))
