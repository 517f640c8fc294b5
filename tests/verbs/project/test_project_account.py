"""Which Secrets a project's NIM Accounts own (domain/project_account), from any answer shape."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from kubectl_nim.domain.project_account import AccountSecrets, account_secrets
from tests.helpers.day2 import account

pytestmark = pytest.mark.pure


def test_the_key_secret_and_the_pull_secret_are_the_accounts():
    owned = account_secrets([account("team")])
    assert owned.why_owned("nvidia-nim-secrets") == (
        "it belongs to the project's NIM Account odh-nim-account (its spec.apiKeySecret)")
    assert owned.why_owned("odh-nim-account-pull") == (
        "it belongs to the project's NIM Account odh-nim-account (its status.nimPullSecret)")
    assert owned.why_owned("ngc-secret") is None
    assert owned.why_owned("nvidia-nim-secrets-x") is None


def test_an_account_not_yet_reconciled_owns_its_key_secret_only():
    owned = account_secrets([account("team", pull_secret=None, ready=False)])
    assert set(owned.owners) == {"nvidia-nim-secrets"}


def test_a_reference_to_another_namespace_owns_nothing_here():
    obj = account("team")
    obj["spec"]["apiKeySecret"]["namespace"] = "elsewhere"
    assert "nvidia-nim-secrets" not in account_secrets([obj]).owners


def test_accounts_that_cannot_be_read_keep_the_default_names():
    owned = AccountSecrets(unreadable="forbidden")
    assert "cannot read the project's NIM Accounts (forbidden)" in owned.why_owned(
        "nvidia-nim-secrets")
    assert owned.why_owned("odh-nim-account-pull")
    assert owned.why_owned("ngc-secret") is None
    assert [n for n in ("ngc-secret", "nvidia-nim-secrets") if owned.why_owned(n)] == \
        ["nvidia-nim-secrets"]


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=12)
REFERENCE = st.fixed_dictionaries({}, optional={"name": JSON, "namespace": JSON})
ACCOUNT = st.fixed_dictionaries({}, optional={
    "metadata": st.fixed_dictionaries({}, optional={"name": JSON, "namespace": JSON}) | JSON,
    "spec": st.fixed_dictionaries({}, optional={"apiKeySecret": REFERENCE | JSON}) | JSON,
    "status": st.fixed_dictionaries({}, optional={"nimPullSecret": REFERENCE | JSON}) | JSON})


@given(st.lists(ACCOUNT | JSON, max_size=4))
def test_any_answer_shape_names_only_string_secrets(accounts):
    owned = account_secrets(accounts)
    for name in owned.owners:
        assert isinstance(name, str) and name
        assert owned.why_owned(name).startswith("it belongs to the project's NIM Account")
