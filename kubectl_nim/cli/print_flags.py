"""kubectl's print flags, defined once for every read verb (docs/architecture.md, "output"):
`-o table|wide|json|yaml|name|jsonpath=…|jsonpath-file=…|custom-columns=…|custom-columns-file=…`,
`--no-headers`, `--sort-by`, and `-l` where the items carry labels. The verb gets one
`cli/output.Printer`; what it prints is decided there.
"""

from __future__ import annotations

import click


class PrintFormat(click.ParamType):
    """kubectl's -o: a format name, or `jsonpath=`, `jsonpath-file=`, `custom-columns=`,
    `custom-columns-file=` (the files are read here: what reaches the verb is the template)."""

    name = "format"
    PREFIXED = ("jsonpath=", "jsonpath-file=", "custom-columns=", "custom-columns-file=")

    def get_metavar(self, param, ctx=None) -> str:
        return "FORMAT"

    def shell_complete(self, ctx, param, incomplete):
        from click.shell_completion import CompletionItem
        from kubectl_nim.cli.output import FORMATS

        return [CompletionItem(v) for v in (*FORMATS, *self.PREFIXED) if v.startswith(incomplete)]

    def convert(self, value, param, ctx):
        from kubectl_nim.cli.output import FORMATS
        from kubectl_nim.errors import NimError

        value = "table" if value == "text" else value  # the name these verbs used to take
        if value in FORMATS:
            return value
        kind, sep, rest = value.partition("=")
        if not sep or f"{kind}=" not in self.PREFIXED:
            shown = [*FORMATS, "jsonpath=TEMPLATE", "jsonpath-file=FILE", "custom-columns=SPEC",
                     "custom-columns-file=FILE"]
            self.fail(f"{value!r} is not one of {', '.join(map(repr, shown))}", param, ctx)
        try:
            if kind.endswith("-file"):
                with open(rest, encoding="utf-8") as f:
                    rest = f.read(1024 * 1024)
                kind = kind[:-len("-file")]
                if kind == "jsonpath":
                    rest = rest.rstrip("\n")
                else:  # kubectl's file: the headers on one line, their paths on the next
                    lines = [ln.split() for ln in rest.splitlines() if ln.strip()]
                    if len(lines) != 2 or len(lines[0]) != len(lines[1]):
                        self.fail(f"{value[len(kind) + 6:]}: a custom-columns file is a line "
                                  f"of headers and a line of as many paths", param, ctx)
                    rest = ",".join(f"{h}:{p}" for h, p in zip(*lines))
            if kind == "jsonpath":
                from kubectl_nim.domain import jsonpath

                jsonpath.parse(rest)
            else:
                from kubectl_nim.domain.columns import parse_custom_columns

                parse_custom_columns(rest)
        except OSError as e:
            self.fail(f"cannot read {rest}: {e.strerror or e}", param, ctx)
        except NimError as e:  # UsageError: one line, exit 2, like click's own
            self.fail(str(e), param, ctx)
        return f"{kind}={rest}"


def _sort_by_callback(ctx, param, value):
    if value:
        from kubectl_nim.domain import jsonpath
        from kubectl_nim.errors import NimError

        try:
            jsonpath.sort_key_path(value)  # a bad path is a usage error before any request
        except NimError as e:
            raise click.BadParameter(str(e)) from None
    return value


def print_flags(default: str = "table", sort: bool = True):
    """kubectl's print flags, the same on every read verb: -o, --no-headers, --sort-by. The
    command gets one `printer` parameter (cli/output.Printer) instead of the three."""
    import functools

    def decorate(f):
        @functools.wraps(f)
        def command(*args, output, no_headers, sort_by=None, **kwargs):
            from kubectl_nim.cli.output import Printer

            return f(*args, printer=Printer(output, no_headers, sort_by), **kwargs)
        if sort:
            command = click.option(
                "--sort-by", metavar="JSONPATH", callback=_sort_by_callback,
                help="Sort by a field of the -o json items, e.g. .metadata.name or "
                     "{.metadata.creationTimestamp}.")(command)
        command = click.option("--no-headers", is_flag=True,
                               help="Tables without their header line.")(command)
        return click.option(
            "-o", "--output", "output", type=PrintFormat(), default=default, show_default=True,
            help="Output format: table, wide, json, yaml, name, jsonpath=TEMPLATE, "
                 "jsonpath-file=FILE, custom-columns=SPEC or custom-columns-file=FILE.")(command)
    return decorate


def selector_option(f):
    """`-l/--selector` of the verbs whose items carry labels (list, status)."""
    return click.option("-l", "--selector", metavar="SELECTOR",
                        help="Only deployments whose InferenceService has these labels, as "
                             "kubectl -l (e.g. team=a,env!=dev).")(f)


WATCH_INTERVAL = 2.0  # seconds between polls of -w


def watch_options(f):
    """`-w/--watch` of the verbs whose items change (list, status), and the poll interval."""
    f = click.option("--watch-interval", type=float, default=WATCH_INTERVAL, hidden=True)(f)
    return click.option("-w", "--watch", is_flag=True,
                        help="After the list, print a line for every deployment that appears "
                             "or changes (and a notice for one that goes) until Ctrl-C.")(f)
