"""Kubeconfigs and connection plumbing the connection tests share: kubeconfig documents and
files, a kubeconfig whose credentials come from an exec plugin (only the kubernetes package
reads those), a port nothing listens on, and a tiny real SOCKS5 proxy (fixture `socks_proxy`)."""

from __future__ import annotations

import socket
import socketserver
import struct
import sys
import threading

import pytest
import yaml


def ca_bundle() -> str:
    import certifi

    return certifi.where()


def config(clusters=(), users=(), contexts=(), current=None) -> dict:
    doc = {"apiVersion": "v1", "kind": "Config",
           "clusters": [{"name": n, "cluster": c} for n, c in clusters],
           "users": [{"name": n, "user": u} for n, u in users],
           "contexts": [{"name": n, "context": c} for n, c in contexts]}
    if current:
        doc["current-context"] = current
    return doc


def write(path, doc) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


EXEC_PLUGIN = """#!{python}
import json, os
print(json.dumps({{"apiVersion": "client.authentication.k8s.io/v1",
                  "kind": "ExecCredential", "status": {{"token": "exec-token"}}}}))
open({marker!r}, "a").write("called\\n")
"""


def exec_plugin_kubeconfig(tmp_path, server_url: str, namespace: str, marker):
    """A kubeconfig whose user gets its token from an exec plugin (EXEC_PLUGIN, which appends
    to `marker` when called): credentials only the kubernetes package knows."""
    plugin = tmp_path / "plugin.py"
    plugin.write_text(EXEC_PLUGIN.format(python=sys.executable, marker=str(marker)))
    plugin.chmod(0o755)
    doc = {"apiVersion": "v1", "kind": "Config", "current-context": "x",
           "clusters": [{"name": "c", "cluster": {"server": server_url}}],
           "users": [{"name": "u", "user": {"exec": {
               "apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin),
               "interactiveMode": "Never"}}}],
           "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u",
                                                  "namespace": namespace}}]}
    path = tmp_path / "kc"
    path.write_text(yaml.safe_dump(doc))
    return path


class _Socks5(socketserver.ThreadingTCPServer):
    """A minimal SOCKS5 proxy (no auth, CONNECT only) that counts the tunnels it opened."""

    daemon_threads = True
    allow_reuse_address = True
    tunnels: list


class _SocksHandler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request
        n_methods = conn.recv(2)[1]
        conn.recv(n_methods)
        conn.sendall(b"\x05\x00")
        _, cmd, _, atyp = conn.recv(4)
        if atyp == 1:
            host = socket.inet_ntoa(conn.recv(4))
        elif atyp == 3:
            host = conn.recv(conn.recv(1)[0]).decode()
        else:
            return
        port = struct.unpack(">H", conn.recv(2))[0]
        upstream = socket.create_connection((host, port))
        self.server.tunnels.append((host, port))
        conn.sendall(b"\x05\x00\x00\x01" + socket.inet_aton("0.0.0.0") + b"\x00\x00")

        def pump(a, b):
            try:
                while data := a.recv(65536):
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        t = threading.Thread(target=pump, args=(upstream, conn), daemon=True)
        t.start()
        pump(conn, upstream)
        t.join(5)


@pytest.fixture
def socks_proxy():
    server = _Socks5(("127.0.0.1", 0), _SocksHandler)
    server.tunnels = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
