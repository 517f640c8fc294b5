"""`test`: does the model answer? `/v1/models`, then one tiny request fitting its kind.

The requests go through the Kubernetes API server's service proxy
(`/api/v1/namespaces/{ns}/services/{svc}:{port}/proxy/...`, service and port from the
InferenceService's `status.address.url`), so they carry the kubeconfig's credentials and need no
route and no port-forward; `--url` talks to a URL directly instead. The model kind (chat for LLMs,
embeddings, ranking) comes from the catalog entry (`domain.health.kind_of_model`). Latencies and
the test's deadline are measured on the run's clock (`Environment.clock`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from kubectl_nim.errors import NimError, UsageError

DEFAULT_PROMPTS = {
    "llm": "Say hello in five words.",
    "embedding": "What is a GPU?",
    "ranking": "What is a GPU?",
}
PASSAGES = ["A GPU is a processor built for parallel work such as graphics and neural networks.",
            "Bread is made of flour, water, salt and yeast."]
MAX_TOKENS = 32
# A model server's answer is read within bounds: an embedding of 8k floats is ~150 KB; a chat
# reply of MAX_TOKENS a few KB. Deeper nesting than this is no OpenAI-style answer.
MAX_ANSWER_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 32
DEFAULT_DEADLINE = 300.0  # seconds for the whole test, besides each request's own timeout
MAX_DEADLINE = 7 * 24 * 3600.0  # --timeout 0: "no deadline", bounded as every duration is


class TestFailed(NimError):
    """The model did not answer, or not correctly."""


@dataclass
class Answer:
    status: int
    body: bytes
    ms: float

    def json(self) -> Any:
        """The body as JSON within the bounds (size, nesting); None when it is not JSON."""
        from kubectl_nim.domain import bounded

        if len(self.body) > MAX_ANSWER_BYTES:
            raise TestFailed(f"the answer is {len(self.body)} bytes, more than the "
                             f"{MAX_ANSWER_BYTES} a model's answer needs")
        try:
            doc = bounded.load_json(self.body.decode("utf-8", "replace"), MAX_ANSWER_BYTES)
        except bounded.TooComplex as e:
            raise TestFailed(f"the answer is no model answer: {e}") from None
        except ValueError:
            return None
        if _depth(doc) > MAX_DEPTH:
            raise TestFailed(f"the answer is nested more than {MAX_DEPTH} levels deep")
        return doc


def _depth(doc: Any) -> int:
    """Nesting depth, iteratively (no recursion limit)."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        children = node.values() if isinstance(node, dict) else \
            node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return deepest


@dataclass
class Step:
    method: str
    path: str
    status: int
    ms: float
    detail: str


@dataclass
class Result:
    target: str
    model: str
    kind: str
    steps: list = field(default_factory=list)
    reply: str = ""
    tokens: Optional[int] = None

    @property
    def tokens_per_second(self) -> Optional[float]:
        if self.tokens is None or not self.steps or self.steps[-1].ms <= 0:
            return None
        return self.tokens / (self.steps[-1].ms / 1000)

    def to_data(self) -> dict:
        return {"target": self.target, "model": self.model, "kind": self.kind, "ok": True,
                "steps": [{"request": f"{s.method} {s.path}", "status": s.status,
                           "latencyMs": round(s.ms, 1), "detail": s.detail}
                          for s in self.steps],
                "reply": self.reply or None, "completionTokens": self.tokens,
                "tokensPerSecond": round(self.tokens_per_second, 1)
                if self.tokens_per_second is not None else None}


# --- where the requests go ----------------------------------------------------------------------

def proxy_base(namespace: str, address_url: str) -> str:
    """The API server path that proxies to the service behind `status.address.url`
    (`http://llama-predictor.team.svc.cluster.local` → `.../services/llama-predictor:80/proxy`)."""
    parts = urlsplit(address_url)
    if not parts.hostname:
        raise ValueError(f"not a URL: {address_url!r}")
    service = parts.hostname.split(".")[0]
    port = parts.port or (443 if parts.scheme == "https" else 80)
    scheme = "https:" if parts.scheme == "https" else ""
    return f"/api/v1/namespaces/{namespace}/services/{scheme}{service}:{port}/proxy"


Send = Callable[[str, str, Optional[dict]], Answer]


