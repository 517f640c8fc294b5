"""`models` against files and the embedded catalog (cluster sources: test_models_cluster.py)."""

import json

import yaml

from tests.helpers.catalog import model_entry

ENTRIES = [
    model_entry("llama-3.1-8b-instruct", displayName="Llama-3.1-8B-Instruct",
                tags=["1.15", "latest", "1"], latest="latest", updatedDate="2026-02-04T19:47:27.380Z"),
    model_entry("llama-4-scout", displayName="Llama 4 Scout", tags=["1"], latest="1",
                euRestricted=True, shortDescription="vision and text"),
    model_entry("nv-embedqa-e5-v5", namespace="nim/nvidia", displayName="E5 Embedding",
                tags=["1.0"], latest="1.0", shortDescription="embedding for retrieval",
                updatedDate="2025-11-21T21:15:08.126Z"),
]

TABLE = """\
NAME                   LATEST    TAGS    UPDATED     EU
llama-3.1-8b-instruct  latest    3       2026-02-04  -
llama-4-scout          1         1       2026-01-02  *
nv-embedqa-e5-v5       1.0       1       2025-11-21  -
"""
LEGEND = "\n* EU: restricted in the European Union (NVIDIA answers HTTP 451 there)\n"


def test_table_from_a_catalog_file(nim, catalog_file):
    result = nim("models", "--catalog", catalog_file(ENTRIES))
    assert result.exit_code == 0
    assert result.stdout == TABLE
    assert result.stderr == LEGEND  # a footnote: stderr, data alone on stdout


def test_json_catalog_file_gives_the_same_table(nim, catalog_file):
    assert nim("models", "--catalog", catalog_file(ENTRIES, fmt="json")).stdout == TABLE


def test_wide_adds_namespace_and_image(nim, catalog_file):
    out = nim("models", "--catalog", catalog_file(ENTRIES), "-o", "wide").stdout
    header, first = out.splitlines()[:2]
    assert header.split() == ["NAME", "LATEST", "TAGS", "UPDATED", "EU", "DISPLAY", "NAME",
                              "IMAGE"]
    assert first.split()[-2:] == ["Llama-3.1-8B-Instruct",
                                  "nvcr.io/nim/meta/llama-3.1-8b-instruct:latest"]


def test_no_legend_when_nothing_is_eu_restricted(nim, catalog_file):
    result = nim("models", "--catalog", catalog_file(ENTRIES[:1]))
    assert "EU:" not in result.stdout + result.stderr
    assert result.stdout.count("\n") == 2


def test_json_is_a_list_of_catalog_entries_plus_image(nim, catalog_file):
    listed = json.loads(nim("models", "--catalog", catalog_file(ENTRIES), "-o", "json").stdout)
    assert (listed["apiVersion"], listed["kind"]) == ("v1", "List")
    data = listed["items"]
    assert [d["name"] for d in data] == ["llama-3.1-8b-instruct", "llama-4-scout", "nv-embedqa-e5-v5"]
    assert data[1] == {"metadata": {"name": "llama-4-scout"}, **ENTRIES[1],
                       "image": "nvcr.io/nim/meta/llama-4-scout:1"}


def test_yaml_and_name(nim, catalog_file):
    path = catalog_file(ENTRIES)
    assert [d["name"] for d in yaml.safe_load(nim("models", "--catalog", path, "-o",
                                                  "yaml").stdout)["items"]] \
        == ["llama-3.1-8b-instruct", "llama-4-scout", "nv-embedqa-e5-v5"]
    assert nim("models", "--catalog", path, "-o", "name").stdout == \
        "model/llama-3.1-8b-instruct\nmodel/llama-4-scout\nmodel/nv-embedqa-e5-v5\n"


def test_search_matches_name_display_name_and_description(nim, catalog_file):
    path = catalog_file(ENTRIES)
    assert nim("models", "--catalog", path, "--search", "EMBED", "-o", "name").stdout == \
        "model/nv-embedqa-e5-v5\n"
    assert nim("models", "--catalog", path, "-s", "vision", "-o", "name").stdout == \
        "model/llama-4-scout\n"


def test_search_without_match_says_so_on_stderr(nim, catalog_file):
    path = catalog_file(ENTRIES)
    result = nim("models", "--catalog", path, "--search", "diffusion")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == f"No models match 'diffusion' in the file {path}.\n"
    assert json.loads(nim("models", "--catalog", path, "--search", "diffusion", "-o",
                          "json").stdout)["items"] == []


def test_show_one_model(nim, catalog_file):
    result = nim("models", "llama-3.1-8b-instruct", "--catalog", catalog_file(ENTRIES))
    assert result.exit_code == 0
    assert result.stdout == """\
Name:          llama-3.1-8b-instruct
Display name:  Llama-3.1-8B-Instruct
Description:   llama-3.1-8b-instruct for tests
Namespace:     nim/meta
Latest tag:    latest
Default tag:   latest
Image:         nvcr.io/nim/meta/llama-3.1-8b-instruct:latest
Updated:       2026-02-04T19:47:27.380Z
EU restricted: no
Tags (3):      1.15, latest, 1
"""


def test_show_one_model_as_json(nim, catalog_file):
    data = json.loads(nim("models", "llama-4-scout", "--catalog", catalog_file(ENTRIES),
                          "-o", "json").stdout)
    assert data["image"] == "nvcr.io/nim/meta/llama-4-scout:1"
    assert data["euRestricted"] is True


def test_unknown_model_exits_1_with_suggestions(nim, catalog_file):
    result = nim("models", "llama-3.1-8b", "--catalog", catalog_file(ENTRIES))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: model 'llama-3.1-8b' is not in the catalog")
    assert result.stderr.endswith("did you mean llama-3.1-8b-instruct?\n")
    assert result.stderr.count("\n") == 1


def test_malformed_entries_warn_and_the_rest_is_listed(nim, catalog_file):
    path = catalog_file(ENTRIES[:1], raw={"broken-model": "{not json"})
    result = nim("models", "--catalog", path, "-o", "name")
    assert result.exit_code == 0
    assert result.stdout == "model/llama-3.1-8b-instruct\n"
    assert result.stderr == "warning: skipping malformed catalog entry 'broken-model': not valid JSON\n"


def test_unparseable_catalog_file_is_one_line(nim, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("data: [unclosed\n")
    result = nim("models", "--catalog", str(bad))
    assert result.exit_code == 1
    assert result.stderr == f"error: file {bad} is neither YAML nor JSON (line 2)\n"


def test_missing_catalog_file(nim, tmp_path):
    result = nim("models", "--catalog", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert result.stderr == f"error: cannot read catalog file {tmp_path / 'nope.yaml'}: No such file or directory\n"


def test_offline_uses_the_embedded_catalog(nim):
    result = nim("models", "--offline", "-o", "name")
    assert result.exit_code == 0
    assert "model/llama-3.1-8b-instruct\n" in result.stdout
    assert result.stderr == ""


def test_reference_catalog_lists_186_models(nim, shared_data):
    out = nim("models", "--catalog", str(shared_data / "nvidia-nim-models-data.yaml"), "-o", "name")
    assert out.stdout.count("\n") == 186
