"""`catalog diff OLD NEW`: the release review of two catalogs, and its pure core."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from kubectl_nim.domain import catalog_diff
from kubectl_nim.domain.catalog import Model, to_configmap_yaml

OLD = [Model("alpha", "nim/meta", ("1.0", "latest"), "1.0"),
       Model("beta", "nim/meta", ("2.0", "1.0", "latest"), "2.0"),
       Model("gone", "nim/nvidia", ("1",), "1"),
       Model("moved", "nim/x", ("1",), "1"),
       Model("same", "nim/nvidia", ("1", "latest"), "1")]
NEW = [Model("alpha", "nim/meta", ("1.1", "1.0", "latest"), "1.1"),
       Model("beta", "nim/meta", ("2.0", "latest"), "2.0", eu_restricted=True),
       Model("fresh", "nim/google", ("0.1", "latest"), "latest", display_name="Fresh"),
       Model("moved", "nim/y", ("1",), "1"),
       # tag order, description and date changes are not release-relevant
       Model("same", "nim/nvidia", ("latest", "1"), "1", short_description="new words",
             updated_date="2030-01-01")]


@pytest.fixture
def files(tmp_path):
    def write(old=OLD, new=NEW, fmt="yaml"):
        paths = []
        for name, models in (("old", old), ("new", new)):
            path = tmp_path / f"{name}.{fmt}"
            text = to_configmap_yaml(models)
            if fmt == "json":
                import yaml

                text = json.dumps(yaml.safe_load(text))
            path.write_text(text)
            paths.append(str(path))
        return paths
    return write


TABLE = """\
Added (1):
MODEL    NAMESPACE    LATEST    TAGS         EU
fresh    nim/google   latest    0.1, latest  -

Removed (1):
MODEL    NAMESPACE    LATEST    TAGS    EU
gone     nim/nvidia   1         1       -

Changed (3):
MODEL    NEW TAGS    REMOVED TAGS    LATEST TAG    EU RESTRICTED    NAMESPACE
alpha    1.1         -               1.0 -> 1.1    -                -
beta     -           1.0             -             no -> yes        -
moved    -           -               -             -                nim/x -> nim/y

1 added, 1 removed, 3 changed, 1 unchanged.
"""

MARKDOWN = """\
### NIM catalog changes

5 → 5 models: 1 added, 1 removed, 3 changed, 1 unchanged.

#### Added (1)

| Model | Namespace | Latest tag | Tags | EU restricted |
|---|---|---|---|---|
| `fresh` | nim/google | `latest` | `0.1`, `latest` | no |

#### Removed (1)

| Model | Namespace | Latest tag | Tags | EU restricted |
|---|---|---|---|---|
| `gone` | nim/nvidia | `1` | `1` | no |

#### Changed (3)

