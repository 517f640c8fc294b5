"""Every test module that writes an InferenceService's status by hand (on the fake API server or the
real one) says in one line of its docstring why that test cannot run on the control-plane tier,
where KServe's own controller writes it (tests/realcluster/*_control_plane_real.py): a line
starting with MARKER. Pure tests pass objects to functions and write to no server: they are not
concerned.

What counts as writing it: `patch_status("InferenceService", ...)`; assigning `X["status"]` or
writing a `"status": {"conditions"|"observedGeneration": ...}` literal in a module that handles
InferenceServices; using the helpers that do it for their callers (HELPERS)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
MARKER = "Status written by hand:"
# Helpers that write an InferenceService status for the test that calls them.
HELPERS = {"tests.helpers.obs": {"deployment"}, "tests.helpers.day2": {"ready_with_an_old_pod"}}
_ISVC = re.compile(r"InferenceService|inferenceservices|ISVC_API|\bisvc\b")
_WRITES = re.compile(r"put_object|patch_status|\.create\(|\.apply\(")
_STATUS_KEYS = {"conditions", "observedGeneration"}


def _constant(node: ast.AST | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def writes_isvc_status(text: str) -> list[str]:
    """Why the module counts as writing an InferenceService status by hand (empty: it does not)."""
    tree = ast.parse(text)
    handles_isvc = bool(_ISVC.search(text))
    writes = bool(_WRITES.search(text))  # to a server: pure tests hand objects to functions
    why = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "patch_status" and node.args and \
                _constant(node.args[0]) == "InferenceService":
            why.append(f"line {node.lineno}: patch_status of an InferenceService")
        elif isinstance(node, ast.ImportFrom) and node.module in HELPERS:
            used = HELPERS[node.module] & {alias.name for alias in node.names}
            if used:
                why.append(f"line {node.lineno}: uses {', '.join(sorted(used))}")
        elif handles_isvc and writes and isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Subscript) and _constant(t.slice) == "status"
                for t in node.targets):
            why.append(f"line {node.lineno}: assigns a status")
        elif handles_isvc and writes and isinstance(node, ast.Dict) and any(
                _constant(k) == "status" and isinstance(v, ast.Dict) and
                _STATUS_KEYS & {_constant(k2) for k2 in v.keys}
                for k, v in zip(node.keys, node.values)):
            why.append(f"line {node.lineno}: writes a status literal")
    return why


def says_why(text: str) -> bool:
    doc = ast.get_docstring(ast.parse(text)) or ""
    return any(line.strip().startswith(MARKER) and line.strip()[len(MARKER):].strip()
               for line in doc.splitlines())


def _modules() -> list[Path]:
    return sorted(p for p in TESTS.rglob("test_*.py") if p != Path(__file__))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(TESTS)))
def test_a_module_that_writes_inferenceservice_status_says_why(path):
    text = path.read_text()
    why = writes_isvc_status(text)
    assert not why or says_why(text), (
        f"{path.relative_to(TESTS)} writes an InferenceService status by hand ({'; '.join(why)}):"
        f" move the test to the control-plane tier, or say in its docstring on one line starting"
        f" {MARKER!r} why it cannot")


def test_the_check_finds_each_kind_of_write():
    assert writes_isvc_status('server.patch_status("InferenceService", "a", "ns", {})\n')
    assert writes_isvc_status("from tests.helpers.obs import NAME, deployment\n")
    assert writes_isvc_status("def f():\n    from tests.helpers.day2 import ready_with_an_old_pod"
                              "\n")
    assert writes_isvc_status('isvc = get()\nisvc["status"] = {}\nput_object(isvc)\n')
    assert not writes_isvc_status('isvc = {}\nisvc["status"] = {}\nassess(isvc)\n')
    assert writes_isvc_status('ISVC_API\nput_object({"status": {"conditions": []}})\n')
    # A pod's status in a module that has nothing to do with InferenceServices is not one.
    assert not writes_isvc_status('pod["status"] = {"phase": "Running"}\n')
    assert not writes_isvc_status("from tests.helpers.obs import NAME, cluster\n")


def test_the_line_must_say_something():
    assert says_why(f'"""Tests.\n\n{MARKER} fault injection."""\n')
    assert not says_why(f'"""Tests.\n\n{MARKER}"""\n')
    assert not says_why(f'# {MARKER} in a comment is not the docstring\n')
