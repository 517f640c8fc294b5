"""A NIM Account's own state read from the server's answer (domain/account_state), and the
project-account key scheme (domain/nim_runtime.key_scheme)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, strategies as st

from kubectl_nim.domain import account_objects
from kubectl_nim.domain.account_state import account_state, of_namespace, parse_time
from kubectl_nim.domain.nim_runtime import (PROJECT_ACCOUNT, SHARED_LEGACY, KeyRef, Refs,
                                            key_scheme)
from tests.helpers.day2 import account

pytestmark = pytest.mark.pure

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 12, 1, tzinfo=timezone.utc)


def refs(*key_secrets, pulls=()):
    return Refs(tuple(KeyRef("kserve-container", s, "NGC_API_KEY") for s in key_secrets),
                tuple(pulls))


def test_the_wizards_key_secret_is_the_projects_not_shared_legacy():
    wizard = refs("nvidia-nim-secrets", pulls=("odh-nim-account-pull",))
    assert key_scheme("wiz", wizard) == SHARED_LEGACY
    assert key_scheme("wiz", wizard, {"nvidia-nim-secrets"}) == PROJECT_ACCOUNT
    assert key_scheme("x", refs("team-key"), {"team-key"}) == PROJECT_ACCOUNT


def test_a_ready_account():
    state = account_state(account())
    assert state.ready and state.readiness == "True" and state.rejection() is None
    assert (state.pull_secret, state.config_map, state.template) == (
        "odh-nim-account-pull", "odh-nim-account-cm", "odh-nim-account-template")
    assert state.last_validation == "2026-11-30T10:00:00Z"


def test_a_rejected_account_gives_the_controllers_words():
    state = account_state(account(ready=False))
    assert not state.ready and state.rejection() == "api key failed validation"


def test_revalidation_is_judged_against_the_time_it_was_asked_for():
    ready = account_state(account())
    assert ready.validated_since(T0) is True
    assert ready.validated_since(LATER) is None        # not yet
    rejected = account(ready=False)
    rejected["status"]["conditions"][0]["lastTransitionTime"] = "2026-12-01T00:00:05Z"
    assert account_state(rejected).validated_since(LATER) is False


def test_of_namespace_picks_the_projects_account():
    assert of_namespace([account("a"), account("b")], "b").namespace == "b"
    assert of_namespace([account("a")], "b") is None
    assert of_namespace("not a list", "b") is None


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(["metadata", "spec", "status", "conditions",
                                                       "name", "type", "status",
                                                       "lastSuccessfulValidation",
                                                       "apiKeySecret", "nimPullSecret",
                                                       "lastTransitionTime", "message"]),
                                      inner, max_size=4), max_leaves=20))
def test_any_server_answer_reads_without_crashing(answer):
    state = account_state(answer if isinstance(answer, dict) else {"status": answer})
    state.to_data()
    state.validated_since(T0)
    assert state.ready in (True, False)


def test_parse_time():
    assert parse_time("2026-11-30T10:00:00Z") == T0
    assert parse_time("yesterday") is None and parse_time(None) is None


def test_users_are_the_deployments_reading_the_key_secret():
    runtimes = [{"metadata": {"name": n}, "spec": {"containers": [{"name": "kserve-container",
                "env": [{"name": "NGC_API_KEY", "valueFrom": {"secretKeyRef": {
                    "name": s, "key": "NGC_API_KEY"}}}]}]}}
                for n, s in (("wiz", "nvidia-nim-secrets"), ("own", "nvidia-nim-secrets-own"),
                             ("orphan", "nvidia-nim-secrets"))]
    isvcs = [{"metadata": {"name": "wiz"}, "spec": {"predictor": {"model": {"runtime": "wiz"}}}},
             {"metadata": {"name": "own"}, "spec": {"predictor": {"model": {"runtime": "own"}}}}]
    assert account_objects.users(runtimes, isvcs, ["nvidia-nim-secrets"]) == ["orphan", "wiz"]


def test_rekeyed_writes_both_data_keys_once():
    secret = account_objects.key_secret("ns", "nvapi-old-0123456789")
    assert account_objects.rekeyed(dict(secret), "nvapi-old-0123456789") is None
    new = account_objects.rekeyed(dict(secret), "nvapi-new-0123456789")
    assert new["data"] == account_objects.key_data("nvapi-new-0123456789")
    assert set(new["data"]) == {"api_key", "NGC_API_KEY"}


@given(st.recursive(st.none() | st.booleans() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(["apiVersion", "kind", "name", "controller",
                                                       "ownerReferences", "metadata"]),
                                      inner, max_size=4), max_leaves=15))
def test_a_nimservice_owner_is_read_from_any_answer_without_crashing(answer):
    from kubectl_nim.domain import nimservice

    found = nimservice.owner(answer if isinstance(answer, dict) else {"metadata": answer})
    assert found is None or isinstance(found, str)


def test_only_a_controlling_apps_nvidia_com_nimservice_counts():
    from kubectl_nim.domain import nimservice

    def isvc(**ref):
        return {"metadata": {"ownerReferences": [{"apiVersion": "apps.nvidia.com/v1alpha1",
                                                  "kind": "NIMService", "name": "n",
                                                  "controller": True, **ref}]}}
    assert nimservice.owner(isvc()) == "n"
    assert nimservice.owner(isvc(controller=False)) is None
    assert nimservice.owner(isvc(apiVersion="apps.nvidia.com.evil/v1")) is None
    assert nimservice.owner(isvc(kind="Deployment")) is None