| Model | New tags | Removed tags | Latest tag | EU restricted | Namespace |
|---|---|---|---|---|---|
| `alpha` | `1.1` | — | `1.0` → `1.1` | — | — |
| `beta` | — | `1.0` | — | no → yes | — |
| `moved` | — | — | — | — | nim/x → nim/y |
"""


def test_table(nim, files):
    result = nim("catalog", "diff", *files())
    assert (result.exit_code, result.stdout, result.stderr) == (0, TABLE, "")


def test_markdown(nim, files):
    result = nim("catalog", "diff", *files(), "-o", "markdown")
    assert (result.exit_code, result.stdout) == (0, MARKDOWN)


def test_json(nim, files):
    result = nim("catalog", "diff", *files(fmt="json"), "--output", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "added": [{"name": "fresh", "namespace": "nim/google", "latestTag": "latest",
                   "tags": ["0.1", "latest"], "euRestricted": False}],
        "removed": [{"name": "gone", "namespace": "nim/nvidia", "latestTag": "1",
                     "tags": ["1"], "euRestricted": False}],
        "changed": [
            {"name": "alpha", "addedTags": ["1.1"], "removedTags": [],
             "latestTag": {"old": "1.0", "new": "1.1"}, "euRestricted": None, "namespace": None},
            {"name": "beta", "addedTags": [], "removedTags": ["1.0"], "latestTag": None,
             "euRestricted": {"old": False, "new": True}, "namespace": None},
            {"name": "moved", "addedTags": [], "removedTags": [], "latestTag": None,
             "euRestricted": None, "namespace": {"old": "nim/x", "new": "nim/y"}}],
        "unchanged": 1}
    assert result.stdout.startswith('{\n  "added": [\n')


def test_no_changes(nim, files):
    paths = files(new=OLD)
    assert nim("catalog", "diff", *paths).stdout == "0 added, 0 removed, 0 changed, 5 unchanged.\n"
    assert nim("catalog", "diff", *paths, "-o", "markdown").stdout == (
        "### NIM catalog changes\n\n5 → 5 models: 0 added, 0 removed, 0 changed, 5 unchanged.\n\n"
        "No model was added, removed or changed.\n")
    assert json.loads(nim("catalog", "diff", *paths, "-o", "json").stdout) == {
        "added": [], "removed": [], "changed": [], "unchanged": 5}


def test_exit_code_flag(nim, files):
    assert nim("catalog", "diff", *files(), "--exit-code").exit_code == 1
    assert nim("catalog", "diff", *files(new=OLD), "--exit-code").exit_code == 0
    assert nim("catalog", "diff", *files()).exit_code == 0


def test_missing_file_is_a_usage_error(nim, tmp_path, files):
    old, _ = files()
    result = nim("catalog", "diff", old, str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_unreadable_catalog_is_one_line(nim, tmp_path, files):
    old, _ = files()
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Secret\n")
    result = nim("catalog", "diff", old, str(bad))
    assert (result.exit_code, result.stderr) == (1, f"error: file {bad} is a Secret, not a "
                                                    f"ConfigMap\n")


def test_malformed_entries_are_warned_about_and_skipped(nim, tmp_path, files):
    old, new = files(new=OLD)
    text = open(new).read() + "  broken: '{\"name\": \"broken\"}'\n"
    open(new, "w").write(text)
    result = nim("catalog", "diff", old, new)
    assert result.exit_code == 0
    assert result.stderr == ("warning: skipping malformed catalog entry 'broken': missing "
                             "namespace, tags, latestTag\n")
    assert result.stdout == "0 added, 0 removed, 0 changed, 5 unchanged.\n"


def test_markdown_cells_are_escaped():
    diff = catalog_diff.diff_catalogs([], [Model("odd", "nim/a|b", ("x|y", "1"), "1")])
    assert "| `odd` | nim/a\\|b | `1` | `x\\|y`, `1` | no |" in catalog_diff.diff_markdown(diff)


def test_generated_catalogs_diff_cleanly(nim, ngc_sleeps, tmp_path):
    """A catalog change at NVIDIA shows up as exactly that change in the diff."""
    from tests.helpers.catalog import model_entry
    from tests.fakes.ngc_fixtures import VALID_KEY
    from tests.fakes.ngc_server import FakeNgcServer

    before = [model_entry("a", tags=("1.0", "latest")), model_entry("b")]
    after = [model_entry("a", tags=("1.1", "1.0", "latest"), latest="1.1"), model_entry("b")]
    paths = []
    for i, entries in enumerate((before, after)):
        with FakeNgcServer(models=entries) as server:
            path = tmp_path / f"{i}.yaml"
            assert nim("catalog", "generate", "--ngc-api-url", server.url, "--output",
                       str(path), env={"NGC_API_KEY": VALID_KEY}).exit_code == 0
            paths.append(str(path))
    result = nim("catalog", "diff", *paths, "-o", "json")
    assert json.loads(result.stdout)["changed"] == [
        {"name": "a", "addedTags": ["1.1"], "removedTags": [],
         "latestTag": {"old": "1.0", "new": "1.1"}, "euRestricted": None, "namespace": None}]


def test_reference_catalog_against_itself(nim, shared_data):
    path = str(shared_data / "nvidia-nim-models-data.yaml")
    result = nim("catalog", "diff", path, path)
    assert result.stdout == "0 added, 0 removed, 0 changed, 186 unchanged.\n"


# --- properties of the pure diff --------------------------------------------------------------

names = st.sampled_from(["a", "b", "c", "d", "e"])
tags = st.lists(st.sampled_from(["1", "1.0", "1.1", "2", "latest"]), min_size=1, unique=True)
models = st.builds(lambda n, t, i, eu, ns: Model(n, ns, tuple(t), t[i % len(t)],
                                                 eu_restricted=eu),
                   names, tags, st.integers(0, 4), st.booleans(),
                   st.sampled_from(["nim/meta", "nim/nvidia"]))
catalogs = st.lists(models, max_size=5, unique_by=lambda m: m.name)


@given(catalogs, catalogs)
def test_diff_accounts_for_every_model(old, new):
    diff = catalog_diff.diff_catalogs(old, new)
    old_names, new_names = {m.name for m in old}, {m.name for m in new}
    assert {m.name for m in diff.added} == new_names - old_names
    assert {m.name for m in diff.removed} == old_names - new_names
    assert len(diff.changed) + diff.unchanged == len(old_names & new_names)
    assert catalog_diff.diff_catalogs(old, old).empty
    reverse = catalog_diff.diff_catalogs(new, old)
    assert [c.name for c in reverse.changed] == [c.name for c in diff.changed]
    for forth, back in zip(diff.changed, reverse.changed):
        assert (forth.added_tags, forth.removed_tags) == (back.removed_tags, back.added_tags)


@given(catalogs, catalogs)
def test_renderings_agree(old, new):
    diff = catalog_diff.diff_catalogs(old, new)
    data = json.loads(catalog_diff.diff_json(diff))
    assert len(data["changed"]) == len(diff.changed)
    assert catalog_diff.diff_table(diff).endswith(f"{diff.counts()}.\n")
    markdown = catalog_diff.diff_markdown(diff)
    assert markdown.count("\n| `") == len(diff.added) + len(diff.removed) + len(diff.changed)
