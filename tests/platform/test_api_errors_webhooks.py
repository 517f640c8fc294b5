"""adapters/kube/api_errors: an admission webhook that did not answer is named, with what to check;
one that answered and denied keeps its own message. The real API server's wording is asserted in
tests/realcluster/test_faults_control_plane_real.py (KServe's process paused)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubectl_nim.adapters.kube.api_errors import (MAX_MESSAGE, error_from_response,
                                                  unanswered_webhook)

HOOK = "inferenceservice.kserve-webhook-server.defaulter"
URL = "https://10.0.0.1:443/mutate-serving-kserve-io-v1beta1-inferenceservice?timeout=10s"


def status(code: int, message, reason="InternalError") -> bytes:
    return json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                       "message": message, "reason": reason, "code": code}).encode()


def answer(message, code=500):
    return error_from_response(code, status(code, message), "POST",
                               "/apis/serving.kserve.io/v1beta1/namespaces/ns/inferenceservices")


@pytest.mark.parametrize("cause, why", [
    ("context deadline exceeded", "timed out"),
    ("dial tcp 10.0.0.1:443: connect: connection refused", "connection refused"),
    ('no endpoints available for service "kserve-webhook-server-service"', "no pod serves it"),
    ("net/http: request canceled (Client.Timeout exceeded while awaiting headers)", "timed out"),
    ("EOF", "connection dropped"),
])
def test_a_webhook_that_did_not_answer_is_named_with_what_to_check(cause, why):
    error = answer(f'Internal error occurred: failed calling webhook "{HOOK}": failed to call '
                   f'webhook: Post "{URL}": {cause}')
    assert error.message == (f'admission webhook "{HOOK}" did not answer ({why}), so the API '
                             f'server refused the write')
    assert "kserve-controller-manager pods and their logs" in error.hint
    assert "the API server failed" not in error.hint
    assert error.status == 500  # still an internal error: nothing was stored


def test_another_webhook_points_at_the_webhook_configurations():
    error = answer('Internal error occurred: failed calling webhook "validate.example.com": '
                   'failed to call webhook: Post "https://svc.ns.svc:443/validate": '
                   'context deadline exceeded')
    assert error.message.startswith('admission webhook "validate.example.com" did not answer')
    assert "validatingwebhookconfigurations,mutatingwebhookconfigurations" in error.hint
    assert "kserve" not in error.hint


def test_a_webhook_that_answered_and_denied_keeps_its_own_message():
    message = ('admission webhook "inferenceservice.kserve-webhook-server.validator" denied the '
               'request: the model format is not supported')
    error = answer(message, code=400)
    assert error.message == message
    assert error.hint is None


def test_a_webhook_failure_without_a_recognised_cause_keeps_the_generic_hint():
    error = answer(f'Internal error occurred: failed calling webhook "{HOOK}": failed to call '
                   f'webhook: x509: certificate signed by unknown authority')
    assert HOOK in error.message
    assert error.hint.startswith("the API server failed")


def test_only_a_5xx_is_read_as_an_unanswered_webhook():
    error = answer(f'failed calling webhook "{HOOK}": context deadline exceeded', code=422)
    assert error.message.startswith("failed calling webhook")


@pytest.mark.parametrize("name", ["a" * 300, " ; rm -rf /", "x y", "", "-leading-dash",
                                  "ünïcode"])
def test_names_outside_a_webhook_names_shape_are_not_quoted(name):
    found = unanswered_webhook(f'failed calling webhook "{name}": context deadline exceeded')
    assert found is None


def test_a_name_is_bounded():
    name = "a" * 253
    assert unanswered_webhook(f'failed calling webhook "{name}": context deadline exceeded') == \
        (name, "timed out")


@given(st.one_of(st.text(), st.none(), st.integers(), st.lists(st.text()),
                 st.dictionaries(st.text(), st.text())))
def test_arbitrary_messages_never_raise_and_name_a_webhook_only_when_one_was_called(message):
    found = unanswered_webhook(message)
    if found is not None:
        assert isinstance(message, str)
        name, why = found
        assert f'failed calling webhook "{name}"' in message[:MAX_MESSAGE]
        assert len(name) <= 253 and why
    error = answer(message)  # whatever the server's Status holds: one ApiError, no exception
    assert isinstance(error.message, str) and error.message
    if found is None:
        assert "did not answer" not in (error.hint or "")


@given(st.text(max_size=200), st.text(max_size=200))
def test_embedded_in_arbitrary_text_the_pattern_is_still_found(before, after):
    message = f'{before}failed calling webhook "{HOOK}": i/o timeout{after}'
    found = unanswered_webhook(message)
    assert found is not None and found[1] in ("timed out", "connection refused",
                                              "no pod serves it", "connection dropped")
