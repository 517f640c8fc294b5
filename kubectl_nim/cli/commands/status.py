"""`status`: is a NIM deployment serving, and if not, why and what to do."""

from __future__ import annotations

import click

from kubectl_nim.cli.options import get_globals, global_options, output_option
from kubectl_nim.cli.options import get_environment

MARKS = {"failed": "✗", "progressing": "…", "warning": "!"}


@click.command("status")
@click.argument("name", required=False)
@click.option("--all", "all_", is_flag=True, help="Every NIM deployment of the project "
              "(the default without NAME).")
@output_option("table", "json", "yaml")
@global_options
def command(name, all_, output):
    """Show whether NAME serves: a verdict first, then why, then its facts.

    The verdict is Ready, Progressing, Failed or Unknown, with the reasons in plain words and
    what to do, from the InferenceService's conditions, the predictor pods, their events, the
    cache PVC and the secrets the runtime references. Without NAME (or with --all): one line per
    NIM deployment. Exit code 0 whatever the verdict; scripts read `-o json` (`verdict`,
    `reasons[]`, `url`).
    """
    from kubectl_nim.app import status as app
    from kubectl_nim.errors import UsageError
    from kubectl_nim.cli.output import Column, render, render_one
    from kubectl_nim.app.session import Session

    if name and all_:
        raise UsageError("give NAME or --all, not both")
    env = get_environment()
    session = Session(get_globals(), env)
    namespace = session.namespace
    now = env.now()
    if name:
        result = app.status(session.cluster, namespace, name)
        if output == "table":
            click.echo(describe(result, now), nl=False)
        else:
            click.echo(render_one(result.to_data(now), output), nl=False)
        return
    results = app.overview(session.cluster, namespace)
    if not results and output == "table":
        from kubectl_nim import log

        log.notice(f"No NIM deployments found in {namespace}.")
        return
    columns = [
        Column("NAME", lambda s: s.observed.name),
        Column("VERDICT", lambda s: s.health.verdict),
        Column("READY", lambda s: _replicas(s.to_data(now))),
        Column("MODEL", lambda s: s.row.model),
        Column("TAG", lambda s: s.row.tag),
        Column("REASON", lambda s: s.health.reasons[0].message if s.health.reasons else ""),
    ]
    click.echo(render(results, output, columns=columns, to_data=lambda s: s.to_data(now),
                      name=lambda s: s.observed.name), nl=False)


def _replicas(data: dict) -> str:
    ready = data["replicas"]["ready"]
    return f"{'?' if ready is None else ready}/{data['replicas']['desired']}"


def describe(result, now=None) -> str:
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
