import os
import platform
import sys

import click

from kubectl_nim import __version__, log
from kubectl_nim.cli.context import get_environment
from kubectl_nim.cli.print_flags import print_flags


def plugin_files(name: str, path_env: str, is_windows: bool = os.name == "nt") -> list[str]:
    """Every `name` executable on PATH, in PATH order: the first is what `kubectl nim` runs
    (kubectl's own lookup); NVIDIA's NIM Operator plugin is also called kubectl-nim."""
    found, seen = [], set()
    names = [name + ext for ext in (".exe", ".bat", ".cmd", "")] if is_windows else [name]
    for folder in path_env.split(os.pathsep):
        for candidate in names:
            path = os.path.join(folder or ".", candidate)
            real = os.path.realpath(path)
            if os.path.isfile(path) and os.access(path, os.X_OK) and (path, real) not in seen:
                seen.add((path, real))
                found.append(path)
                break
    return found


def this_executable() -> str:
    return os.path.realpath(sys.executable if getattr(sys, "frozen", False) else sys.argv[0])


def clash_report(files: list[str], me: str) -> tuple[dict, list[str]]:
    """Which of `files` runs, whether that is this plugin, and the warnings to print."""
    runs = files[0] if files else None
    mine = [f for f in files if os.path.realpath(f) == me]
    data = {"onPath": files, "runs": runs, "runsThisPlugin": bool(runs and runs in mine)}
    warnings = []
    if len(files) > 1:
        warnings.append(f"{len(files)} plugins named {os.path.basename(files[0])} on PATH: "
                        f"kubectl runs the first, {files[0]}"
                        + ("" if data["runsThisPlugin"] else " (not this one)")
                        + "; `kubectl plugin list` shows the others as overshadowed")
    if files and not mine and os.path.basename(me).startswith("kubectl-"):
        # (run as `python -m kubectl_nim` or from tests, `me` is no plugin: nothing to say)
        warnings.append(f"this kubectl-nim ({me}) is not the one on PATH")
    if warnings and not data["runsThisPlugin"]:
        warnings.append("to keep both, link this one under another name, e.g. kubectl-nvnim, "
                        "and run it as `kubectl nvnim`")
    return data, warnings


@click.command("version")
@print_flags(sort=False)
def command(printer):
    """Print the plugin version, and which kubectl-nim on PATH `kubectl nim` runs.

    -o json|yaml: one object (docs/schemas/version.json).
    """
    info = {"version": __version__, "python": platform.python_version(),
            "platform": f"{sys.platform}/{platform.machine().lower()}"}
    # Always the Krew name `kubectl-nim`, also when run under another (kubectl nvnim): that is
    # the name NVIDIA's NIM Operator plugin shares.
    path = get_environment().environ.get("PATH", "")
    plugin, warnings = clash_report(plugin_files("kubectl-nim", path),
                                    this_executable())
    info["plugin"] = plugin
    click.echo(printer.one(info, text=lambda: f"kubectl-nim {info['version']} (python "
                                          f"{info['python']}, {info['platform']})\n"),
               nl=False)
    for warning in warnings:
        log.warn(warning)
