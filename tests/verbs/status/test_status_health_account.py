"""domain/health.py on a deployment that reads the project's NIM Account key: an Account that is
not ready is a reason, in the controller's own words, with the `project` verb that fixes it
(docs/compatibility.md, per-project NIM Accounts)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubectl_nim.domain.account_state import account_state
from kubectl_nim.domain.health import (BLOCKING, FAILED, PROGRESSING, READY, WAITING, WARNING,
                                       Facts, assess)

pytestmark = pytest.mark.pure

NAME = "wiz"
RUNNING = {"metadata": {"name": f"{NAME}-predictor-1"},
           "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}],
                      "containerStatuses": [{"name": "kserve-container", "ready": False,
                                             "state": {"running": {}}}]}}


def isvc(ready: str = "False") -> dict:
    return {"metadata": {"name": NAME},
            "status": {"conditions": [{"type": "Ready", "status": ready}]}}


def condition(kind: str, status: str, message: str = "") -> dict:
    return {"type": kind, "status": status, "reason": f"{kind}{status}", "message": message,
            "lastTransitionTime": "2026-11-30T10:00:00Z"}


def account(*conditions: dict) -> dict:
    status = {"conditions": list(conditions)} if conditions else {}
    return {"metadata": {"name": "odh-nim-account", "namespace": "team"},
            "spec": {"apiKeySecret": {"name": "nvidia-nim-secrets"}}, "status": status}


def verdict(account_obj: dict | None, ready: str = "False"):
    return assess(Facts(name=NAME, isvc=isvc(ready), runtime={"metadata": {"name": NAME}},
                        pods=[],
                        account=account_state(account_obj) if account_obj else None))


REJECTED = account(condition("APIKeyValidation", "False", "api key failed validation"),
                   condition("AccountStatus", "False", "api key failed validation"))


def test_a_rejected_key_fails_with_the_controllers_words_and_the_fix():
    health = verdict(REJECTED)
    assert health.verdict == FAILED
    first = health.reasons[0]
    assert (first.code, first.severity) == ("AccountKeyRejected", BLOCKING)
    assert first.message == ("the project's NIM Account odh-nim-account rejected the project "
                             "key: api key failed validation")
    assert "`kubectl nim project rotate-key -n team`" in first.advice
    assert "`kubectl nim project status -n team`" in first.advice


def test_an_account_not_yet_validated_is_a_wait():
    for not_yet in (account(), account(condition("APIKeyValidation", "Unknown"),
                                       condition("AccountStatus", "Unknown"))):
        health = verdict(not_yet)
        assert health.verdict == PROGRESSING
        reason = next(r for r in health.reasons if r.code.startswith("Account"))
        assert (reason.code, reason.severity) == ("AccountNotValidated", WAITING)
        assert "has not validated the project key yet" in reason.message
        assert "`kubectl nim project status -n team`" in reason.advice


def test_an_account_failing_for_another_reason_is_not_called_a_rejected_key():
    health = verdict(account(condition("APIKeyValidation", "True", "validated"),
                             condition("AccountStatus", "False", "cannot create pull secret")))
    first = health.reasons[0]
    assert (first.code, first.severity) == ("AccountNotReady", BLOCKING)
    assert first.message.endswith("is not ready: cannot create pull secret")
    assert "rotate-key" not in first.advice


def test_a_ready_account_and_no_account_say_nothing():
    ready = account(condition("APIKeyValidation", "True"), condition("AccountStatus", "True"))
    for obj in (ready, None):
        assert not any(r.code.startswith("Account") for r in verdict(obj).reasons)


def test_a_serving_deployment_only_warns():
    """Running pods keep the key they started with: a rejected rotation is a warning then."""
    health = verdict(REJECTED, ready="True")
    assert health.verdict == READY
    assert [(r.code, r.severity) for r in health.reasons] == [("AccountKeyRejected", WARNING)]


_ANY = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
_CONDITION = st.fixed_dictionaries({"type": st.sampled_from(["APIKeyValidation",
                                                             "AccountStatus", "Other"]) | _ANY,
                                    "status": st.sampled_from(["True", "False", "Unknown"])
                                    | _ANY, "message": _ANY})


@settings(max_examples=200, deadline=None)
@given(st.lists(_CONDITION | _ANY, max_size=4) | _ANY)
def test_any_account_status_gives_one_account_reason_unless_ready(conditions):
    obj = {"metadata": {"name": "a", "namespace": "n"}, "status": {"conditions": conditions}}
    state = account_state(obj)
    health = verdict(obj)
    found = [r for r in health.reasons if r.code.startswith("Account")]
    assert len(found) == (0 if state.ready else 1)
    assert all(isinstance(r.message, str) and r.message for r in found)
