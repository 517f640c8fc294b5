"""The NVIDIA NGC API of docs/design.md#nvidia-endpoints: key validation, catalog search and model
details.

One `NgcClient` wraps an httpx client with a bounded timeout and bounded retries (exponential
backoff with jitter, `Retry-After` honoured) for the answers worth retrying: 429, 5xx, timeouts
and connection errors. 401/403 are never retried: a rejected key stays rejected.

The key travels only in per-request headers and bodies, which are never logged; exceptions are
built from status codes and causes, never from requests. httpx is imported lazily so that merely
importing this module (every `--help`) stays cheap. The client keeps httpx's `trust_env` default
and never passes a custom transport (which would silently disable environment proxies), so
HTTPS_PROXY / NO_PROXY / SSL_CERT_FILE are honoured.

The catalog search's answers are parsed in `ngc_catalog`; the errors and their wording live in
`ngc_failures`.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Optional
from urllib.parse import quote, urlencode, urlsplit

from kubectl_nim import log
from kubectl_nim.adapters import retry as _retry
from kubectl_nim.adapters.ngc_catalog import CatalogPage, CatalogResource, parse_catalog_page
from kubectl_nim.adapters.ngc_failures import (NETWORK_HINT, ModelUnavailable, RetriesExhausted,
                                               Retryable, gave_up, refusal, transport_cause,
                                               unreachable_message)
from kubectl_nim.domain.keys import check_key_characters, ensure_personal
from kubectl_nim.errors import KeyRejected, NimError, NotFound, NvidiaUnreachable, UsageError

if TYPE_CHECKING:
    import httpx

DEFAULT_BASE_URL = "https://api.ngc.nvidia.com"
CALLER_INFO_PATH = "/v3/keys/get-caller-info"
CATALOG_PATH = "/v2/search/catalog/resources/CONTAINER"
CATALOG_ORG = "nim"
PAGE_SIZE = 1000
DEFAULT_TIMEOUT = 10.0  # seconds per attempt
# The retry policy is adapters.retry's (one policy for every adapter); a client's own
# retries/backoff/max_backoff only tune it.
RETRY_AFTER_CAP = 30.0  # seconds; a server asking for more is not worth a CLI user's wait
RETRY_STATUSES = _retry.RETRY_STATUSES
_MAX_PAGES = 10_000  # a misbehaving server must not make pagination endless



@dataclass(frozen=True)
class CallerInfo:
    """What get-caller-info says about a valid key (never the key itself)."""

    type: str
    org: str
    products: tuple[str, ...]


@dataclass(frozen=True)
class DetailsOutcome:
    """One model of a `model_details_many` batch: its details, or why there are none."""

    resource_id: str
    details: Optional[dict] = None
    error: Optional[NimError] = None

    @property
    def eu_restricted(self) -> bool:
        return isinstance(self.error, ModelUnavailable)


def validate_key(key: str, base_url: str = DEFAULT_BASE_URL,
                 request_timeout: Optional[float] = None,
                 sleep: Callable[[float], None] = time.sleep, proxy: Optional[str] = None,
                 ca_pem: Optional[str] = None) -> CallerInfo:
    """The key check that validate-key, deploy and rotate-key share.

    A legacy key is refused before any network call; then NVIDIA must answer 200.
    `request_timeout` is the global --request-timeout (see `cli_timeout`); `proxy` and `ca_pem`
    (validate-key's --https-proxy and --ca-bundle FILE) replace the environment's.
    """
    ensure_personal(key)
    with NgcClient(base_url, timeout=cli_timeout(request_timeout), announce_retries=True,
                   sleep=sleep, proxy=proxy, ca_pem=ca_pem) as client:
        return client.caller_info(key)


def cli_timeout(request_timeout: Optional[float]) -> Optional[float]:
    """--request-timeout for NVIDIA calls: unset → DEFAULT_TIMEOUT, 0 → none (as in kubectl)."""
    if request_timeout is None:
        return DEFAULT_TIMEOUT
    return request_timeout or None


class NgcClient:
    """NVIDIA NGC API client; use as a context manager or call `close()`."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL,
                 timeout: Optional[float] = DEFAULT_TIMEOUT,
                 retries: int = 4, backoff: float = 0.5, max_backoff: float = 8.0,
                 sleep: Callable[[float], None] = time.sleep,
                 jitter: Callable[[], float] = random.random, max_connections: int = 16,
                 announce_retries: bool = False, proxy: Optional[str] = None,
                 ca_pem: Optional[str] = None):
        from kubectl_nim.adapters.netenv import import_httpx

        httpx = import_httpx()

        self.base_url = _checked_url(base_url)
        self.host = _host(self.base_url)
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_connections = max_connections
        self._sleep = sleep
        self._jitter = jitter
        self._retry_lock = threading.Lock()
        # One request a user waits for (a key check): say on stderr that it is being retried,
        # instead of up to a minute of silence. Batches (catalog tools) show their own progress.
        self.announce_retries = announce_retries
        self.retry_count = 0  # retries made so far by this client, over all threads
        # trust_env stays True and no transport is passed: both would disable proxies from the
        # environment and SSL_CERT_FILE.
        import os

        # The operating system's trust store (a proxy's CA that IT installed there is trusted,
        # as by kubectl and browsers); SSL_CERT_FILE / SSL_CERT_DIR, when set, keep httpx's
        # own handling of them.
        verify: Any = True
        if base_url.startswith("https:") and not (os.environ.get("SSL_CERT_FILE")
                                                  or os.environ.get("SSL_CERT_DIR")):
            from kubectl_nim.adapters.netenv import system_trust_context

            verify = system_trust_context()
        elif base_url.startswith("http:") and not any(
                os.environ.get(v) for v in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")):
            verify = False  # plain http, no proxy: nothing to verify, no CA store (20-50 ms) loaded
        if ca_pem:
            from kubectl_nim.adapters.netenv import ssl_context_with

            try:
                verify = ssl_context_with(ca_pem)
            except ValueError as e:
                raise NvidiaUnreachable(self._unreachable_message(str(e)),
                                        hint="give --ca-bundle a PEM file") from None
        try:
            self._http = httpx.Client(
                base_url=self.base_url, timeout=httpx.Timeout(timeout), verify=verify,
                proxy=proxy,
                limits=httpx.Limits(max_connections=max_connections,
                                    max_keepalive_connections=max_connections),
                headers={"Accept": "application/json"}, follow_redirects=False)
        except OSError as e:  # SSL_CERT_FILE / SSL_CERT_DIR name a missing or bad CA bundle
            raise NvidiaUnreachable(
                self._unreachable_message(f"cannot load the CA certificates named by "
                                          f"SSL_CERT_FILE or SSL_CERT_DIR "
                                          f"({e.strerror or type(e).__name__})"),
                hint="point SSL_CERT_FILE at a PEM bundle, or unset it") from None

    def __repr__(self) -> str:
        return f"NgcClient({self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "NgcClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- the endpoints ---------------------------------------------------------------------

    def caller_info(self, key: str) -> CallerInfo:
        """Validate a key: HTTP 200 from get-caller-info means NVIDIA accepts it."""
        response = self._request(
            "POST", CALLER_INFO_PATH, key=key,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            content=_form(credentials=key))
        body = self._json(response)
        products = body.get("products")
        return CallerInfo(type=str(body.get("type") or ""), org=str(body.get("orgName") or ""),
                          products=tuple(str(p) for p in products)
                          if isinstance(products, list) else ())

    def search_catalog_page(self, page: int, page_size: int = PAGE_SIZE,
                            org: str = CATALOG_ORG) -> CatalogPage:
        """One page of the (unauthenticated) catalog search, CONTAINER resources with a tag."""
        query = json.dumps({"query": f"orgName:{org}", "page": page, "pageSize": page_size},
                           separators=(",", ":"))
        body = self._json(self._request("GET", CATALOG_PATH, params={"q": query}))
        return parse_catalog_page(body, page)

    def iter_catalog(self, org: str = CATALOG_ORG, page_size: int = PAGE_SIZE,
                     untagged: Optional[list] = None) -> Iterator[CatalogResource]:
        """Every NIM container of the catalog, page after page, each resource once.

        Containers listed without a latestTag are not yielded; pass a list as `untagged` to
        collect their resource ids (each once).
        """
        seen: set[str] = set()
        page = 0
        while page < _MAX_PAGES:
            result = self.search_catalog_page(page, page_size, org)
            if untagged is not None:
                untagged.extend(r for r in result.untagged if r not in seen)
                seen.update(result.untagged)
            for resource in result.resources:
                if resource.resource_id not in seen:
                    seen.add(resource.resource_id)
                    yield resource
            page = max(page, result.page) + 1
            if page >= result.page_total:
                return

    def model_details(self, resource_id: str, key: str) -> dict:
        """The repository details of one model (name, tags, latestTag, ...).

        Raises ModelUnavailable on 451, NotFound on 404, KeyRejected on 401/403.
        """
        response = self._request("GET", _repo_path(resource_id), key=key,
                                 params={"resolve-labels": "true"},
                                 passthrough=(404, 451))
        if response.status_code == 451:
            raise ModelUnavailable(resource_id)
        if response.status_code == 404:
            raise NotFound(f"{resource_id} is not in the NGC catalog (HTTP 404)")
        return self._json(response)

    def model_details_many(self, resource_ids: Iterable[str], key: str, *, concurrency: int = 8,
                           progress: Optional[Callable[[DetailsOutcome], None]] = None
                           ) -> list[DetailsOutcome]:
        """Details of many models with at most `concurrency` requests in flight, in input order.

        Threads share this client's connection pool, so the retry logic is the same as for one
        request. A rejected key or an unreachable NVIDIA (no answer at all: refused, timed out)
        stops the batch (every other request would fail the same way) and is raised; 451, 404
        and other per-model answers, including a status that stayed 429/5xx through every retry
        (a `RetriesExhausted` with a `status`), become outcomes. `progress` is called in the
        caller's thread as each model completes.
        """
        from concurrent.futures import ThreadPoolExecutor, as_completed

        ids = list(resource_ids)
        self._prepare_key(key)
        stop = threading.Event()

        def fetch(resource_id: str) -> Optional[DetailsOutcome]:
            if stop.is_set():
                return None
            try:
                return DetailsOutcome(resource_id, details=self.model_details(resource_id, key))
            except RetriesExhausted as e:
                if e.status is None:
                    stop.set()
                    raise
                return DetailsOutcome(resource_id, error=e)
            except (KeyRejected, NvidiaUnreachable):
                stop.set()
                raise
            except NimError as e:
                return DetailsOutcome(resource_id, error=e)

        outcomes: list[Optional[DetailsOutcome]] = [None] * len(ids)
        # More workers than pooled connections would only wait for a connection (and time out).
        workers = max(1, min(concurrency, self.max_connections))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ngc") as pool:
            futures = {pool.submit(fetch, rid): i for i, rid in enumerate(ids)}
            try:
                for future in as_completed(futures):
                    outcome = future.result()
                    outcomes[futures[future]] = outcome
                    if progress and outcome is not None:
                        progress(outcome)
            except BaseException:
                stop.set()
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        return [o for o in outcomes if o is not None]

    # --- one request, with retries -------------------------------------------------------

    def _request(self, method: str, path: str, *, key: Optional[str] = None,
                 headers: Optional[dict] = None, passthrough: tuple[int, ...] = (),
                 **kwargs: Any) -> "httpx.Response":
        """Send with retries; 2xx and `passthrough` statuses are returned, the rest raised."""
        headers = dict(headers or {})
        if key is not None:
            headers["Authorization"] = f"Bearer {self._prepare_key(key)}"
        attempts = self.retries + 1
        for attempt in range(attempts):
            try:
                response = self._attempt(method, path, headers, kwargs)
            except Retryable as failure:
                if attempt + 1 == attempts:
                    raise gave_up(self.host, failure, attempts) from None
                self._pause(attempt, failure)
                continue
            if response.is_success or response.status_code in passthrough:
                return response
            raise refusal(method, path, response.status_code, key_sent=key is not None,
                          host=self.host, base_url=self.base_url,
                          default_url=DEFAULT_BASE_URL)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _attempt(self, method: str, path: str, headers: dict, kwargs: dict) -> "httpx.Response":
        """One HTTP exchange; retryable outcomes become `Retryable`. Logs no header or body."""
        import httpx

        started = time.monotonic()
        url = f"{self.base_url}{path}"
        try:
            response = self._http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as e:
            cause, retryable = transport_cause(e, self.timeout)
            log.debug(f"{method} {url} -> {cause} ({_ms(started)})")
            if retryable:
                raise Retryable(cause) from e
            raise NvidiaUnreachable(self._unreachable_message(cause), hint=NETWORK_HINT) from e
        log.debug(f"{method} {response.request.url} -> {response.status_code} ({_ms(started)})")
        if response.status_code in RETRY_STATUSES:
            raise Retryable(f"HTTP {response.status_code}", status=response.status_code,
                             retry_after=_retry_after(response.headers.get("Retry-After")))
        return response

    def _pause(self, attempt: int, failure: Retryable) -> None:
        """Wait before the next attempt: Retry-After when given (capped), else backoff+jitter."""
        policy = _retry.Policy(attempts=self.retries + 1, backoff=self.backoff,
                               max_backoff=self.max_backoff, retry_after_cap=RETRY_AFTER_CAP)
        delay = policy.delay(attempt, failure.retry_after, self._jitter)
        with self._retry_lock:
            self.retry_count += 1
        log.debug(f"retrying in {delay:.2f}s after {failure.cause} "
                  f"(attempt {attempt + 2} of {self.retries + 1})")
        if self.announce_retries:
            log.notice(f"NVIDIA ({self.host}): {failure.cause}; "
                       f"retrying ({attempt + 2}/{self.retries + 1})...")
        self._sleep(delay)

    def _json(self, response: "httpx.Response") -> dict:
        """The JSON object of a 2xx answer; anything else means something else answered."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise NvidiaUnreachable(
                self._unreachable_message(f"HTTP {response.status_code} with a body that is not "
                                          f"an NGC JSON object"),
                hint="a proxy or captive portal may be answering instead of NVIDIA")
        return body

    def _unreachable_message(self, cause: str) -> str:
        return unreachable_message(self.host, cause)

    @staticmethod
    def _prepare_key(key: str) -> str:
        """Redact the key from all output before it is used, and make sure it fits a header."""
        log.register_secret(key)
        return check_key_characters(key)

_retry_after = _retry.parse_retry_after

def _repo_path(resource_id: str) -> str:
    """`org/team/image` → /v2/org/{org}/team/{team}/repos/{image} (`org/image` has no team)."""
    parts = [quote(p, safe="") for p in resource_id.split("/")]
    if len(parts) == 3 and all(parts):
        return f"/v2/org/{parts[0]}/team/{parts[1]}/repos/{parts[2]}"
    if len(parts) == 2 and all(parts):
        return f"/v2/org/{parts[0]}/repos/{parts[1]}"
    raise NimError(f"{resource_id!r} is not an NGC resource id (org/team/image)")


def _form(**fields: str) -> bytes:
    return urlencode(fields).encode("ascii")


def _checked_url(base_url: str) -> str:
    """Refuse a base URL httpx could not use, instead of retrying it as a network failure."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError("the NGC API URL must start with https:// (or http://) and name a host",
                         hint=f"for example {DEFAULT_BASE_URL}")
    return base_url.strip().rstrip("/")


def _host(base_url: str) -> str:
    """host[:port] of the URL, without any user:password@ part."""
    netloc = urlsplit(base_url).netloc
    return netloc.rsplit("@", 1)[-1] or base_url


def _ms(started: float) -> str:
    return f"{(time.monotonic() - started) * 1000:.0f}ms"
