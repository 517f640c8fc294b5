"""Flags defined once: `--dry-run`, `--skip-key-validation` and the restart flags
are one definition in cli/options, with one suffix map; deploy's flag checks run in one place,
so deploy and diff refuse the same flags with the same words."""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest

from tests.helpers.commands import leaf_commands
from kubectl_nim.cli.output import result_line
from kubectl_nim.domain.dry_run import MODES as DRY_RUN_MODES, DryRun
from tests.helpers.day2 import MODEL
from tests.helpers.obs import cluster  # noqa: F401 - fixture
from tests.helpers.paths import PACKAGE





def _param(cmd, name):
    return next((p for p in cmd.params if p.name == name), None)


def _shape(param):
    return (tuple(param.opts), tuple(getattr(param.type, "choices", ())), param.default, param.help,
            param.is_flag)


@pytest.mark.parametrize("flag, verbs", [
    ("dry_run", ["deploy", "delete", "rotate-key", "migrate", "config set-custom-configmap",
                 "config unset-custom-configmap", "config set-disconnected", "project enable",
                 "project rotate-key", "project disable"]),
    ("skip_key_validation", ["deploy", "rotate-key", "migrate", "project enable",
                             "project rotate-key"]),
    ("no_restart", ["rotate-key", "migrate", "project rotate-key"]),
    ("wait", ["rotate-key", "migrate", "project rotate-key"]),
    ("timeout", ["deploy", "rotate-key", "migrate", "project enable", "project rotate-key"]),
])
def test_a_shared_flag_is_the_same_on_every_verb(flag, verbs):
    commands = leaf_commands()
    shapes = {verb: _shape(_param(commands[verb], flag)) for verb in verbs}
    assert len(set(shapes.values())) == 1, shapes


def test_dry_run_is_kubectls_flag():
    param = _param(leaf_commands()["delete"], "dry_run")
    assert list(param.type.choices) == ["none", "client", "server"]
    assert param.default == "none"
    assert param.help.startswith('Must be "none", "server", or "client".')


def test_one_suffix_per_dry_run_mode():
    assert result_line("secret/x", "created") == "secret/x created"
    assert result_line("secret/x", "created", DryRun.NONE) == "secret/x created"
    assert result_line("secret/x", "created", DryRun.CLIENT) == "secret/x created (dry run)"
    assert result_line("secret/x", "deleted", DryRun.SERVER) == \
        "secret/x deleted (server dry run)"


def test_the_flag_is_parsed_once_into_the_type():
    """Every verb's command gets a DryRun, never the string (domain/dry_run)."""
    param = _param(leaf_commands()["delete"], "dry_run")
    assert list(param.type.choices) == list(DRY_RUN_MODES)
    ctx = click.Context(leaf_commands()["delete"])
    assert param.process_value(ctx, "server") is DryRun.SERVER


def test_what_each_mode_means():
    assert [m.persists for m in DryRun] == [True, False, False]
    assert [m.sends for m in DryRun] == [True, False, True]
    assert DryRun.NONE.server_flag is False and DryRun.SERVER.server_flag is True
    with pytest.raises(ValueError):
        _ = DryRun.CLIENT.server_flag  # a client dry run sends nothing: asking is a bug
    with pytest.raises(TypeError):
        bool(DryRun.NONE)          # "none" is a truthy string: no truth value at all


def _defined_options(path: Path) -> list[str]:
    """The `--long` names a module defines with click.option(...)."""
    tree = ast.parse(path.read_text())
    names = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "option"):
            names += [a.value for a in node.args if isinstance(a, ast.Constant)
                      and isinstance(a.value, str) and a.value.startswith("--")]
    return names


def test_no_flag_is_defined_twice_across_the_verbs():
    """A flag several verbs take is defined once (cli/options), not once per verb module."""
    seen: dict[str, list[str]] = {}
    for path in sorted((PACKAGE / "cli" / "commands").glob("*.py")):
        for name in _defined_options(path):
            seen.setdefault(name, []).append(path.name)
    # --output means different things (an output format, a file); --tail differs in default
    # and meaning between logs and report; --force overrides a different check in config
    # (a ConfigMap's content) and project disable (deployments still using the key); deploy's
    # and project enable's --wait wait for different objects, with their own --timeout text.
    allowed = {"--output", "--tail", "--force", "--wait"}
    assert {n: files for n, files in seen.items() if len(files) > 1 and n not in allowed} == {}


def test_no_verb_imports_another_verbs_module_for_helpers():
    """migrate took rotate-key's helpers from its command module; shared ones live in cli/."""
    tree = ast.parse((PACKAGE / "cli" / "commands" / "migrate.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(m and m.startswith("kubectl_nim.cli.commands") for m in imported)


# --- deploy's checks, one place for deploy and diff ------------------------------------------------

@pytest.mark.parametrize("flags", [
    ("--min-replicas", "3", "--max-replicas", "1"),
    ("--max-replicas", "0", "--min-replicas", "0"),
    ("--min-replicas", "-1"),
    ("--deployment-mode", "ModelMesh"),
])
def test_deploy_and_diff_refuse_bad_scaling_flags_alike(nim, cluster, flags):
    server, kc = cluster
    runs = {verb: nim(verb, "x", "--model", MODEL, "--skip-secrets", *flags, *kc)
            for verb in ("deploy", "diff")}
    assert {verb: r.exit_code for verb, r in runs.items()} == {"deploy": 2, "diff": 2}
    # one line: the flags are checked before the "Using the ... catalog" notice
    assert runs["deploy"].stderr.startswith("error: ") and runs["deploy"].stderr.count("\n") == 1
    assert runs["deploy"].stderr == runs["diff"].stderr
    assert [r for r in server.requests if r["method"] != "GET"] == []
