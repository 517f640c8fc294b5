"""One module per verb, imported only when that verb runs.

`VERBS` names every verb's module and carries the first paragraph of its help, so that `--help`
lists every verb with its short help without importing any of them (importing all sixteen cost
8-13 ms of every run, `--help` and `models` included: BENCHMARKS.md). `LazyCommands` is the root group's `commands`: click looks a verb up there and gets
it imported on the spot. tests/platform/test_cli.py checks that each entry matches its command.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Iterator, NamedTuple


class Verb(NamedTuple):
    module: str               # kubectl_nim.cli.commands.<module>; its `command` is the verb
    help: str                 # the first paragraph of the command's help (or its short_help)
    short_help: bool = False  # `help` is the command's explicit short_help, shown as it is


VERBS = {
    "models": Verb("models", "List the NIM models of the catalog, or show one model with all "
                             "its tags."),
    "validate-key": Verb("validate_key", "Check a personal NVIDIA API key (nvapi-...) with "
                                         "NVIDIA."),
    "deploy": Verb("deploy", "Deploy a NIM model: per-deployment secrets, PVC, ServingRuntime "
                             "and InferenceService."),
    "list": Verb("list_cmd", "List the NIM deployments of the project (or just NAME)."),
    "rotate-key": Verb("rotate_key", "Replace the NVIDIA API key of one deployment, and restart "
                                     "it."),
    "delete": Verb("delete", "Delete a NIM deployment: InferenceService, ServingRuntime and its "
                             "own secrets."),
    "migrate": Verb("migrate", "Give a deployment made with the shared secrets its own secrets."),
    "config": Verb("config", "Show and change the NIM settings of OdhDashboardConfig."),
    "catalog": Verb("catalog", "Build and review the NIM model catalog ConfigMap (maintainers' "
                               "release tool)."),
    "completion": Verb("completion", "Print the completion script of SHELL (bash, zsh, fish, "
                                     "powershell), or kubectl-helper."),
    "version": Verb("version", "Print the plugin version, and which kubectl-nim on PATH `kubectl "
                               "nim` runs."),
    "status": Verb("status", "Show whether NAME serves: a verdict first, then why, then its "
                             "facts."),
    "logs": Verb("logs", "Print the logs of NAME's predictor pods (the NIM's model container)."),
    "test": Verb("smoke_test", "Check that NAME's model answers: list /v1/models, then one tiny "
                               "request."),
    "report": Verb("report", "Write a .tar.gz support bundle of NAME, with every secret value "
                             "redacted."),
    "project": Verb("project", "Enable NIM on the project with one NVIDIA key for all its "
                               "deployments, and manage it."),
    "diff": Verb("diff", "Show what deploy --apply would change (like kubectl diff).",
                 short_help=True),
    "cache": Verb("cache", "Fill a PVC with a model's weights before a cluster is cut off (or "
                           "list its profiles)."),
    "mirror": Verb("mirror", "Plan the images and catalog a disconnected cluster needs "
                             "(oc-mirror)."),
}


def load(name: str):
    """The click command of verb `name`, importing its module."""
    import importlib

    return importlib.import_module(f"kubectl_nim.cli.commands.{VERBS[name].module}").command


class LazyCommands(MutableMapping):
    """The root group's name → command mapping; a verb's module is imported on first lookup.

    Iterating lists the names without importing anything (click sorts them for `--help`);
    `peek` gives what `--help` needs of a verb: the command if loaded, else a stand-in built
    from VERBS with the same name and short help.
    """

    def __init__(self, verbs: dict[str, Verb]):
        self._verbs = dict(verbs)
        self._loaded: dict = {}

    def __getitem__(self, name: str):
        if name not in self._loaded:
            if name not in self._verbs:
                raise KeyError(name)
            self._loaded[name] = load(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self._loaded and name not in self._verbs:
            raise KeyError(name)
        self._loaded.pop(name, None)
        self._verbs.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self._verbs
        yield from (name for name in self._loaded if name not in self._verbs)

    def __len__(self) -> int:
        return len(set(self._verbs) | set(self._loaded))

    def peek(self, name: str):
        if name in self._loaded or name not in self._verbs:
            return self[name]
        import click

        verb = self._verbs[name]
        return click.Command(name, short_help=verb.help if verb.short_help else None,
                             help=None if verb.short_help else verb.help)
