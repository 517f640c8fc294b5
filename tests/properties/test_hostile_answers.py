"""Answers of any shape: `status`, `list`, `logs`, `report` never fail unexpectedly.

Every field may arrive with another type than the API promises (an object as a string, a list
as a number...). The answers are generated from the vocabulary of the fields the verbs read
(domain/shapes), so that the hostile values land where the rules look. A verb may refuse an
answer with a NimError (one line, exit 1); any other exception is a bug.


Status written by hand: fault injection: shapes no server or controller produces."""

from __future__ import annotations

import io
import tarfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubectl_nim.app import listing, logs, report
from kubectl_nim.app import status as status_app
from kubectl_nim.domain import shapes
from kubectl_nim.errors import NimError
from tests.fakes.clock import FakeClock

NS, NAME = "team", "llama"
KEYS = sorted({
    "metadata", "name", "namespace", "labels", "annotations", "creationTimestamp",
    "deletionTimestamp", "spec", "status", "predictor", "model", "modelFormat", "runtime",
    "minReplicas", "containers", "image", "env", "value", "valueFrom", "secretKeyRef", "key",
    "imagePullSecrets", "volumes", "persistentVolumeClaim", "claimName", "conditions", "type",
    "reason", "message", "url", "containerStatuses", "state", "waiting", "running",
    "terminated", "lastState", "restartCount", "ready", "exitCode", "finishedAt", "phase",
    "involvedObject", "kind", "resources", "limits", "nvidia.com/gpu", "supportedModelFormats",
    "version", "servingRuntimeName", "storageClassName", "NGC_API_KEY"})
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3),
                    st.sampled_from(["", "True", "False", NAME, "Ready", "kserve-container",
                                     "nvcr.io/nim/meta/llama:1", "NGC_API_KEY",
                                     "CrashLoopBackOff", "ImagePullBackOff", "Warning",
                                     "2026-01-01T00:00:00Z", "../../x", "Pending"]))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)), max_leaves=15)


def named(kind_fields: dict) -> st.SearchStrategy:
    """An object that is found by name (so the verbs go on to read it), the rest anything."""
    return st.fixed_dictionaries(
        {"metadata": st.one_of(JSON, st.fixed_dictionaries(
            {"name": st.just(NAME), "namespace": st.just(NS)},
            optional={"labels": JSON, "annotations": JSON, "creationTimestamp": JSON}))},
        optional={"spec": JSON, "status": JSON, **kind_fields})


ANSWER = st.one_of(named({}), JSON)


class Hostile:
    """A Cluster whose every answer is generated: the InferenceService, the runtime, lists of
    pods and events (and of anything else), secrets, claims and logs."""

    server, context, namespace = "https://hostile", "hostile", NS

    def __init__(self, answers: dict):
        self.answers = answers

    def get_or_none(self, kind, name, namespace=None):
        return self.answers.get(kind)

    def get(self, kind, name, namespace=None):
        return self.answers.get(kind)

    def list(self, kind, namespace=None, **kwargs):
        return self.answers.get(f"list:{kind}", [])

    def list_names(self, kind, namespace=None):
        # the adapter hands back a set of strings whatever the server said (cluster.list_names)
        return self.answers.get(f"names:{kind}", set())

    def request_text(self, method, path, query=()):
        return self.answers.get("log", "")

    def request(self, method, path, **kwargs):
        return self.answers.get("request")


def answers() -> st.SearchStrategy:
    obj = st.one_of(named({}), JSON)
    items = st.lists(obj, max_size=3)
    return st.fixed_dictionaries({
        "InferenceService": named({}), "ServingRuntime": st.one_of(st.none(), obj),
        "Secret": st.one_of(st.none(), obj), "PersistentVolumeClaim": st.one_of(st.none(), obj),
        "Service": st.one_of(st.none(), obj),
        "list:Pod": items, "list:Event": items, "list:InferenceService": items,
        "list:ServingRuntime": items, "list:PersistentVolumeClaim": items,
        "names:Secret": st.sets(st.text(max_size=8), max_size=3),
        "log": st.text(max_size=20), "request": JSON})


def well_typed_lists(cluster: Hostile) -> Hostile:
    """The adapter already refuses a list whose items are not objects (cluster.list)."""
    for key, value in cluster.answers.items():
        if key.startswith("list:"):
            cluster.answers[key] = [v for v in value if isinstance(v, dict)]
    return cluster


FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(answers())
def test_status_of_any_answer(given_answers):
    cluster = well_typed_lists(Hostile(given_answers))
    try:
        result = status_app.status(cluster, NS, NAME, FakeClock().now())
    except NimError:
        return
    result.to_data(FakeClock().now())


@FAST
@given(answers())
def test_status_overview_and_list_of_any_answer(given_answers):
    cluster = well_typed_lists(Hostile(given_answers))
    try:
        for result in status_app.overview(cluster, NS, None, FakeClock().now()):
            result.to_data(FakeClock().now())
        for row in listing.collect(cluster, NS, warn=lambda text: None):
            row.to_data()
    except NimError:
        pass


@FAST
@given(answers())
def test_logs_plan_of_any_answer(given_answers):
    cluster = well_typed_lists(Hostile(given_answers))
    try:
        found = logs.plan(cluster, NS, NAME, all_containers=True)
        list(logs.read(cluster, NS, NAME, found, None, None, warn=lambda text: None))
    except NimError:
        pass


@FAST
@given(answers())
def test_report_of_any_answer(given_answers):
    cluster = well_typed_lists(Hostile(given_answers))
    try:
        bundle = report.collect(cluster, NS, NAME, 10, lambda: {"catalog": "x"}, "stamp", {},
                                now=FakeClock().now())
    except NimError:
        return
    data, count = report.archive(bundle)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            parts = member.name.split("/")
            assert ".." not in parts and all(parts), member.name


@given(JSON)
def test_conform_keeps_only_declared_types(value):
    for shape in (shapes.INFERENCE_SERVICE, shapes.SERVING_RUNTIME, shapes.POD, shapes.CLAIM):
        out = shapes.conform_object(value, shape)
        assert out is None or isinstance(out, dict)
    items = shapes.conform_items(value if isinstance(value, list) else [value], shapes.POD)
    assert all(isinstance(p["metadata"]["name"], str) for p in items)


# --- through the fake API server and the CLI: one line, never "unexpected failure" -----------

HOSTILE_EDITS = [
    ("isvc", ["status"], "Ready"),
    ("isvc", ["status", "conditions"], {"type": "Ready"}),
    ("isvc", ["spec", "predictor"], ["a"]),
    ("isvc", ["spec", "predictor", "minReplicas"], "2"),
    ("runtime", ["spec", "containers"], "kserve-container"),
    ("runtime", ["spec", "volumes"], [{"persistentVolumeClaim": "nim-pvc-llama"}]),
    ("runtime", ["metadata", "annotations"], 7),
    ("pod", ["status", "containerStatuses"], "running"),
    ("pod", ["status", "containerStatuses", 0, "restartCount"], "3"),
    ("pod", ["status", "containerStatuses", 0, "state"], ["waiting"]),
    ("pod", ["spec", "containers", 0, "name"], {"x": 1}),
]


def _edit(obj, path, value):
    node = obj
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def test_cli_verbs_survive_hostile_fields(nim, tmp_path, kube_server):
    from tests.helpers.obs import POD, deployment, pod

    kube_server.put_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    kc = ("--kubeconfig", str(kube_server.write_kubeconfig(tmp_path / "kc", namespace=NS)))
    for what, path, value in HOSTILE_EDITS:
        kube_server.reset()
        kube_server.put_object({"apiVersion": "v1", "kind": "Namespace",
                                "metadata": {"name": NS}})
        deployment(kube_server, ready=False)
        created = pod(kube_server, ready=False, restarts=1)
        obj = {"isvc": kube_server.get_object("serving.kserve.io/v1beta1", "inferenceservices",
                                              NS, NAME),
               "runtime": kube_server.get_object("serving.kserve.io/v1alpha1",
                                                 "servingruntimes", NS, NAME),
               "pod": kube_server.get_object("v1", "pods", NS, POD) or created}[what]
        _edit(obj, path, value)
        kube_server.put_object(obj)
        for args in (["status", NAME], ["status"], ["list"], ["list", "-o", "json"],
                     ["logs", NAME], ["report", NAME, "-f", str(tmp_path / f"r{len(path)}"
                                                               f"{abs(hash(str(value)))}.tgz")]):
            result = nim(*args, *kc)
            assert "unexpected failure" not in result.stderr, (what, path, args, result.stderr)
            assert result.exit_code in (0, 1), (what, path, args, result.stderr)
