"""The NGC client (kubectl_nim.adapters.ngc) with real httpx against the fake NGC API."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time

import pytest

from tests.fakes.ngc_fixtures import VALID_KEY
from tests.fakes.ngc_server import (FakeNgcServer, entries_from_configmap,
                                    generate_catalog)
from kubectl_nim.cli.exit_status import for_error
from kubectl_nim import log
from kubectl_nim.adapters import ngc, ngc_catalog
from kubectl_nim.errors import KeyRejected, NimError, NotFound, NvidiaUnreachable, UsageError

BAD_KEY = "nvapi-not-a-valid-key-0123456789"


@pytest.fixture
def slept():
    return []


@pytest.fixture
def client(ngc_server, slept):
    """A client that records its retry delays instead of sleeping."""
    with ngc.NgcClient(ngc_server.url, timeout=2.0, sleep=slept.append) as c:
        yield c


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_no_key(error: BaseException, key: str = VALID_KEY) -> None:
    for text in (str(error), repr(error), str(getattr(error, "hint", ""))):
        assert key not in text


# --- key validation -----------------------------------------------------------------------

def test_caller_info_for_a_valid_key(client, ngc_server):
    info = client.caller_info(VALID_KEY)
    assert info == ngc.CallerInfo(type="PERSONAL_KEY", org="fake-org",
                                  products=("ai-foundations", "nv-cloud-functions",
                                            "private-registry", "artifact-catalog"))
    # The fake answers 415/401 unless the documented Content-Type, Bearer header and body are sent
    # (docs/design.md#nvidia-endpoints).
    assert ngc_server.requests == [{"method": "POST", "path": "/v3/keys/get-caller-info",
                                    "query": "", "status": 200, "proxied": False,
                                    "host": ngc_server.url.split("//")[1]}]


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_key_is_never_retried(client, ngc_server, slept, status):
    ngc_server.fail("POST", "/v3/keys", status, times=10)
    with pytest.raises(KeyRejected) as caught:
        client.caller_info(VALID_KEY)
    assert str(caught.value).startswith(f"NVIDIA rejected the API key (HTTP {status}); ")
    assert for_error(caught.value) == 1
    assert len(ngc_server.requests) == 1 and slept == []
    assert_no_key(caught.value)


def test_unknown_key_is_rejected(client):
    with pytest.raises(KeyRejected, match=r"HTTP 401") as caught:
        client.caller_info(BAD_KEY)
    assert_no_key(caught.value, BAD_KEY)
    assert log.redact(BAD_KEY) == log.REDACTED  # the client registers every key it sends


def test_429_honours_retry_after(client, ngc_server, slept):
    ngc_server.fail("POST", "/v3/keys", 429, retry_after=7)
    assert client.caller_info(VALID_KEY).type == "PERSONAL_KEY"
    assert slept == [7.0]
    assert [r["status"] for r in ngc_server.requests] == [429, 200]


def test_retry_after_is_capped(client, ngc_server, slept):
    ngc_server.fail("POST", "/v3/keys", 503, retry_after=3600)
    client.caller_info(VALID_KEY)
    assert slept == [ngc.RETRY_AFTER_CAP]


def test_backoff_is_exponential_with_jitter(ngc_server):
    ngc_server.fail("POST", "/v3/keys", 502, times=4)
    delays = []
    with ngc.NgcClient(ngc_server.url, backoff=1.0, max_backoff=5.0, sleep=delays.append,
                       jitter=lambda: 1.0) as c:
        c.caller_info(VALID_KEY)
    assert delays == [1.0, 2.0, 4.0, 5.0]
    with ngc.NgcClient(ngc_server.url, backoff=1.0, sleep=delays.append, jitter=lambda: 0.0) as c:
        ngc_server.fail("POST", "/v3/keys", 500, times=2)
        delays.clear()
        c.caller_info(VALID_KEY)
    assert delays == [0.5, 1.0]


def test_http_date_retry_after_falls_back_to_backoff(client, ngc_server, slept):
    ngc_server.fail("POST", "/v3/keys", 503, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    client.caller_info(VALID_KEY)
    assert len(slept) == 1 and 0 < slept[0] <= client.backoff


def test_5xx_exhausted_is_unreachable(client, ngc_server, slept):
    ngc_server.fail("POST", "/v3/keys", 503, times=100)
    with pytest.raises(NvidiaUnreachable) as caught:
        client.caller_info(VALID_KEY)
    host = ngc_server.url.split("//")[1]
    assert caught.value.message == (f"NVIDIA could not be reached at {host}: "
                                    f"HTTP 503 after 5 attempts")
    assert for_error(caught.value) == 3
    assert len(ngc_server.requests) == 5 and len(slept) == 4
    assert_no_key(caught.value)


def test_retries_zero_means_one_attempt(ngc_server):
    ngc_server.fail("POST", "/v3/keys", 500, times=5)
    with ngc.NgcClient(ngc_server.url, retries=0) as c, pytest.raises(NvidiaUnreachable,
                                                                      match="HTTP 500 after 1"):
        c.caller_info(VALID_KEY)
    assert len(ngc_server.requests) == 1


def test_hang_past_the_timeout(ngc_server, slept):
    ngc_server.fail("POST", "/v3/keys", hang_seconds=5, times=10)
    started = time.monotonic()
    with ngc.NgcClient(ngc_server.url, timeout=0.1, retries=1, sleep=slept.append) as c, \
            pytest.raises(NvidiaUnreachable) as caught:
        c.caller_info(VALID_KEY)
    assert caught.value.message.endswith(": timed out after 0.1s (2 attempts)")
    assert time.monotonic() - started < 2


def test_connection_refused(slept):
    port = closed_port()
    with ngc.NgcClient(f"http://127.0.0.1:{port}", sleep=slept.append) as c, \
            pytest.raises(NvidiaUnreachable) as caught:
        c.caller_info(VALID_KEY)
    assert caught.value.message == (f"NVIDIA could not be reached at 127.0.0.1:{port}: "
                                    f"connection refused (5 attempts)")
    assert len(slept) == 4


def test_unexpected_status_is_a_plain_failure(client, ngc_server):
    ngc_server.fail("POST", "/v3/keys", 400)
    with pytest.raises(NimError) as caught:
        client.caller_info(VALID_KEY)
    assert type(caught.value) is NimError
    assert str(caught.value) == "NVIDIA answered HTTP 400 to POST /v3/keys/get-caller-info"


def test_key_that_cannot_be_a_header_never_reaches_httpx(client, ngc_server):
    with pytest.raises(KeyRejected, match="line breaks") as caught:
        client.caller_info("nvapi-one\nnvapi-two")
    assert "nvapi-one" not in str(caught.value)
    assert ngc_server.requests == []


def test_repr_and_debug_log_never_show_the_key(client, ngc_server, capsys):
    log.set_verbosity(3)
    ngc_server.fail("POST", "/v3/keys", 503)
    client.caller_info(VALID_KEY)
    with pytest.raises(KeyRejected):
        client.caller_info(BAD_KEY)
    client.model_details("nim/meta/llama-3.1-8b-instruct", VALID_KEY)
    err = capsys.readouterr().err
    assert "debug: POST http://127.0.0.1:" in err and "-> 503 (" in err and "retrying in" in err
    assert "/repos/llama-3.1-8b-instruct?resolve-labels=true -> 200 (" in err
    for key in (VALID_KEY, BAD_KEY):
        assert key not in err and key not in repr(client)


# --- proxies and TLS (httpx's trust_env must stay on) -------------------------------------

def test_http_proxy_from_the_environment_is_used(ngc_server, monkeypatch):
    """ngc.invalid cannot resolve: only the proxy (the fake) can answer."""
    monkeypatch.setenv("HTTP_PROXY", ngc_server.url)
    with ngc.NgcClient("http://ngc.invalid", retries=0) as c:
        assert c.caller_info(VALID_KEY).org == "fake-org"
    (request,) = ngc_server.requests
    assert request["proxied"] is True and request["host"] == "ngc.invalid"


def test_no_proxy_bypasses_the_proxy(ngc_server, monkeypatch, slept):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with ngc.NgcClient(ngc_server.url, sleep=slept.append) as c:
        c.caller_info(VALID_KEY)
    assert ngc_server.requests[0]["proxied"] is False


def test_missing_ssl_cert_file_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(NvidiaUnreachable, match="SSL_CERT_FILE"):
        ngc.NgcClient("https://api.ngc.nvidia.com")


def test_plain_http_without_a_proxy_loads_no_ca_store(ngc_server, monkeypatch, tmp_path, slept):
    # Nothing to verify on a direct http:// connection, so no CA bundle is read (20-50 ms of a
    # deploy's key check): even one that does not exist is no obstacle.
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with ngc.NgcClient(ngc_server.url, sleep=slept.append) as c:
        assert c.caller_info(VALID_KEY).type == "PERSONAL_KEY"
    # Through a proxy (which may speak TLS) the bundle is still loaded, and its absence named.
    monkeypatch.setenv("HTTP_PROXY", f"https://127.0.0.1:{closed_port()}")
    with pytest.raises(NvidiaUnreachable, match="SSL_CERT_FILE"):
        ngc.NgcClient(ngc_server.url)


@pytest.fixture
def self_signed(tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return str(cert), str(key)


def test_ssl_cert_file_is_honoured(self_signed, monkeypatch, slept):
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with FakeNgcServer(tls=self_signed) as server:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        with ngc.NgcClient(server.url, sleep=slept.append) as c, \
                pytest.raises(NvidiaUnreachable, match="TLS certificate verification failed"):
            c.caller_info(VALID_KEY)
        assert slept == []  # a certificate problem does not go away by retrying
        monkeypatch.setenv("SSL_CERT_FILE", self_signed[0])
        with ngc.NgcClient(server.url) as c:
            assert c.caller_info(VALID_KEY).type == "PERSONAL_KEY"


# --- catalog search -----------------------------------------------------------------------

def test_iter_catalog_paginates_and_keeps_tagged_containers(slept):
    models = entries_from_configmap(generate_catalog(12))
    models[3] = dict(models[3], latestTag="")  # listed without the latestTag attribute
    other_org = dict(models[4], name="elsewhere", namespace="other/team")
    with FakeNgcServer(models=models + [other_org]) as server, \
            ngc.NgcClient(server.url, sleep=slept.append) as c:
        resources = list(c.iter_catalog(page_size=5))
        queries = [json.loads(r["query"][2:]) for r in server.requests]
    expected = sorted(f"{m['namespace']}/{m['name']}" for i, m in enumerate(models) if i != 3)
    assert [r.resource_id for r in resources] == expected  # no `_scored` duplicates
    assert queries == [{"query": "orgName:nim", "page": p, "pageSize": 5} for p in range(3)]
    first = resources[0]
    assert (first.org, first.team, first.name) == tuple(first.resource_id.split("/"))
    assert first.latest_tag and first.date_modified and first.display_name


def test_search_page_with_defaults(client, ngc_server):
    page = client.search_catalog_page(0)
    assert (page.page, page.page_total, page.result_total, len(page.resources)) == (0, 1, 12, 12)
    assert '"pageSize":1000' in ngc_server.requests[0]["query"]


def test_catalog_search_retries_too(client, ngc_server, slept):
    ngc_server.fail("GET", r'"page":1\b', 503)
    assert len(list(client.iter_catalog(page_size=5))) == 12
    assert len(slept) == 1


def test_parse_the_real_catalog_page(shared_data):
    page = ngc_catalog.parse_catalog_page(json.loads((shared_data / "ngc/catalog_search.json").read_text()))
    assert (page.page, page.page_total, page.result_total) == (0, 90, 180)
    assert [r.resource_id for r in page.resources] == [
        "nim/nvidia/cosmos-embed1", *[r.resource_id for r in page.resources][1:]]
    assert len(page.resources) == 2 and all(r.latest_tag for r in page.resources)


def test_team_less_resource_ids():
    resource = ngc.CatalogResource("nim/solo", "1.0")
    assert (resource.org, resource.team, resource.name) == ("nim", None, "solo")
    assert ngc._repo_path("nim/solo") == "/v2/org/nim/repos/solo"
    with pytest.raises(NimError, match="not an NGC resource id"):
        ngc._repo_path("a/b/c/d")


# --- model details ------------------------------------------------------------------------

def test_model_details(client):
    details = client.model_details("nim/meta/llama-3.1-8b-instruct", VALID_KEY)
    assert details["name"] == "llama-3.1-8b-instruct" and details["namespace"] == "nim/meta"
    assert details["latestTag"] in details["tags"]


def test_model_details_errors(slept):
    with FakeNgcServer(eu_restricted={"gemma-2-9b-it"}) as server, \
            ngc.NgcClient(server.url, sleep=slept.append) as c:
        with pytest.raises(ngc.ModelUnavailable, match="HTTP 451") as caught:
            c.model_details("nim/google/gemma-2-9b-it", VALID_KEY)
        assert caught.value.resource_id == "nim/google/gemma-2-9b-it"
        with pytest.raises(NotFound, match="HTTP 404"):
            c.model_details("nim/meta/no-such-model", VALID_KEY)
        with pytest.raises(KeyRejected, match="HTTP 401"):
            c.model_details("nim/meta/llama-3.1-8b-instruct", BAD_KEY)
    assert slept == []


def test_many_details_in_order_with_bounded_concurrency(slept):
    models = entries_from_configmap(generate_catalog(40))
    ids = [f"{m['namespace']}/{m['name']}" for m in models] + ["nim/meta/unknown"]
    eu = {models[5]["name"], models[17]["name"]}
    seen = []
    with FakeNgcServer(models=models, eu_restricted=eu, latency_ms=15) as server, \
            ngc.NgcClient(server.url, sleep=slept.append) as c:
        server.flaky("/repos/", status=503, fraction=0.3, seed=1)
        outcomes = c.model_details_many(ids, VALID_KEY, concurrency=4, progress=seen.append)
        peak = server.peak_in_flight
    assert [o.resource_id for o in outcomes] == ids
    assert {o.resource_id.split("/")[-1] for o in outcomes if o.eu_restricted} == eu
    assert isinstance(outcomes[-1].error, NotFound)
    assert all(o.details["name"] == o.resource_id.split("/")[-1]
               for o in outcomes if o.error is None)
    assert len(seen) == len(ids) and slept  # flaky failures were retried
    assert 2 <= peak <= 4


def test_many_details_stop_on_a_rejected_key(ngc_server, slept):
    ids = [f"{m['namespace']}/{m['name']}" for m in ngc_server.models]
    ngc_server.set_latency(10)
    with ngc.NgcClient(ngc_server.url, sleep=slept.append) as c, pytest.raises(KeyRejected):
        c.model_details_many(ids * 3, BAD_KEY, concurrency=2)
    assert len(ngc_server.requests) < len(ids) * 3


@pytest.mark.parametrize("url", ["api.ngc.nvidia.com", "ftp://x", "https://", ""])
def test_unusable_base_url_is_a_usage_error(url):
    with pytest.raises(UsageError, match="must start with https://"):
        ngc.NgcClient(url)


def test_client_closes_and_repr(ngc_server):
    c = ngc.NgcClient(ngc_server.url + "/")
    assert repr(c) == f"NgcClient({ngc_server.url!r})"
    c.close()
    with pytest.raises(RuntimeError):
        c.caller_info(VALID_KEY)


def test_validate_key_checks_the_shape_before_the_network(ngc_server):
    assert ngc.validate_key(VALID_KEY, ngc_server.url).org == "fake-org"
    with pytest.raises(KeyRejected, match="legacy"):
        ngc.validate_key("legacyKey0123456789", ngc_server.url)
    assert len(ngc_server.requests) == 1


@pytest.mark.parametrize("given, expected", [(None, ngc.DEFAULT_TIMEOUT), (0, None), (2.5, 2.5)])
def test_cli_timeout(given, expected):
    assert ngc.cli_timeout(given) == expected
