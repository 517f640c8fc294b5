"""The built binaries the binary tests run, built at most once per session per mode.

tests/release/test_binary.py, tests/release/test_binary_onefile.py and tests/release/test_krew_install.py each declare a
session fixture over `built(mode, tmp_path_factory)`; a fixture imported into several modules
would be set up once per module, so the build itself is cached here, keyed by mode.

    KUBECTL_NIM_BINARY=path          the onedir executable to use (the release workflow's build)
    KUBECTL_NIM_ONEFILE_BINARY=path  the single-file executable to use
    KUBECTL_NIM_SKIP_BINARY=1        skip every binary test on purpose (reported by pytest -ra)

Without PyInstaller the tests fail rather than skip, so that CI can never silently stop checking
the binary.  A build takes 30-60 s on a 2-core machine.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GIVEN = {"onedir": "KUBECTL_NIM_BINARY", "onefile": "KUBECTL_NIM_ONEFILE_BINARY"}
_BUILT: dict[str, Path] = {}


def built(mode: str, tmp_path_factory) -> Path:
    """The executable of a `mode` build (onedir: dist/kubectl-nim/kubectl-nim; onefile: the file)."""
    given = os.environ.get(GIVEN[mode])
    if given:
        path = Path(given)
        assert path.is_file() and os.access(path, os.X_OK), f"{given} is not an executable"
        return path
    if os.environ.get("KUBECTL_NIM_SKIP_BINARY") == "1":
        pytest.skip("KUBECTL_NIM_SKIP_BINARY=1")
    if mode in _BUILT:
        return _BUILT[mode]
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.fail("PyInstaller is not installed, so the binary cannot be built: "
                    "pip install -e '.[build]' (or set KUBECTL_NIM_BINARY to a built binary, "
                    "or KUBECTL_NIM_SKIP_BINARY=1 to skip on purpose)")
    base = tmp_path_factory.mktemp(f"binary-{mode}")
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_binary.py"),
                          "--mode", mode, "--dist", str(base / "dist"),
                          "--work", str(base / "work")],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout + out.stderr
    _BUILT[mode] = Path(out.stdout.strip().splitlines()[-1])
    return _BUILT[mode]


def clean_env(home: Path) -> dict:
    """The environment a binary runs in: no kubeconfig, key, plugin-caller or proxy variables
    of the developer's shell, and a HOME of its own."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("KUBECONFIG", "NGC_API_KEY", "KUBECTL_PATH", "KUBECTL_BINARY",
                        "KUBECTL_PLUGINS_CALLER") and not k.endswith("_COMPLETE")}
    env["HOME"] = str(home)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env.pop(proxy, None)
    return env


def runner(binary: Path, home: Path):
    env = clean_env(home)

    def invoke(*args, expect=0, extra_env=None):
        out = subprocess.run([str(binary), *map(str, args)], env={**env, **(extra_env or {})},
                             capture_output=True, text=True, timeout=120, cwd=home)
        assert "Traceback" not in out.stdout + out.stderr, out.stdout + out.stderr
        assert out.returncode == expect, (args, out.returncode, out.stdout, out.stderr)
        return out

    return invoke
