"""Serialisations shared by every layer: JSON, YAML (one and many documents), kubectl's v1 List,
and the plain text table. Pure: strings in, strings out (the CLI's printers are cli/output.py).
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def dump_yaml(data: Any) -> str:
    import yaml  # only paid for when YAML is asked for

    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True,
                          width=1000)


def dump_yaml_documents(documents: Iterable[Any]) -> str:
    """Multi-document YAML as `kubectl apply -f -` accepts it."""
    return "---\n".join(dump_yaml(doc) for doc in documents)


def kube_list(items: Sequence[dict]) -> dict:
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": list(items)}


def plain_table(rows: Sequence[Sequence[str]], headers: Sequence[str],
                show_headers: bool = True, min_widths: Sequence[int] = ()) -> str:
    """tabulate's `plain` format with `disable_numparse`, byte for byte, without tabulate.

    Why not tabulate itself: importing tabulate 0.10 costs ~30 ms (it pulls in
    importlib.metadata), a third of `models --offline` (BENCHMARKS.md); this is ~30 lines.
    tests/platform/test_output_table.py checks the output against tabulate's. Columns are two
    spaces apart, cells left-aligned and stripped, a column at least two wider than its header,
    multi-line cells stacked, trailing blanks dropped; East Asian wide characters count two columns, as
    on a terminal. `show_headers=False` is kubectl's --no-headers: the rows alone, as wide as
    they need. `min_widths`: columns at least that wide (`-w` keeps the first table's widths,
    `table_widths`, so that later rows stay under their header).
    """
    flat = [[str(cell).strip() for cell in row] for row in [headers, *rows]]
    if all(cell.isascii() and "\n" not in cell for row in flat for cell in row):
        # The common case, ~3x faster: one line per cell, one column per character.
        body = flat if show_headers else flat[1:]
        widths = [max([len(flat[0][i]) + 2 if show_headers else 0, _at(min_widths, i)]
                      + [len(row[i]) for row in flat[1:]]) for i in range(len(headers))]
        return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
                         for row in body)
    grid = [[cell.split("\n") for cell in row] for row in flat]
    # tabulate keeps two columns more than a header needs, even when no cell is that wide.
    widths = [max(max(_width(line) for line in grid[0][i]) + 2 if show_headers else 0,
                  max((_width(line) for row in grid[1:] for line in row[i]), default=0),
                  _at(min_widths, i))
              for i in range(len(headers))]
    out = []
    for row in grid if show_headers else grid[1:]:
        for n in range(max(len(cell) for cell in row)):
            parts = []
            for i, cell in enumerate(row):
                line = cell[n] if n < len(cell) else ""
                parts.append(line + " " * (widths[i] - _width(line)))
            out.append("  ".join(parts).rstrip())
    return "\n".join(out)


def table_widths(rows: Sequence[Sequence[str]], headers: Sequence[str],
                 show_headers: bool = True) -> list[int]:
    """The width `plain_table` gives each column (the last one's cells are not padded)."""
    grid = [[str(cell).strip() for cell in row] for row in ([headers] if show_headers else [])]
    grid += [[str(cell).strip() for cell in row] for row in rows]
    return [max([max((_width(line) for line in grid[0][i].split("\n")), default=0) + 2
                 if show_headers else 0]
                + [_width(line) for row in grid[1 if show_headers else 0:]
                   for line in row[i].split("\n")]) for i in range(len(headers))]


def _at(widths: Sequence[int], i: int) -> int:
    return widths[i] if i < len(widths) else 0


def _width(text: str) -> int:
    if text.isascii():
        return len(text)
    import unicodedata

    return sum(0 if unicodedata.combining(ch) else
               2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
