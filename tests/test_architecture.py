"""The layering rules, checked on the source (ast): a test fails when a module under
`kubectl_nim/domain/` imports I/O (an adapter, click, httpx, kubernetes, sockets) or a layer above
it, or when a module under `kubectl_nim/app/` imports click (use cases do not print or parse
flags)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "kubectl_nim"

# What pure code may not reach: transports, the CLI, and the layers that orchestrate I/O.
DOMAIN_FORBIDDEN = ("click", "httpx", "kubernetes", "urllib3", "socket", "ssl", "requests",
                    "subprocess", "kubectl_nim.cluster", "kubectl_nim.kubeconfig",
                    "kubectl_nim.ngc", "kubectl_nim.adapters", "kubectl_nim.session",
                    "kubectl_nim.app", "kubectl_nim.commands", "kubectl_nim.cli",
                    "kubectl_nim.deploy", "kubectl_nim.discovery")
APP_FORBIDDEN = ("click", "kubectl_nim.commands", "kubectl_nim.cli")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from kubectl_nim import cluster` imports the module kubectl_nim.cluster
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def violations(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(name for name in imported_modules(path)
                  if any(name == f or name.startswith(f + ".") for f in forbidden))


def modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).glob("*.py"))


@pytest.mark.parametrize("path", modules("domain"), ids=lambda p: p.name)
def test_domain_is_pure(path):
    assert violations(path, DOMAIN_FORBIDDEN) == []


@pytest.mark.parametrize("path", modules("app"), ids=lambda p: p.name)
def test_app_does_not_parse_flags_or_print(path):
    assert violations(path, APP_FORBIDDEN) == []


def test_the_rule_catches_a_violation(tmp_path):
    """The checker itself: a domain module importing the cluster adapter is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from kubectl_nim import cluster\nimport click\nfrom . import names\n")
    assert violations(bad, DOMAIN_FORBIDDEN) == ["click", "kubectl_nim.cluster"]


def test_the_layers_exist():
    assert modules("domain") and modules("app")
