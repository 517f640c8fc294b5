"""A small, honest fake of the NVIDIA NGC API for tests and benchmarks.

It serves the three endpoints of docs/design.md#nvidia-endpoints over plain HTTP on 127.0.0.1, in
the shapes of the real
answers recorded in ../shared/data/ngc (catalog search page, get-caller-info, repository details),
so the real httpx client works against it unchanged. Standard library only (PyYAML is imported
lazily to read a YAML catalog file).

Python use::

    with FakeNgcServer(models=[...], valid_keys=("nvapi-test-key",)) as ngc:
        client = NgcClient(ngc.url)
        ngc.fail("POST", r"/v3/keys", 503, times=2)    # inject failures
        ngc.flaky("/repos/", 503, fraction=0.1)        # each repo path fails once, 10% of them
        ngc.requests, ngc.peak_in_flight               # what the client sent, how concurrently

`FakeNgcServer(tls=(certfile, keyfile))` serves https (to test SSL_CERT_FILE);
`generate_catalog(n)` synthesises a catalog ConfigMap of any size.

Standalone (benchmarks, manual poking)::

    python tests/fakes/ngc_server.py [--port 0] [--latency-ms N] [--catalog FILE | --generate N]
        [--valid-key KEY]... [--eu-restricted NAME]...

prints its URL as the first stdout line and serves until SIGTERM/SIGINT.

Deliberate realism
------------------
* Catalog search: `q` is the JSON `{"query": "orgName:X", "page": N, "pageSize": M}`; answers
  carry `resultTotal`, `resultPageTotal`, `params.page/pageSize` and two result groups, the
  `_scored` one repeating resources of the `CONTAINER` one, as the real service does. A model with
  an empty latestTag is listed without the `latestTag` attribute.
* get-caller-info wants `Content-Type: application/x-www-form-urlencoded` (415 otherwise), and a
  valid key both in `Authorization: Bearer` and in the `credentials` form field (401 otherwise).
* Repository details need a valid Bearer key (401), answer 451 with an EMPTY body for
  `eu_restricted` names and 404 for unknown repositories.
* A request line with an absolute URI (what an HTTP proxy receives) is served too and logged with
  `proxied: true`, so tests can prove that HTTP(S)_PROXY is honoured.

Admin API (JSON, not logged): `POST /_fake/fail {method, path_regex, status, nth, times,
hang_seconds, retry_after}`, `POST /_fake/flaky {path_regex, status, fraction, seed}`,
`POST /_fake/latency {ms}`, `GET /_fake/requests`, `DELETE /_fake/requests`, `POST /_fake/reset`.
Path regexes are searched in the path plus `?` and the percent-decoded query. The request log holds
method, path, decoded query, status, proxied, host: never a header value or a body.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import ssl
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union
from urllib.parse import parse_qs, unquote, unquote_plus, urlsplit

try:
    from .loopback import FailRule, LoopbackServer  # imported as tests.fakes.*
except ImportError:  # run as a script: python tests/fakes/<name>.py
    from loopback import FailRule, LoopbackServer

DEFAULT_VALID_KEYS = ("nvapi-test-key",)
DEFAULT_ORG = "fake-org"
DEFAULT_PRODUCTS = ("ai-foundations", "nv-cloud-functions", "private-registry", "artifact-catalog")
CATALOG_PATH = "/v2/search/catalog/resources/CONTAINER"
CALLER_INFO_PATH = "/v3/keys/get-caller-info"
REPO_PATH = re.compile(r"^/v2/org/(?P<org>[^/]+)(?:/team/(?P<team>[^/]+))?/repos/(?P<image>[^/]+)$")
DEFAULT_PAGE_SIZE = 25
FORM = "application/x-www-form-urlencoded"


# --------------------------------------------------------------------------- catalogs

_FAMILIES = (  # (team, name): realistic names, dots included, as in the real catalog
    ("meta", "llama-3.1-8b-instruct"), ("mistralai", "mistral-7b-instruct-v0.3"),
    ("nvidia", "nemotron-mini-4b-instruct"), ("google", "gemma-2-9b-it"),
    ("microsoft", "phi-3-mini-4k-instruct"), ("nvidia", "nv-embedqa-e5-v5"),
    ("deepseek-ai", "deepseek-r1-distill-llama-8b"), ("qwen", "qwen2.5-7b-instruct"),
)
_EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)


def generate_catalog(n: int, name: str = "nvidia-nim-models-data") -> dict:
    """A deterministic catalog ConfigMap of `n` models (same n → same bytes)."""
    data = {}
    for i in range(n):
        team, family = _FAMILIES[i % len(_FAMILIES)]
        model = family if i < len(_FAMILIES) else f"{family}-r{i // len(_FAMILIES)}"
        exact = f"1.{i % 7}.{i % 3}"
        entry = {
            "name": model,
            "displayName": model.replace("-", " ").title(),
            "shortDescription": f"NVIDIA NIM for GPU accelerated {model} inference",
            "namespace": f"nim/{team}",
            "tags": [exact, f"1.{i % 7}", "1", "latest"],
            "latestTag": "latest" if i % 2 == 0 else exact,
            "updatedDate": _iso(_EPOCH + timedelta(hours=i)),
        }
        data[model] = json.dumps(entry, indent=2)
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": {"opendatahub.io/managed": "true"}},
            "data": dict(sorted(data.items()))}


def load_catalog_file(path: str) -> List[dict]:
    """Model entries from a catalog ConfigMap file (JSON, or YAML when PyYAML is there)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        configmap = json.loads(text)
    except ValueError:
        import yaml

        configmap = yaml.safe_load(text)
    return entries_from_configmap(configmap)


