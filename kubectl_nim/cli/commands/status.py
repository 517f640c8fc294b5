"""`status`: is a NIM deployment serving, and if not, why and what to do."""

from __future__ import annotations

import click

from kubectl_nim.cli.options import global_options
from kubectl_nim.cli.context import get_environment, get_globals
from kubectl_nim.cli.print_flags import print_flags, selector_option, watch_options
from kubectl_nim.cli.output import Column

MARKS = {"failed": "✗", "progressing": "…", "warning": "!"}


def columns(now) -> list[Column]:
    return [
        Column("NAME", lambda s: s.observed.name),
        Column("VERDICT", lambda s: s.health.verdict),
        Column("READY", lambda s: _replicas(s.to_data(now))),
        Column("MODEL", lambda s: s.row.model),
        Column("TAG", lambda s: s.row.tag),
        Column("REASON", lambda s: _cut(_reason(s)), wide_value=_reason),
    ]


REASON_WIDTH = 48  # the default table fits ~120 columns; -o wide shows the whole reason


def _reason(result) -> str:
    return result.health.reasons[0].message if result.health.reasons else ""


def _cut(text: str) -> str:
    return text if len(text) <= REASON_WIDTH else text[:REASON_WIDTH - 3] + "..."


@click.command("status")
@click.argument("name", required=False)
@click.option("--all", "all_", is_flag=True, help="Every NIM deployment of the project "
              "(the default without NAME).")
@selector_option
@watch_options
@print_flags()
@global_options
def command(name, all_, selector, watch, watch_interval, printer):
    """Show whether NAME serves: a verdict first, then why, then its facts.

    The verdict is Ready, Progressing, Failed or Unknown, with the reasons in plain words and
    what to do, from the InferenceService's conditions, the predictor pods, their events, the
    cache PVC and the secrets the runtime references. Without NAME (or with --all): one line per
    NIM deployment. Exit code 0 whatever the verdict; scripts read `-o json` (`verdict`,
    `reasons[]`, `url`; docs/schemas/status.json): one object for NAME, a v1 List otherwise.
    -w: after the table, a line whenever a deployment's verdict, readiness or first reason
    changes (with NAME: that deployment's), until Ctrl-C.
    """
    from kubectl_nim.app import status as app
    from kubectl_nim.errors import UsageError
    from kubectl_nim.app.session import Session

    if name and (all_ or selector):
        raise UsageError("give NAME, or --all / -l, not both")
    env = get_environment()
    session = Session(get_globals(), env)
    namespace = session.namespace
    now = env.now()
    if name and not watch:
        result = app.status(session.cluster, namespace, name, now)
        click.echo(printer.one(result.to_data(now), text=lambda: describe(result, now),
                               name=_name(result)), nl=False)
        return

    def current() -> list:
        if name:
            return [app.status(session.cluster, namespace, name, env.now())]
        return app.overview(session.cluster, namespace, selector, env.now())
    results = current()
    if not results:
        from kubectl_nim import log

        log.notice(f"No NIM deployments found in {namespace}.")
    spec = dict(columns=columns(now), to_data=lambda s: s.to_data(now), name=_name)
    if results or printer.structured:
        click.echo(printer.items(results, **spec), nl=False)
    if watch:
        from kubectl_nim.cli.watch import watch as follow

        follow(current, results, printer, spec, watch_interval, key=lambda s: s.observed.name,
               fingerprint=lambda result: _fingerprint(result, now), sleep=env.sleep)


def _fingerprint(result, now) -> tuple:
    """What a watcher wants to hear about: the verdict, readiness, the reasons."""
    data = result.to_data(now)
    return (data["verdict"], _replicas(data), tuple(r.text for r in result.health.reasons))


def _name(result) -> str:
    from kubectl_nim.domain.refs import kind_ref

    return kind_ref("InferenceService", result.observed.name)


def _replicas(data: dict) -> str:
    ready = data["replicas"]["ready"]
    return f"{'?' if ready is None else ready}/{data['replicas']['desired']}"


def describe(result, now) -> str:
    data = result.to_data(now)
    lines = [f"{data['name']}: {data['verdict']}"]
    for reason in result.health.reasons:
        lines.append(f"  {MARKS[reason.severity]} {reason.text}")
    secrets = ", ".join(f"{k}" + ("" if v == "present" else f" ({v})")
                        for k, v in data["secrets"].items()) or "none"
    eu = {True: "yes: NVIDIA refuses this model to EU locations", False: "no",
          None: "unknown (not in the embedded catalog)"}[data["euRestricted"]]
    restarts = data["restarts"]
    facts = [
        ("Model", data["model"] or "<unknown>"),
        ("Tag", data["tag"] or "<unknown>"),
        ("Image", data["image"] or "<unknown>"),
        *([("Backend", f"nimservice: made by nimservice.apps.nvidia.com/{data['nimService']} "
                       f"(read-only here: change the NIMService)")] if data["nimService"] else []),
        ("Key", f"{data['keyScheme']} ({data['secretNaming']} naming)"),
        ("Secrets", secrets),
        *_account_facts(data["account"]),
        ("PVC", ", ".join(f"{k} ({v})" for k, v in data["pvc"].items()) or "none"),
        ("EU restricted", eu),
        ("Replicas", f"{_replicas(data)} ready"),
        ("Restarts", "unknown" if restarts is None else
         f"{restarts}" + (f" (last {data['lastRestart']})" if data["lastRestart"] else "")),
        ("URL", data["url"] or "<none yet>"),
        ("Age", data["age"]),
    ]
    lines += [f"{label + ':':<15}{value}" for label, value in facts]
    return "\n".join(lines) + "\n"


def _account_facts(account) -> list[tuple[str, str]]:
    """The project's NIM Account, for a deployment that uses its key."""
    if not account:
        return []
    ready = {"True": "ready", "False": "not ready"}.get(account["ready"], "readiness unknown")
    if account["message"] and account["ready"] != "True":
        ready += f": {account['message']}"
    return [("Account", f"{account['name']} ({ready})"),
            ("Validated", account["lastSuccessfulValidation"] or "never")]
