"""Bad input, in one place: whatever a user types or a file or a server holds (names,
namespaces, kubeconfigs, catalogs, durations, cluster settings, server answers), the CLI ends in
one line that names the file or server and what is wrong (exit 1 or 2), never a traceback nor
"unexpected failure", never the key. A name or namespace a user types is checked as Kubernetes
checks it before any request, and no code path can turn a user value into a collection URL (an
empty name made `DELETE .../inferenceservices/` delete everything).

Each section has its examples and then, where one exists, the property-based test (hypothesis)
that generalises them."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from kubectl_nim.adapters.kube import cluster as cluster_mod
from kubectl_nim.adapters.kube.resources import RESOURCES
from kubectl_nim.environment import Environment
from kubectl_nim.errors import NimError
from tests.helpers.catalog import catalog_configmap, model_entry
from tests.helpers.day2 import cli, isvc, runtime, seed_apps, seed_plugin

KEY = "nvapi-property-test-key-0123456789"
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _clean(result, *expect_in_stderr):
    """Exit 1 or 2, and the last line of stderr is the one error, naming each of `expect`."""
    assert result.exit_code in (1, 2), (result.exit_code, result.stdout, result.stderr)
    assert "unexpected failure" not in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) >= 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: "), result.stderr
    for text in expect_in_stderr:
        assert text in last, result.stderr


def _check(result, *keys):
    """Whatever the input: exit 0-3, no traceback, no "unexpected failure", never a key."""
    assert result.exit_code in (0, 1, 2, 3), (result.exit_code, result.stderr)
    text = result.stdout + result.stderr
    assert "Traceback" not in text
    assert "unexpected failure" not in text
    for key in keys:
        assert key not in text
        assert base64.b64encode(key.encode()).decode() not in text


def _run(nim, argv):
    # NUL cannot be passed in a real argv; everything else can.
    return nim(*[a.replace("\x00", "") for a in argv], env={"NGC_API_KEY": KEY})


def _no_writes(server):
    return [(r["method"], r["path"]) for r in server.requests if r["method"] != "GET"]


@pytest.fixture
def run(nim, kubeconfig, ngc_server):
    return cli(nim, kubeconfig)


# --- names and namespaces ------------------------------------------------------------------------

BAD_NAMES = ["", ".", "..", "a/b", "../x", "UPPER", "-x", "x_y", "a" * 300]


@pytest.mark.parametrize("argv", [
    ("delete", "", "--yes"), ("delete", ".", "--yes"), ("delete", "..", "--yes"),
    ("rotate-key", ""), ("rotate-key", "."), ("migrate", "."), ("migrate", ""),
    ("deploy", "", "--model", "llama-3.1-8b-instruct"),
    ("deploy", "..", "--model", "llama-3.1-8b-instruct"),
    ("list", "--namespace", "a/b"),
    ("delete", "x", "--yes", "-n", "."),
    ("config", "view", "--apps-namespace", ".."),
    ("deploy", "x", "--model", "llama-3.1-8b-instruct", "--existing-pvc", ".."),
    ("deploy", "x", "--model", "llama-3.1-8b-instruct", "--storage-class", "a/b"),
    ("deploy", "x", "--model", "llama-3.1-8b-instruct", "--hardware-profile-namespace", ".."),
    ("config", "set-custom-configmap", "..", "--configmap-namespace", "x"),
    ("config", "set-custom-configmap", "cm", "--configmap-namespace", ".."),
])
def test_bad_names_are_usage_errors_before_any_request(run, kube_server, argv):
    seed_plugin(kube_server, "x")
    seed_plugin(kube_server, "y")
    kube_server.clear_requests()
    result = run(*argv)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "unexpected" not in result.stderr
    if argv[0] == "delete" and argv[1] != "x":
        assert "invalid" in result.stderr
    assert _no_writes(kube_server) == []
    assert kube_server.requests == []  # validated before any request
    assert isvc(kube_server, "x") and isvc(kube_server, "y")
    assert runtime(kube_server, "x") and runtime(kube_server, "y")


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_namespace_option_names_the_rule(run, kube_server, bad):
    result = run("list", "-n", bad)
    assert result.exit_code == 2
    assert "namespace" in result.stderr.lower()
    assert "unexpected" not in result.stderr
    assert kube_server.requests == []


@pytest.mark.parametrize("bad", ["", ".", "..", "a/b", "/"])
def test_resource_path_refuses_names_that_would_address_a_collection(bad):
    res = RESOURCES["InferenceService"]
    with pytest.raises(NimError):
        res.path("team", bad)
    with pytest.raises(NimError):
        res.path(bad, "x")
    with pytest.raises(NimError):
        res.path(bad)


def test_resource_path_still_builds_valid_urls():
    res = RESOURCES["InferenceService"]
    assert res.path("team", "x") == "/apis/serving.kserve.io/v1beta1/namespaces/team/inferenceservices/x"
    assert res.path("team") == "/apis/serving.kserve.io/v1beta1/namespaces/team/inferenceservices"
    assert res.path(None) == "/apis/serving.kserve.io/v1beta1/inferenceservices"


def test_cluster_delete_with_empty_name_never_sends(kube_server, kubeconfig):
    seed_plugin(kube_server, "x")
    kube_server.clear_requests()
    c = cluster_mod.Cluster.connect(kubeconfig=kubeconfig, env=Environment.default())
    with pytest.raises(NimError):
        c.delete("InferenceService", "", "default")
    assert kube_server.requests == []
    assert isvc(kube_server, "x")


def test_invalid_namespace_in_kubeconfig_is_refused(nim, kube_server, tmp_path):
    path = kube_server.write_kubeconfig(tmp_path / "kc", namespace="..")
    seed_plugin(kube_server, "x")
    kube_server.clear_requests()
    result = nim("delete", "x", "--yes", "--kubeconfig", str(path))
    assert result.exit_code in (1, 2)
    assert "unexpected" not in result.stderr and "namespace" in result.stderr
    assert _no_writes(kube_server) == []


# Names: valid ones, the dangerous ones, and anything else printable.
names = st.one_of(
    st.sampled_from(["", ".", "..", "/", "x", "x/..", "a..b", "-x", "X", "x" * 64, "nim-x",
                     "a.b", "%2e%2e", "x?y", "x#y", "nvapi-typed-by-mistake-123", " x"]),
    st.from_regex(r"[a-z][a-z0-9-]{0,70}", fullmatch=True),
    st.text(min_size=0, max_size=40),
)
VERBS = [("delete", "{n}", "--yes"), ("rotate-key", "{n}", "--skip-key-validation",
                                      "--no-restart"),
         ("migrate", "{n}", "--skip-key-validation"), ("list",),
         ("deploy", "{n}", "--model", "llama-3.1-8b-instruct", "--skip-key-validation",
          "--dry-run=server"),
         ("config", "set-custom-configmap", "{n}", "--dry-run=server"), ("config", "view")]


@SETTINGS
@given(verb=st.sampled_from(VERBS), name=names, namespace=st.one_of(st.none(), names))
def test_any_name_or_namespace(nim, kube_server, kubeconfig, verb, name, namespace):
    if not kube_server.get_object("serving.kserve.io/v1beta1", "inferenceservices", "default",
                                  "x"):
        seed_plugin(kube_server, "x")
    argv = [a.format(n=name) for a in verb] + ["--kubeconfig", kubeconfig]
    if namespace is not None:
        argv += ["-n", namespace]
    result = _run(nim, argv)
    _check(result, KEY)
    # Nothing may be deleted outside the one deployment named "x".
    if name not in ("x",):
        assert kube_server.get_object("serving.kserve.io/v1beta1", "inferenceservices",
                                      "default", "x") is not None


# --- kubeconfigs ---------------------------------------------------------------------------------

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


@pytest.mark.parametrize("text", [yaml.safe_dump(doc) for doc in [
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
]] + [BOMB], ids=[f"doc{i}" for i in range(7)] + ["yaml-alias-bomb"])
def test_malformed_kubeconfig(nim, tmp_path, text):
    path = tmp_path / "kc"
    path.write_text(text)
    result = nim("list", "--kubeconfig", str(path))
    _clean(result, "kubeconfig")


scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=15))
shapes = st.recursive(scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(
        st.sampled_from(["clusters", "users", "contexts", "name", "cluster", "user", "context",
                         "server", "token", "namespace", "current-context",
                         "certificate-authority", "client-certificate", "client-key",
                         "insecure-skip-tls-verify", "exec", "tokenFile"]),
        inner, max_size=5)), max_leaves=15)


@SETTINGS
@given(doc=shapes)
def test_any_kubeconfig_shape(nim, tmp_path, doc):
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(doc))
    _check(_run(nim, ["list", "--kubeconfig", str(path), "--request-timeout", "1s"]), KEY)


# --- catalogs ------------------------------------------------------------------------------------

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


@pytest.mark.parametrize("name,text", [
    ("deep.json", "[" * 200000 + "]" * 200000),
    ("deep.yaml", "[" * 200000 + "]" * 200000),
    ("bomb.yaml", BOMB),
])
def test_a_catalog_file_that_would_exhaust_the_parser_is_refused_quickly(nim, tmp_path, name,
                                                                         text):
    path = tmp_path / name
    path.write_text(text)
    started = time.perf_counter()
    result = nim("models", "--catalog", str(path))
    assert time.perf_counter() - started < 5
    _clean(result, str(path))
    assert len(result.stdout) + len(result.stderr) < 2000


@pytest.mark.parametrize("entry,value", [("deep", "[" * 100000 + "]" * 100000),
                                         ("bomb", BOMB)])
@pytest.mark.parametrize("source", ["file", "cluster"])
def test_a_catalog_entry_that_would_exhaust_the_parser_is_skipped(nim, tmp_path, kube_server,
                                                                  kubeconfig, entry, value,
                                                                  source):
    if source == "file":
        path = tmp_path / "cat.json"
        path.write_text(json.dumps(catalog_configmap([model_entry("good-model")],
                                                     raw={entry: value})))
        where = ["--catalog", str(path)]
    else:
        seed_apps(kube_server)
        kube_server.put_object(catalog_configmap([model_entry("good-model")], raw={entry: value},
                                                 namespace="redhat-ods-applications"))
        where = ["--kubeconfig", kubeconfig]
    result = nim("models", *where, "-o", "name")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "model/good-model\n"
    assert f"skipping malformed catalog entry '{entry}'" in result.stderr


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12)
entry = st.one_of(
    st.fixed_dictionaries({"name": st.text(max_size=20), "namespace": st.text(max_size=20),
                           "tags": json_values, "latestTag": json_values},
                          optional={"euRestricted": json_values,
                                    "displayName": json_values}).map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=50),
)


@SETTINGS
@given(entries=st.dictionaries(st.one_of(st.text(max_size=20), st.integers()), entry,
                               max_size=5),
       fmt=st.sampled_from(["yaml", "json"]))
def test_any_catalog_entries(nim, tmp_path, entries, fmt):
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": entries}
    path = tmp_path / f"catalog.{fmt}"
    if fmt == "json":
        path.write_text(json.dumps({str(k): v for k, v in entries.items()} and
                                   {**doc, "data": {str(k): v for k, v in entries.items()}}))
    else:
        path.write_text(yaml.safe_dump(doc))
    for argv in (["models", "--catalog", str(path)],
                 ["models", "--catalog", str(path), "-o", "json"]):
        _check(_run(nim, argv), KEY)


# --- durations -----------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["99999999999h", "1e400", "9" * 400])
def test_huge_request_timeout_is_a_usage_error(nim, kubeconfig, value):
    result = nim("list", "--kubeconfig", kubeconfig, "--request-timeout", value)
    assert result.exit_code == 2, result.stderr
    assert "unexpected" not in result.stderr and "--request-timeout" in result.stderr


# --- cluster settings: the dashboard's nimConfig, a runtime template -----------------------------

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


# --- server answers that are not the API's (hostile shapes of real answers: test_hostile_answers)

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
