"""Template processing with `oc process` semantics, on the project's own template fixtures."""

from __future__ import annotations

import copy
import random
import re

import pytest
import yaml

from kubectl_nim.cli.exit_status import ExitStatus, for_error
from kubectl_nim.errors import UsageError
from kubectl_nim.domain.template import (TemplateError, find_runtime, generate_expression,
                                  parameter_names, process_template, resolve_parameters)
from tests.helpers.paths import TEMPLATES

pytestmark = pytest.mark.pure



def load(name: str) -> dict:
    return yaml.safe_load((TEMPLATES / name).read_text(encoding="utf-8"))


def template(objects, parameters=None, **extra) -> dict:
    doc = {"apiVersion": "template.openshift.io/v1", "kind": "Template",
           "metadata": {"name": "t"}, "objects": objects, **extra}
    if parameters is not None:
        doc["parameters"] = parameters
    return doc


def runtime(**spec) -> dict:
    return {"apiVersion": "serving.kserve.io/v1alpha1", "kind": "ServingRuntime",
            "metadata": {"name": "r"}, "spec": spec}


# --- Templates without parameters ---------------------------------------------------------------

def test_without_parameters_objects_are_returned_as_is():
    source = load("nim-http.yaml")
    objects = process_template(source, {})
    assert objects == source["objects"]


def test_result_is_a_deep_copy():
    source = load("legacy.yaml")
    before = copy.deepcopy(source)
    objects = process_template(source)
    objects[0]["spec"]["containers"][0]["image"] = "changed"
    assert source == before


def test_references_in_a_template_without_parameters_are_left_alone():
    source = template([runtime(note="${X}")])
    assert process_template(source)[0]["spec"]["note"] == "${X}"


def test_a_value_for_a_template_without_parameters_is_refused():
    with pytest.raises(UsageError, match="has no parameter X") as err:
        process_template(load("nim-http.yaml"), {"X": "1"})
    assert err.value.hint == "its parameters: none"


# --- Parameters ----------------------------------------------------------------------------------

def test_fixture_template_with_parameters():
    objects = process_template(load("with-parameters.yaml"), {"RUNTIME_VERSION": "1.2.0"},
                               rng=random.Random(1))
    sr = find_runtime(objects)
    container = sr["spec"]["containers"][0]
    assert sr["metadata"]["name"] == "nim-runtime-1.2.0"
    assert sr["metadata"]["annotations"]["opendatahub.io/runtime-version"] == "1.2.0"
    assert re.fullmatch(r"build-[a-z0-9]{8}", sr["metadata"]["annotations"]["example.com/build-id"])
    assert sr["metadata"]["annotations"]["example.com/untouched"] == "${NOT_A_PARAMETER}"
    assert sr["spec"]["multiModel"] is False
    assert container["ports"][0]["containerPort"] == 8000
    assert container["env"][0]["value"] == "/mnt/models/cache"
    assert container["volumeMounts"][1]["mountPath"] == "/mnt/models/cache"
    assert sr["metadata"]["labels"] == {"app.kubernetes.io/part-of": "nvidia-nim"}


def test_missing_required_parameter_is_named():
    with pytest.raises(UsageError, match="requires parameter RUNTIME_VERSION") as err:
        process_template(load("with-parameters.yaml"), {})
    assert for_error(err.value) == ExitStatus.USAGE
    assert "--template-param RUNTIME_VERSION=VALUE" in err.value.hint


def test_required_parameter_with_a_declared_value_needs_nothing():
    source = template([runtime(v="${A}")], [{"name": "A", "value": "x", "required": True}])
    assert process_template(source)[0]["spec"]["v"] == "x"


def test_unknown_parameter_is_refused_and_the_known_ones_listed():
    with pytest.raises(UsageError, match="has no parameter NOPE") as err:
        process_template(load("with-parameters.yaml"), {"RUNTIME_VERSION": "1", "NOPE": "x"})
    assert "RUNTIME_VERSION" in err.value.hint and "HTTP_PORT" in err.value.hint


def test_given_value_wins_over_declared_value_and_generation():
    params = [{"name": "A", "value": "declared"},
              {"name": "B", "generate": "expression", "from": "[a-z]{4}"}]
    assert resolve_parameters(params, {"A": "given", "B": "fixed"}) == {"A": "given", "B": "fixed"}


def test_string_substitution_inside_strings_and_keys():
    source = template([runtime(**{"k-${A}": "x-${A}-${B}-${A}"})],
                      [{"name": "A", "value": "1"}, {"name": "B", "value": "two"}])
    assert process_template(source)[0]["spec"] == {"k-1": "x-1-two-1"}