def entries_from_configmap(configmap: dict) -> List[dict]:
    entries = []
    for value in (configmap.get("data") or {}).values():
        entry = json.loads(value) if isinstance(value, str) else value
        if isinstance(entry, dict) and entry.get("name") and entry.get("namespace"):
            entries.append(entry)
    return entries


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _epoch_ms(iso: str) -> int:
    try:
        moment = datetime.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        moment = _EPOCH
    return int(moment.timestamp() * 1000)


# --------------------------------------------------------------------------- failure rules

@dataclass
class FlakyRule:
    """Each distinct matching target fails once, with probability `fraction` (seeded)."""

    path_regex: str
    status: int
    fraction: float
    seed: int = 0
    failed: set = field(default_factory=set)

    def hit(self, target: str) -> bool:
        if target in self.failed or not re.search(self.path_regex, target):
            return False
        # A hash rather than a shared RNG: the outcome of a path must not depend on the order in
        # which concurrent clients happen to ask.
        digest = hashlib.sha256(f"{self.seed}:{target}".encode()).digest()
        if int.from_bytes(digest[:8], "big") / 2 ** 64 >= self.fraction:
            return False
        self.failed.add(target)
        return True


@dataclass
class Answer:
    status: int
    body: Any = None  # JSON-able; None = empty body
    headers: Dict[str, str] = field(default_factory=dict)


def _status_body(status: int, code: str, description: str) -> dict:
    """NGC's error shape."""
    return {"requestStatus": {"statusCode": code, "statusDescription": description,
                              "requestId": f"fake-{status}"}}


_INJECTED = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
             429: "TOO_MANY_REQUESTS", 500: "INTERNAL_ERROR", 502: "BAD_GATEWAY",
             503: "SERVICE_UNAVAILABLE", 504: "GATEWAY_TIMEOUT"}


def _injected(status: int, retry_after: Union[float, str, None] = None) -> Answer:
    headers = {} if retry_after is None else {
        "Retry-After": retry_after if isinstance(retry_after, str) else f"{retry_after:g}"}
    if status == 451:
        return Answer(451, None, headers)
    return Answer(status, _status_body(status, _INJECTED.get(status, "ERROR"), "injected failure"),
                  headers)


