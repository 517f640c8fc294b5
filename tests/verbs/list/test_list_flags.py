"""kubectl's list flags on `list` (NAME, -l, --sort-by, --no-headers, -o jsonpath, -w) and
`delete -o name`, against the fake API server; the JSONPath subset beside real kubectl."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubectl_nim.domain import jsonpath
from kubectl_nim.errors import UsageError
from tests.helpers.day2 import seed_plugin

ISVC_REF = "inferenceservice.serving.kserve.io"


@pytest.fixture
def nim_list(nim, kubeconfig):
    def run(*args):
        return nim("list", "--kubeconfig", kubeconfig, *args)
    return run


def label(server, name, **labels):
    obj = server.get_object("serving.kserve.io/v1beta1", "inferenceservices", "default", name)
    obj["metadata"].setdefault("labels", {}).update(labels)
    server.put_object(obj)


@pytest.fixture
def three(kube_server):
    for name in ("b", "a", "c"):
        seed_plugin(kube_server, name)
    label(kube_server, "a", team="x")
    label(kube_server, "c", team="x")
    label(kube_server, "b", team="y")
    return kube_server


def test_list_name_shows_one(nim_list, three):
    result = nim_list("b", "-o", "name")
    assert (result.exit_code, result.stdout) == (0, f"{ISVC_REF}/b\n")


def test_list_unknown_name_is_not_found(nim_list, three):
    result = nim_list("zz")
    assert result.exit_code == 1
    assert result.stderr == ("error: no NIM deployment 'zz' in default (no InferenceService or "
                             "ServingRuntime of that name); "
                             "`kubectl nim list -n default` shows the deployments\n")


def test_selector_is_sent_and_applied(nim_list, three):
    result = nim_list("-l", "team=x", "-o", "name")
    assert result.stdout == f"{ISVC_REF}/a\n{ISVC_REF}/c\n"
    assert any("labelSelector=team%3Dx" in r["query"] for r in three.requests)
    assert nim_list("--selector", "team!=x", "-o", "name").stdout == f"{ISVC_REF}/b\n"


def test_no_headers(nim_list, three):
    with_headers = nim_list().stdout.splitlines()
    without = nim_list("--no-headers").stdout.splitlines()
    assert with_headers[0].startswith("NAME")
    assert [line.split()[0] for line in without] == ["a", "b", "c"]
    assert not any(line.startswith("NAME") for line in without)


def test_sort_by(nim_list, three):
    desc = nim_list("--sort-by", "{.name}", "-o", "name").stdout
    assert desc == f"{ISVC_REF}/a\n{ISVC_REF}/b\n{ISVC_REF}/c\n"
    # kubectl: a path no item has is a mistake, not an order (exit 1)
    missing = nim_list("--sort-by", ".url", "-o", "name")
    assert (missing.exit_code, missing.stdout) == (1, "")
    assert missing.stderr.startswith("error: couldn't find any field with path '{.url}'")
    bad = nim_list("--sort-by", "{.items[*].name}")
    assert bad.exit_code == 2 and "one value per item" in bad.stderr
    assert not any(r["method"] != "GET" for r in three.requests)


def test_jsonpath_output(nim_list, three):
    result = nim_list("-o", "jsonpath={.items[*].name}")
    assert (result.exit_code, result.stdout) == (0, "a b c")
    table = nim_list("-o", 'jsonpath={range .items[*]}{.name}{"\\t"}{.keyScheme}{"\\n"}{end}')
    assert table.stdout == "a\tper-deployment\nb\tper-deployment\nc\tper-deployment\n"
    bad = nim_list("-o", "jsonpath={.items[?(@.name=='a')]}")
    assert bad.exit_code == 2
    assert "filters [?(...)] are not supported" in bad.stderr
    assert bad.stderr.count("\n") == 1


def test_delete_output_name(nim, kubeconfig, kube_server):
    seed_plugin(kube_server, "x")
    result = nim("delete", "x", "--yes", "-o", "name", "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (f"{ISVC_REF}/x\nservingruntime.serving.kserve.io/x\n"
                             "secret/nvidia-nim-secrets-x\nsecret/nvidia-nim-image-pull-x\n")


# --------------------------------------------------------------------- the JSONPath subset

DATA = {"kind": "List", "items": [
    {"name": "a", "n": 2, "tags": ["1", "2"], "meta": {"x.y": "dotted", "k": True}},
    {"name": "b", "n": 10, "tags": [], "meta": {"k": False}}]}


@pytest.mark.parametrize("template,expected", [
    ("{.items[*].name}", "a b"),
    ("{.items[0].name}", "a"),
    ("{.items[-1].name}", "b"),
    ("{.items[0].meta['x.y']}", "dotted"),
    ("{.items[*].n}", "2 10"),
    ("{.items[0].tags}", '["1","2"]'),
    ("{.items[0].meta.k}", "true"),
    ("{..name}", "a b"),
    ("{.items[5].name}", ""),
    ("{.missing}", ""),
    ("names: {.items[*].name}!", "names: a b!"),
    ('{range .items[*]}{.name}={.n}{"\\n"}{end}', "a=2\nb=10\n"),
    ("{range .items[*]}[{range .tags[*]}{@}{end}]{end}", "[12][]"),
    ("{.kind}\\n", "List\n"),
])
def test_jsonpath_render(template, expected):
    assert jsonpath.render(template, DATA) == expected


@pytest.mark.parametrize("template", ["{.a", "{range .items[*]}", "{end}", "{.a[1:2]}",
                                      "{.a[0,1]}", "{.a[?(@.x)]}", "{.a b}"])
def test_jsonpath_refusals(template):
    with pytest.raises(UsageError):
        jsonpath.render(template, DATA)


@given(st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), max_size=5))
def test_jsonpath_star_is_every_item(names):
    data = {"items": [{"name": n} for n in names]}
    assert jsonpath.render("{.items[*].name}", data) == " ".join(names)
    assert jsonpath.render('{range .items[*]}{.name}{"\\n"}{end}', data) == \
        "".join(f"{n}\n" for n in names)


def test_jsonpath_matches_real_kubectl(kube_server, kubeconfig, tmp_path):
    """The same templates through real kubectl on a List of ConfigMaps and through ours."""
    from tests.helpers.deploy import kubectl_binary

    binary = kubectl_binary()
    if binary is None:
        pytest.skip("kubectl binary not found")
    for name, data in (("one", {"a": "1", "b.c": "x"}), ("two", {"a": "2"})):
        kube_server.put_object({"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": name, "namespace": "default"},
                                "data": data})
    templates = ["{.items[*].metadata.name}", "{.items[0].data.a}",
                 "{.items[-1].data.a}",
                 '{range .items[*]}{.metadata.name}{"\\t"}{.data.a}{"\\n"}{end}',
                 "{.items[1].metadata.name}", "{.kind}"]
    listing = subprocess.run([binary, "--kubeconfig", kubeconfig, "get", "configmaps",
                              "-o", "json", "--cache-dir", str(tmp_path / "c")],
                             capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0, listing.stderr
    data = json.loads(listing.stdout)
    for template in templates:
        real = subprocess.run([binary, "--kubeconfig", kubeconfig, "get", "configmaps",
                               "-o", f"jsonpath={template}", "--cache-dir", str(tmp_path / "c")],
                              capture_output=True, text=True, timeout=60)
        assert real.returncode == 0, real.stderr
        assert jsonpath.render(template, data) == real.stdout, template


# --------------------------------------------------------------------- watch

@pytest.mark.subprocess
def test_watch_prints_changes_until_interrupted(kube_server, kubeconfig):
    seed_plugin(kube_server, "a")
    script = Path(sys.executable).with_name("kubectl-nim")
    proc = subprocess.Popen([str(script), "list", "-w", "--watch-interval", "0.1",
                             "--no-headers", "--kubeconfig", kubeconfig],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "HOME": str(Path(kubeconfig).parent)})
    try:
        first = proc.stdout.readline()
        assert first.split()[0] == "a"
        seed_plugin(kube_server, "b")
        second = proc.stdout.readline()
        assert second.split()[0] == "b"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
