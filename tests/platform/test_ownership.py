"""domain/ownership: server-side apply conflicts and server noise, decided without a server."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from kubectl_nim.domain.ownership import (describe_conflicts, only_own_conflicts, owner_of,
                                          same_content, without_server_noise)

pytestmark = pytest.mark.pure

OWN = 'conflict with "kubectl-nim" using v1'
GITOPS = 'conflict with "kubectl-client-side-apply" using v1'


def test_owner_of_reads_the_manager_from_the_cause():
    assert owner_of(GITOPS) == "kubectl-client-side-apply"
    assert owner_of("something else") == "something else"


def test_only_own_conflicts():
    assert only_own_conflicts([(".data.X", OWN)], "kubectl-nim")
    assert not only_own_conflicts([(".data.X", OWN), (".spec", GITOPS)], "kubectl-nim")
    assert not only_own_conflicts([], "kubectl-nim")   # no conflict: nothing to force


def test_describe_groups_by_owner_and_leaves_out_our_own():
    text = describe_conflicts([(".spec.a", GITOPS), (".spec.b", GITOPS), (".spec.c", OWN)],
                              own="kubectl-nim")
    assert text == ".spec.a, .spec.b (owned by kubectl-client-side-apply)"


def test_server_noise_is_ignored_content_is_not():
    live = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"},
            "metadata": {"name": "c", "resourceVersion": "5", "uid": "u", "generation": 2,
                         "managedFields": [{}], "creationTimestamp": "t"},
            "status": {"phase": "x"}}
    answer = {**live, "metadata": {**live["metadata"], "resourceVersion": "6"}, "status": {}}
    assert same_content(live, answer)
    assert not same_content(live, {**answer, "data": {"a": "2"}})
    assert not same_content(None, answer)


@given(st.dictionaries(st.sampled_from(["resourceVersion", "uid", "generation", "name",
                                        "labels", "managedFields"]),
                       st.text(max_size=5)))
def test_without_server_noise_keeps_only_content(meta):
    clean = without_server_noise({"kind": "X", "metadata": meta, "status": {}})
    assert "status" not in clean
    assert set(clean["metadata"]) <= {"name", "labels"}
    assert {k: v for k, v in meta.items() if k in ("name", "labels")} == clean["metadata"]
