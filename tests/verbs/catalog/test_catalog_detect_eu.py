"""`catalog detect-eu` against the fake NGC API, and its EU list format (domain/eu_restricted)."""

from __future__ import annotations

import json
import re
import socket

import pytest

from tests.helpers.catalog import model_entry
from tests.fakes.ngc_fixtures import VALID_KEY
from tests.fakes.ngc_server import FakeNgcServer, entries_from_configmap, generate_catalog
from kubectl_nim.domain import catalog
from kubectl_nim.domain import eu_restricted

BAD_KEY = "nvapi-revoked-0123456789abcdef"
LEGACY_KEY = "bGVnYWN5LWtleS0wMTIzNDU2Nzg5YWJjZGVm"
STARTING = "Fetching the details of {n} models from NVIDIA (concurrency 32)...\n"
NO_451 = ("warning: no model answered HTTP 451: are you running this from an EU location? "
          "(NVIDIA restricts models by the location the request comes from)\n")


@pytest.fixture(autouse=True)
def fixed_clock(nim):
    nim.environment["clock"] = lambda: 0.0


@pytest.fixture
def detect(nim, ngc_server, ngc_sleeps):
    def run(*args, key=VALID_KEY, server=None):
        return nim("catalog", "detect-eu", "--ngc-api-url", (server or ngc_server).url, *args,
                   env={"NGC_API_KEY": key})
    return run


def probed(n, found, failed=0, retries=0, size=None, to="standard output"):
    where = f"{size:,} bytes to {to}" if size is not None else "nothing written"
    return (f"Probed {n} models in 0.0s: {found} answered HTTP 451, {failed} failed, "
            f"{retries} retr{'y' if retries == 1 else 'ies'}; {where}.\n")


ENTRIES = [model_entry("zeta-vision", namespace="nim/meta"),
           model_entry("alpha-chat", namespace="nim/meta"),
           model_entry("teamless", namespace="nim"),
           model_entry("open-model", namespace="nim/nvidia")]

EXPECTED = """\
[
  {
    "name": "alpha-chat",
    "resourceId": "nim/meta/alpha-chat",
    "org": "nim",
    "team": "meta"
  },
  {
    "name": "teamless",
    "resourceId": "nim/teamless",
    "org": "nim",
    "team": null
  },
  {
    "name": "zeta-vision",
    "resourceId": "nim/meta/zeta-vision",
    "org": "nim",
    "team": "meta"
  }
]
"""


