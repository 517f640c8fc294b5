"""Inputs that used to end in "error: unexpected failure (X)" now end in one line that
names the file or server and what is wrong (exit 1 or 2), never a traceback."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from tests.helpers.catalog import catalog_configmap, model_entry
from tests.helpers.day2 import seed_apps


def _clean(result, *expect_in_stderr):
    assert result.exit_code in (1, 2), (result.exit_code, result.stdout, result.stderr)
    assert "unexpected failure" not in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) >= 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: "), result.stderr
    for text in expect_in_stderr:
        assert text in last, result.stderr


class _Canned(BaseHTTPRequestHandler):
    body = b""
    content_type = "text/html"

    def _answer(self):
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def canned_server(tmp_path):
    servers = []

    def start(body: bytes, content_type: str):
        handler = type("H", (_Canned,), {"body": body, "content_type": content_type})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        path = tmp_path / "kc-canned"
        path.write_text(yaml.safe_dump({
            "clusters": [{"name": "c", "cluster": {"server": url}}],
            "users": [{"name": "u", "user": {"token": "t"}}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u",
                                                   "namespace": "team"}}],
            "current-context": "c"}))
        return url, str(path)
    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("body,ctype,what", [
    (b"<html><body>Login</body></html>", "text/html", "not JSON"),
    (b"[1, 2, 3]", "application/json", "not a JSON object"),
    (b'"a string"', "application/json", "not a JSON object"),
])
@pytest.mark.parametrize("argv", [("list",), ("delete", "x", "--yes"), ("config", "view")])
def test_api_server_answering_html_or_an_array(nim, canned_server, body, ctype, what, argv):
    url, kubeconfig = canned_server(body, ctype)
    result = nim(*argv, "--kubeconfig", kubeconfig)
    _clean(result, what)
    assert url in result.stderr


@pytest.mark.parametrize("field", ["certificate-authority", "client-certificate"])
def test_missing_tls_file_named_in_the_error(nim, tmp_path, field):
    cluster = {"server": "https://127.0.0.1:1"}
    user = {"token": "t"}
    missing = str(tmp_path / "nope.pem")
    if field == "certificate-authority":
        cluster[field] = missing
    else:
        user.update({field: missing, "client-key": missing})
    path = tmp_path / "kc"
    path.write_text(yaml.safe_dump({
        "clusters": [{"name": "c", "cluster": cluster}], "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "c"}))
    result = nim("list", "--kubeconfig", str(path))
    _clean(result, missing)


@pytest.mark.parametrize("doc", [
    {"clusters": 5, "current-context": "c"},
    {"clusters": [{"name": "c", "cluster": "str"}], "contexts": [{"name": "c", "context": "x"}],
     "current-context": "c"},
    {"clusters": [{"name": "c", "cluster": {"server": 7}}], "users": [],
     "contexts": [{"name": "c", "context": {"cluster": "c"}}], "current-context": "c"},
    {"current-context": ["a", "list"]},
    {"clusters": [{"name": "c", "cluster": {"server": "https://x"}}],
     "users": [{"name": "u", "user": {"token": ["x"]}}],
     "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u", "namespace": 5}}],
     "current-context": "c"},
    ["a", "list"],
    "just a string",
])
def test_malformed_kubeconfig(nim, tmp_path, doc):
    path = tmp_path / "kc"
    path.write_text(yaml.safe_dump(doc))
    result = nim("list", "--kubeconfig", str(path))
    _clean(result, "kubeconfig")


def test_catalog_with_mixed_key_types_skips_the_bad_entry(nim, tmp_path):
    good = model_entry("good-model")
    path = tmp_path / "cat.yaml"
    # An int and a bool key: not 1 and True, which are one key (1 == True) in a dict.
    path.write_text(yaml.safe_dump({"kind": "ConfigMap", "metadata": {"name": "c"},
                                    "data": {"good-model": json.dumps(good), 1: "x", False: "y"}}))
    result = nim("models", "--catalog", str(path), "-o", "name")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "model/good-model\n"
    assert "skipping malformed catalog entry 1" in result.stderr
    assert "skipping malformed catalog entry False" in result.stderr
    assert "unexpected" not in result.stderr


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_deeply_nested_catalog_file(nim, tmp_path, fmt):
    path = tmp_path / f"deep.{fmt}"
    path.write_text("[" * 200000 + "]" * 200000)
    result = nim("models", "--catalog", str(path))
    _clean(result, str(path))


def test_deeply_nested_catalog_entry_is_skipped(nim, tmp_path):
    path = tmp_path / "cat.json"
    cm = catalog_configmap([model_entry("good-model")], raw={"deep": "[" * 100000 + "]" * 100000})
    path.write_text(json.dumps(cm))
    result = nim("models", "--catalog", str(path), "-o", "name")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "model/good-model\n"
    assert "skipping malformed catalog entry 'deep'" in result.stderr


BOMB = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
kind: ConfigMap
data: {x: *h}
"""


