"""Kubeconfig edge cases and kubectl's connection flags, with real kubectl beside the plugin.

Real HTTP against the fake API server (which records the Impersonate-* headers it receives); the
SOCKS5 proxy is a tiny real one below. No client method is patched.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubectl_nim.adapters.kube import kubeconfig as kc_mod
from kubectl_nim.adapters import netenv
from kubectl_nim.adapters.kube.cluster import Cluster
from kubectl_nim.environment import Environment
from kubectl_nim.errors import ClusterError, UsageError
from tests.helpers.deploy import kubectl_binary
from tests.helpers.kubeconfigs import ca_bundle, config, dead_port, socks_proxy, write  # noqa: F401


def run_kubectl(env, *args):
    binary = kubectl_binary()
    if binary is None:
        pytest.skip("kubectl binary not found")
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env})


# --------------------------------------------------------------------- several files

def two_files(tmp_path, server):
    """The first file names the context; the second defines the cluster with a relative CA."""
    first = write(tmp_path / "a" / "config",
                  config(contexts=[("two", {"cluster": "c2", "user": "u2", "namespace": "ns2"})],
                         current="two"))
    (tmp_path / "b").mkdir()
    shutil.copy(ca_bundle(), tmp_path / "b" / "ca.crt")
    second = write(tmp_path / "b" / "config",
                   config(clusters=[("c2", {"server": server,
                                            "certificate-authority": "ca.crt"})],
                          users=[("u2", {"token": "t2"})]))
    return f"{first}{os.pathsep}{second}"


def test_relative_paths_resolve_against_the_file_that_names_them(tmp_path, kube_server,
                                                                   monkeypatch, nim):
    listed = two_files(tmp_path, kube_server.url)
    # kubectl reads this merged configuration without complaint...
    real = run_kubectl({"KUBECONFIG": listed, "HOME": str(tmp_path)}, "get", "secrets",
                       "--cache-dir", str(tmp_path / "cache"))
    assert real.returncode == 0, real.stderr
    # ...and so does the plugin, with the CA found next to the second file.
    monkeypatch.setenv("KUBECONFIG", listed)
    cluster = Cluster.connect(env=Environment.default())
    assert cluster.namespace == "ns2"
    assert cluster.list("Secret", "ns2") == []
    endpoint = kc_mod.find_endpoint(None, None, {"KUBECONFIG": listed})
    assert endpoint.ca_file == str(tmp_path / "b" / "ca.crt")


def test_missing_ca_file_is_one_line_naming_it(tmp_path, kube_server):
    path = write(tmp_path / "config",
                 config(clusters=[("c", {"server": kube_server.url,
                                         "certificate-authority": "nope.crt"})],
                        users=[("u", {"token": "t"})],
                        contexts=[("x", {"cluster": "c", "user": "u"})], current="x"))
    with pytest.raises(ClusterError) as e:
        Cluster.connect(kubeconfig=path, env=Environment.default())
    assert str(e.value).startswith(f"cannot read the certificate authority "
                                   f"{tmp_path / 'nope.crt'}: No such file")


# --------------------------------------------------------------------- impersonation

def impersonating_config(tmp_path, server) -> str:
    return write(tmp_path / "config",
                 config(clusters=[("c", {"server": server})],
                        users=[("u", {"token": "t", "as": "alice",
                                      "as-groups": ["team-a", "system:authenticated"]})],
                        contexts=[("x", {"cluster": "c", "user": "u", "namespace": "team"})],
                        current="x"))


def seen(kube_server, path_part):
    return [(r["impersonate_user"], r["impersonate_groups"]) for r in kube_server.requests
            if path_part in r["path"]]


def test_kubeconfig_as_and_as_groups_are_sent_like_kubectl_sends_them(tmp_path, kube_server, nim):
    path = impersonating_config(tmp_path, kube_server.url)
    real = run_kubectl({"HOME": str(tmp_path)}, "--kubeconfig", path, "get", "configmaps",
                       "--cache-dir", str(tmp_path / "cache"))
    assert real.returncode == 0, real.stderr
    kubectl_saw = seen(kube_server, "/configmaps")
    assert kubectl_saw[-1] == ("alice", ["team-a", "system:authenticated"])
    kube_server.clear_requests()
    result = nim("list", "--kubeconfig", path)
    assert result.exit_code == 0, result.stderr
    ours = seen(kube_server, "/inferenceservices")
    assert ours == [kubectl_saw[-1]]


def test_as_flags_replace_the_kubeconfig_impersonation(tmp_path, kube_server, nim):
    path = impersonating_config(tmp_path, kube_server.url)
    result = nim("list", "--kubeconfig", path, "--as", "bob", "--as-group", "g1",
                 "--as-group", "g2")
    assert result.exit_code == 0, result.stderr
    assert seen(kube_server, "/inferenceservices") == [("bob", ["g1", "g2"])]
    real = run_kubectl({"HOME": str(tmp_path)}, "--kubeconfig", path, "get", "configmaps",
                       "--as", "bob", "--as-group", "g1", "--as-group", "g2",
                       "--cache-dir", str(tmp_path / "cache"))
    assert real.returncode == 0, real.stderr
    assert seen(kube_server, "/configmaps")[-1] == ("bob", ["g1", "g2"])


def test_as_group_without_as_is_a_usage_error(tmp_path, kube_server, nim):
    path = kube_server.write_kubeconfig(tmp_path / "kc")
    result = nim("list", "--kubeconfig", path, "--as-group", "g1")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --as-group needs --as")
    assert kube_server.requests == []


def test_no_impersonation_sends_no_header(kube_server, kubeconfig, nim):
    assert nim("list", "--kubeconfig", kubeconfig).exit_code == 0
    assert seen(kube_server, "/inferenceservices") == [(None, [])]


# --------------------------------------------------------------------- connection flags

def test_server_and_token_work_without_any_kubeconfig(kube_server, nim):
    result = nim("list", "--server", kube_server.url, "--token", "sekret-token", "-n", "team",
                 "-v")
    assert result.exit_code == 0, result.stderr
    assert "sekret-token" not in result.stderr + result.stdout
    assert "/apis/serving.kserve.io/v1beta1/namespaces/team/inferenceservices" in \
        [r["path"] for r in kube_server.requests]


def test_user_cluster_and_tls_flags_pick_kubeconfig_entries():
    merged = kc_mod.merge([config(
        clusters=[("c1", {"server": "https://one", "certificate-authority-data": "Zm9v"}),
                  ("c2", {"server": "https://two", "insecure-skip-tls-verify": True})],
        users=[("u1", {"token": "t1"}), ("u2", {"token": "t2", "as": "robot"}),
               ("u3", {"exec": {"command": "x"}})],
        contexts=[("x", {"cluster": "c1", "user": "u1", "namespace": "n"})], current="x")])
    plain = kc_mod.resolve(merged, None, "/")
    assert (plain.server, plain.token, plain.ca_data, plain.insecure) == \
        ("https://one", "t1", b"foo", False)
    picked = kc_mod.resolve(merged, None, "/", kc_mod.Overrides(user="u2", cluster="c2"))
    assert (picked.server, picked.token, picked.insecure, picked.impersonate_user,
            picked.namespace) == ("https://two", "t2", True, "robot", "n")
    ca = kc_mod.resolve(merged, None, "/", kc_mod.Overrides(
        cluster="c2", certificate_authority="/etc/ca.pem", server="https://three/"))
    assert (ca.server, ca.ca_file, ca.ca_data, ca.insecure) == \
        ("https://three", "/etc/ca.pem", None, False)
    insecure = kc_mod.resolve(merged, None, "/",
                                  kc_mod.Overrides(insecure_skip_tls_verify=True))
    assert (insecure.ca_data, insecure.insecure) == (None, True)
    # --token replaces an exec plugin: no `kubernetes` loader needed.
    token = kc_mod.resolve(merged, None, "/", kc_mod.Overrides(user="u3", token="tok"))
    assert token.token == "tok"
    with pytest.raises(kc_mod.NeedsKubernetesLoader):
        kc_mod.resolve(merged, None, "/", kc_mod.Overrides(user="u3"))
    with pytest.raises(ClusterError, match="user 'nobody' is not in the kubeconfig"):
        kc_mod.resolve(merged, None, "/", kc_mod.Overrides(user="nobody"))
    with pytest.raises(ClusterError, match="cluster 'nowhere' is not in the kubeconfig"):
        kc_mod.resolve(merged, None, "/", kc_mod.Overrides(cluster="nowhere"))


def test_ca_and_insecure_together_are_refused_like_kubectl(nim, kube_server, kubeconfig):
    result = nim("list", "--kubeconfig", kubeconfig, "--certificate-authority", "/x.pem",
                 "--insecure-skip-tls-verify")
    assert result.exit_code == 2
    assert "--certificate-authority and --insecure-skip-tls-verify" in result.stderr
    with pytest.raises(UsageError):
        kc_mod.Overrides(certificate_authority="/x", insecure_skip_tls_verify=True).check()


# --------------------------------------------------------------------- proxies

@pytest.mark.parametrize("host,port,no_proxy,expected", [
    ("127.0.0.1", 6443, "127.0.0.0/8", True),
    ("172.30.0.1", 443, "10.0.0.0/8,172.30.0.0/16", True),
    ("172.31.0.1", 443, "172.30.0.0/16", False),
    ("api.example.com", 6443, "example.com", True),
    ("example.com", 6443, "example.com", True),
    ("notexample.com", 6443, "example.com", False),
    ("example.com", 6443, ".example.com", False),
    ("api.example.com", 6443, ".example.com", True),
    ("api.example.com", 6443, "*.example.com", True),
    ("api.example.com", 6443, "example.com:443", False),
    ("api.example.com", 443, "example.com:443", True),
    ("10.1.2.3", 443, "10.1.2.3", True),
    ("10.1.2.4", 443, "10.1.2.3", False),
    ("::1", 443, "::1/128", True),
    ("anything", 1, "*", True),
    ("anything", 1, "", False),
    ("10.0.0.1", 443, "garbage/99, ,", False),
])
def test_no_proxy_matching_follows_go(host, port, no_proxy, expected):
    assert netenv.no_proxy_matches(host, port, no_proxy) is expected


@given(st.ip_addresses(v=4), st.integers(min_value=0, max_value=32))
def test_an_address_is_exempt_by_any_network_that_holds_it(address, prefix):
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    assert netenv.no_proxy_matches(str(address), 443, f"example.com,{network}")
    outside = network.broadcast_address + 1 if network.broadcast_address < \
        ipaddress.ip_address("255.255.255.255") else None
    if outside is not None:
        assert not netenv.no_proxy_matches(str(outside), 443, str(network))


def test_proxy_choice_follows_kubectl():
    env = {"HTTPS_PROXY": "proxy:3128", "HTTP_PROXY": "http://h:1", "NO_PROXY": "10.0.0.0/8"}
    assert netenv.proxy_for("https://api.x:6443", None, env) == "http://proxy:3128"
    assert netenv.proxy_for("http://api.x:6443", None, env) == "http://h:1"
    assert netenv.proxy_for("https://10.1.1.1:6443", None, env) is None
    assert netenv.proxy_for("https://127.0.0.1:6443", None, env) is None  # loopback: never
    assert netenv.proxy_for("https://localhost:6443", None, env) is None
    assert netenv.proxy_for("https://10.1.1.1", "socks5://s:1080", env) == "socks5://s:1080"
    assert netenv.display("http://user:pw@proxy:3128") == "http://proxy:3128"


def test_proxy_failure_names_the_proxy_not_the_cluster(tmp_path, nim, monkeypatch):
    port = dead_port()
    path = write(tmp_path / "config",
                 config(clusters=[("c", {"server": "https://api.cluster.invalid:6443"})],
                        users=[("u", {"token": "t"})],
                        contexts=[("x", {"cluster": "c", "user": "u"})], current="x"))
    monkeypatch.setenv("HTTPS_PROXY", f"http://user:pw@127.0.0.1:{port}")
    result = nim("list", "--kubeconfig", path)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: cannot reach the cluster at https://api.cluster.invalid:6443 through the proxy "
        f"http://127.0.0.1:{port} (connection refused); check the proxy")
    assert "pw" not in result.stderr
    monkeypatch.setenv("NO_PROXY", "cluster.invalid")
    direct = nim("list", "--kubeconfig", path)
    assert "proxy" not in direct.stderr and "host name not found" in direct.stderr


def test_socks5_proxy_url_in_the_kubeconfig(tmp_path, kube_server, socks_proxy, nim):
    host, port = socks_proxy.server_address
    path = write(tmp_path / "config",
                 config(clusters=[("c", {"server": kube_server.url,
                                         "proxy-url": f"socks5://{host}:{port}"})],
                        users=[("u", {"token": "t"})],
                        contexts=[("x", {"cluster": "c", "user": "u", "namespace": "team"})],
                        current="x"))
    result = nim("list", "--kubeconfig", path)
    assert result.exit_code == 0, result.stderr
    assert socks_proxy.tunnels and socks_proxy.tunnels[0][1] == int(kube_server.url.rsplit(":", 1)[1])
    assert kube_server.requests, "the request went through the tunnel to the API server"


# --------------------------------------------------------------------- trust

def test_without_a_kubeconfig_ca_the_system_trust_store_is_used():
    pytest.importorskip("truststore")
    import truststore

    endpoint = kc_mod.Endpoint(server="https://x", context="c")
    from kubectl_nim.adapters.kube.httpx_transport import _ssl_context

    assert isinstance(_ssl_context(endpoint), truststore.SSLContext)
    with_ca = kc_mod.Endpoint(server="https://x", context="c", ca_file=ca_bundle())
    assert not isinstance(_ssl_context(with_ca), truststore.SSLContext)


# --------------------------------------------------------------------- long silences

def test_a_slow_api_server_is_announced_once(kube_server, kubeconfig, nim):
    nim.environment["slow_notice_after"] = 0.2
    kube_server.fail("GET", r"/inferenceservices", 0, hang_seconds=0.6)
    kube_server.fail("GET", r"/servingruntimes", 0, hang_seconds=0.6)
    result = nim("list", "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count(f"The API server at {kube_server.url} has not answered for "
                               f"0.2s; waiting up to 30s (--request-timeout changes that)...") == 1
    quick = nim("list", "--kubeconfig", kubeconfig)
    assert "has not answered" not in quick.stderr
