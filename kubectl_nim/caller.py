"""How the user invoked the plugin, for usage text and for the commands hints suggest.

`kubectl nim ...` gets hints in kubectl's words (`kubectl get ...`), `oc nim ...` in oc's. When
the caller cannot be told (the bare `kubectl-nim` binary, tests), hints say `oc`: the product
targets OpenShift AI, where `oc` is the documented client. Set once by the CLI's entry point.
"""

from __future__ import annotations

_prog_name = "kubectl-nim"
DEFAULT_TOOL = "oc"


def set_prog_name(name: str) -> None:
    global _prog_name
    _prog_name = name or "kubectl-nim"


def prog_name() -> str:
    """`kubectl nim`, `oc nim` or `kubectl-nim`: the plugin as the user typed it."""
    return _prog_name


def tool() -> str:
    """The client the user runs the plugin from: `kubectl` or `oc` (else DEFAULT_TOOL)."""
    if " " in _prog_name:
        return _prog_name.split(" ", 1)[0]
    return DEFAULT_TOOL


def plugin_cmd(rest: str) -> str:
    """A plugin command line for a hint, e.g. plugin_cmd("migrate x") -> "oc nim migrate x".

    Run as the bare binary, hints still say `kubectl nim`: that works wherever the binary is on
    PATH, and it is how the documentation spells it."""
    prog = _prog_name if " " in _prog_name else "kubectl nim"
    return f"{prog} {rest}"


def create_project_cmd() -> str:
    return "oc new-project" if tool() == "oc" else f"{tool()} create namespace"


def tool_cmd(rest: str) -> str:
    """A client command line for a hint, e.g. tool_cmd("get pods") -> "kubectl get pods"."""
    return f"{tool()} {rest}"
