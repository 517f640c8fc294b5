"""The verb registry (cli/commands/__init__.py): verbs are imported only when they run, and
`--help` lists them all from the registry exactly as click would from the commands themselves."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from kubectl_nim.cli import cli
from kubectl_nim.cli.commands import VERBS, LazyCommands, load

LIMITS = (12, 30, 45, 55, 82, 200)  # narrow to wide terminals


@pytest.mark.parametrize("name", sorted(VERBS))
def test_each_entry_matches_its_command(name):
    command = load(name)
    assert command.name == name
    assert not command.hidden and not command.deprecated
    stand_in = LazyCommands(VERBS).peek(name)
    for limit in LIMITS:
        assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit), (
            f"VERBS[{name!r}] no longer matches the command's help: update it")


def test_every_verb_module_is_registered():
    from pathlib import Path

    import kubectl_nim.cli.commands as package

    modules = {p.stem for p in Path(package.__file__).parent.glob("*.py")} - {"__init__"}
    assert modules == {verb.module for verb in VERBS.values()}


def _eager_group() -> click.Group:
    """The root group as it was built before the registry: every verb imported and added."""
    group = click.Group(name=cli.name, help=cli.help, params=list(cli.params),
                        context_settings=dict(cli.context_settings))
    for name in VERBS:
        group.add_command(load(name))
    return group


@pytest.mark.parametrize("width", [60, 80, 100])
def test_help_lists_every_verb_as_the_eager_group_does(width):
    lazy = CliRunner().invoke(cli, ["--help"], terminal_width=width, prog_name="kubectl-nim")
    eager = CliRunner().invoke(_eager_group(), ["--help"], terminal_width=width,
                               prog_name="kubectl-nim")
    assert lazy.exit_code == eager.exit_code == 0
    assert lazy.stdout == eager.stdout
    assert lazy.stdout.count("\n  ") >= len(VERBS)


def _verb_modules_after(args: list[str]) -> list[str]:
    code = ("import sys; sys.argv=['kubectl-nim'] + %r\n"
            "from kubectl_nim.cli import cli\n"
            "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
            "print('VERBS', sorted(m.rsplit('.', 1)[1] for m in sys.modules\n"
            "      if m.startswith('kubectl_nim.cli.commands.')), file=sys.stderr)" % args)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    line = next(x for x in result.stderr.splitlines() if x.startswith("VERBS"))
    return eval(line[len("VERBS "):])  # a list literal printed by the child


@pytest.mark.subprocess
def test_help_imports_no_verb():
    assert _verb_modules_after(["--help"]) == []


@pytest.mark.subprocess
def test_a_verb_imports_only_itself():
    assert _verb_modules_after(["models", "--offline", "-o", "name"]) == ["models"]


def test_an_unknown_verb_is_still_a_usage_error(nim):
    result = nim("deploy-everything")
    assert result.exit_code == 2
    assert result.stderr == ("error: no such command 'deploy-everything'; "
                             "see 'kubectl-nim --help'\n")


def test_lookups_load_lazily_and_deletions_stick():
    commands = LazyCommands(VERBS)
    assert list(commands) == list(VERBS) and len(commands) == len(VERBS)
    assert commands["version"].name == "version"
    extra = click.Command("extra")
    commands["extra"] = extra
    assert commands.pop("extra") is extra and "extra" not in commands
    del commands["version"]
    assert "version" not in commands and len(commands) == len(VERBS) - 1
    with pytest.raises(KeyError):
        commands["nope"]
