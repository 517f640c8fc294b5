"""Discovery hints (app/discovery_hints.py): the catalog where the last run found it is read
beside discovery, in its first round trip; a stale or broken hint never changes an answer."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from hypothesis import given, strategies as st

from kubectl_nim.app import discovery_hints
from tests.fakes.ngc_server import generate_catalog
from tests.helpers.obs import round_trips

LATENCY = 0.3
APPS, OTHER = "redhat-ods-applications", "opendatahub"


def _cluster(server, tmp_path, apps=APPS, models=3):
    for ns in (APPS, OTHER, "team"):
        server.put_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    cm = generate_catalog(models)
    cm["metadata"]["namespace"] = apps
    server.put_object(cm)
    _point(server, apps)
    return str(server.write_kubeconfig(tmp_path / "kubeconfig", namespace="team"))


def _point(server, apps):
    server.put_object({"apiVersion": "dscinitialization.opendatahub.io/v1",
                       "kind": "DSCInitialization", "metadata": {"name": "default-dsci"},
                       "spec": {"applicationsNamespace": apps}})
    server.put_object({"apiVersion": "opendatahub.io/v1alpha", "kind": "OdhDashboardConfig",
                       "metadata": {"name": "odh-dashboard-config", "namespace": apps},
                       "spec": {}})


def _models(nim, server, kc, env=None):
    server.clear_requests()
    server.set_latency(LATENCY * 1000)
    result = nim("models", "-o", "json", "--kubeconfig", kc, env=env)
    server.set_latency(0)
    assert result.exit_code == 0, result.stderr
    return result, round_trips(server.requests, LATENCY)


def _files(home: Path) -> list[Path]:
    return sorted((home / ".cache" / "kubectl-nim" / "discovery").glob("*.json"))


def test_the_second_run_reads_the_catalog_beside_discovery(nim, kube_server, tmp_path):
    kc = _cluster(kube_server, tmp_path)
    first, trips = _models(nim, kube_server, kc)
    assert trips == 2
    [hint] = _files(Path(os.environ["HOME"]))
    assert json.loads(hint.read_text()) == {"apps": APPS, "custom": None}
    assert oct(hint.stat().st_mode & 0o777) == "0o600"
    second, trips = _models(nim, kube_server, kc)
    assert trips == 1
    assert second.stdout == first.stdout and second.stderr == first.stderr


def test_a_stale_hint_costs_a_round_trip_not_a_wrong_answer(nim, kube_server, tmp_path):
    kc = _cluster(kube_server, tmp_path)
    _models(nim, kube_server, kc)  # remembers APPS
    moved = generate_catalog(5)
    moved["metadata"]["namespace"] = OTHER
    kube_server.put_object(moved)
    _point(kube_server, OTHER)  # the DSCInitialization now names another namespace
    result, trips = _models(nim, kube_server, kc)
    assert trips == 2
    assert len(json.loads(result.stdout)["items"]) == 5  # the catalog of OTHER (5 models)
    [hint] = _files(Path(os.environ["HOME"]))
    assert json.loads(hint.read_text())["apps"] == OTHER
    assert _models(nim, kube_server, kc)[1] == 1


def test_an_empty_cache_dir_turns_the_hints_off(nim, kube_server, tmp_path):
    kc = _cluster(kube_server, tmp_path)
    for _ in range(2):
        assert _models(nim, kube_server, kc, env={"KUBECTL_NIM_CACHE_DIR": ""})[1] == 2
    assert _files(Path(os.environ["HOME"])) == []


def test_a_broken_hint_file_is_no_hint(nim, kube_server, tmp_path):
    kc = _cluster(kube_server, tmp_path)
    _models(nim, kube_server, kc)
    [hint] = _files(Path(os.environ["HOME"]))
    hint.write_text('{"apps": 42}')
    assert _models(nim, kube_server, kc)[1] == 2
    assert json.loads(hint.read_text()) == {"apps": APPS, "custom": None}  # rewritten


@given(st.one_of(st.none(), st.integers(), st.text(), st.lists(st.text()),
                 st.dictionaries(st.text(), st.one_of(st.none(), st.text(), st.integers(),
                                                      st.lists(st.text())))))
def test_any_file_content_loads_as_a_valid_hint_or_none(doc):
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "h.json")
        Path(path).write_text(json.dumps(doc))
        hint = discovery_hints.load(path, time.time())
    assert hint is None or (isinstance(hint["apps"], str) and hint["apps"] and
                            (hint["custom"] is None or len(hint["custom"]) == 2))


@given(st.one_of(st.none(), st.integers(), st.text()),
       st.one_of(st.none(), st.text(), st.dictionaries(st.text(), st.one_of(
           st.none(), st.text(), st.integers()))))
def test_hints_of_any_server_answer(apps, custom):
    hint = discovery_hints.hints_of(apps, custom)
    assert hint is None or (hint["apps"] == apps and
                            (hint["custom"] is None or all(hint["custom"])))