def test_exact_output_sorted_by_name(detect):
    with FakeNgcServer(models=ENTRIES, eu_restricted={"zeta-vision", "alpha-chat",
                                                      "teamless"}) as server:
        result = detect(server=server)
        paths = sorted(r["path"] for r in server.requests if "/repos/" in r["path"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == EXPECTED
    assert result.stderr == STARTING.format(n=4) + probed(4, 3, size=len(EXPECTED))
    assert paths == ["/v2/org/nim/repos/teamless", "/v2/org/nim/team/meta/repos/alpha-chat",
                     "/v2/org/nim/team/meta/repos/zeta-vision",
                     "/v2/org/nim/team/nvidia/repos/open-model"]


def test_no_451_warns_and_writes_an_empty_list(detect, tmp_path):
    out = tmp_path / "eu.json"
    result = detect("--output", str(out))
    assert (result.exit_code, result.stdout) == (0, "")
    assert out.read_text() == "[]\n"
    assert result.stderr == (STARTING.format(n=12) + probed(12, 0, size=3, to=str(out)) + NO_451)


def test_output_feeds_generate(nim, detect, ngc_sleeps, tmp_path):
    """From an EU location detect-eu records the 451s; elsewhere generate marks them."""
    entries = entries_from_configmap(generate_catalog(9))
    eu = {entries[2]["name"], entries[7]["name"]}
    listed = tmp_path / "eu.json"
    with FakeNgcServer(models=entries, eu_restricted=eu) as in_the_eu:
        assert detect("--output", str(listed), server=in_the_eu).exit_code == 0
    with FakeNgcServer(models=entries) as in_the_us:
        result = nim("catalog", "generate", "--ngc-api-url", in_the_us.url, "--eu-restricted",
                     str(listed), env={"NGC_API_KEY": VALID_KEY})
    assert result.exit_code == 0
    models = catalog.parse_text(result.stdout, "generated").models
    assert len(models) == 9
    assert {m.name for m in models if m.eu_restricted} == eu


def test_reruns_are_byte_identical(detect):
    entries = entries_from_configmap(generate_catalog(20))
    with FakeNgcServer(models=entries, eu_restricted={e["name"] for e in entries[::3]},
                       latency_ms=2) as server:
        first, second = detect(server=server), detect(server=server)
    assert first.stdout == second.stdout and len(json.loads(first.stdout)) == 7


def test_persistent_failure_is_named_and_fails(detect, ngc_server, ngc_sleeps, tmp_path):
    out = tmp_path / "eu.json"
    ngc_server.fail("GET", "/repos/gemma-2-9b-it\\?", 502, times=100)
    result = detect("--output", str(out))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        STARTING.format(n=12)
        + "warning: could not fetch nim/google/gemma-2-9b-it: HTTP 502 after 5 attempts\n"
        + probed(12, 0, failed=1, retries=4)
        + "error: 1 model could not be probed (named above); nothing was written; rerun, or "
          "pass --allow-partial to write the list without it\n")
    assert not out.exists()


def test_allow_partial(detect):
    entries = entries_from_configmap(generate_catalog(6))
    with FakeNgcServer(models=entries, eu_restricted={entries[0]["name"]}) as server:
        server.fail("GET", f"/repos/{entries[1]['name']}\\?", 500, times=100)
        result = detect("--allow-partial", server=server)
    assert result.exit_code == 0
    assert [e["name"] for e in json.loads(result.stdout)] == [entries[0]["name"]]
    assert result.stderr.endswith(
        probed(6, 1, failed=1, retries=4, size=len(result.stdout))
        + "warning: --allow-partial: the list was written without the 1 model that could not "
          "be probed\n")


def test_transient_failures_are_retried(detect, ngc_server, ngc_sleeps):
    ngc_server.flaky("/repos/", 503, fraction=0.5, seed=1)
    result = detect()
    retries = len([r for r in ngc_server.requests if r["status"] == 503])
    assert result.exit_code == 0 and retries >= 2
    assert result.stderr == STARTING.format(n=12) + probed(12, 0, retries=retries, size=3) \
        + NO_451


def test_bad_key(detect, ngc_server):
    result = detect(key=BAD_KEY)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("error: NVIDIA rejected the API key (HTTP 401); ")
    assert [r["path"] for r in ngc_server.requests] == ["/v3/keys/get-caller-info"]


def test_legacy_key(detect, ngc_server):
    result = detect(key=LEGACY_KEY)
    assert result.exit_code == 1 and "legacy NVIDIA API key" in result.stderr
    assert ngc_server.requests == []


def test_unreachable(nim, ngc_sleeps):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = nim("catalog", "detect-eu", "--ngc-api-url", f"http://127.0.0.1:{port}",
                 env={"NGC_API_KEY": VALID_KEY})
    assert (result.exit_code, result.stdout) == (3, "")
    assert result.stderr.startswith(f"error: NVIDIA could not be reached at 127.0.0.1:{port}: "
                                    f"connection refused (5 attempts); ")


def test_key_never_in_any_output(detect, ngc_server):
    ngc_server.fail("GET", "/repos/gemma-2-9b-it\\?", 503, times=2)
    texts = []
    for key in (VALID_KEY, BAD_KEY):
        result = detect("-vv", key=key)
        texts += [result.stdout, result.stderr]
    assert "debug: GET " in texts[1]
    for text in texts:
        assert VALID_KEY not in text and BAD_KEY not in text
        assert not re.search(r"nvapi-(?!\.\.\.)", text)


# --- the list format --------------------------------------------------------------------------

def test_list_format_round_trips():
    entries = [eu_restricted.EuRestricted.from_resource_id(r)
               for r in ("nim/meta/b", "nim/a", "nim/meta/b")]
    text = eu_restricted.eu_restricted_json(entries)
    assert [e["name"] for e in json.loads(text)] == ["a", "b"]  # sorted, duplicates dropped
    assert set(eu_restricted.parse_eu_restricted(text)) == set(entries)


def test_reference_eu_list_parses(shared_data):
    entries = eu_restricted.parse_eu_restricted(
        (shared_data / "eu_restricted_models.json").read_text())
    assert len(entries) == 4 and all(e.org == "nim" and e.team == "meta" for e in entries)


def test_reference_catalog_from_the_eu(detect, shared_data):
    """The real catalog served as from an EU location: detect-eu finds the real list."""
    reference = json.loads((shared_data / "eu_restricted_models.json").read_text())
    with FakeNgcServer(catalog_file=str(shared_data / "nvidia-nim-models-data.yaml"),
                       eu_restricted={e["name"] for e in reference}) as server:
        result = detect(server=server)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == sorted(reference, key=lambda e: e["name"])
