"""`test`: an end-to-end smoke test of a NIM deployment (does the model answer?)."""

from __future__ import annotations

import click

from kubectl_nim.domain.model_kind import KINDS
from kubectl_nim.cli.options import global_options
from kubectl_nim.cli.context import get_globals
from kubectl_nim.cli.context import get_environment


@click.command("test")
@click.argument("name")
@click.option("--url", metavar="URL",
              help="Talk to this URL directly (a route, or a port-forward) instead of through "
                   "the API server's service proxy.")
@click.option("--prompt", metavar="TEXT", help="The text to send (default: a tiny one).")
@click.option("--kind", type=click.Choice(KINDS),
              help="Override the model kind the catalog gives.")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--timeout", default="5m", show_default=True, metavar="DURATION",
              help="Give up when the whole test takes longer (each request also has "
                   "--request-timeout).")
@global_options
def command(name, url, prompt, kind, output, timeout):
    """Check that NAME's model answers: list /v1/models, then one tiny request.

    LLMs get a chat completion (latency and tokens per second are printed), embedding models an
    embeddings request, reranking models a ranking of two passages; the catalog entry tells which.
    Requests go through the Kubernetes API server's service proxy with your kubeconfig's
    credentials, so no route or port-forward is needed. Exit 0 only when the model answered
    correctly.
    """
    from kubectl_nim.app import smoke_test as app
    from kubectl_nim.cli.output import dump_json
    from kubectl_nim.app.session import Session

    env = get_environment()
    session = Session(get_globals(), env)
    if url:
        from kubectl_nim.app import local_catalog

        send = app.direct(url, session.options.request_timeout, clock=env.clock)
        target, model, cat = url, None, local_catalog.load_embedded()
    else:
        from kubectl_nim.domain import list_rows
        from kubectl_nim.app.status import find_nim

        cluster, namespace = session.cluster, session.namespace
        observed = find_nim(cluster, namespace, name, events=False)
        base = app.target_of(observed, name)
        send = app.via_proxy(cluster, base, name, clock=env.clock)
        target = f"service proxy {base}"
        model = list_rows.make_row(observed.isvc or {}, observed.runtime).model
        cat = session.catalog(announce=False)
    from kubectl_nim.cli.options import parse_duration

    try:
        deadline = parse_duration(timeout) or app.MAX_DEADLINE
    except click.BadParameter as e:
        from kubectl_nim.errors import UsageError

        raise UsageError(f"--timeout: {e.message}") from None
    result = app.run(send, target, app.catalog_kind(cat, model), prompt, kind, deadline,
                     clock=env.clock)
    if output == "json":
        click.echo(dump_json(result.to_data()), nl=False)
        return
    click.echo(f"Testing {name} through {target}")
    for step in result.steps:
        click.echo(f"  {step.method:<4} {step.path:<22} {step.status}  {step.ms:7.0f} ms  "
                   f"{step.detail}")
    if result.reply:
        click.echo(f"  reply: {result.reply}")
    rate = result.tokens_per_second
    speed = f", {rate:.1f} tokens/s" if rate is not None else ""
    click.echo(f"OK: {result.model} answered ({result.kind}, "
               f"{result.steps[-1].ms:.0f} ms{speed})")
