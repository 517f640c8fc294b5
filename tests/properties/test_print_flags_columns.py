"""domain/columns: custom columns and --sort-by over any items (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubectl_nim.domain import columns
from kubectl_nim.errors import UsageError

pytestmark = pytest.mark.pure

JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=4)),
                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                            st.dictionaries(st.sampled_from(["a", "b", "metadata",
                                                                             "name"]),
                                                            inner, max_size=3)), max_leaves=10)


@given(st.lists(JSON, max_size=5), st.sampled_from([".a", "{.a.b}", ".metadata.name", ".b[0]"]))
def test_sort_and_columns_of_any_items(items, path):
    try:
        ordered = columns.sort_items(items, path, lambda i: i)
    except columns.NoSuchField:
        assert items and not any(v is not None for v in _values(items, path))
    else:
        assert sorted(map(repr, ordered)) == sorted(map(repr, items))
    text = columns.custom_columns(f"X:{path},Y:.name", items)
    assert text.count("\n") == len(items) + 1


def _values(items, path):
    from kubectl_nim.domain import jsonpath

    steps = jsonpath.sort_key_path(path)
    return [(jsonpath.evaluate(steps, i) or [None])[0] for i in items]


def test_numbers_sort_as_numbers_and_missing_first():
    items = [{"n": 10}, {"n": 9}, {}, {"n": "x"}]
    assert columns.sort_items(items, ".n", lambda i: i) == [{}, {"n": 9}, {"n": 10}, {"n": "x"}]


def test_no_item_has_the_path():
    with pytest.raises(columns.NoSuchField, match=r"couldn't find any field with path "
                                                  r"'\{\.nope\}' in the list of objects"):
        columns.sort_items([{"a": 1}], "{.nope}", lambda i: i)
    assert columns.sort_items([], ".nope", lambda i: i) == []


@pytest.mark.parametrize("spec", ["", "NAME", "NAME:", ":.a", "A:.a,B", "A:{.a[?(@.x)]}"])
def test_bad_specs_are_usage_errors(spec):
    with pytest.raises(UsageError):
        columns.parse_custom_columns(spec)


def test_several_values_join_with_commas():
    assert columns.custom_columns("T:.tags[*]", [{"tags": ["1", 2, None]}, {}],
                                  headers=False) == "1,2\n<none>\n"
