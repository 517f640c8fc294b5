"""BENCHMARKS.md "Binary": start-up of the two release binaries side by side with kubectl.

    .venv/bin/python benchmarks/binary_startup.py [--runs 20] [--onedir PATH] [--onefile PATH]

Without --onedir/--onefile it builds both (scripts/build_binary.py, into a temporary directory,
about a minute each on 2 cores).  Each command runs --runs times after two warm-up runs
(benchmarks/_harness.measure: median and fastest wall time, the child's peak RSS); the binaries
run with a HOME of their own and no kubeconfig.  Prints a markdown table (median / fastest per cell) and the sizes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._harness import ROOT, measure, tool  # noqa: E402

COMMANDS = [("--help", ["--help"]), ("version", ["version"]), ("--version", ["--version"]),
            ("models --offline", ["models", "--offline"])]


def build(mode: str, base: Path) -> Path:
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_binary.py"), "--mode",
                          mode, "--dist", str(base / "dist"), "--work", str(base / f"w-{mode}")],
                         check=True, capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


def cell(m) -> str:
    """median / fastest: on a shared machine the fastest run is the steadier figure."""
    return f"{m.median_s * 1000:.0f} / {m.min_s * 1000:.0f} ms"


def size_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--onedir", type=Path, help="a built dist/kubectl-nim/kubectl-nim")
    parser.add_argument("--onefile", type=Path, help="a built dist/onefile/kubectl-nim")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="binary-startup-"))
    onedir = args.onedir or build("onedir", tmp)
    onefile = args.onefile or build("onefile", tmp)
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "NGC_API_KEY")}
    env["HOME"] = str(tmp)
    rows = [("onedir (Krew archive)", onedir), ("onefile (single-file asset)", onefile),
            ("console script in the venv", Path(tool("kubectl-nim")))]
    print("| command | " + " | ".join(label for label, _ in rows) + " |")
    print("|---|" + "---:|" * len(rows))
    for name, cmd in COMMANDS:
        cells = [measure(label, [str(exe), *cmd], args.runs, env=env) for label, exe in rows]
        print(f"| `{name}` | " + " | ".join(cell(m) for m in cells) + " |")
    kubectl = measure("kubectl", [tool("kubectl"), "version", "--client"], args.runs, env=env)
    print(f"| `kubectl version --client` | {cell(kubectl)} | | |")
    print(f"\nsizes: onedir folder {size_mb(onedir.parent):.1f} MB, "
          f"onefile {size_mb(onefile):.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
