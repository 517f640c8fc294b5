import json

import pytest
import yaml
from hypothesis import given, strategies as st

from kubectl_nim.app import local_catalog
from kubectl_nim.adapters import catalog_source
from kubectl_nim.domain import catalog
from kubectl_nim.domain.catalog import Model, MalformedCatalog, parse_configmap, parse_entries, resolve_tag
from kubectl_nim.errors import NimError, NotFound

from tests.helpers.catalog import catalog_configmap, model_entry

pytestmark = pytest.mark.pure


def test_parse_entries_builds_models_sorted_by_name():
    cat = parse_entries({"b": json.dumps(model_entry("b")), "a": json.dumps(model_entry("a"))})
    assert cat.names == ["a", "b"]
    assert cat.warnings == ()


def test_malformed_entries_are_skipped_with_a_warning_naming_the_key():
    cat = parse_entries({
        "good": json.dumps(model_entry("good")),
        "not-json": "{oops",
        "no-tags": json.dumps({k: v for k, v in model_entry("no-tags").items() if k != "tags"}),
        "wrong-name": json.dumps(model_entry("other")),
        "list": json.dumps([1, 2]),
        "bad-eu": json.dumps(model_entry("bad-eu", euRestricted="yes")),
    })
    assert cat.names == ["good"]
    assert cat.warnings == (
        "skipping malformed catalog entry 'bad-eu': euRestricted is not true or false",
        "skipping malformed catalog entry 'list': value is not a JSON object",
        "skipping malformed catalog entry 'no-tags': missing tags",
        "skipping malformed catalog entry 'not-json': not valid JSON",
        "skipping malformed catalog entry 'wrong-name': its name is 'other'",
    )


def test_image_and_default_tag():
    model = Model.from_entry(model_entry("llama-3.1-8b-instruct", tags=["1.15", "latest"],
                                         latest="latest"))
    assert model.image() == "nvcr.io/nim/meta/llama-3.1-8b-instruct:latest"
    assert model.image("1.15") == "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15"
    assert resolve_tag(model, None) == "latest"
    assert resolve_tag(model, "1.15") == "1.15"


def test_unknown_tag_suggests_close_tags():
    model = Model.from_entry(model_entry("m", tags=["1.15.5", "1.15", "latest"], latest="latest"))
    with pytest.raises(NotFound) as e:
        resolve_tag(model, "1.15.6")
    assert str(e.value) == "model 'm' has no tag '1.15.6'; did you mean 1.15.5, 1.15?"


def test_unknown_model_suggests_close_names():
    cat = parse_entries({n: json.dumps(model_entry(n)) for n in
                         ["llama-3.1-8b-instruct", "llama-3.3-70b-instruct", "phi-3-mini"]},
                        source="file x")
    with pytest.raises(NotFound) as e:
        cat.get("llama-3.1-8b-instrct")
    assert str(e.value).startswith("model 'llama-3.1-8b-instrct' is not in the catalog (file x); "
                                   "did you mean llama-3.1-8b-instruct")
    with pytest.raises(NotFound) as e:
        cat.get("zzzz")
    assert "run `models` or `models --search TEXT`" in str(e.value)


def test_search_covers_name_display_name_and_description():
    cat = parse_entries({
        "a": json.dumps(model_entry("a", displayName="Alpha Vision")),
        "b": json.dumps(model_entry("b", shortDescription="embedding model")),
        "vision-c": json.dumps(model_entry("vision-c")),
    })
    assert [m.name for m in cat.search("VISION")] == ["a", "vision-c"]
    assert [m.name for m in cat.search("embedding")] == ["b"]


@pytest.mark.parametrize("doc, message", [
    ("[1, 2]", "is not a ConfigMap object"),
    ('{"kind": "Secret", "data": {}}', "is a Secret, not a ConfigMap"),
    ('{"kind": "ConfigMap"}', "has no data section"),
    ("a: [unclosed", "is neither YAML nor JSON (line "),
])
def test_unusable_catalog_documents_are_refused(doc, message):
    with pytest.raises(MalformedCatalog) as e:
        catalog.parse_text(doc, "file c.yaml")
    assert message in str(e.value)


def test_a_v1_list_holding_one_configmap_is_accepted():
    cm = catalog_configmap([model_entry("x")])
    cat = parse_configmap({"kind": "List", "items": [cm]})
    assert cat.names == ["x"]


def test_unreadable_file_is_one_line(tmp_path):
    with pytest.raises(NimError) as e:
        local_catalog.load_file(str(tmp_path / "missing.yaml"))
    assert str(e.value) == f"cannot read catalog file {tmp_path / 'missing.yaml'}: No such file or directory"


def test_embedded_catalog_is_well_formed_and_matches_its_header():
    cat = local_catalog.load_embedded()
    text = catalog_source.embedded_text("catalog.yaml")
    assert cat.warnings == ()
    assert len(cat.models) >= 12
    assert any(m.eu_restricted for m in cat.models)
    assert "catalog generate" in text.splitlines()[5] or "catalog generate" in text
    # The embedded copy is in the exact format `catalog generate` writes.
    header = [line[2:] if line.startswith("# ") else "" for line in text.splitlines()
              if line.startswith("#")]
    assert catalog.to_configmap_yaml(cat.models, header) == text


def test_embedded_template_has_no_secrets():
    tpl = yaml.safe_load(catalog_source.embedded_text("template.yaml"))
    assert tpl["kind"] == "Template" and tpl["metadata"]["name"] == "nvidia-nim-http-template"
    runtime = tpl["objects"][0]
    assert runtime["kind"] == "ServingRuntime"
    container = runtime["spec"]["containers"][0]
    assert container["name"] == "kserve-container"
    assert "NGC_API_KEY" not in json.dumps(tpl)
    assert "imagePullSecrets" not in runtime["spec"]


entries = st.builds(
    model_entry,
    name=st.from_regex(r"[a-z][a-z0-9.\-]{0,30}", fullmatch=True),
    tags=st.lists(st.from_regex(r"[0-9a-z.\-]{1,8}", fullmatch=True), min_size=1, max_size=5,
                  unique=True),
    eu_restricted=st.booleans(),
)


@given(st.lists(entries, max_size=8, unique_by=lambda e: e["name"]))
def test_configmap_serialisation_round_trips_and_is_deterministic(items):
    for item in items:
        item["latestTag"] = item["tags"][0]
        item["euRestricted"] = item.pop("eu_restricted")
    models = [Model.from_entry(e) for e in items]
    text = catalog.to_configmap_yaml(models, ["made by a test"])
    again = catalog.to_configmap_yaml(list(reversed(models)), ["made by a test"])
    assert text == again
    parsed = catalog.parse_text(text, "round trip")
    assert list(parsed.models) == sorted(models, key=lambda m: m.name)
    assert parsed.warnings == ()


def test_reference_catalog_parses_completely(shared_data):
    cat = local_catalog.load_file(str(shared_data / "nvidia-nim-models-data.yaml"))
    assert len(cat.models) == 186
    assert cat.warnings == ()
    assert sum(m.eu_restricted for m in cat.models) == 4