def via_proxy(cluster, base: str, name: str, *, clock: Callable[[], float]) -> Send:
    def send(method: str, path: str, body: Optional[dict]) -> Answer:
        started = clock()
        status, data = cluster.request_raw(method, base + path, body=body)
        answer = Answer(status, data, (clock() - started) * 1000)
        doc = answer.json()
        if status >= 400 and isinstance(doc, dict) and doc.get("kind") == "Status":
            # The API server's own answer, not the model's: it could not proxy.
            message = (doc.get("message") or f"HTTP {status}").rstrip(".")
            if status == 403:
                raise TestFailed(f"you may not use the service proxy: {message}",
                                 hint="ask for `get` on services/proxy in this project, or use "
                                      "--url with a route or port-forward")
            raise TestFailed(f"the API server could not reach the model's service "
                             f"(HTTP {status}: {message})",
                             hint=f"the predictor is not running or not ready; "
                                  f"`kubectl nim status {name}` tells why")
        return answer
    return send


def direct(url: str, timeout: Optional[float], *, clock: Callable[[], float]) -> Send:
    import httpx

    client = httpx.Client(base_url=url.rstrip("/"), timeout=timeout or 60.0,
                          headers={"Accept": "application/json"})

    def send(method: str, path: str, body: Optional[dict]) -> Answer:
        started = clock()
        try:
            with client.stream(method, path, json=body) as response:
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > MAX_ANSWER_BYTES:  # stop reading: the bound, not memory
                        raise TestFailed(f"the answer to {method} {path} is larger than the "
                                         f"{MAX_ANSWER_BYTES} bytes a model's answer needs")
        except httpx.HTTPError as e:
            raise TestFailed(f"cannot reach {url}: {e or type(e).__name__}",
                             hint="check the URL (a route, or `oc port-forward` to the "
                                  "predictor service)") from None
        return Answer(response.status_code, bytes(data),
                      (clock() - started) * 1000)
    return send


def target_of(observed, name: str) -> str:
    """The proxy base path of NAME's service; refuses before any model request when the
    deployment has no address yet."""
    address = (((observed.isvc or {}).get("status") or {}).get("address") or {}).get("url")
    if not address:
        raise TestFailed(f"{name} has no service address yet (status.address.url is empty)",
                         hint=f"it is not ready; `kubectl nim status {name}` tells why")
    return proxy_base(observed.namespace, address)


# --- the conversation ---------------------------------------------------------------------------

def _fail(answer: Answer, what: str) -> TestFailed:
    doc = answer.json()
    said = doc.get("message") or doc.get("detail") if isinstance(doc, dict) else None
    said = said or answer.body[:200].decode("utf-8", "replace").strip() or "no body"
    return TestFailed(f"{what} answered HTTP {answer.status}: {said}",
                      hint="the model is up but refused the request; see `kubectl nim logs`")


def list_models(send: Send, result: Result) -> list[str]:
    answer = send("GET", "/v1/models", None)
    if answer.status != 200:
        raise _fail(answer, "GET /v1/models")
    doc = answer.json()
    data = doc.get("data") if isinstance(doc, dict) else None
    ids = [m["id"] for m in data if isinstance(m, dict) and isinstance(m.get("id"), str)
           and m["id"]] if isinstance(data, list) else []
    if not ids:
        raise TestFailed("GET /v1/models listed no model",
                         hint="the NIM is not serving yet; see `kubectl nim logs`")
    result.steps.append(Step("GET", "/v1/models", 200, answer.ms, ", ".join(ids)))
    return ids


def ask(send: Send, result: Result, prompt: Optional[str]) -> None:
    kind, model = result.kind, result.model
    text = prompt or DEFAULT_PROMPTS[kind]
    if kind == "llm":
        path = "/v1/chat/completions"
        body = {"model": model, "messages": [{"role": "user", "content": text}],
                "max_tokens": MAX_TOKENS, "temperature": 0}
    elif kind == "embedding":
        path = "/v1/embeddings"
        body = {"model": model, "input": [text], "input_type": "query"}
    elif kind == "ranking":
        path = "/v1/ranking"
        body = {"model": model, "query": {"text": text},
                "passages": [{"text": p} for p in PASSAGES]}
    else:
        raise UsageError(f"unknown model kind {kind!r}")
    answer = send("POST", path, body)
    if answer.status != 200:
        raise _fail(answer, f"POST {path}")
    detail = _check(kind, answer.json(), result)
    result.steps.append(Step("POST", path, 200, answer.ms, detail))