# --------------------------------------------------------------------------- the server

class FakeNgcServer(LoopbackServer):
    """In-memory NGC API. See the module docstring."""

    def __init__(self, catalog_file: Optional[str] = None, models: Optional[Iterable[dict]] = None,
                 valid_keys: Sequence[str] = DEFAULT_VALID_KEYS,
                 eu_restricted: Iterable[str] = (), latency_ms: float = 0, port: int = 0,
                 org_name: str = DEFAULT_ORG, products: Sequence[str] = DEFAULT_PRODUCTS,
                 tls: Optional[Tuple[str, str]] = None):
        if models is not None:
            entries = list(models)
        elif catalog_file:
            entries = load_catalog_file(catalog_file)
        else:
            entries = entries_from_configmap(generate_catalog(12))
        self._models = {(e["namespace"].strip("/"), e["name"]): e for e in entries}
        self.valid_keys = tuple(valid_keys)
        self.eu_restricted = frozenset(eu_restricted)
        self.org_name = org_name
        self.products = tuple(products)
        self._initial_latency = float(latency_ms)
        self._port = port
        self._tls = tls  # (certfile, keyfile): serve https, e.g. to test SSL_CERT_FILE
        self._lock = threading.Lock()
        self._stopping = threading.Event()  # wakes hanging handlers on stop()
        self.reset()

    # ----------------------------------------------------------------- lifecycle
    thread_name = "fake-ngc"

    def _make_httpd(self) -> ThreadingHTTPServer:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._stopping.clear()
        httpd = _Server(("127.0.0.1", self._port), handler)
        if self._tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self._tls)
            httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        return httpd

    def _on_stop(self) -> None:
        self._stopping.set()

    @property
    def scheme(self) -> str:
        return "https" if self._tls else "http"

    # ----------------------------------------------------------------- python helpers
    @property
    def models(self) -> List[dict]:
        return [self._models[k] for k in sorted(self._models)]

    @property
    def peak_in_flight(self) -> int:
        """The most API requests served at the same time since the last reset."""
        with self._lock:
            return self._peak

    @property
    def requests(self) -> List[dict]:
        with self._lock:
            return [dict(r) for r in self._log]

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def reset(self) -> None:
        """No rules, an empty request log, the latency given at construction."""
        with self._lock:
            self._log: List[dict] = []
            self._fail_rules: List[FailRule] = []
            self._flaky_rules: List[FlakyRule] = []
            self._latency_ms = self._initial_latency
            self._in_flight = self._peak = 0

    def fail(self, method: Optional[str], path_regex: str, status: int = 0, nth: int = 1,
             times: int = 1, hang_seconds: float = 0,
             retry_after: Union[float, str, None] = None) -> None:
        """Make the nth..nth+times-1 requests matching method+path(?query) fail and/or hang.

        With `hang_seconds` and no status, the request is answered normally after the hang.
        """
        re.compile(path_regex)
        with self._lock:
            self._fail_rules.append(FailRule(method or "*", path_regex, int(status or 0),
                                             int(nth), int(times), float(hang_seconds or 0),
                                             retry_after))

    def flaky(self, path_regex: str, status: int = 503, fraction: float = 0.1,
              seed: int = 0) -> None:
        re.compile(path_regex)
        with self._lock:
            self._flaky_rules.append(FlakyRule(path_regex, int(status), float(fraction), int(seed)))

    def set_latency(self, ms: float) -> None:
        with self._lock:
            self._latency_ms = float(ms)

    # ----------------------------------------------------------------- request entry
    def handle(self, method: str, raw_target: str, headers: Dict[str, str],
               body: bytes) -> Answer:
        """Answer one request (admin or API), applying latency and failure rules."""
        parts = urlsplit(raw_target)
        path, query = parts.path or "/", unquote_plus(parts.query)
        if path.startswith("/_fake/"):
            return self._admin(method, path, body)
        target = f"{path}?{query}" if query else path
        with self._lock:
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
        try:
            answer = self._answer(method, target, parts.query, path, headers, body)
        finally:
            with self._lock:
                self._in_flight -= 1
        with self._lock:
            self._log.append({"method": method, "path": path, "query": query,
                              "status": answer.status, "proxied": bool(parts.scheme),
                              "host": parts.netloc or headers.get("host", "")})
        return answer

    def _answer(self, method: str, target: str, raw_query: str, path: str,
                headers: Dict[str, str], body: bytes) -> Answer:
        with self._lock:
            latency = self._latency_ms / 1000.0
            hits = [r for r in self._fail_rules if r.hit(method, target)]  # count every rule
            flaky = next((r for r in self._flaky_rules if r.hit(target)), None)
        rule = hits[0] if hits else None
        if latency:
            self._stopping.wait(latency)
        if rule and rule.hang_seconds:
            self._stopping.wait(rule.hang_seconds)
        if rule and rule.status:
            return _injected(rule.status, rule.retry_after)
        if flaky:
            return _injected(flaky.status)
        try:
            return self._api(method, path, raw_query, headers, body)
        except Exception as exc:  # a bug in the fake: answer like a real 500
            return Answer(500, _status_body(500, "INTERNAL_ERROR", f"fake: {exc!r}"))

    # ----------------------------------------------------------------- admin API
    def _admin(self, method: str, path: str, body: bytes) -> Answer:
        what = path[len("/_fake/"):].strip("/")
        try:
            args = json.loads(body) if body.strip() else {}
            if method == "GET" and what == "requests":
                return Answer(200, self.requests)
            if method == "DELETE" and what == "requests":
                self.clear_requests()
            elif method != "POST":
                return Answer(405, _status_body(405, "METHOD_NOT_ALLOWED", "admin: use POST"))
            elif what == "fail":
                self.fail(args.get("method"), args["path_regex"], args.get("status") or 0,
                          args.get("nth", 1), args.get("times", 1), args.get("hang_seconds", 0),
                          args.get("retry_after"))
            elif what == "flaky":
                self.flaky(args["path_regex"], args.get("status", 503),
                           args.get("fraction", 0.1), args.get("seed", 0))
            elif what == "latency":
                self.set_latency(args.get("ms", 0))
            elif what == "reset":
                self.reset()
            else:
                return Answer(404, _status_body(404, "NOT_FOUND", f"no admin endpoint {what!r}"))
        except (ValueError, KeyError, TypeError, re.error) as exc:
            return Answer(400, _status_body(400, "BAD_REQUEST", f"admin: {exc!r}"))
        return Answer(200, {"ok": True})

    # ----------------------------------------------------------------- the NGC API
    def _api(self, method: str, path: str, raw_query: str, headers: Dict[str, str],
             body: bytes) -> Answer:
        if path == CATALOG_PATH and method == "GET":
            return self._search(parse_qs(raw_query).get("q", ["{}"])[0])
        if path == CALLER_INFO_PATH and method == "POST":
            return self._caller_info(headers, body)
        match = REPO_PATH.match(path)
        if match and method == "GET":
            return self._repository(headers, **match.groupdict())
        return Answer(404, _status_body(404, "NOT_FOUND", "the requested resource was not found"))

    def _search(self, q: str) -> Answer:
        try:
            query = json.loads(q)
            page = int(query.get("page", 0))
            size = int(query.get("pageSize", DEFAULT_PAGE_SIZE))
        except (ValueError, TypeError, AttributeError):
            return Answer(400, _status_body(400, "BAD_REQUEST", "q is not a search query"))
        if page < 0 or size <= 0:
            return Answer(400, _status_body(400, "BAD_REQUEST", "bad page or pageSize"))
        org = _org_filter(str(query.get("query", "")))
        resources = [_search_resource(e) for e in self.models
                     if org is None or e["namespace"].split("/")[0] == org]
        chunk = resources[page * size:(page + 1) * size]
        groups = [{"totalCount": len(resources), "groupValue": "CONTAINER", "resources": chunk}]
        if chunk:
            groups.insert(0, {"totalCount": min(2, len(chunk)), "groupValue": "_scored",
                              "resources": chunk[:2]})
        return Answer(200, {
            "resultTotal": len(resources),
            "resultPageTotal": math.ceil(len(resources) / size),
            "params": {"orderBy": [{"field": "score", "value": "DESC"}], "scoredSize": 2,
                       "pageSize": size, "page": page, "query": query.get("query", "*:*"),
                       "groupBy": "resourceType",
                       "filters": [{"field": "resourceType", "value": "container"}]},
            "results": groups,
        })

    def _caller_info(self, headers: Dict[str, str], body: bytes) -> Answer:
        if not headers.get("content-type", "").startswith(FORM):
            return Answer(415, _status_body(415, "UNSUPPORTED_MEDIA_TYPE", f"expected {FORM}"))
        bearer = self._bearer(headers)
        credentials = parse_qs(body.decode("utf-8", "replace")).get("credentials", [""])[0]
        if bearer is None or credentials != bearer:
            return Answer(401, _status_body(401, "UNAUTHORIZED", "Invalid credentials"))
        return Answer(200, {
            "userId": "fake-user-id", "orgName": self.org_name, "type": "PERSONAL_KEY",
            "products": list(self.products),
            "user": {"id": 0, "name": "Fake User", "email": "fake.user@example.com",
                     "hasSignedEULA": True, "isActive": True,
                     "roles": [{"org": {"id": 0, "name": self.org_name, "type": "ENTERPRISE"},
                                "orgRoles": ["REGISTRY_READ", "USER_READ"]}]},
        })

    def _repository(self, headers: Dict[str, str], org: str, team: Optional[str],
                    image: str) -> Answer:
        if self._bearer(headers) is None:
            return Answer(401, _status_body(401, "UNAUTHORIZED", "Invalid credentials"))
        namespace = f"{unquote(org)}/{unquote(team)}" if team else unquote(org)
        entry = self._models.get((namespace, unquote(image)))
        if entry is None:
            return Answer(404, _status_body(404, "NOT_FOUND", "repository not found"))
        if entry["name"] in self.eu_restricted:
            return Answer(451)
        return Answer(200, _repository(entry))

    def _bearer(self, headers: Dict[str, str]) -> Optional[str]:
        """The key of a valid `Authorization: Bearer KEY` header, else None."""
        scheme, _, key = headers.get("authorization", "").partition(" ")
        return key if scheme == "Bearer" and key in self.valid_keys else None


