"""The root command: global options, the invoked name, and the single error path.

Every failure leaves through `NimGroup.main`: a one-line `error: ...` on stderr and the exit code of
docs/design.md#exit-codes (chosen in cli/exit_status.py), a traceback only when asked (`-vv`; an
unexpected
failure, i.e. a bug, already with `-v`), and every registered secret redacted from all of it.
"""

from __future__ import annotations

import re
import sys

import click

from kubectl_nim import __version__, caller, interrupts, log
from kubectl_nim.cli import completion
from kubectl_nim.cli.commands import VERBS, LazyCommands
from kubectl_nim.cli.exit_status import ExitStatus, for_error
from kubectl_nim.environment import Environment
from kubectl_nim.errors import NimError
from kubectl_nim.cli.options import global_options
from kubectl_nim.cli.context import ENVIRONMENT

# kubectl sets one of these for the plugins it runs (KUBECTL_PATH since 1.37, KUBECTL_BINARY in
# some distributions such as oc); the first found names the caller in usage text.
CALLER_VARIABLES = ("KUBECTL_PATH", "KUBECTL_BINARY", "KUBECTL_PLUGINS_CALLER")


def _basename(path: str) -> str:
    # Either separator: a Windows kubectl hands us paths with backslashes.
    return re.split(r"[\\/]", path)[-1]


# Before kubectl 1.37 nothing tells a plugin who ran it (kubectl execs it with argv0 = the
# plugin's full path, which a console script also gets when run directly: ambiguous). bash and
# zsh put the path of the program they ran in `_`, which kubectl passes on unchanged: a `_`
# naming kubectl or oc means the user typed `kubectl nim` / `oc nim`.
_SHELL_RAN = "_"
_CLIENTS = re.compile(r"^(kubectl|oc)([-._]?[0-9][-.0-9a-z]*)?$")


def _caller(environ) -> str | None:
    caller = next((environ[v] for v in CALLER_VARIABLES if environ.get(v)), None)
    if caller:
        return caller
    ran = environ.get(_SHELL_RAN) or ""
    name = _basename(ran)
    if name.endswith(".exe"):
        name = name[:-4]
    return ran if _CLIENTS.match(name) else None


def invoked_name(argv0: str, environ) -> str:
    """`kubectl nim`, `oc nim`, or the bare binary name, as the user typed it."""
    binary = _basename(argv0)
    for suffix in (".exe", ".py"):
        if binary.endswith(suffix):
            binary = binary[: -len(suffix)]
    if binary in ("", "__main__", "-c"):
        binary = "kubectl-nim"
    caller = _caller(environ)
    if caller and binary.startswith("kubectl-"):
        caller_name = _basename(caller)
        if caller_name.endswith(".exe"):
            caller_name = caller_name[:-4]
        # kubectl maps `kubectl foo-bar` to kubectl-foo_bar; show it the way it is typed.
        return f"{caller_name} {binary[len('kubectl-'):].replace('_', '-')}"
    return binary


def _echo_traceback() -> None:
    import traceback  # only on the error path (-vv; -v for a bug): it costs start-up time

    click.echo(log.redact(traceback.format_exc()), err=True, nl=False)


_KUBECTL_VERBOSITY = re.compile(r"^(?:-v|--v|--verbose)=(\d+)$")


def kubectl_spellings(args: list[str]) -> list[str]:
    """kubectl's spellings that click does not parse, rewritten to ours (before `--` only).

    `-v=N` / `--v=N`: kubectl's log level; ours has two (-v: requests and decisions, -vv: also
    tracebacks), so N >= 2 is -vv. A bare `--dry-run` is `--dry-run=client` with a warning, as
    in kubectl (never taking the next word as its value, as kubectl's flag parser does not).
    """
    out: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--":
            return out + args[i:]
        level = _KUBECTL_VERBOSITY.match(arg)
        if level:
            out += ["-v"] * min(int(level.group(1)), 2)
        elif arg == "--dry-run":
            log.warn("--dry-run without a value means --dry-run=client (as in kubectl); "
                     "write --dry-run=client")
            out.append("--dry-run=client")
        else:
            out.append(arg)
    return out


def usage_line(error: click.UsageError) -> str:
    """click's four-line usage error as our one line: `error: ...; see 'kubectl nim X --help'`."""
    message = error.format_message().strip().rstrip(".")
    # click: "No such option '--x'. Did you mean '--y'?" or "... (Did you mean one of: ...?)"
    suggestion = re.match(r"^(.*?)\.\s*\(?[Dd]id you mean (.*?\?)\)?$", message, re.S)
    if suggestion:
        message = f"{suggestion.group(1)} (did you mean {suggestion.group(2)})"
    if len(message) > 1 and message[0].isupper() and message[1].islower():
        message = message[0].lower() + message[1:]
    where = error.ctx.command_path if error.ctx else caller.prog_name()
    return f"error: {message}; see '{where} --help'"


