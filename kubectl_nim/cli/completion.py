"""Shell completion: the scripts, the value completers, and kubectl's plugin-completion protocol.

Three ways in, one engine (click's shell completion, with our completers on top):

* `kubectl-nim <TAB>` in bash/zsh/fish: `kubectl nim completion SHELL` prints click's script for
  the executable; the shell then runs `_KUBECTL_NIM_COMPLETE={shell}_complete kubectl-nim`.
* `kubectl nim <TAB>` (kubectl >= 1.26 with `kubectl completion SHELL` loaded): kubectl runs the
  helper `kubectl_complete-nim ARGS... WORD` found on PATH and expects cobra's `__complete`
  answer: one candidate per line (`value<TAB>description`), then `:<directive>`.  The helper
  (HELPER_SCRIPT, also at the repository root) execs `kubectl-nim` with
  `_KUBECTL_NIM_COMPLETE=cobra_complete`, and CobraComplete answers from sys.argv.
* Tests drive the same classes through click's API.

Completers never print, never raise and never prompt.  Model names and tags come from
`--catalog FILE` when it is on the command line, from the embedded catalog with `--offline` or
when no cluster is configured (no `kubernetes` import, a few milliseconds), else from the
cluster's catalog with a short timeout, falling back to the embedded one.  Deployment names,
namespaces and projects need the cluster: they are looked up lazily with the same short timeout,
and any failure completes nothing.

This module is imported when the CLI starts (it registers the completion classes), so it imports
only click and the standard library at load time.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from typing import Callable, Iterable

import click
from click.shell_completion import (BashComplete, CompletionItem, FishComplete, ShellComplete,
                                    ZshComplete, add_completion_class, get_completion_class)

# Per-request timeout for completions that ask the cluster: a TAB must never hang.
CLUSTER_TIMEOUT = 2.0

# The cobra ShellCompDirective values we answer with (github.com/spf13/cobra, completions.go).
DIRECTIVE_NO_FILE_COMP = 4
DIRECTIVE_FILTER_DIRS = 16
DIRECTIVE_DEFAULT = 0

# Verbs whose NAME argument is an existing NIM deployment (InferenceService); exactly the
# registered ones (tests/verbs/completion/test_completion.py compares it with the command tree).
DEPLOYMENT_VERBS = frozenset({"delete", "diff", "list", "logs", "migrate", "report", "rotate-key",
                              "status", "test"})

HELPER_NAME = "kubectl_complete-nim"

HELPER_SCRIPT = r"""#!/bin/sh
# kubectl_complete-nim: makes `kubectl nim <TAB>` complete (kubectl >= 1.26).
#
# When kubectl completes the command line of a plugin `kubectl-X`, it runs the executable
# `kubectl_complete-X` found on PATH with the words typed after `kubectl X` (the last one is the
# word being completed, possibly empty) and expects cobra's `__complete` answer: one candidate
# per line (`value<TAB>description`), then a line `:<directive>`.  This helper hands the words to
# kubectl-nim, which answers in that format.  Krew cannot install it; put it on PATH (normally
# next to kubectl-nim, e.g. in ~/.krew/bin) and make it executable:
#
#   kubectl nim completion kubectl-helper > ~/.krew/bin/kubectl_complete-nim
#   chmod +x ~/.krew/bin/kubectl_complete-nim
#
# Renamed plugin (kubectl-foo): name this helper kubectl_complete-foo; it follows its own name.
name=${0##*/}
name=${name#kubectl_complete-}
exe=kubectl-$name
dir=$(dirname -- "$0")
if [ -x "$dir/$exe" ]; then
    exe=$dir/$exe
fi
var=$(printf '_%s_COMPLETE' "kubectl-$name" | tr 'a-z.-' 'A-Z__')
# kubectl sets KUBECTL_PATH for plugins it runs; completion must see the executable's own name.
unset KUBECTL_PATH KUBECTL_BINARY KUBECTL_PLUGINS_CALLER
exec env "$var=cobra_complete" "$exe" "$@"
"""


# -- names ----------------------------------------------------------------------------------------

def executable_name(prog_name: str, argv0: str | None = None) -> str:
    """The file the shell runs: `kubectl-nim` also when the usage name is `kubectl nim`/`oc nim`."""
    base = re.split(r"[\\/]", sys.argv[0] if argv0 is None else argv0)[-1]
    if base.lower().endswith(".exe"):
        base = base[:-4]
    if base.startswith("kubectl-"):
        return base
    if " " in prog_name:  # "kubectl nim" / "oc nim": plugins are always kubectl-*
        return "kubectl-" + prog_name.split(" ", 1)[1].replace(" ", "-")
    return prog_name


def complete_var(executable: str) -> str:
    """The environment variable click's main() checks, as click derives it from the name."""
    return "_" + executable.replace("-", "_").replace(".", "_").upper() + "_COMPLETE"


# -- the engine -----------------------------------------------------------------------------------

@contextlib.contextmanager
def _quiet():
    """Completion output is parsed by the shell: nothing else may reach stdout or stderr."""
    with contextlib.redirect_stderr(io.StringIO()):
        yield


def _resolve(cli: click.Command, ctx_args, prog_name: str, args: list[str], incomplete: str):
    # The two helpers click's own ShellComplete.get_completions uses.
    from click.shell_completion import _resolve_context, _resolve_incomplete

    ctx = _resolve_context(cli, dict(ctx_args), prog_name, list(args))
    obj, incomplete = _resolve_incomplete(ctx, list(args), incomplete)
    return ctx, obj, incomplete


class NimCompletion(ShellComplete):
    """click's completion, plus completers for parameters defined where we cannot attach one
    (the global options of kubectl_nim.cli.options, NAME arguments of deployment verbs)."""

    def get_completions(self, args: list[str], incomplete: str) -> list[CompletionItem]:
        with _quiet():
            try:
                ctx, obj, incomplete = _resolve(self.cli, self.ctx_args, self.prog_name, args,
                                                incomplete)
                items = obj.shell_complete(ctx, incomplete)
                if not items and isinstance(obj, click.Parameter):
                    fallback = fallback_completer(ctx, obj)
                    if fallback is not None:
                        items = fallback(ctx, obj, incomplete)
                return list(items)
            except Exception:  # noqa: BLE001 - a TAB never prints a traceback
                return []


class NimBashComplete(NimCompletion, BashComplete):
    pass


class NimZshComplete(NimCompletion, ZshComplete):
    pass


class NimFishComplete(NimCompletion, FishComplete):
    pass


_PowerShell = getattr(click.shell_completion, "PowerShellComplete", None)  # click >= 8.5
NimPowerShellComplete = (type("NimPowerShellComplete", (NimCompletion, _PowerShell), {})
                         if _PowerShell else None)


class CobraComplete(NimCompletion):
    """kubectl's plugin-completion protocol (cobra `__complete`), spoken by the helper script.

    The words come as command-line arguments, the last one being the word to complete.
    """

    name = "cobra"
    source_template = HELPER_SCRIPT

    def source(self) -> str:
        return HELPER_SCRIPT

    def get_completion_args(self) -> tuple[list[str], str]:
        words = list(sys.argv[1:])
        if not words:
            return [], ""
        return words[:-1], words[-1]

    def complete(self) -> str:
        args, incomplete = self.get_completion_args()
        return format_cobra(self.get_completions(args, incomplete))


def format_cobra(items: Iterable[CompletionItem]) -> str:
    """Candidates one per line (`value<TAB>help`), then `:<directive>`; no trailing newline."""
    directive = DIRECTIVE_NO_FILE_COMP
    lines = []
    for item in items:
        if item.type == "file":
            directive = DIRECTIVE_DEFAULT  # let the shell complete file names
            continue
        if item.type == "dir":
            directive = DIRECTIVE_FILTER_DIRS
            continue
        text = " ".join((item.help or "").split())
        lines.append(f"{item.value}\t{text}" if text else str(item.value))
    lines.append(f":{directive}")
    return "\n".join(lines)


SHELL_CLASSES: dict[str, type] = {"bash": NimBashComplete, "zsh": NimZshComplete,
                                  "fish": NimFishComplete}
if NimPowerShellComplete is not None:
    SHELL_CLASSES["powershell"] = NimPowerShellComplete
SHELLS = tuple(SHELL_CLASSES)


def register() -> None:
    """Put our classes in click's registry (replacing its bash/zsh/fish), plus `cobra`."""
    for name, cls in SHELL_CLASSES.items():
        add_completion_class(cls, name)
    add_completion_class(CobraComplete, "cobra")


def script(shell: str, cli: click.Command, executable: str) -> str:
    """The completion script of SHELL for the executable's name."""
    register()
    if shell == "kubectl-helper":
        return HELPER_SCRIPT
    cls = get_completion_class(shell)
    if cls is None:
        raise click.BadParameter(f"unsupported shell {shell!r}")
    return cls(cli, {}, executable, complete_var(executable)).source()


# -- completers -----------------------------------------------------------------------------------

Completer = Callable[[click.Context, click.Parameter, str], list]


def _params(ctx: click.Context) -> dict:
    """Values given on the command line so far, the subcommand's winning over the root's."""
    merged: dict = {}
    chain = []
    at: click.Context | None = ctx
    while at is not None:
        chain.append(at)
        at = at.parent
    for c in reversed(chain):
        merged.update({k: v for k, v in c.params.items() if v not in (None, ())})
    return merged


def _options(ctx: click.Context):
    from kubectl_nim.cli.context import get_globals

    return get_globals(ctx)


def _environment(ctx: click.Context):
    from kubectl_nim.cli.context import get_environment

    return get_environment(ctx)


def cluster_configured(ctx: click.Context) -> bool:
    """A kubeconfig file exists (or we run in a pod): only then may a TAB talk to a cluster."""
    environ = _environment(ctx).environ
    if environ.get("KUBERNETES_SERVICE_HOST"):
        return True
    return any(os.path.isfile(p) for p in _options(ctx).kubeconfig_paths(environ))


def _cluster(ctx: click.Context):
    from kubectl_nim.app.session import connect

    options = _options(ctx)
    timeout = min(options.request_timeout or CLUSTER_TIMEOUT, CLUSTER_TIMEOUT)
    return connect(options, timeout=timeout, env=_environment(ctx)), options


def completion_catalog(ctx: click.Context):
    """The catalog the command being typed would use, found without delay."""
    from kubectl_nim.app import local_catalog

    params = _params(ctx)
    if params.get("catalog_file"):
        return local_catalog.load_file(os.path.expanduser(params["catalog_file"]))
    if params.get("offline") or not cluster_configured(ctx):
        return local_catalog.load_embedded()
    try:
        from kubectl_nim.app import discovery

        cluster, options = _cluster(ctx)
        warn = _environment(ctx).warn
        settings = discovery.read_settings(cluster, options.apps_namespace, warn=warn)
        return discovery.resolve_catalog(cluster, settings, warn=warn).value
    except Exception:  # noqa: BLE001 - unreachable, forbidden, slow: the embedded list it is
        return local_catalog.load_embedded()


def _safe(completer: Completer) -> Completer:
    def wrapper(ctx, param, incomplete):
        with _quiet():
            try:
                return completer(ctx, param, incomplete)
            except Exception:  # noqa: BLE001 - completion fails silently
                return []

    wrapper.__name__ = completer.__name__
    wrapper.__doc__ = completer.__doc__
    return wrapper


@_safe
def model_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    """Catalog model names (`shell_complete=` of `models NAME` and `deploy --model`)."""
    catalog = completion_catalog(ctx)
    return [CompletionItem(m.name, help=m.display_name) for m in catalog.models
            if m.name.startswith(incomplete)]


@_safe
def deployment_modes(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    """`deploy --deployment-mode`: the modes deploy_values.Scaling accepts."""
    from kubectl_nim.domain.deploy_values import DEPLOYMENT_MODES

    return [CompletionItem(m) for m in DEPLOYMENT_MODES if m.startswith(incomplete)]


@_safe
def model_tags(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    """The tags of the model given with --model (`shell_complete=` of `deploy --tag`)."""
    params = _params(ctx)
    name = params.get("model_name") or params.get("model")
    if not name:
        return []
    model = completion_catalog(ctx).get(name)
    from kubectl_nim.domain.catalog import is_concrete

    def describe(tag: str) -> str | None:
        notes = (["default"] if tag == model.default_tag else []) + \
            (["latest tag"] if tag == model.latest_tag else []) + \
            ([] if is_concrete(tag) else ["floats"])
        return ", ".join(notes) or None

    return [CompletionItem(t, help=describe(t)) for t in model.tags if t.startswith(incomplete)]


@_safe
def deployment_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    """InferenceServices in the namespace being typed (-n), else the context's namespace."""
    if not cluster_configured(ctx):
        return []
    from kubectl_nim.app import listing

    cluster, options = _cluster(ctx)
    names = listing.deployment_names(cluster, options.namespace)
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


@_safe
def namespaces(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    """The OpenShift projects the user can see, else namespaces: the lookup of `list -A`."""
    if not cluster_configured(ctx):
        return []
    from kubectl_nim.app import listing

    cluster, _ = _cluster(ctx)
    # The same lookup as `list -A` (projects first, then namespaces).
    names = listing.visible_namespaces(cluster)
    return [CompletionItem(n) for n in names if n and n.startswith(incomplete)]


@_safe
def contexts(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    """Context names of the kubeconfig files (read locally, no cluster contact)."""
    import yaml

    from kubectl_nim.domain import bounded

    names: list[str] = []
    for path in _options(ctx).kubeconfig_paths(_environment(ctx).environ):
        try:
            with open(path, encoding="utf-8") as f:
                doc = bounded.load_yaml(f.read()) or {}
        except (OSError, ValueError, yaml.YAMLError):
            continue
        contexts = doc.get("contexts") if isinstance(doc, dict) else None
        for entry in contexts if isinstance(contexts, list) else []:
            name = entry.get("name") if isinstance(entry, dict) else None
            if isinstance(name, str) and name and name not in names:
                names.append(name)
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


def files(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    return [CompletionItem(incomplete, type="file")]


def fallback_completer(ctx: click.Context, param: click.Parameter) -> Completer | None:
    """Completers for parameters without their own `shell_complete=`."""
    name = param.name or ""
    if name in ("namespace", "apps_namespace", "hardware_profile_namespace"):
        return namespaces
    if name == "context":
        return contexts
    if name in ("kubeconfig", "api_key_file", "catalog_file"):
        return files
    command = ctx.command.name if ctx.command else None
    if isinstance(param, click.Argument) and name in ("name", "names") and \
            command in DEPLOYMENT_VERBS:
        return deployment_names
    return None