def _org_filter(query: str) -> Optional[str]:
    match = re.search(r"orgName:(\S+)", query)
    return match.group(1) if match else None


def _search_resource(entry: dict) -> dict:
    """One `resources[]` item of a catalog search answer."""
    namespace = entry["namespace"].strip("/")
    org, _, team = namespace.partition("/")
    updated = entry.get("updatedDate") or _iso(_EPOCH)
    attributes = [{"key": "latestTag", "value": entry["latestTag"]}] if entry.get("latestTag") \
        else []
    attributes += [{"key": "size", "value": "10397285394"},
                   {"key": "hasSignedTag", "value": "true"},
                   {"key": "latestTagPushedDate", "value": updated}]
    resource = {
        "orgName": org, "resourceId": f"{namespace}/{entry['name']}",
        "labels": [{"key": "builtBy", "values": ["NVIDIA"]},
                   {"key": "general", "values": ["NVIDIA AI Enterprise Supported", "NVIDIA NIM"]},
                   {"key": "publisher", "values": ["NVIDIA"]}],
        "sharedWithTeams": [namespace], "dateModified": updated, "sharedWithOrgs": [],
        "description": entry.get("shortDescription", ""), "accessType": "LISTED",
        "dateCreated": updated, "weightPopular": 100.0, "createdBy": "fake",
        "msgTimestamp": _epoch_ms(updated),
        "displayName": entry.get("displayName") or entry["name"], "name": entry["name"],
        "resourceType": "CONTAINER", "attributes": attributes,
    }
    if team:
        resource["teamName"] = team
    return resource