def _echo_interrupted(signal: BaseException) -> None:
    # Writes in flight are finished before a signal is delivered (interrupts.deferred), and the
    # verbs that write several objects report their own progress; this is everything else.
    text = interrupts.describe(signal)
    click.echo(f"{text[0].upper()}{text[1:]}.", err=True)


def _show_redacted(error: click.ClickException) -> None:
    """click's own message (usage, bad parameter) with keys redacted: `Got unexpected extra
    argument (nvapi-...)` must not echo a key typed in the wrong place."""
    import io

    buffer = io.StringIO()
    error.show(file=buffer)
    sys.stderr.write(log.redact(buffer.getvalue()))
    sys.stderr.flush()


class NimContext(click.Context):
    """click's Context, carrying the run's Environment in `meta` (which every sub-context
    shares), so that `ctx.obj` stays the GlobalOptions the option callbacks fill."""

    def __init__(self, *args, environment: Environment | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if environment is not None:
            self.meta[ENVIRONMENT] = environment.bind()  # idempotent: main() bound it already


class NimGroup(click.Group):
    context_class = NimContext

    def format_commands(self, ctx, formatter):
        """click's own listing, from `commands.peek`: the verbs' short help without importing
        their modules (`--help` stays as fast as the group alone)."""
        peek = getattr(self.commands, "peek", self.commands.get)
        commands = [(name, peek(name)) for name in self.list_commands(ctx)]
        commands = [(name, cmd) for name, cmd in commands if cmd is not None and not cmd.hidden]
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _ in commands)
            with formatter.section("Commands"):
                formatter.write_dl([(name, cmd.get_short_help_str(limit))
                                    for name, cmd in commands])

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        # The one Environment of the run: given by the caller (a test: `environment=` or `obj=`)
        # or the process's own; fields left open are filled from the streams in use now.
        given = extra.pop("environment", None)
        if isinstance(extra.get("obj"), Environment):
            given = extra.pop("obj")
        environment = (given or Environment()).bind()
        extra["environment"] = environment
        if prog_name is None:
            prog_name = invoked_name(sys.argv[0], environment.environ)
        caller.set_prog_name(prog_name)
        try:
            args = kubectl_spellings(list(sys.argv[1:] if args is None else args))
            with interrupts.installed():
                rv = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                  standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
        except click.exceptions.Abort as e:
            # click turns a KeyboardInterrupt (and our SIGTERM/SIGHUP) into Abort: exit with the
            # signal's code, not 1; a declined confirmation stays "Aborted." with 1.
            cause = e.__cause__ or e.__context__
            if isinstance(cause, KeyboardInterrupt):
                _echo_interrupted(cause)
                code = for_error(cause)
            else:
                click.echo("Aborted.", err=True)
                code = ExitStatus.FAILURE
        except click.UsageError as e:
            if type(e).__name__ == "NoArgsIsHelpError" and e.ctx is not None:
                # A bare `kubectl nim` (or `kubectl nim config`): the help, exit 0, as kubectl
                # and helm do (click >= 8.2 makes it a usage error; 8.1 printed it itself).
                click.echo(e.ctx.get_help())
                code = ExitStatus.SUCCESS
            else:
                click.echo(log.redact(usage_line(e)), err=True)
                code = for_error(e)
        except click.ClickException as e:
            _show_redacted(e)
            code = for_error(e)
        except NimError as e:
            if log.verbosity() >= 2:
                _echo_traceback()
            click.echo(log.redact(f"error: {e}"), err=True)
            code = for_error(e)
        except KeyboardInterrupt as e:
            _echo_interrupted(e)
            code = for_error(e)
        except Exception as e:  # a bug: still one line unless -v, never the key
            if log.verbosity():
                _echo_traceback()
            detail = log.redact(f"{type(e).__name__}: {e}")
            click.echo(f"error: unexpected failure ({detail}); rerun with -v for a traceback "
                       f"and report it", err=True)
            code = ExitStatus.FAILURE
        if standalone_mode:
            # Interpreter shutdown garbage-collects every object the run made (~15 ms after a
            # deploy); frozen objects are skipped. Output is flushed regardless.
            import gc

            gc.freeze()
            sys.exit(int(code))
        return int(code)


@click.group(cls=NimGroup, name="kubectl-nim",
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@global_options
@click.version_option(__version__, "--version", message="%(prog)s %(version)s")
def cli():
    """Deploy NVIDIA NIM models on OpenShift AI and Open Data Hub.

    Every deployment gets its own API-key and pull secrets in your project; the model catalog
    comes from the cluster's ConfigMap, a file, or the copy embedded in the plugin.
    """


# Verbs are imported when looked up (click's get_command), not here: see cli/commands/__init__.py.
cli.commands = LazyCommands(VERBS)
# Our completion classes (and kubectl's `cobra` protocol) must be known to click before main()
# answers a TAB, whichever verb is being completed (~1 ms; most verbs import it anyway).
completion.register()


def main() -> None:
    cli.main()