def test_yaml_alias_bomb_is_refused_quickly(nim, tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    started = time.perf_counter()
    result = nim("models", "--catalog", str(path))
    assert time.perf_counter() - started < 5
    _clean(result, str(path))
    assert len(result.stdout) + len(result.stderr) < 2000


def test_yaml_alias_bomb_as_kubeconfig(nim, tmp_path):
    path = tmp_path / "kc"
    path.write_text(BOMB)
    result = nim("list", "--kubeconfig", str(path))
    _clean(result, "kubeconfig")


def test_yaml_alias_bomb_in_a_catalog_configmap_value(nim, kube_server, kubeconfig):
    seed_apps(kube_server)
    cm = catalog_configmap([model_entry("good-model")], raw={"bomb": BOMB},
                           namespace="redhat-ods-applications")
    kube_server.put_object(cm)
    result = nim("models", "--kubeconfig", kubeconfig, "-o", "name")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "model/good-model\n"
    assert "skipping malformed catalog entry 'bomb'" in result.stderr


@pytest.mark.parametrize("value", ["99999999999h", "1e400", "9" * 400])
def test_huge_request_timeout_is_a_usage_error(nim, kubeconfig, value):
    result = nim("list", "--kubeconfig", kubeconfig, "--request-timeout", value)
    assert result.exit_code == 2, result.stderr
    assert "unexpected" not in result.stderr and "--request-timeout" in result.stderr


@pytest.mark.parametrize("nim_config", [
    "a string", ["a", "list"], {"customConfigMap": "cm"}, {"customConfigMap": {"name": 5}},
    {"customConfigMap": {"name": "cm", "namespace": ["x"]}}, {"disconnected": "yes"},
    {"disconnected": {"disableKeyCollection": "false"}},
])
@pytest.mark.parametrize("argv", [("models", "-o", "name"), ("config", "view")])
def test_wrongly_typed_nim_config_is_ignored_with_a_warning(nim, kube_server, kubeconfig,
                                                            nim_config, argv):
    seed_apps(kube_server, nim_config=nim_config)
    result = nim(*argv, "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.stderr
    assert "unexpected" not in result.stderr
    assert "warning: ignoring spec.nimConfig" in result.stderr
    assert "odhdashboardconfig redhat-ods-applications/odh-dashboard-config" in result.stderr


def test_wrongly_typed_nim_config_does_not_break_validate_key(nim, kube_server, kubeconfig,
                                                              ngc_server):
    seed_apps(kube_server, nim_config={"disconnected": "yes"})
    result = nim("validate-key", "--kubeconfig", kubeconfig, "--ngc-api-url", ngc_server.url,
                 env={"NGC_API_KEY": "nvapi-test-key"})
    assert result.exit_code == 0, result.stderr
    assert "unexpected" not in result.stderr


@pytest.mark.parametrize("parameters", ["a string", ["a", "b"], {"name": "x"}, [{"name": 5}]])
def test_template_with_malformed_parameters(nim, kube_server, kubeconfig, parameters):
    from kubectl_nim.app import discovery

    seed_apps(kube_server)
    tpl = discovery.embedded_template()
    tpl["metadata"] = {"name": "nvidia-nim-http-template",
                       "namespace": "redhat-ods-applications"}
    tpl["parameters"] = parameters
    kube_server.put_object(tpl)
    result = nim("deploy", "x", "--model", "llama-3.1-8b-instruct", "--kubeconfig", kubeconfig,
                 "--skip-key-validation", env={"NGC_API_KEY": "nvapi-test-key"})
    _clean(result, "template")
    assert [r for r in kube_server.requests if r["method"] != "GET"] == []
