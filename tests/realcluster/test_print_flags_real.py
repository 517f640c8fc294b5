"""The session a kubectl user types, against a real kube-apiserver: `-o json | jq '.items[]'`,
`--sort-by .metadata.creationTimestamp`, `-o jsonpath`, `-o custom-columns`, `--no-headers` on
`models`, `list` and `status` (docs/output.md)."""

from __future__ import annotations

import json
import time

from tests.helpers.realcluster import MODEL

SECOND = "nv-embedqa-e5-v5"


def _two_deployments(real):
    first = real.nim("deploy", "older", "--model", MODEL, "--tag", "1.13.1")
    assert first.exit_code == 0, first.stderr
    time.sleep(1.1)  # creationTimestamp has a one-second resolution
    second = real.nim("deploy", "newer", "--model", SECOND)
    assert second.exit_code == 0, second.stderr


def test_list_and_status_as_kubectl_users_type_them(real):
    _two_deployments(real)
    for verb in ("list", "status"):
        listed = real.nim(verb, "-o", "json")
        assert listed.exit_code == 0, listed.stderr
        data = json.loads(listed.stdout)
        assert (data["apiVersion"], data["kind"]) == ("v1", "List")
        assert sorted(i["metadata"]["name"] for i in data["items"]) == ["newer", "older"]
        by_age = real.nim(verb, "--sort-by", ".metadata.creationTimestamp", "--no-headers")
        assert by_age.exit_code == 0, by_age.stderr
        assert [line.split()[0] for line in by_age.stdout.splitlines()] == ["older", "newer"]
        braces = real.nim(verb, "--sort-by", "{.metadata.creationTimestamp}", "-o", "name")
        assert braces.stdout.splitlines()[0].endswith("/older")
        assert real.nim(verb, "-o", "jsonpath={.items[*].metadata.name}").stdout == "newer older"
        columns = real.nim(verb, "-o", "custom-columns=NAME:.metadata.name,NS:.metadata.namespace",
                           "--no-headers")
        assert columns.stdout.split() == ["newer", real.ns, "older", real.ns]
        missing = real.nim(verb, "--sort-by", ".metadata.nothing")
        assert missing.exit_code == 1 and "couldn't find any field" in missing.stderr
    one = json.loads(real.nim("status", "older", "-o", "json").stdout)
    assert one["metadata"]["name"] == "older" and "kind" not in one


def test_models_from_the_clusters_view(real):
    listed = real.nim("models", "-o", "json")
    assert listed.exit_code == 0, listed.stderr
    names = [i["metadata"]["name"] for i in json.loads(listed.stdout)["items"]]
    assert MODEL in names and SECOND in names
    sorted_names = real.nim("models", "--sort-by", "{.metadata.name}", "-o", "name").stdout
    assert sorted_names.splitlines() == sorted(sorted_names.splitlines())
    table = real.nim("models", "--no-headers").stdout.splitlines()
    assert not table[0].startswith("NAME") and max(len(line) for line in table) <= 120
    assert real.nim("models", MODEL, "-o", "jsonpath={.name}").stdout == MODEL
