"""The mirror plan (domain/mirror_plan): which tags, and the exact documents of each part,
checked against the shapes oc-mirror v2 and OpenShift document (tests/helpers/openshift_shapes.py)."""

from __future__ import annotations

import json

import pytest

from kubectl_nim.domain import catalog as catalog_mod, mirror_plan
from kubectl_nim.domain.formats import dump_yaml_documents
from kubectl_nim.errors import NotFound, UsageError
from tests.helpers.openshift_shapes import ITMS_MIRROR, problems


def entry(name, namespace="nim/meta", tags=("1.0.0", "latest"), latest="1.0.0", **extra):
    return {"name": name, "displayName": name.title(), "shortDescription": f"{name} for tests",
            "namespace": namespace, "tags": list(tags), "latestTag": latest,
            "updatedDate": "2026-01-02T03:04:05.000Z", **extra}


CATALOG = catalog_mod.parse_entries({e["name"]: json.dumps(e) for e in [
    entry("llama-3.1-8b-instruct", tags=("1.15.5", "1.15", "1", "latest", "1.8.6"),
          latest="latest"),
    entry("llama-4-scout", tags=("2.0.1", "latest"), latest="2.0.1", euRestricted=True),
    entry("nv-embedqa-e5-v5", namespace="nim/nvidia", tags=("1.0.1", "1.0.0", "1"),
          latest="1.0.1"),
    entry("floaty", tags=("latest", "1"), latest="latest"),
]}, source="test catalog")


def test_default_tag_is_the_concrete_default():
    plan = mirror_plan.plan(CATALOG, ["llama-3.1-8b-instruct"])
    assert plan.images == ["nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5"]
    assert plan.warnings == ()


def test_all_tags_mirrors_every_concrete_tag_and_says_which_floating_ones_it_skips():
    plan = mirror_plan.plan(CATALOG, ["llama-3.1-8b-instruct"], all_tags=True)
    assert plan.images == ["nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5",
                           "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.6"]
    assert plan.warnings == ("llama-3.1-8b-instruct: not mirroring the floating tag(s) 1.15, "
                             "1, latest; name one as llama-3.1-8b-instruct:TAG to mirror it",)


def test_a_floating_tag_named_explicitly_is_mirrored_with_the_warning():
    plan = mirror_plan.plan(CATALOG, ["llama-3.1-8b-instruct:latest",
                                      "llama-3.1-8b-instruct:1.8.6"])
    assert plan.images == ["nvcr.io/nim/meta/llama-3.1-8b-instruct:latest",
                           "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.6"]
    (warning,) = plan.warnings
    assert warning.startswith("mirroring tag 'latest' of llama-3.1-8b-instruct floats")


def test_a_model_with_only_floating_tags_needs_an_explicit_tag():
    with pytest.raises(UsageError) as e:
        mirror_plan.plan(CATALOG, ["floaty"])
    assert str(e.value) == ("floaty lists no concrete version, only floating tags (latest, 1): "
                            "a mirror of one would silently go stale; name the tag to mirror "
                            "anyway, e.g. --model floaty:latest")
    with pytest.raises(UsageError):
        mirror_plan.plan(CATALOG, ["floaty"], all_tags=True)
    assert mirror_plan.plan(CATALOG, ["floaty:1"]).images == ["nvcr.io/nim/meta/floaty:1"]


def test_unknown_model_and_tag_name_the_closest():
    with pytest.raises(NotFound) as e:
        mirror_plan.plan(CATALOG, ["llama-3.1-8b-instuct"])
    assert e.value.hint.startswith("did you mean llama-3.1-8b-instruct")
    with pytest.raises(NotFound) as e:
        mirror_plan.plan(CATALOG, ["llama-4-scout:2.0.2"])
    assert e.value.message == "model 'llama-4-scout' has no tag '2.0.2'"


def test_eu_restricted_models_are_flagged():
    plan = mirror_plan.plan(CATALOG, ["llama-4-scout"])
    assert plan.eu_restricted == ["llama-4-scout"]
    assert any("restricted in the European Union" in w for w in plan.warnings)


@pytest.mark.parametrize("text,expected", [
    ("mirror.example.com:5000", "mirror.example.com:5000"),
    ("docker://mirror.example.com/nvidia/", "mirror.example.com/nvidia"),
    ("10.0.0.1:5000/a/b", "10.0.0.1:5000/a/b")])
def test_registry_forms(text, expected):
    assert mirror_plan.check_registry(text) == expected


@pytest.mark.parametrize("bad", ["", "host/Path", "host:port", "a b",
                                 "host//x", "-host"])
def test_bad_registries_are_usage_errors(bad):
    with pytest.raises(UsageError):
        mirror_plan.check_registry(bad)


@pytest.mark.parametrize("bad", [":1.0", "llama:", ""])
def test_bad_model_refs(bad):
    with pytest.raises((UsageError, NotFound)):
        mirror_plan.plan(CATALOG, [bad])


