"""The table formatter: tabulate's `plain` format, byte for byte, without importing tabulate."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tabulate import tabulate

from kubectl_nim.domain.formats import plain_table

pytestmark = pytest.mark.pure

# Printable text as catalog and cluster data holds it (tabulate measures wide characters with
# wcwidth, which we approximate with unicodedata: compared on Latin text, tested by example).
cells = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x24F,
                                       blacklist_categories=("Cc", "Cs", "Mn", "Zs")),
                min_size=1, max_size=12).filter(str.strip)  # output._cell prints <none> for ""
multiline = st.lists(cells.map(str.strip).filter(bool), min_size=2, max_size=3).map("\n".join)
headers = st.from_regex(r"[A-Z][A-Z ]{0,10}[A-Z]|[A-Z]", fullmatch=True)


@given(st.integers(min_value=1, max_value=5).flatmap(lambda n: st.tuples(
    st.lists(headers, min_size=n, max_size=n),
    st.lists(st.lists(st.one_of(cells, multiline), min_size=n, max_size=n), max_size=6))))
def test_plain_table_is_tabulates_plain_format(case):
    headers, rows = case
    assert plain_table(rows, headers) == tabulate(rows, headers=headers, tablefmt="plain",
                                                  disable_numparse=True)


def test_examples():
    assert plain_table([["a", "b"]], ["NAME", "X"]) == "NAME    X\na       b"
    assert plain_table([["ccc", "d\ne"], ["a", " b "]], ["X", "YY"]) == \
        "X    YY\nccc  d\n     e\na    b"
    # Wide characters take two terminal columns.
    assert plain_table([["日本", "x"], ["ab", "y"]], ["N", "V"]) == "N     V\n日本  x\nab    y"


def test_no_headers_sizes_columns_by_the_rows_alone():
    assert plain_table([["a", "b"], ["ccc", "d"]], ["NAME", "X"], show_headers=False) == \
        "a    b\nccc  d"
