"""A fake NIM: the OpenAI-compatible API a NIM container serves, for `kubectl nim test`.

Python use::

    with FakeNimServer(model="meta/llama-3.1-8b-instruct", kind="llm") as nim:
        nim.url, nim.requests

Standalone::

    python tests/fakes/nim_server.py --port 0 [--model NAME] [--kind llm|embedding|ranking]
        [--fail-status N] [--latency-ms N]

prints its URL as the first stdout line and serves until SIGTERM/SIGINT.

Endpoints, in the shapes NIM answers: `GET /v1/models`, `GET /v1/health/ready`,
`POST /v1/chat/completions` and `POST /v1/completions` (llm), `POST /v1/embeddings` (embedding;
`input_type` required, as NVIDIA's asymmetric retrieval models require it), `POST /v1/ranking`
(ranking). An endpoint of another kind answers 404, an unknown `model` 404, a malformed body
400 or 422, all with NIM's error object. `--fail-status N` answers N to every request but
`/v1/health/live`; `--latency-ms` delays every answer. `GET /_fake/requests` lists what was
received (method, path, model), never bodies.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, List, Optional

try:
    from .loopback import LoopbackServer  # imported as tests.fakes.*
except ImportError:  # run as a script
    from loopback import LoopbackServer  # type: ignore[no-redef]

KINDS = ("llm", "embedding", "ranking")
ENDPOINT_KINDS = {"/v1/chat/completions": "llm", "/v1/completions": "llm",
                  "/v1/embeddings": "embedding", "/v1/ranking": "ranking"}
REPLY = "Hello! I am a NIM running on OpenShift AI."
EMBEDDING_SIZE = 8


class FakeNimServer(LoopbackServer):
    thread_name = "fake-nim"

    def __init__(self, model: str = "meta/llama-3.1-8b-instruct", kind: str = "llm",
                 fail_status: int = 0, latency_ms: float = 0, port: int = 0):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        self.model, self.kind = model, kind
        self.fail_status, self.latency_ms, self._port = int(fail_status), float(latency_ms), port
        self._lock = threading.Lock()
        self._requests: List[dict] = []

    def _make_httpd(self) -> ThreadingHTTPServer:
        handler = type("Handler", (_Handler,), {"fake": self})
        httpd = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        httpd.daemon_threads = True
        return httpd

    @property
    def requests(self) -> List[dict]:
        with self._lock:
            return list(self._requests)

    def handle(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        if path == "/_fake/requests":
            return 200, self.requests
        doc: Any = None
        if body.strip():
            try:
                doc = json.loads(body)
            except ValueError:
                doc = ValueError
        with self._lock:
            self._requests.append({"method": method, "path": path,
                                   "model": doc.get("model") if isinstance(doc, dict) else None})
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        if self.fail_status and path != "/v1/health/live":
            return self.fail_status, _error(self.fail_status, "injected failure")
        if method == "GET" and path in ("/v1/health/ready", "/v1/health/live"):
            return 200, {"object": "health.response", "message": "Service is ready."}
        if method == "GET" and path == "/v1/models":
            return 200, {"object": "list", "data": [{
                "id": self.model, "object": "model", "created": 1700000000,
                "owned_by": "system", "root": self.model, "parent": None,
                "max_model_len": 8192 if self.kind == "llm" else 512}]}
        wanted = ENDPOINT_KINDS.get(path)
        if method != "POST" or wanted is None or wanted != self.kind:
            return 404, {"detail": "Not Found"}
        if doc is ValueError or not isinstance(doc, dict):
            return 400, _error(400, "Expecting value: request body is not valid JSON")
        if doc.get("model") != self.model:
            return 404, _error(404, f"The model `{doc.get('model')}` does not exist.")
        handler = {"/v1/chat/completions": self._chat_completions,
                   "/v1/completions": self._completions, "/v1/embeddings": self._embeddings,
                   "/v1/ranking": self._ranking}[path]
        return handler(doc)

    def _completions(self, doc: dict) -> tuple[int, Any]:
        if not isinstance(doc.get("prompt"), str):
            return 422, _error(422, "prompt: Field required")
        return 200, {"id": "cmpl-fake", "object": "text_completion", "created": int(time.time()),
                     "model": self.model, "choices": [{"index": 0, "text": REPLY,
                                                       "finish_reason": "stop"}],
                     "usage": _usage(doc["prompt"], REPLY, doc.get("max_tokens"))}

    def _chat_completions(self, doc: dict) -> tuple[int, Any]:
        messages = doc.get("messages")
        if not isinstance(messages, list) or not messages:
            return 422, _error(422, "messages: Field required")
        prompt = " ".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))
        usage = _usage(prompt, REPLY, doc.get("max_tokens"))
        text = " ".join(REPLY.split()[:usage["completion_tokens"]])
        return 200, {"id": "chatcmpl-fake", "object": "chat.completion",
                     "created": int(time.time()), "model": self.model,
                     "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                  "logprobs": None, "finish_reason": "stop"}],
                     "usage": usage}

    def _embeddings(self, doc: dict) -> tuple[int, Any]:
        inputs = doc.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not inputs:
            return 422, _error(422, "input: Field required")
        if doc.get("input_type") not in ("query", "passage"):
            return 400, _error(400, "input_type parameter is required for asymmetric models "
                                    "(query or passage)")
        data = [{"index": i, "object": "embedding",
                 "embedding": [round((len(str(text)) + k) / 100, 4)
                               for k in range(EMBEDDING_SIZE)]}
                for i, text in enumerate(inputs)]
        tokens = sum(len(str(t).split()) for t in inputs)
        return 200, {"object": "list", "data": data, "model": self.model,
                     "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}

    def _ranking(self, doc: dict) -> tuple[int, Any]:
        query = (doc.get("query") or {}).get("text") if isinstance(doc.get("query"), dict) \
            else None
        passages = doc.get("passages")
        if not query or not isinstance(passages, list) or not passages:
            return 422, _error(422, "query.text and passages: Field required")
        words = set(query.lower().split())
        scored = [{"index": i, "logit": float(len(words & set(str(p.get("text", "")).lower()
                                                                  .split())) - 1)}
                  for i, p in enumerate(passages)]
        return 200, {"rankings": sorted(scored, key=lambda r: -r["logit"])}


def _usage(prompt: str, reply: str, max_tokens: Optional[int]) -> dict:
    completion = len(reply.split())
    if isinstance(max_tokens, int) and max_tokens > 0:
        completion = min(completion, max_tokens)
    prompt_tokens = max(1, len(prompt.split()))
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion,
            "total_tokens": prompt_tokens + completion}


def _error(status: int, message: str) -> dict:
    kind = {400: "BadRequestError", 404: "NotFoundError", 422: "UnprocessableEntityError"}
    return {"object": "error", "message": message,
            "type": kind.get(status, "InternalServerError"), "param": None, "code": status}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-nim/1.0"
    disable_nagle_algorithm = True
    fake: FakeNimServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, doc = self.fake.handle(self.command, self.path.split("?")[0], body)
        payload = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    def log_message(self, *args: Any) -> None:
        pass


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Fake NIM (OpenAI-compatible API) for tests.")
    parser.add_argument("--port", type=int, default=0, help="port (0 = random)")
    parser.add_argument("--model", default="meta/llama-3.1-8b-instruct")
    parser.add_argument("--kind", choices=KINDS, default="llm")
    parser.add_argument("--fail-status", type=int, default=0,
                        help="answer every request with this HTTP status")
    parser.add_argument("--latency-ms", type=float, default=0)
    args = parser.parse_args(argv)
    server = FakeNimServer(args.model, args.kind, args.fail_status, args.latency_ms, args.port)
    server.start()
    server.serve_until_signalled()
    return 0


if __name__ == "__main__":
    sys.exit(main())