EXPECTED = """\
apiVersion: mirror.openshift.io/v2alpha1
kind: ImageSetConfiguration
mirror:
  additionalImages:
  - name: nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5
  - name: nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.6
  - name: nvcr.io/nim/nvidia/nv-embedqa-e5-v5:1.0.1
---
apiVersion: config.openshift.io/v1
kind: ImageTagMirrorSet
metadata:
  name: nvidia-nim-mirror
spec:
  imageTagMirrors:
  - source: nvcr.io/nim/meta
    mirrors:
    - mirror.example.com:5000/nim/meta
  - source: nvcr.io/nim/nvidia
    mirrors:
    - mirror.example.com:5000/nim/nvidia
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: nim-models-mirrored
  labels:
    opendatahub.io/managed: 'true'
    app.kubernetes.io/managed-by: kubectl-nim
data:
  llama-3.1-8b-instruct: '{"name":"llama-3.1-8b-instruct","displayName":"Llama-3.1-8B-Instruct","shortDescription":"llama-3.1-8b-instruct for tests","namespace":"nim/meta","tags":["1.15.5","1.8.6"],"latestTag":"1.15.5","updatedDate":"2026-01-02T03:04:05.000Z","euRestricted":false}'
  nv-embedqa-e5-v5: '{"name":"nv-embedqa-e5-v5","displayName":"Nv-Embedqa-E5-V5","shortDescription":"nv-embedqa-e5-v5 for tests","namespace":"nim/nvidia","tags":["1.0.1"],"latestTag":"1.0.1","updatedDate":"2026-01-02T03:04:05.000Z","euRestricted":false}'
"""


def test_the_whole_plan_exactly():
    plan = mirror_plan.plan(CATALOG, ["llama-3.1-8b-instruct:1.8.6", "llama-3.1-8b-instruct",
                                      "nv-embedqa-e5-v5"], registry="mirror.example.com:5000")
    assert dump_yaml_documents(mirror_plan.documents(plan)) == EXPECTED


def test_documents_match_the_documented_shapes():
    plan = mirror_plan.plan(CATALOG, ["llama-3.1-8b-instruct", "nv-embedqa-e5-v5"],
                            all_tags=True, registry="mirror.example.com/nvidia")
    isc, itms, configmap = mirror_plan.documents(plan)
    assert problems(isc) == []
    assert problems(itms) == []
    assert problems(configmap) == []


def test_the_shape_check_catches_what_oc_mirror_and_openshift_refuse():
    assert problems({"apiVersion": "mirror.openshift.io/v2alpha1",
                                      "kind": "ImageSetConfiguration",
                                      "mirror": {"additionalImages": [{"image": "x"}]}}) != []
    assert problems({"apiVersion": "config.openshift.io/v1",
                                      "kind": "ImageTagMirrorSet", "metadata": {"name": "x"},
                                      "spec": {"imageTagMirrors": [
                                          {"source": "nvcr.io/nim/meta",
                                           "mirrors": ["https://m/x"]}]}}) != []


def test_without_registry_no_itms_and_the_catalog_keeps_only_mirrored_tags():
    plan = mirror_plan.plan(CATALOG, ["llama-3.1-8b-instruct:1.8.6"])
    isc, configmap = mirror_plan.documents(plan)
    assert isc["kind"] == "ImageSetConfiguration"
    parsed = catalog_mod.parse_configmap(configmap)
    (model,) = parsed.models
    assert (model.tags, model.latest_tag, model.default_tag) == (("1.8.6",), "1.8.6", "1.8.6")


def test_itms_without_registry_is_a_usage_error():
    plan = mirror_plan.plan(CATALOG, ["llama-3.1-8b-instruct"])
    with pytest.raises(UsageError):
        mirror_plan.documents(plan, ["itms"])


def test_login_hint_never_holds_a_key():
    hint = mirror_plan.login_hint(mirror_plan.plan(CATALOG, ["llama-4-scout"]))
    assert "podman login nvcr.io" in hint and "nvapi-" in hint  # names the kind, not a key
    assert "$oauthtoken" in hint


# --- the parsers on any input -------------------------------------------------------------------

from hypothesis import given, strategies as st  # noqa: E402

from kubectl_nim.domain import cache_job, proxy  # noqa: E402

pytestmark = pytest.mark.pure


@given(st.text(max_size=40))
def test_registry_is_either_refused_or_a_valid_itms_mirror(text):
    try:
        cleaned = mirror_plan.check_registry(text)
    except UsageError:
        return
    assert ITMS_MIRROR.fullmatch(cleaned + "/nim/meta")


@given(st.text(max_size=30))
def test_model_refs_split_on_the_last_colon(text):
    try:
        name, tag = mirror_plan.parse_model_ref(text)
    except UsageError:
        return
    assert name == text.strip() if tag is None else f"{name}:{tag}" == text.strip()


@given(st.text(max_size=30))
def test_tolerations_parse_or_refuse(text):
    try:
        toleration = cache_job.parse_toleration(text)
    except UsageError:
        return
    assert toleration.key and toleration.to_dict()["operator"] in ("Exists", "Equal")


@given(st.text(max_size=20), st.text(min_size=4, max_size=12,
                                     alphabet=st.characters(whitelist_categories=("Ll", "Nd"))))
def test_a_bad_proxy_url_never_shows_its_password(prefix, password):
    url = f"{prefix}://u:{password}@{prefix}"
    try:
        proxy.ProxySettings(https_proxy=url)
    except UsageError as e:
        assert f":{password}@" not in str(e)
