"""`catalog generate | detect-eu | diff`: the maintainers' build-time tool of the ADR.

Before each release a maintainer runs `catalog generate` with a key; the ConfigMap it writes is
reviewed in a pull request (`catalog diff` makes the review table) and shipped. `detect-eu`, run
from an EU location, records the models NVIDIA answers 451 for; `generate --eu-restricted`
marks them. The network and I/O live here; everything the output depends on is computed by the
pure `kubectl_nim.app.catalog_build`. Only click is imported at load time, so `--help` stays fast.
"""

from __future__ import annotations

import os
import time
from typing import IO, Callable, Optional

import click

from kubectl_nim import log
from kubectl_nim.cli.options import (global_options, key_options, ngc_options, output_option,
                                     refused_key_argument)
from kubectl_nim.cli.context import get_globals
from kubectl_nim.cli.context import get_environment

DEFAULT_CONCURRENCY = 32
MAX_CONCURRENCY = 128



@click.group("catalog")
def command():
    """Build and review the NIM model catalog ConfigMap (maintainers' release tool).

    `generate` fetches every NIM model's details from NVIDIA (a key is needed for the tags) and
    writes the ConfigMap nvidia-nim-models-data; `detect-eu`, run from an EU location, lists the
    models NVIDIA does not serve there; `diff` compares two catalogs for a release pull request.
    """


def _concurrency_option(f):
    return click.option("--concurrency", type=click.IntRange(1, MAX_CONCURRENCY),
                        default=DEFAULT_CONCURRENCY, show_default=True, metavar="N",
                        help="Model details requests in flight at once.")(f)


def _allow_partial_option(what: str):
    return click.option("--allow-partial", is_flag=True,
                        help=f"Write {what} even when some models could not be fetched after "
                             f"retries (they are named; exit 0).")


def _output_file_option(what: str):
    return click.option("--output", "output_file", metavar="FILE", default="-",
                        help=f"Write {what} to FILE (default: standard output; - for it too).")


@command.command("generate")
@_output_file_option("the ConfigMap")
@click.option("--eu-restricted", "eu_file", metavar="FILE", type=click.Path(dir_okay=False),
              help="JSON list from `catalog detect-eu`: mark these models euRestricted.")
@click.option("--name", "configmap_name", default="nvidia-nim-models-data", show_default=True,
              metavar="NAME", help="Name of the ConfigMap (the later upstream name is "
                                   "nim-models-data).")
@_concurrency_option
@_allow_partial_option("the catalog")
@key_options
@ngc_options
@global_options
@refused_key_argument
def generate(output_file: str, eu_file: Optional[str], configmap_name: str, concurrency: int,
             allow_partial: bool, api_key_file: Optional[str], ngc_api_url: str) -> None:
    """Fetch the NIM catalog from NVIDIA and write the catalog ConfigMap.

    Validates the key, pages through the NGC catalog search, fetches every model's details with
    bounded concurrency (429/5xx/timeouts retried with backoff), and writes the ConfigMap
    nvidia-nim-models-data (docs/design.md#catalog): models sorted by name, one compact JSON entry each,
    so that two runs over the same catalog are byte-identical. Models without a latestTag, and
    models NVIDIA answers HTTP 451 for, are left out and counted. A model that still fails after
    retries is named, nothing is written and the exit code is 1, unless --allow-partial. The
    result must stay under the 1 MiB ConfigMap limit.
    """
    from kubectl_nim.app import catalog_build
    from kubectl_nim.errors import NimError, UsageError
    from kubectl_nim.domain.names import DNS1123_SUBDOMAIN, SUBDOMAIN_MAX

    if len(configmap_name) > SUBDOMAIN_MAX or not DNS1123_SUBDOMAIN.fullmatch(configmap_name):
        raise UsageError(f"invalid ConfigMap name {configmap_name!r}: a lowercase DNS-1123 "
                         f"subdomain of at most {SUBDOMAIN_MAX} characters")
    eu = _read_eu_file(eu_file) if eu_file else ()
    _check_destination(output_file)

    clock = get_environment().clock
    started = clock()
    fetched = _fetch_details(api_key_file, ngc_api_url, concurrency)
    build_started = clock()
    result = catalog_build.build_catalog(fetched.resources, fetched.outcomes, eu,
                                         fetched.untagged)
    text = catalog_build.render_configmap(result, name=configmap_name)
    log.debug(f"timings: {fetched.timings}, build {clock() - build_started:.2f}s")
    for warning in result.warnings:
        log.warn(warning)
    for failure in result.failed:
        log.warn(f"could not fetch {failure.resource_id}: {failure.reason}")

    error: Optional[NimError] = None
    size: Optional[int] = None
    if result.failed and not allow_partial:
        count = len(result.failed)
        error = NimError(f"{_models(count)} could not be fetched (named above); nothing was "
                         f"written",
                         hint="rerun (such failures are often transient), or pass "
                              "--allow-partial to write the catalog without "
                              f"{'it' if count == 1 else 'them'}")
    else:
        try:
            size = catalog_build.check_size(text)
        except catalog_build.CatalogTooLarge as too_large:
            error = too_large
    if error is None:
        _write(output_file, text)
        if not eu_file:
            # As the reference tool does: without the list every model is marked as available
            # in the EU, which a maintainer must not ship by accident.
            log.warn("no --eu-restricted FILE: every model is marked euRestricted: false; run "
                     "`kubectl nim catalog detect-eu` from an EU location first and pass its "
                     "output")
    summary = catalog_build.Summary.of(
        result, processed=len(fetched.resources) + len(fetched.untagged),
        retries=fetched.retries, size=None if error else size, seconds=clock() - started,
        destination=_destination(output_file))
    log.notice(summary.line())
    if error is not None:
        raise error
    if result.failed:
        log.warn(f"--allow-partial: the catalog was written without the "
                 f"{_models(len(result.failed))} that could not be fetched")


