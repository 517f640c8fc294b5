"""Deployment names: the DNS rules, the computed length limit, and name derivation
(docs/design.md#what-deploy-creates)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubectl_nim.cli.exit_status import ExitStatus, for_error
from kubectl_nim.errors import UsageError
from kubectl_nim.domain.names import (DNS1035_LABEL, DNS1123_LABEL, DNS1123_SUBDOMAIN,
                               derive_deployment_name, derived_names, max_deployment_name_length,
                               validate_claim_name, validate_deployment_name)

pytestmark = pytest.mark.pure

VALID_NAMES = st.from_regex(r"\A[a-z]([-a-z0-9]{0,40}[a-z0-9])?\Z")
PROJECTS = st.from_regex(r"\A[a-z]([-a-z0-9]{0,30}[a-z0-9])?\Z")


def rejection(name: str, namespace: str | None = None) -> str:
    with pytest.raises(UsageError) as err:
        validate_deployment_name(name, namespace)
    assert for_error(err.value) == ExitStatus.USAGE
    return err.value.message


@pytest.mark.parametrize("name", ["a", "llama", "llama-3-1-8b", "x1", "a" * 53])
def test_valid_names_are_returned(name):
    assert validate_deployment_name(name) == name


@pytest.mark.parametrize("name, reason", [
    ("", "must not be empty"),
    ("Llama", "must be lowercase"),
    ("1llama", "must start with a letter"),
    ("-llama", "must start with a letter"),
    ("llama-", "must end with a letter or digit"),
    ("llama-3.1", "may contain only lowercase letters, digits and '-' (found '.')"),
    ("llama_3", "(found '_')"),
    ("ll ama", "(found ' ')"),
    ("llama\n", "(found '\\n')"),
])
def test_invalid_characters_are_refused_with_the_reason(name, reason):
    assert reason in rejection(name)


def test_limit_is_computed_from_the_predictor_service_name():
    # `{n}-predictor` is the longest derived DNS-1035 label: 63 - len("-predictor") = 53.
    assert max_deployment_name_length() == 63 - len("-predictor") == 53


def test_too_long_name_states_the_derived_name_and_the_computed_limit():
    message = rejection("a" * 60)
    assert "name is 60 characters" in message
    assert "the longest name derived from it, NAME-predictor" in message
    assert "would be 70 and must be at most 63, so use at most 53" in message


def test_refusal_suggests_a_valid_name():
    with pytest.raises(UsageError) as err:
        validate_deployment_name("Llama-3.1")
    assert err.value.hint == "for example 'llama-3-1'"


def test_with_a_project_the_host_name_label_binds():
    # KServe builds `{n}-predictor-{namespace}` and must keep it a 63-character label.
    namespace = "p" * 40
    limit = 63 - len("-predictor-") - 40
    assert max_deployment_name_length(namespace) == limit
    assert validate_deployment_name("a" * limit, namespace)
    message = rejection("a" * (limit + 1), namespace)
    assert f"NAME-predictor-{namespace}" in message and f"use at most {limit}" in message


def test_a_project_name_too_long_for_any_deployment_says_so():
    message = rejection("a", "p" * 60)
    assert "project name" in message and "too long for any deployment" in message


def test_every_derived_name_of_the_longest_valid_name_is_valid():
    names = derived_names("a" * max_deployment_name_length())
    assert set(names) == {"secret", "pull_secret", "pvc", "runtime", "inference_service"}
    for role in ("runtime", "inference_service"):
        assert DNS1035_LABEL.fullmatch(names[role]) and len(names[role]) <= 63
    assert DNS1123_LABEL.fullmatch(names["pvc"]) and len(names["pvc"]) <= 63  # also a volume name
    for role in ("secret", "pull_secret"):
        assert DNS1123_SUBDOMAIN.fullmatch(names[role]) and len(names[role]) <= 253


def test_derived_names_follow_the_spec():
    assert derived_names("chat") == {
        "secret": "nvidia-nim-secrets-chat",
        "pull_secret": "nvidia-nim-image-pull-chat",
        "pvc": "nim-pvc-chat",
        "runtime": "chat",
        "inference_service": "chat",
    }


@pytest.mark.parametrize("model, expected", [
    ("llama-3.1-8b-instruct", "llama-3-1-8b-instruct"),
    ("mistral-7b-instruct-v0.3", "mistral-7b-instruct-v0-3"),
    ("Mixtral_8x7B..Instruct", "mixtral-8x7b-instruct"),
    ("3d-vision", "nim-3d-vision"),
    ("--llama--", "llama"),
    ("", "nim"),
    ("...", "nim"),
    ("модель", "nim"),
])
def test_derive_examples(model, expected):
    assert derive_deployment_name(model) == expected


def test_derive_trims_to_the_limit_without_a_trailing_dash():
    model = "a" * 52 + "-b" + "c" * 10  # the cut at 53 falls right after the dash
    derived = derive_deployment_name(model)
    assert derived == "a" * 52
    assert len(derive_deployment_name("x" * 100)) == 53


def test_derive_respects_the_project_limit():
    assert len(derive_deployment_name("x" * 100, "p" * 40)) == max_deployment_name_length("p" * 40)


@given(st.text())
@settings(max_examples=300)
def test_derived_names_always_validate(text):
    assert validate_deployment_name(derive_deployment_name(text)) == derive_deployment_name(text)


@given(st.text(), PROJECTS)
def test_derived_names_always_validate_in_a_project(text, namespace):
    name = derive_deployment_name(text, namespace)
    assert validate_deployment_name(name, namespace) == name


@given(VALID_NAMES.filter(lambda name: "--" not in name))
def test_valid_names_are_left_unchanged_by_derive(name):
    assert derive_deployment_name(name) == name


@given(st.text())
def test_derive_is_idempotent(text):
    once = derive_deployment_name(text)
    assert derive_deployment_name(once) == once


@given(VALID_NAMES, st.integers(min_value=0, max_value=40))
def test_uppercase_anywhere_is_refused(name, position):
    position = min(position, len(name) - 1)
    upper = name[:position] + name[position].upper() + name[position + 1:]
    if upper != name:
        with pytest.raises(UsageError):
            validate_deployment_name(upper)


@given(VALID_NAMES, st.sampled_from("0123456789"))
def test_leading_digit_is_refused(name, digit):
    with pytest.raises(UsageError, match="start with a letter"):
        validate_deployment_name(digit + name)


@given(VALID_NAMES)
def test_trailing_dash_is_refused(name):
    with pytest.raises(UsageError, match="end with a letter or digit"):
        validate_deployment_name(name + "-")


@given(VALID_NAMES, VALID_NAMES)
def test_dots_are_refused(left, right):
    with pytest.raises(UsageError, match=re.escape("(found '.')")):
        validate_deployment_name(f"{left}.{right}")


@given(st.from_regex(r"\A[a-z][-a-z0-9]{53,80}[a-z0-9]\Z"))
def test_too_long_is_refused(name):
    with pytest.raises(UsageError, match="so use at most 53"):
        validate_deployment_name(name)


@pytest.mark.parametrize("claim", ["shared-models", "models.team-a", "a" * 253])
def test_existing_claim_names_may_be_subdomains(claim):
    assert validate_claim_name(claim) == claim


@pytest.mark.parametrize("claim", ["", "Models", "models_1", "a" * 254, "-models", "models\n"])
def test_invalid_claim_names_are_refused(claim):
    with pytest.raises(UsageError, match="invalid PVC name"):
        validate_claim_name(claim)
