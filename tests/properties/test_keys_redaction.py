"""Redaction everywhere: whatever path produced a message (click's own usage errors,
file errors echoing a path, a server's message relayed), nothing that looks like a key, nor the
base64 of the key in hand, reaches the terminal."""

from __future__ import annotations

import base64
import json

import pytest

from kubectl_nim import log
from tests.helpers.day2 import seed_plugin
from tests.fakes import kube_apiserver

KEY = "nvapi-test-key"  # the fake NGC server's valid key
TYPED = "nvapi-AbCdEf0123456789_typed-by-mistake"


def _assert_hidden(result, *keys):
    text = result.stdout + result.stderr
    for key in keys:
        assert key not in text
        assert base64.b64encode(key.encode()).decode() not in text


@pytest.mark.parametrize("argv", [
    ("list", "x", TYPED), ("delete", "x", TYPED), ("models", "--offline", "a", TYPED),
    ("version", TYPED), ("config", "view", TYPED), ("completion", "bash", TYPED),
    ("rotate-key", "x", TYPED), ("deploy", "x", TYPED, "--model", "m"),
])
def test_click_usage_errors_never_echo_a_key(nim, argv):
    result = nim(*argv)
    assert result.exit_code == 2
    _assert_hidden(result, TYPED)
    assert "<redacted>" in result.stderr or "nvapi-" not in result.stderr


def test_key_given_as_the_key_file_path_is_not_echoed(nim, kubeconfig, kube_server):
    seed_plugin(kube_server, "x")
    result = nim("rotate-key", "x", "--api-key-file", TYPED, "--kubeconfig", kubeconfig)
    assert result.exit_code == 2
    assert "cannot read the API key file" in result.stderr
    _assert_hidden(result, TYPED)


def test_server_message_quoting_the_secret_data_is_redacted(nim, kubeconfig, kube_server,
                                                            ngc_server, monkeypatch):
    seed_plugin(kube_server, "x")
    pull = json.dumps({"auths": {"nvcr.io": {"username": "$oauthtoken", "password": KEY}}})
    quoted = (f"admission webhook \"secrets.example.com\" denied the request: data "
              f"{{NGC_API_KEY: {base64.b64encode(KEY.encode()).decode()}, .dockerconfigjson: "
              f"{base64.b64encode(pull.encode()).decode()}}}")
    monkeypatch.setitem(kube_apiserver.INJECTED_MESSAGES, 403, quoted)
    kube_server.fail("PUT", r"/secrets/", status=403, times=10)
    kube_server.fail("PATCH", r"/secrets/", status=403, times=10)
    result = nim("rotate-key", "x", "--kubeconfig", kubeconfig, "--ngc-api-url", ngc_server.url,
                 "--no-restart", env={"NGC_API_KEY": KEY})
    assert result.exit_code == 1
    assert "admission webhook" in result.stderr
    _assert_hidden(result, KEY)
    assert base64.b64encode(pull.encode()).decode() not in result.stderr


@pytest.mark.parametrize("prefix", ["", "x", "xy", '{"auths":{"nvcr.io":{"password":"'])
def test_redact_removes_the_key_inside_any_base64_alignment(prefix):
    key = "nvapi-SecretValue0123456789abcdefghij"
    log.register_secret(key)
    blob = base64.b64encode((prefix + key + '"}}}').encode()).decode()
    out = log.redact(f"denied: {blob}")
    assert key not in out and blob not in out
    assert "<redacted>" in out
    # what is left of the blob decodes to the text around the key, never to a piece of it
    left, _, right = out[len("denied: "):].partition("<redacted>")
    assert len(left) + len(right) < len(blob) - len(key)


def test_redact_removes_anything_shaped_like_a_key():
    assert log.redact("got nvapi-unregistered_Key-123 here") == "got <redacted> here"
    assert log.redact("a personal key starts with nvapi-") == "a personal key starts with nvapi-"