@command.command("detect-eu")
@_output_file_option("the JSON list")
@_concurrency_option
@_allow_partial_option("the list")
@key_options
@ngc_options
@global_options
@refused_key_argument
def detect_eu(output_file: str, concurrency: int, allow_partial: bool,
              api_key_file: Optional[str], ngc_api_url: str) -> None:
    """List the models NVIDIA answers HTTP 451 for (run it from an EU location).

    Probes every model's details endpoint and writes a JSON array of {name, resourceId, org,
    team}, sorted by name: the --eu-restricted input of `catalog generate`.
    """
    from kubectl_nim.app import catalog_build
    from kubectl_nim.domain import eu_restricted
    from kubectl_nim.errors import NimError

    _check_destination(output_file)
    clock = get_environment().clock
    started = clock()
    fetched = _fetch_details(api_key_file, ngc_api_url, concurrency)
    log.debug(f"timings: {fetched.timings}")
    found = [eu_restricted.EuRestricted.from_resource_id(o.resource_id)
             for o in fetched.outcomes if o.eu_restricted]
    failed = sorted((o for o in fetched.outcomes if not o.eu_restricted and o.details is None),
                    key=lambda o: o.resource_id)
    for outcome in failed:
        log.warn(f"could not fetch {outcome.resource_id}: "
                 f"{catalog_build.failure_reason(outcome.error)}")
    text = eu_restricted.eu_restricted_json(found)
    partial = bool(failed) and not allow_partial
    if not partial:
        _write(output_file, text)
    where = (f"{len(text.encode()):,} bytes to {_destination(output_file)}" if not partial
             else "nothing written")
    log.notice(f"Probed {_models(len(fetched.outcomes))} in {clock() - started:.1f}s: "
               f"{len(found):,} answered HTTP 451, {len(failed):,} failed, "
               f"{fetched.retries:,} retr{'y' if fetched.retries == 1 else 'ies'}; {where}.")
    if partial:
        raise NimError(f"{_models(len(failed))} could not be probed (named above); nothing was "
                       f"written",
                       hint="rerun, or pass --allow-partial to write the list without "
                            f"{'it' if len(failed) == 1 else 'them'}")
    if not found:
        log.warn("no model answered HTTP 451: are you running this from an EU location? "
                 "(NVIDIA restricts models by the location the request comes from)")
    elif failed:
        log.warn(f"--allow-partial: the list was written without the {_models(len(failed))} "
                 f"that could not be probed")


@command.command("diff")
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
@output_option("table", "json", "markdown", default="table")
@click.option("--exit-code", is_flag=True,
              help="Exit 1 when the catalogs differ (as `git diff --exit-code`).")
