"""Property-based: whatever names, namespaces, catalog entries and kubeconfig shapes a
user (or a broken cluster) supplies, the CLI ends with exit 0-3, one-line errors, no traceback,
no "unexpected failure", and never the key."""

from __future__ import annotations

import base64
import json

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.helpers.day2 import seed_plugin

KEY = "nvapi-property-test-key-0123456789"
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

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


def _check(result, *keys):
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
