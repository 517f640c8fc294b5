"""The values a deployment and a cache Job are made of (domain/deploy_values): each concern's
rules are written once, and `deploy`, `diff` and `cache` refuse a bad flag with the same words
(docs/architecture.md#where-each-rule-lives)."""

from __future__ import annotations

import ast
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from kubectl_nim.cli.exit_status import ExitStatus, for_error
from kubectl_nim.domain import cache_job
from kubectl_nim.domain.catalog import Model
from kubectl_nim.domain.deploy_values import (Compute, HardwareProfileRef, NimSettings, Scaling,
                                              Storage, checked_profile)
from kubectl_nim.domain.proxy import ProxySettings
from kubectl_nim.domain.quantity import QUANTITY, parse_quantity
from kubectl_nim.errors import UsageError
from tests.helpers.paths import PACKAGE

pytestmark = pytest.mark.pure

MODEL = Model(name="llama-3.1-8b-instruct", namespace="nim/meta", tags=("1.15.5",),
              latest_tag="1.15.5")


# --- one place per rule ---------------------------------------------------------------------------

def _string_constants() -> list[tuple[str, str]]:
    """(file, text) of every string literal under kubectl_nim/, f-strings' literal parts too."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append((path.relative_to(PACKAGE).as_posix(), node.value))
    return found


# A piece of each refusal's message: written once, in domain/deploy_values.
RULES = ["is too small", "--storage-class applies only", "is not a profile id or name",
         "--gpus must be 0 or more", "--hardware-profile-namespace needs --hardware-profile",
         "--pvc-subpath needs --existing-pvc", "replicas must satisfy",
         "unknown deployment mode", "and --profile say the same thing",
         "deploy cannot take a proxy URL with a user and password", "must not contain '..'"]


@pytest.mark.parametrize("words", RULES)
def test_each_rule_is_written_once(words):
    where = [file for file, text in _string_constants() if words in text]
    assert where == ["domain/deploy_values.py"], where


# The flags whose values live in domain/deploy_values: no other options class declares them.
FLAG_FIELDS = {"pvc_size", "storage_class", "existing_pvc", "pvc_subpath", "gpus",
               "cpu_request", "cpu_limit", "memory_request", "memory_limit", "hardware_profile",
               "hardware_profile_namespace", "min_replicas", "max_replicas", "deployment_mode",
               "env", "https_proxy", "no_proxy", "ca_bundle"}


@pytest.mark.parametrize("module", ["deploy_request", "deploy_options", "cache_job"])
def test_the_options_hold_values_not_copies_of_their_fields(module):
    tree = ast.parse((PACKAGE / "domain" / f"{module}.py").read_text())
    declared = {f"{cls.name}.{item.target.id}" for cls in ast.walk(tree)
                if isinstance(cls, ast.ClassDef) for item in cls.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                and item.target.id in FLAG_FIELDS}
    assert declared == set()


# --- Storage --------------------------------------------------------------------------------------

def test_storage_defaults_and_claim():
    assert Storage().size == "30Gi" and Storage().claim("nim-pvc-x") == "nim-pvc-x"
    assert Storage(existing="models").claim("nim-pvc-x") == "models"


@pytest.mark.parametrize("fields, message", [
    ({"size": "0"}, "--pvc-size '0' is too small: a claim needs at least one byte"),
    ({"size": "0.5"}, "--pvc-size '0.5' is too small: a claim needs at least one byte"),
    ({"size": "30GB"}, "--pvc-size '30GB' is not a Kubernetes quantity"),
    ({"storage_class": "a/b"}, "invalid storage class name 'a/b': it breaks the naming rule"),
    ({"existing": "Bad_Claim"}, "invalid PVC name 'Bad_Claim': a claim name is a lowercase "
                                "DNS-1123 subdomain of at most 253 characters"),
    ({"existing": "shared", "storage_class": "fast"},
     "--storage-class applies only to a new PVC, not to --existing-pvc"),
    ({"subpath": "llama"}, "--pvc-subpath needs --existing-pvc"),
    ({"subpath": " / "}, "--pvc-subpath needs --existing-pvc"),
    ({"existing": "shared", "subpath": "a/../b"}, "--pvc-subpath 'a/../b' must not contain '..'"),
])
def test_storage_refusals(fields, message):
    with pytest.raises(UsageError) as err:
        Storage(**fields)
    assert err.value.message == message
    assert for_error(err.value) == ExitStatus.USAGE


def test_storage_subpath_is_relative():
    assert Storage(existing="shared", subpath="/llama/8b/").subpath == "llama/8b"
    assert Storage(existing="shared", subpath=" / ").subpath is None


_SUFFIXES = ["", "m", "k", "M", "G", "Ki", "Mi", "Gi", "Ti", "e3", "E"]


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(_SUFFIXES))
def test_storage_takes_a_size_iff_it_is_at_least_one_byte(number, suffix):
    size = f"{number}{suffix}"
    if parse_quantity(size) >= 1:
        assert Storage(size=size).size == size
    else:
        with pytest.raises(UsageError, match="is too small"):
            Storage(size=size)


@given(st.text(max_size=12))
def test_any_size_text_is_taken_or_refused_as_a_usage_error(text):
    try:
        Storage(size=text)
    except UsageError as e:
        assert e.message.startswith(f"--pvc-size {text!r} ")
    else:
        assert QUANTITY.fullmatch(text) and parse_quantity(text) >= Decimal(1)


# --- Compute, Scaling, the hardware profile -------------------------------------------------------

@pytest.mark.parametrize("fields, message", [
    ({"gpus": -1}, "--gpus must be 0 or more, not -1"),
    ({"cpu_request": "-1"}, "--cpu-request '-1' is not a Kubernetes quantity"),
    ({"cpu_limit": "two"}, "--cpu-limit 'two' is not a Kubernetes quantity"),
    ({"memory_request": "1 Gi"}, "--memory-request '1 Gi' is not a Kubernetes quantity"),
    ({"memory_limit": "lots"}, "--memory-limit 'lots' is not a Kubernetes quantity"),
])
def test_compute_refusals(fields, message):
    with pytest.raises(UsageError) as err:
        Compute(**fields)
    assert err.value.message == message


@given(st.integers(min_value=0, max_value=64),
       st.from_regex(r"[0-9]{1,4}(\.[0-9]{1,2})?(m|Mi|Gi|G)?", fullmatch=True))
def test_compute_takes_counts_and_quantities(gpus, quantity):
    compute = Compute(gpus=gpus, cpu_request=quantity, memory_limit=quantity)
    assert (compute.gpus, compute.cpu_request, compute.memory_limit) == (gpus, quantity, quantity)


def test_hardware_profile_from_the_flags():
    assert HardwareProfileRef.given(None, None) is None
    assert HardwareProfileRef.given("gpu-l", None) == HardwareProfileRef("gpu-l")
    assert HardwareProfileRef.given("gpu-l", "apps") == HardwareProfileRef("gpu-l", "apps")
    with pytest.raises(UsageError) as err:
        HardwareProfileRef.given(None, "apps")
    assert err.value.message == "--hardware-profile-namespace needs --hardware-profile"


@pytest.mark.parametrize("fields, message", [
    ({"min_replicas": 2, "max_replicas": 1},
     "replicas must satisfy 0 <= min <= max and max >= 1 (got min 2, max 1)"),
    ({"min_replicas": 0, "max_replicas": 0},
     "replicas must satisfy 0 <= min <= max and max >= 1 (got min 0, max 0)"),
    ({"min_replicas": -1}, "replicas must satisfy 0 <= min <= max and max >= 1 "
                           "(got min -1, max 1)"),
    ({"mode": "ModelMesh"}, "unknown deployment mode 'ModelMesh'"),
])
def test_scaling_refusals(fields, message):
    with pytest.raises(UsageError) as err:
        Scaling(**fields)
    assert err.value.message == message


# --- the profile and what the NIM is told ---------------------------------------------------------

@given(st.text(max_size=20))
def test_a_profile_is_one_word_for_deploy_and_cache_alike(text):
    one_word = bool(text.strip()) and not any(c.isspace() for c in text)
    outcomes = []
    for make in (lambda: checked_profile(text), lambda: NimSettings(profile=text),
                 lambda: cache_job.CacheOptions("c", "team", MODEL, "1.15.5", profile=text)):
        try:
            make()
            outcomes.append(None)
        except UsageError as e:
            outcomes.append(e.message)
    if one_word:
        assert outcomes == [None, None, None]
    else:
        assert outcomes == [f"--profile {text!r} is not a profile id or name"] * 3


@pytest.mark.parametrize("fields, message", [
    ({"env": (("NGC_API_KEY", "x"),)}, "--env cannot set NGC_API_KEY"),
    ({"env": (("A", "1"), ("A", "2"))}, "--env: A is given more than once"),
    ({"env": (("1=bad", "x"),)}, "--env: '1=bad' is not a valid name"),
    ({"env": (("NIM_MODEL_PROFILE", "b"),), "profile": "a"},
     "--env NIM_MODEL_PROFILE and --profile say the same thing: use --profile"),
    ({"proxy": ProxySettings(https_proxy="http://bob:pw@proxy:3128")},
     "deploy cannot take a proxy URL with a user and password"),
])
def test_nim_settings_refusals(fields, message):
    with pytest.raises(UsageError) as err:
        NimSettings(**fields)
    assert err.value.message.startswith(message)


def test_cache_keeps_proxy_credentials_that_deploy_refuses():
    with_credentials = ProxySettings(https_proxy="http://bob:pw@proxy:3128")
    options = cache_job.CacheOptions("c", "team", MODEL, "1.15.5", proxy=with_credentials)
    assert options.proxy.has_credentials
