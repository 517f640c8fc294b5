"""`test`: the model answers through the API server's service proxy (or --url), against the
fake API server and the fake NIM.

Status written by hand: it needs a NIM answering at the URL; the plane's pods are fake (kwok)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubectl_nim.app import smoke_test as smoke
from kubectl_nim.app.smoke_test import proxy_base
from kubectl_nim.errors import NimError
from tests.helpers.obs import (ISVC_API, NAME, NS, cluster, deployment,  # noqa: F401
                               not_nim, pod)

LLM_ID = "meta/llama-3.1-8b-instruct"
PROXY = f"/api/v1/namespaces/{NS}/services/{NAME}-predictor:80/proxy"


def serve(server, backend, service=f"{NAME}-predictor"):
    server.pods.set_backend(NS, service, backend.url)


def test_llm_answers_through_the_service_proxy(nim, cluster, nim_backend):
    server, kc = cluster
    deployment(server)
    backend = nim_backend(kind="llm", model=LLM_ID, latency_ms=20)
    serve(server, backend)
    result = nim("test", NAME, *kc)
    assert result.exit_code == 0, result.stderr
    assert f"Testing {NAME} through service proxy {PROXY}" in result.stdout
    assert "reply: Hello!" in result.stdout
    assert f"OK: {LLM_ID} answered (llm, " in result.stdout
    assert "tokens/s)" in result.stdout
    assert [r["path"] for r in backend.requests] == ["/v1/models", "/v1/chat/completions"]
    assert backend.requests[1]["model"] == LLM_ID
    assert f"{PROXY}/v1/chat/completions" in [r["path"] for r in server.requests]


def test_embedding_model_gets_an_embeddings_request(nim, cluster, nim_backend):
    server, kc = cluster
    deployment(server)
    isvc = server.get_object(*ISVC_API, NS, NAME)
    isvc["spec"]["predictor"]["model"]["modelFormat"]["name"] = "nv-embedqa-e5-v5"
    server.put_object(isvc)
    backend = nim_backend(kind="embedding", model="nvidia/nv-embedqa-e5-v5")
    serve(server, backend)
    result = nim("test", NAME, *kc, "-o", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["kind"] == "embedding" and data["ok"] is True
    assert data["steps"][1]["request"] == "POST /v1/embeddings"
    assert data["steps"][1]["detail"] == "8-dimensional embedding"


def test_ranking_model_direct_url(nim, nim_backend):
    backend = nim_backend(kind="ranking", model="nvidia/llama-3.2-nv-rerankqa-1b-v2")
    result = nim("test", NAME, "--url", backend.url, "--prompt", "what is a gpu")
    assert result.exit_code == 0, result.stderr
    assert "POST /v1/ranking" in result.stdout
    assert "ranked 2 passages, best #0" in result.stdout
    assert [r["path"] for r in backend.requests] == ["/v1/models", "/v1/ranking"]


def test_backend_unreachable_is_502(nim, cluster):
    server, kc = cluster
    deployment(server)
    server.pods.set_backend(NS, f"{NAME}-predictor", "http://127.0.0.1:1")
    result = nim("test", NAME, *kc)
    assert result.exit_code == 1
    assert "the API server could not reach the model's service (HTTP 502: error trying to " \
           "reach service" in result.stderr
    assert f"kubectl nim status {NAME}" in result.stderr


@pytest.mark.parametrize("backend,said", [
    ({"fail_status": 503}, "GET /v1/models answered HTTP 503: injected failure"),
    # the catalog says LLM but the service is an embedding NIM: no chat endpoint
    ({"kind": "embedding", "model": LLM_ID}, "POST /v1/chat/completions answered HTTP 404"),
], ids=["refusing", "wrong-kind"])
def test_a_model_that_does_not_answer_right_fails(nim, cluster, nim_backend, backend, said):
    server, kc = cluster
    deployment(server)
    serve(server, nim_backend(**backend))
    result = nim("test", NAME, *kc)
    assert result.exit_code == 1
    assert said in result.stderr


def test_forbidden_service_proxy(nim, cluster, nim_backend):
    server, kc = cluster
    deployment(server)
    serve(server, nim_backend())
    server.deny("get", "services/proxy", namespace=NS)
    result = nim("test", NAME, *kc)
    assert result.exit_code == 1
    assert "you may not use the service proxy" in result.stderr


def test_not_ready_yet(nim, cluster):
    server, kc = cluster
    deployment(server, ready=None)
    result = nim("test", NAME, *kc)
    assert result.exit_code == 1
    assert "has no service address yet" in result.stderr


def test_not_found_and_not_nim(nim, cluster):
    server, kc = cluster
    not_nim(server)
    assert "kubectl nim list" in nim("test", "nope", *kc).stderr
    other = nim("test", "sklearn", *kc)
    assert other.exit_code == 1 and "is not a NIM deployment" in other.stderr


def test_direct_url_unreachable(nim):
    result = nim("test", NAME, "--url", "http://127.0.0.1:1")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot reach http://127.0.0.1:1")


@pytest.mark.parametrize("url,path", [
    ("http://llama-predictor.team.svc.cluster.local", "services/llama-predictor:80/proxy"),
    ("http://llama-predictor.team.svc.cluster.local:8080", "services/llama-predictor:8080/proxy"),
    ("https://llama.team.svc", "services/https:llama:443/proxy"),
])
def test_proxy_base(url, path):
    assert proxy_base("team", url) == f"/api/v1/namespaces/team/{path}"


# --- a model server's answer of any shape, size or speed -----------------------------------------

_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2, 5), st.floats(allow_nan=False),
              st.sampled_from(["", "m", "hello"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["data", "id", "choices", "message", "content", "usage", "completion_tokens",
         "embedding", "rankings", "logit", "index", "object"]), inner, max_size=4)),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["llm", "embedding", "ranking"]), _JSON, _JSON)
def test_any_answer_is_a_verdict_never_a_crash(kind, models, reply):
    import json as _json

    answers = iter([smoke.Answer(200, _json.dumps(models).encode(), 1.0),
                    smoke.Answer(200, _json.dumps(reply).encode(), 1.0)])
    try:
        smoke.run(lambda method, path, body: next(answers), "t", lambda m: kind, None, kind,
                  clock=lambda: 0.0)
    except NimError:
        pass


def test_deep_or_huge_answers_are_refused():
    deep = smoke.Answer(200, b"[" * 5000 + b"]" * 5000, 1.0)
    with pytest.raises(smoke.TestFailed, match="nested"):
        deep.json()
    medium = smoke.Answer(200, b"[" * 40 + b"]" * 40, 1.0)
    with pytest.raises(smoke.TestFailed, match="nested more than 32"):
        medium.json()
    huge = smoke.Answer(200, b" " * (smoke.MAX_ANSWER_BYTES + 1), 1.0)
    with pytest.raises(smoke.TestFailed, match="more than"):
        huge.json()


def test_the_whole_test_has_a_deadline():
    import threading
    import time as _time

    release = threading.Event()

    def slow(method, path, body):
        release.wait(5)
        return smoke.Answer(200, b"{}", 1.0)
    started = _time.monotonic()
    with pytest.raises(smoke.TestFailed, match="within the test's 0.2s deadline"):
        smoke.run(slow, "t", lambda m: "llm", None, "llm", deadline=0.2, clock=_time.monotonic)
    assert _time.monotonic() - started < 2
    release.set()
