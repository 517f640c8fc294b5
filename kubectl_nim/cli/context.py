"""The run's context, as every verb and the completion functions reach it: the global options
(`GlobalOptions`, filled by the global flags' callbacks) and the run's `Environment`, both kept on
click's context. Its own module so that cli/options (the flags) and cli/completion (what a TAB
offers, which needs the kubeconfig) both use it without importing each other."""

from __future__ import annotations

import click

from kubectl_nim.app.connection import GlobalOptions
from kubectl_nim.environment import Environment


def get_globals(ctx: click.Context | None = None) -> GlobalOptions:
    ctx = ctx or click.get_current_context()
    return ctx.ensure_object(GlobalOptions)


# The key of the run's Environment in click's `ctx.meta` (set by cli/root.NimContext).
ENVIRONMENT = "kubectl_nim.environment"


def get_environment(ctx: click.Context | None = None) -> Environment:
    """The run's Environment (streams, terminals, clock, sleep, variables). A command invoked
    without the root group (a test of one verb) gets the process's own."""
    ctx = ctx or click.get_current_context()
    if ENVIRONMENT not in ctx.meta:
        ctx.meta[ENVIRONMENT] = Environment.default()
    return ctx.meta[ENVIRONMENT]
