"""`serve.py --control-plane` standalone: URL first on stdout, the kubeconfigs, fake GPU nodes,
and nothing left running after SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.helpers.deploy import kubectl_binary

SERVE = Path(__file__).with_name("serve.py")


def _children(pid: int) -> set[int]:
    out = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split()
        for child in map(int, children):
            out |= {child} | _children(child)
    return out


def test_serve_control_plane_standalone(tmp_path, control_plane):
    """`control_plane` only for its verdict on the binaries: skip, or fail in CI."""
    kubeconfig = tmp_path / "kc"
    proc = subprocess.Popen([sys.executable, str(SERVE), "--control-plane", "--port", "0",
                             "--nodes", "2", "--node-gpus", "4", "--kubeconfig-out",
                             str(kubeconfig)], stdout=subprocess.PIPE, text=True,
                            # the cache the session found (tests move $HOME)
                            env={**os.environ, "KUBECTL_NIM_TEST_BIN_CACHE":
                                 str(control_plane.bins["kwok"].parent)})
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("https://127.0.0.1:"), url
        assert kubeconfig.exists() and Path(f"{kubeconfig}-dev").exists()
        children = _children(proc.pid)
        assert len(children) >= 6  # etcd, apiserver, KCM, scheduler, kwok, KServe
        kubectl = kubectl_binary()
        if kubectl:
            nodes = json.loads(subprocess.run(
                [kubectl, "--kubeconfig", str(kubeconfig), "get", "nodes", "-o", "json"],
                capture_output=True, text=True, check=True).stdout)["items"]
            assert sorted(n["status"]["allocatable"]["nvidia.com/gpu"] for n in nodes) == \
                ["4", "4"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    for pid in children:
        assert not os.path.exists(f"/proc/{pid}") or \
            Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z", f"pid {pid} left running"