def _repository(entry: dict) -> dict:
    """A repository-details answer (`?resolve-labels=true`)."""
    namespace = entry["namespace"].strip("/")
    updated = entry.get("updatedDate") or _iso(_EPOCH)
    return {
        "labels": ["NIM", "NVIDIA AI Enterprise Supported", "NVIDIA NIM"],
        "isMultiArchitecture": False,
        "latestArchitectureVariants": [{"architecture": "amd64", "os": "linux",
                                        "createdDate": updated, "digest": "sha256:" + "0" * 64}],
        "logo": "https://assets.ngc.nvidia.com/products/api-catalog/images/fake.jpg",
        "shortDescription": entry.get("shortDescription", ""),
        "isMultinodeEnabled": False, "manualScanEnabled": True, "scanEnabled": True,
        "showScanResults": True, "systemLabels": ["signed images"],
        "isReadOnly": True, "namespace": namespace,
        "productNames": ["nim-dev", "nv-ai-enterprise"], "hasSignedTag": True,
        "latestImageSize": 10397285394,
        "description": f"# {entry.get('displayName') or entry['name']}\n\nA fake NIM.",
        "tags": list(entry.get("tags") or []), "sharedWithTeams": [namespace],
        "publisher": "NVIDIA", "displayName": entry.get("displayName") or entry["name"],
        "name": entry["name"], "accessType": "LISTED", "updatedDate": updated,
        "latestTag": entry.get("latestTag", ""), "policyLabels": [],
    }