@global_options
def diff(old: str, new: str, output: str, exit_code: bool) -> int:
    """Compare two catalog ConfigMaps: models added, removed and changed.

    A change is a new or removed tag, a moved latestTag, a flipped EU flag or a new namespace.
    `-o markdown` is meant to be pasted into a release pull request.
    """
    from kubectl_nim.app import local_catalog
    from kubectl_nim.domain import catalog_diff

    before, after = local_catalog.load_file(old), local_catalog.load_file(new)
    for warning in (*before.warnings, *after.warnings):
        log.warn(warning)
    difference = catalog_diff.diff_catalogs(before.models, after.models)
    if output == "json":
        click.echo(catalog_diff.diff_json(difference), nl=False)
    elif output == "markdown":
        click.echo(catalog_diff.diff_markdown(difference), nl=False)
    else:
        click.echo(catalog_diff.diff_table(difference), nl=False)
    return 1 if exit_code and not difference.empty else 0


# --- shared by generate and detect-eu ---------------------------------------------------------

def _fetch_details(api_key_file: Optional[str], ngc_api_url: str, concurrency: int):
    """Key (legacy refused before the network, then validated), catalog search, details."""
    from kubectl_nim.app import catalog_fetch
    from kubectl_nim.cli.api_key import key_reader

    env = get_environment()
    key = key_reader(api_key_file, env)()

    def start_progress(total: int) -> Progress:
        if not env.stderr_isatty:
            log.notice(f"Fetching the details of {_models(total)} from NVIDIA "
                       f"(concurrency {concurrency})...")
        assert env.stderr is not None  # get_environment's is bound: its streams are filled
        return Progress(total, env.stderr, bool(env.stderr_isatty), now=env.clock)

    return catalog_fetch.fetch_details(key, ngc_api_url, get_globals().request_timeout,
                                       concurrency, start_progress, env.clock, env.sleep)


class Progress:
    """Models done / total, rate and retries: one rewritten line on a TTY, a quiet line every
    `interval` seconds otherwise (CI logs)."""

    def __init__(self, total: int, stream: IO[str], tty: bool,
                 interval: Optional[float] = None, now: Callable[[], float] = time.monotonic):
        self.total = total
        self.stream = stream
        self.tty = tty
        self.interval = interval if interval is not None else (0.1 if self.tty else 10.0)
        self.now = now
        self.done = 0
        self.started = self.last = self.now()
        from kubectl_nim.app.live_line import LiveLine

        self.live = LiveLine(lambda text, nl: stream.write(text + ("\n" if nl else "")))

    def update(self, retries: int) -> None:
        from kubectl_nim.app.catalog_build import progress_line

        self.done += 1
        now = self.now()
        finished = self.done >= self.total
        if now - self.last < self.interval and not (self.tty and finished):
            return
        if finished and not self.tty:
            return  # the summary follows
        self.last = now
        line = progress_line(self.done, self.total, now - self.started, retries)
        if self.tty:
            self.live.show(line)
        else:
            self.stream.write(f"progress: {line.strip()}\n")
        self.stream.flush()

    def finish(self) -> None:
        """Clear the TTY line, so that the summary (or an error) starts on a clean line."""
        self.live.clear()
        self.stream.flush()


def _models(count: int) -> str:
    return f"{count:,} model{'' if count == 1 else 's'}"


def _read_eu_file(path: str):
    from kubectl_nim.domain import eu_restricted
    from kubectl_nim.errors import UsageError

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise UsageError(f"cannot read the EU-restricted list {path}: "
                         f"{e.strerror or type(e).__name__}") from None
    except UnicodeDecodeError:
        raise UsageError(f"the EU-restricted list {path} is not UTF-8 text") from None
    try:
        return eu_restricted.parse_eu_restricted(text)
    except ValueError as e:
        raise UsageError(f"the EU-restricted list {path} {e}",
                         hint="use the output of `catalog detect-eu`: a JSON array of "
                              "{name, resourceId, org, team}") from None


def _check_destination(path: str) -> None:
    """Refuse an output path that cannot be written before spending minutes on NVIDIA."""
    from kubectl_nim.errors import UsageError

    if path == "-":
        return
    if os.path.isdir(path):
        raise UsageError(f"--output {path} is a directory")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"--output {path}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise UsageError(f"--output {path} is not writable")


def _write(path: str, text: str) -> None:
    """Standard output, or FILE replaced atomically (a failed run never leaves half a file)."""
    from kubectl_nim.errors import NimError

    if path == "-":
        click.echo(text, nl=False)
        return
    temporary = os.path.join(os.path.dirname(os.path.abspath(path)),
                             f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(temporary, path)
    except OSError as e:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise NimError(f"cannot write {path}: {e.strerror or type(e).__name__}") from None


def _destination(path: str) -> str:
    return "standard output" if path == "-" else path
