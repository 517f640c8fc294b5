"""The restart flags of the verbs that change a deployment's secrets (rotate-key, migrate), as
their use cases take them (app/predictor_restart.Restart)."""

from __future__ import annotations

import click

from kubectl_nim.cli.options import parse_duration, wait_limit
from kubectl_nim.errors import UsageError
from kubectl_nim.environment import Environment


def restart_settings(no_restart: bool, wait: bool, timeout: str, env: Environment):
    """--no-restart / --wait / --timeout, checked; --wait shows its progress on stderr, redrawn
    in place on a terminal."""
    from kubectl_nim.app.predictor_restart import Restart
    from kubectl_nim.app.wait import Reporter

    if wait and no_restart:
        raise UsageError("--wait needs a restart; drop --no-restart or --wait")
    return Restart(skip=no_restart, wait=wait, wait_limit=wait_limit(timeout),
                   timeout=parse_duration(timeout),
                   reporter=Reporter(click.echo, bool(env.stderr_isatty), env.clock))