def _check(kind: str, doc: Any, result: Result) -> str:
    """What a correct answer holds; anything else fails the test."""
    if not isinstance(doc, dict):
        raise TestFailed(f"the {kind} answer is not a JSON object")
    if kind == "llm":
        content = _at(doc, "choices", 0, "message", "content")
        if not isinstance(content, str) or not content.strip():
            raise TestFailed("the chat completion holds no reply text")
        result.reply = content.strip()
        tokens = _at(doc, "usage", "completion_tokens")
        ok = isinstance(tokens, int) and not isinstance(tokens, bool) and tokens >= 0
        result.tokens = tokens if ok else None
        return f"{tokens} tokens" if ok else "reply received"
    if kind == "embedding":
        vector = _at(doc, "data", 0, "embedding")
        if not isinstance(vector, list) or not vector or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in vector):
            raise TestFailed("the embeddings answer holds no vector")
        return f"{len(vector)}-dimensional embedding"
    rankings = doc.get("rankings")
    if not isinstance(rankings, list) or len(rankings) != len(PASSAGES) or \
            not all(isinstance(r, dict) and "logit" in r for r in rankings):
        raise TestFailed(f"the ranking answer does not rank the {len(PASSAGES)} passages")
    best = rankings[0].get("index")
    return f"ranked {len(rankings)} passages, best #{best if isinstance(best, int) else '?'}"


def _at(doc: Any, *path: Any) -> Any:
    """doc[path...] when every step has the right type (a key of an object, an index of a
    list), else None: a model server's answer is read like any server's."""
    for step in path:
        if isinstance(step, int):
            doc = doc[step] if isinstance(doc, list) and len(doc) > step else None
        else:
            doc = doc.get(step) if isinstance(doc, dict) else None
    return doc


def within(send: Send, seconds: float, clock: Callable[[], float]) -> Send:
    """`send` under one deadline for the whole test, besides each request's own timeout (a
    server that drips its answer resets a read timeout forever): past it, the test fails and
    the request is left to the daemon thread that runs it (the process is about to end)."""
    import threading

    deadline = clock() + seconds

    def bounded(method: str, path: str, body: Optional[dict]) -> Answer:
        box: dict = {}

        def work() -> None:
            try:
                box["answer"] = send(method, path, body)
            except BaseException as e:  # handed to the caller's thread
                box["error"] = e
        worker = threading.Thread(target=work, daemon=True, name="nim-test")
        worker.start()
        worker.join(max(0.0, deadline - clock()))
        if worker.is_alive():
            raise TestFailed(f"no answer to {method} {path} within the test's {seconds:g}s "
                             f"deadline", hint="the model is slow or stuck; see `kubectl nim "
                                               "logs`, or give --timeout more")
        if "error" in box:
            raise box["error"]
        return box["answer"]
    return bounded


def run(send: Send, target: str, kind_for: Callable[[str], str], prompt: Optional[str],
        kind: Optional[str] = None, deadline: float = DEFAULT_DEADLINE, *,
        clock: Callable[[], float]) -> Result:
    """`clock`: the run's (`Environment.clock`), for the test's deadline."""
    send = within(send, deadline, clock)
    result = Result(target=target, model="", kind="")
    ids = list_models(send, result)
    result.model = ids[0]
    result.kind = kind or kind_for(result.model)
    ask(send, result, prompt)
    return result


def catalog_kind(catalog, deployment_model: Optional[str]) -> Callable[[str], str]:
    """The kind from the catalog entry of the deployment's model (else of the served model id's
    last segment), else from the served id's words alone."""
    from kubectl_nim.domain.model_kind import kind_of_model

    def kind_for(served: str) -> str:
        for candidate in (deployment_model, served.rsplit("/", 1)[-1]):
            try:
                model = catalog.get(candidate) if candidate else None
            except NimError:
                continue
            if model is not None:
                return kind_of_model(model.name, model.display_name, model.short_description)
        return kind_of_model(served)
    return kind_for