# --------------------------------------------------------------------------- HTTP glue

class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for handlers hanging on purpose
    request_queue_size = 128  # benchmarks open many connections at once


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-ngc/1.0"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
    fake: FakeNgcServer  # set on the subclass built in start()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            self._send(self.fake.handle(self.command, self.path, headers, body))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. timed out on a hang)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def _send(self, answer: Answer) -> None:
        payload = b"" if answer.body is None else json.dumps(answer.body).encode()
        self.send_response(answer.status)
        if answer.body is not None:
            self.send_header("Content-Type", "application/json")
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass


# --------------------------------------------------------------------------- CLI

def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Fake NVIDIA NGC API for tests.")
    parser.add_argument("--port", type=int, default=0, help="port (0 = random)")
    parser.add_argument("--latency-ms", type=float, default=0)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--catalog", metavar="FILE", help="catalog ConfigMap (YAML or JSON)")
    source.add_argument("--generate", type=int, metavar="N", help="serve N synthetic models")
    parser.add_argument("--valid-key", action="append", default=[], metavar="KEY",
                        help=f"a key NVIDIA accepts (repeatable; default {DEFAULT_VALID_KEYS[0]})")
    parser.add_argument("--eu-restricted", action="append", default=[], metavar="NAME",
                        help="a model that answers 451 (repeatable)")
    args = parser.parse_args(argv)
    models = entries_from_configmap(generate_catalog(args.generate)) \
        if args.generate is not None else None
    server = FakeNgcServer(catalog_file=args.catalog, models=models,
                           valid_keys=tuple(args.valid_key) or DEFAULT_VALID_KEYS,
                           eu_restricted=args.eu_restricted, latency_ms=args.latency_ms,
                           port=args.port)
    server.start()
    server.serve_until_signalled()
    return 0


if __name__ == "__main__":
    sys.exit(main())