@pytest.mark.parametrize("raw, decoded", [
    ("8000", 8000), ("1.5", 1.5), ("true", True), ("false", False), ("null", None),
    ('["a", 1]', ["a", 1]), ('{"a": {"b": 2}}', {"a": {"b": 2}}),
    ("not json", "not json"),  # oc keeps an unquoted non-JSON value as a string
])
def test_whole_value_reference_becomes_a_non_string(raw, decoded):
    source = template([runtime(v="${{A}}")], [{"name": "A", "value": raw}])
    assert process_template(source)[0]["spec"]["v"] == decoded


@pytest.mark.parametrize("text", ["x${{A}}", "${{A}}\n"])
def test_whole_value_syntax_inside_a_longer_string_is_not_substituted(text):
    source = template([runtime(v=text)], [{"name": "A", "value": "1"}])
    assert process_template(source)[0]["spec"]["v"] == text


def test_substitution_reaches_into_lists_and_nested_objects():
    source = template([runtime(args=["--port", "${{P}}", {"deep": ["${P}"]}])],
                      [{"name": "P", "value": "9000"}])
    assert process_template(source)[0]["spec"]["args"] == ["--port", 9000, {"deep": ["9000"]}]


def test_top_level_labels_are_added_to_every_object():
    source = template([runtime(), {"apiVersion": "v1", "kind": "ConfigMap"}],
                      labels={"team": "ai"})
    assert [o["metadata"]["labels"] for o in process_template(source)] == [{"team": "ai"}] * 2


def test_processing_does_not_mutate_the_template():
    source = load("with-parameters.yaml")
    before = copy.deepcopy(source)
    process_template(source, {"RUNTIME_VERSION": "1"}, rng=random.Random(0))
    assert source == before


def test_parameter_names():
    assert parameter_names(load("with-parameters.yaml"))[:3] == [
        "RUNTIME_VERSION", "CACHE_PATH", "HTTP_PORT"]
    assert parameter_names(load("nim-http.yaml")) == []


def test_parameter_without_a_name_is_a_template_error():
    with pytest.raises(TemplateError, match="without a name"):
        process_template(template([], [{"value": "x"}]))


# --- Generated values ----------------------------------------------------------------------------

def test_generated_values_are_deterministic_with_a_seeded_rng():
    params = [{"name": "S", "generate": "expression", "from": "[a-z0-9]{8}"}]
    first = resolve_parameters(params, {}, random.Random(42))
    assert first == resolve_parameters(params, {}, random.Random(42))
    assert re.fullmatch(r"[a-z0-9]{8}", first["S"])


def test_generated_values_without_an_rng_use_the_system_source():
    params = [{"name": "S", "generate": "expression", "from": "[a-f]{32}"}]
    values = {resolve_parameters(params, {})["S"] for _ in range(3)}
    assert len(values) == 3 and all(re.fullmatch(r"[a-f]{32}", v) for v in values)


@pytest.mark.parametrize("expression, pattern", [
    ("[a-z0-9]{8}", r"[a-z0-9]{8}"),
    ("user-[A-Z]{3}x", r"user-[A-Z]{3}x"),
    ("[\\d]{5}", r"[0-9]{5}"),
    ("[\\a]{12}", r"[a-zA-Z0-9]{12}"),
    ("[a-c]{2}-[0-1]{3}", r"[a-c]{2}-[01]{3}"),
    ("[\\A]{6}", r"[^a-zA-Z0-9]{6}"),
    ("no generator here", r"no generator here"),
    ("[a-z]", r"\[a-z\]"),  # without {N} it is not a generator
])
def test_expression_generator(expression, pattern):
    assert re.fullmatch(pattern, generate_expression(expression, random.Random(3)))


def test_wide_class_covers_letters_digits_and_symbols():
    generated = generate_expression("[\\w]{400}", random.Random(5))
    assert re.search(r"[a-z]", generated) and re.search(r"[0-9]", generated)
    assert re.search(r"[^a-zA-Z0-9]", generated)


def test_invalid_generator_expressions_are_template_errors():
    for from_, message in (("[z-a]{3}", "invalid range z-a"), ("[\\q]{3}", "unknown class")):
        with pytest.raises(TemplateError, match=re.escape(message)):
            resolve_parameters([{"name": "X", "generate": "expression", "from": from_}], {})


def test_unknown_generator_is_a_template_error():
    with pytest.raises(TemplateError, match="unknown generator 'random'"):
        resolve_parameters([{"name": "X", "generate": "random"}], {})


# --- find_runtime --------------------------------------------------------------------------------

def test_find_runtime_returns_objects_0_when_it_is_the_serving_runtime():
    objects = process_template(load("nim-http.yaml"))
    assert find_runtime(objects) is objects[0]


def test_find_runtime_checks_the_kind():
    objects = [{"apiVersion": "v1", "kind": "ConfigMap"}, runtime()]
    assert find_runtime(objects) is objects[1]


def test_template_without_a_serving_runtime_is_refused():
    with pytest.raises(TemplateError, match="no ServingRuntime"):
        find_runtime([{"apiVersion": "v1", "kind": "ConfigMap"}])
    with pytest.raises(TemplateError):
        find_runtime([])
