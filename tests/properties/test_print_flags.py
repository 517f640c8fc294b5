"""kubectl's print flags, the same on every read verb (docs/output.md): what a kubectl user types
(`-o json | jq '.items[]'`, `--sort-by .metadata.creationTimestamp`, `-o jsonpath`,
`-o custom-columns`, `--no-headers`) works on `models`, `list` and `status`; `config view`,
`version` and `validate-key` print one object.

Status written by hand: speed (milliseconds); real server: test_print_flags_real.py."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.helpers.commands import leaf_commands
from tests.helpers.obs import cluster, deployment  # noqa: F401 - fixture

READ_VERBS = ["models", "list", "status", "config view", "version", "validate-key"]




def _shape(param):
    return (tuple(param.opts), type(param.type).__name__, param.default, param.help)


@pytest.mark.parametrize("flag", ["output", "no_headers"])
def test_every_read_verb_has_the_same_print_flag(flag):
    commands = leaf_commands()
    shapes = {verb: _shape(next(p for p in commands[verb].params if p.name == flag))
              for verb in READ_VERBS}
    assert len(set(shapes.values())) == 1, shapes


def test_collections_sort():
    commands = leaf_commands()
    assert all(any(p.name == "sort_by" for p in commands[v].params)
               for v in ("models", "list", "status"))
    assert all(any(p.name == "selector" for p in commands[v].params) for v in ("list", "status"))


# --- models (a catalog file: no cluster) -----------------------------------------------------

@pytest.fixture
def models(nim, catalog_file):
    from tests.helpers.catalog import model_entry  # noqa: F401 - the root conftest's helper, not a fixture

    path = catalog_file([model_entry("b-model", tags=["2", "1"], latest="2",
                                     updatedDate="2026-01-01T00:00:00Z"),
                         model_entry("a-model", tags=["1"], latest="1",
                                     updatedDate="2027-01-01T00:00:00Z")])
    return lambda *args: nim("models", "--catalog", path, *args)


def test_models_json_is_a_v1_list(models):
    data = json.loads(models("-o", "json").stdout)
    assert (data["apiVersion"], data["kind"]) == ("v1", "List")
    assert [i["metadata"]["name"] for i in data["items"]] == ["a-model", "b-model"]
    assert yaml.safe_load(models("-o", "yaml").stdout) == data


def test_models_sort_by_in_both_spellings(models):
    for path in (".metadata.name", "{.metadata.name}"):
        assert models("--sort-by", path, "-o", "name").stdout == "model/a-model\nmodel/b-model\n"
    assert models("--sort-by", ".updatedDate", "-o", "name").stdout == \
        "model/b-model\nmodel/a-model\n"


def test_models_sort_by_a_field_no_item_has_is_exit_1(models):
    result = models("--sort-by", ".metadata.nope")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(
        "error: couldn't find any field with path '{.metadata.nope}' in the list of objects")


def test_models_no_headers_jsonpath_custom_columns(models, tmp_path):
    assert models("--no-headers").stdout.splitlines()[0].split()[0] == "a-model"
    assert models("-o", "jsonpath={.items[*].metadata.name}").stdout == "a-model b-model"
    assert models("-o", "custom-columns=NAME:.metadata.name,LATEST:{.latestTag}").stdout == \
        "NAME     LATEST\na-model  1\nb-model  2\n"
    assert models("-o", "custom-columns=N:.name,X:.missing", "--no-headers").stdout == \
        "a-model  <none>\nb-model  <none>\n"
    template = tmp_path / "t.jsonpath"
    template.write_text('{range .items[*]}{.name}{"\\n"}{end}\n')
    assert models("-o", f"jsonpath-file={template}").stdout == "a-model\nb-model\n"
    columns = tmp_path / "cols"
    columns.write_text("NAME TAGS\n.metadata.name .tags[*]\n")
    assert models("-o", f"custom-columns-file={columns}").stdout == \
        "NAME     TAGS\na-model  1\nb-model  2,1\n"


def test_bad_custom_columns_is_a_usage_error(models):
    result = models("-o", "custom-columns=NAME")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "HEADER:JSONPATH" in result.stderr


def test_one_model_is_the_object_not_a_list(models):
    data = json.loads(models("a-model", "-o", "json").stdout)
    assert data["metadata"] == {"name": "a-model"} and "kind" not in data
    assert models("a-model", "-o", "jsonpath={.latestTag}").stdout == "1"


def test_models_table_fits_120_columns(nim):
    result = nim("models", "--offline")
    assert result.exit_code == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= 120


# --- list and status against the fake API server ---------------------------------------------

def test_list_and_status_as_a_kubectl_user_types_them(nim, cluster):  # noqa: F811
    server, kc = cluster
    deployment(server, name="new")
    isvc = server.get_object("serving.kserve.io/v1beta1", "inferenceservices", "team", "new")
    old = {**isvc, "metadata": {**isvc["metadata"], "name": "old", "uid": "u-old",
                                "creationTimestamp": "2020-01-01T00:00:00Z",
                                "labels": {"tier": "gold"}}}
    server.put_object(old)  # a second deployment, older, on the same runtime
    for verb in ("list", "status"):
        items = json.loads(nim(verb, *kc, "-o", "json").stdout)["items"]
        assert [i["metadata"]["name"] for i in items] == ["new", "old"]
        by_age = nim(verb, *kc, "--sort-by", ".metadata.creationTimestamp", "--no-headers")
        assert by_age.exit_code == 0, by_age.stderr
        assert [ln.split()[0] for ln in by_age.stdout.splitlines()] == ["old", "new"]
        assert nim(verb, *kc, "-l", "tier=gold", "-o", "jsonpath={.items[*].metadata.name}"
                   ).stdout == "old"
        columns = nim(verb, *kc, "-o", "custom-columns=NAME:.metadata.name,TIER:"
                                        ".metadata.labels.tier", "--sort-by", "{.name}").stdout
        assert columns == "NAME    TIER\nnew     <none>\nold     gold\n"
        missing = nim(verb, *kc, "--sort-by", ".metadata.nope")
        assert missing.exit_code == 1 and "couldn't find any field" in missing.stderr
    one = json.loads(nim("status", "new", *kc, "-o", "json").stdout)
    assert one["metadata"]["name"] == "new" and one["verdict"] == "Ready"


# --- one object: config view, version, validate-key --------------------------------------------

def test_version_takes_the_print_flags(nim):
    from kubectl_nim import __version__

    assert nim("version", "-o", "jsonpath={.version}").stdout == __version__
    assert nim("version", "-o", "text").stdout.startswith("kubectl-nim ")  # the old spelling
    assert nim("version", "-o", "custom-columns=V:.version", "--no-headers").stdout == \
        f"{__version__}\n"


def test_config_view_jsonpath(nim, cluster):  # noqa: F811
    server, kc = cluster
    result = nim("config", "view", *kc, "-o", "jsonpath={.catalog.source}")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "embedded catalog"


# --- bare invocation -------------------------------------------------------------------------

@pytest.mark.parametrize("args", [[], ["config"]])
def test_bare_invocation_is_help_exit_0(nim, args):
    result = nim(*args)
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: ")
    assert result.stderr == ""


def test_watch_rows_stay_under_the_first_header():
    """`list -w` printed each change as its own little table, its columns sized to that row
    alone: no longer under the header. Later rows keep the first table's widths."""
    from kubectl_nim.cli.output import Column, Printer

    columns = [Column("NAME", lambda r: r[0]), Column("MODEL", lambda r: r[1]),
               Column("READY", lambda r: r[2])]
    spec = dict(columns=columns, to_data=lambda r: {}, name=lambda r: r[0])
    printer = Printer()
    first = printer.items([("a-long-name", "llama-3.1-8b-instruct", "True")], **spec)
    later = printer.more([("b", "x", "False")], **spec)
    header = first.splitlines()[0]
    row = later.rstrip("\n")
    assert [header.index(h) for h in ("MODEL", "READY")] == [row.index("x"), row.index("False")]


def test_status_watch_prints_changed_verdicts_under_the_header(nim, cluster):  # noqa: F811
    server, kc = cluster
    deployment(server, name="a", ready=False)
    steps = []

    def sleep(seconds):
        steps.append(seconds)
        if len(steps) == 1:  # the controller reports Ready
            deployment(server, name="a", ready=True)
        elif len(steps) == 2:  # nothing changes: nothing printed
            pass
        else:
            raise KeyboardInterrupt
    result = nim("status", "-w", *kc, sleep=sleep)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [ln.split()[:2] for ln in lines] == [["NAME", "VERDICT"], ["a", "Progressing"],
                                                ["a", "Ready"]]
    assert lines[0].index("VERDICT") == lines[2].index("Ready")


def test_name_of_an_object_without_one_is_a_usage_error(nim):
    result = nim("version", "-o", "name")
    assert result.exit_code == 2 and result.stderr.startswith("error: -o name prints")
