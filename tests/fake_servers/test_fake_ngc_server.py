"""The fake NGC API itself: real answer shapes, auth rules, admin API, standalone mode.

Plain httpx without retries, so that every answer the fake gives is seen as is.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.fakes.ngc_fixtures import VALID_KEY
from tests.fakes.ngc_server import (FakeNgcServer, entries_from_configmap,
                                    generate_catalog)
from kubectl_nim.domain.catalog import CONFIGMAP_LIMIT_BYTES, parse_configmap

FAKE = Path(__file__).parents[1] / "fakes" / "ngc_server.py"
SEARCH = "/v2/search/catalog/resources/CONTAINER"
CALLER = "/v3/keys/get-caller-info"
LLAMA = "/v2/org/nim/team/meta/repos/llama-3.1-8b-instruct"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def http(ngc_server):
    with httpx.Client(base_url=ngc_server.url, timeout=5) as client:
        yield client


def search(http, page=0, size=5, query="orgName:nim"):
    q = json.dumps({"query": query, "page": page, "pageSize": size})
    return http.get(SEARCH, params={"q": q})


def caller(http, bearer=VALID_KEY, credentials=VALID_KEY, headers=FORM):
    auth = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return http.post(CALLER, headers={**headers, **auth},
                     content=f"credentials={credentials}" if credentials else b"")


# --- the three endpoints ------------------------------------------------------------------

def test_catalog_pages(http):
    pages = [search(http, page).json() for page in range(4)]
    assert [p["resultTotal"] for p in pages] == [12] * 4
    assert [p["resultPageTotal"] for p in pages] == [3] * 4
    assert [(p["params"]["page"], p["params"]["pageSize"]) for p in pages] == \
        [(0, 5), (1, 5), (2, 5), (3, 5)]
    containers = [[g for g in p["results"] if g["groupValue"] == "CONTAINER"][0] for p in pages]
    assert [len(c["resources"]) for c in containers] == [5, 5, 2, 0]
    first = pages[0]["results"]
    assert first[0]["groupValue"] == "_scored" and first[0]["resources"] == \
        containers[0]["resources"][:2]
    ids = [r["resourceId"] for c in containers for r in c["resources"]]
    assert ids == sorted(set(ids)) and len(ids) == 12


def test_catalog_filters_on_the_org_of_the_query(http):
    assert search(http, query="orgName:other").json()["resultTotal"] == 0
    assert search(http, query="*:*").json()["resultTotal"] == 12


def test_bad_search_query(http):
    assert http.get(SEARCH, params={"q": "not json"}).status_code == 400


def test_shapes_match_the_real_answers(http, shared_data):
    real_search = json.loads((shared_data / "ngc/catalog_search.json").read_text())
    real_caller = json.loads((shared_data / "ngc/key_validation.json").read_text())
    real_repo = json.loads((shared_data / "ngc/model_tags.json").read_text())
    ours = search(http).json()
    assert set(ours) == set(real_search)
    real_resource = real_search["results"][1]["resources"][0]
    assert set(ours["results"][1]["resources"][0]) == set(real_resource)
    assert set(caller(http).json()) == set(real_caller)
    repo = http.get(LLAMA, headers={"Authorization": f"Bearer {VALID_KEY}"}).json()
    assert set(repo) == set(real_repo)


def test_caller_info_needs_the_key_in_header_and_body(http):
    assert caller(http).status_code == 200
    assert caller(http).json()["type"] == "PERSONAL_KEY"
    assert caller(http, bearer=None).status_code == 401
    assert caller(http, credentials=None).status_code == 401
    assert caller(http, credentials="nvapi-other").status_code == 401
    assert caller(http, bearer="nvapi-other", credentials="nvapi-other").status_code == 401
    assert caller(http, headers={"Content-Type": "application/json"}).status_code == 415
    assert caller(http, bearer=None).json()["requestStatus"]["statusCode"] == "UNAUTHORIZED"


def test_repository_details(http):
    auth = {"Authorization": f"Bearer {VALID_KEY}"}
    ok = http.get(LLAMA, params={"resolve-labels": "true"}, headers=auth)
    assert ok.status_code == 200
    body = ok.json()
    assert (body["name"], body["namespace"], body["latestTag"]) == \
        ("llama-3.1-8b-instruct", "nim/meta", "latest")
    assert http.get(LLAMA).status_code == 401
    assert http.get(LLAMA, headers={"Authorization": "Bearer nvapi-other"}).status_code == 401
    assert http.get("/v2/org/nim/team/meta/repos/nope", headers=auth).status_code == 404
    assert http.get("/v2/unknown", headers=auth).status_code == 404


def test_eu_restricted_is_451_with_an_empty_body():
    with FakeNgcServer(eu_restricted=["llama-3.1-8b-instruct"]) as server:
        answer = httpx.get(server.url + LLAMA, headers={"Authorization": f"Bearer {VALID_KEY}"})
    assert answer.status_code == 451 and answer.content == b""


# --- catalogs -----------------------------------------------------------------------------

def test_generate_catalog_is_deterministic_valid_and_small():
    big = generate_catalog(2000)
    assert big == generate_catalog(2000) and len(big["data"]) == 2000
    catalog = parse_configmap(big, "generated")
    assert len(catalog.models) == 2000 and catalog.warnings == ()
    assert len(json.dumps(big).encode()) < CONFIGMAP_LIMIT_BYTES  # JSON escaping: larger than YAML


def test_serves_a_catalog_file(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(generate_catalog(30)))
    with FakeNgcServer(catalog_file=str(path)) as server:
        assert len(server.models) == 30


def test_serves_the_reference_catalog(shared_data):
    with FakeNgcServer(catalog_file=str(shared_data / "nvidia-nim-models-data.yaml")) as server:
        q = json.dumps({"query": "orgName:nim", "page": 0, "pageSize": 1000})
        body = httpx.get(server.url + SEARCH, params={"q": q}).json()
    assert body["resultTotal"] == 186 and body["resultPageTotal"] == 1


def test_entries_skip_junk():
    configmap = {"data": {"a": "{}", "b": json.dumps({"name": "b", "namespace": "nim/x"})}}
    assert entries_from_configmap(configmap) == [{"name": "b", "namespace": "nim/x"}]


# --- admin API ----------------------------------------------------------------------------

def admin(http, what, body=None, method="POST"):
    answer = http.request(method, f"/_fake/{what}", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_fail_window_status_and_retry_after(http, ngc_server):
    admin(http, "fail", {"method": "POST", "path_regex": "get-caller", "status": 429,
                         "nth": 2, "times": 2, "retry_after": 4})
    answers = [caller(http) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 429, 429, 200, 200]
    assert answers[1].headers["Retry-After"] == "4"
    assert [r["status"] for r in admin(http, "requests", method="GET")] == \
        [200, 429, 429, 200, 200]


def test_fail_regex_sees_the_decoded_query(http):
    admin(http, "fail", {"path_regex": r'"page": ?1\b', "status": 503})
    assert [search(http, p).status_code for p in (0, 1, 1)] == [200, 503, 200]


def test_method_filter(http):
    admin(http, "fail", {"method": "GET", "path_regex": ".", "status": 500, "times": 10})
    assert caller(http).status_code == 200
    assert search(http).status_code == 500


def test_hang_then_normal_answer(http):
    admin(http, "fail", {"path_regex": "get-caller", "hang_seconds": 0.2})
    started = time.monotonic()
    assert caller(http).status_code == 200
    assert time.monotonic() - started >= 0.2


def test_latency(http):
    admin(http, "latency", {"ms": 150})
    started = time.monotonic()
    search(http)
    assert time.monotonic() - started >= 0.15


def test_log_never_holds_credentials_and_skips_admin(http, ngc_server):
    caller(http)
    http.get(LLAMA, headers={"Authorization": f"Bearer {VALID_KEY}"})
    log = admin(http, "requests", method="GET")
    assert [set(r) for r in log] == [{"method", "path", "query", "status", "proxied", "host"}] * 2
    assert VALID_KEY not in json.dumps(log)
    admin(http, "requests", method="DELETE")
    assert ngc_server.requests == []


def test_reset(http, ngc_server):
    admin(http, "fail", {"path_regex": ".", "status": 500, "times": 100})
    admin(http, "latency", {"ms": 5000})
    admin(http, "reset")
    assert caller(http).status_code == 200
    assert len(ngc_server.requests) == 1


def test_admin_errors(http):
    assert http.post("/_fake/fail", json={"status": 500}).status_code == 400  # no path_regex
    assert http.post("/_fake/fail", json={"path_regex": "("}).status_code == 400
    assert http.post("/_fake/nope", json={}).status_code == 404
    assert http.get("/_fake/fail").status_code == 405


def test_flaky_fails_each_path_at_most_once_and_is_seeded():
    paths = [f"/v2/org/nim/team/t/repos/m{i}" for i in range(100)]

    def failing(seed, fraction):
        with FakeNgcServer() as server, httpx.Client(base_url=server.url) as http:
            admin(http, "flaky", {"path_regex": "/repos/", "status": 503, "fraction": fraction,
                                  "seed": seed})
            first = {p for p in paths if http.get(p).status_code == 503}
            again = {p for p in paths if http.get(p).status_code == 503}
        assert again == set()
        return first

    half = failing(1, 0.5)
    assert 25 < len(half) < 75 and failing(1, 0.5) == half and failing(2, 0.5) != half
    assert failing(1, 0.0) == set() and len(failing(1, 1.0)) == 100


def test_stop_does_not_wait_for_hanging_requests():
    server = FakeNgcServer().start()
    server.fail(None, ".", hang_seconds=30)

    def hang():
        try:
            httpx.get(server.url + SEARCH, timeout=10)
        except httpx.HTTPError:
            pass

    thread = threading.Thread(target=hang, daemon=True)
    thread.start()
    time.sleep(0.1)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2


# --- standalone ---------------------------------------------------------------------------

@pytest.mark.subprocess
def test_standalone_prints_its_url_first(tmp_path):
    process = subprocess.Popen(
        [sys.executable, str(FAKE), "--port", "0", "--generate", "30", "--valid-key", "nvapi-a",
         "--valid-key", "nvapi-b", "--eu-restricted", "gemma-2-9b-it", "--latency-ms", "1"],
        stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=url, timeout=5) as http:
            assert search(http, size=100).json()["resultTotal"] == 30
            assert caller(http, "nvapi-b", "nvapi-b").status_code == 200
            assert caller(http).status_code == 401  # only the keys given are valid
            auth = {"Authorization": "Bearer nvapi-a"}
            assert http.get("/v2/org/nim/team/google/repos/gemma-2-9b-it",
                            headers=auth).status_code == 451
    finally:
        process.terminate()
        process.wait(timeout=10)
