"""kubectl's `-o custom-columns=SPEC` and `--sort-by`, over the items' data (pure).

`custom-columns=NAME:.metadata.name,READY:{.ready}`: comma-separated HEADER:JSONPATH pairs, the
path with or without braces (domain/jsonpath's subset). A cell with no value prints `<none>`,
several values are joined with commas, as kubectl prints them.

`--sort-by PATH`: `.metadata.name` or `{.metadata.name}`, one value per item. Items where the path
reaches nothing come first; when it reaches nothing in every item the path is surely mistyped, and
kubectl refuses it ("couldn't find any field with path ... in the list of objects"): so do we.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from kubectl_nim.domain import jsonpath
from kubectl_nim.domain.formats import plain_table
from kubectl_nim.errors import NimError, UsageError


class NoSuchField(NimError):
    """--sort-by names a path that no item has (exit 1, as in kubectl)."""


def parse_custom_columns(spec: str) -> list[tuple[str, list]]:
    """`NAME:.metadata.name,...` → [(header, steps)]; UsageError for a malformed spec."""
    columns = []
    for part in spec.split(","):
        header, sep, path = part.partition(":")
        if not sep or not header.strip() or not path.strip():
            raise UsageError(f"custom-columns format is HEADER:JSONPATH[,HEADER:JSONPATH...], "
                             f"not {part!r}",
                             hint="e.g. -o custom-columns=NAME:.metadata.name,READY:.ready")
        columns.append((header.strip(), jsonpath.sort_key_path(path, single=False)))
    return columns


def custom_columns(spec: str, items: Sequence[Any], headers: bool = True) -> str:
    columns = parse_custom_columns(spec)
    rows = [[_cell(jsonpath.evaluate(steps, item)) for _, steps in columns] for item in items]
    if not rows and not headers:
        return ""
    return plain_table(rows, [h for h, _ in columns], show_headers=headers) + "\n"


def _cell(values: list) -> str:
    texts = [jsonpath.text_of(v) for v in values if v is not None]
    return ",".join(texts) if texts else "<none>"


def sort_items(items: list, expression: str, to_data: Callable[[Any], Any]) -> list:
    """Items sorted by the value the expression reaches in each to_data(item); missing first;
    numbers as numbers. NoSuchField when no item has it (none to sort is no error)."""
    steps = jsonpath.sort_key_path(expression)
    keys = []
    for item in items:
        found = jsonpath.evaluate(steps, to_data(item))
        keys.append(None if not found or found[0] is None else found[0])
    if items and all(k is None for k in keys):
        shown = expression.strip()
        if not shown.startswith("{"):
            shown = "{" + shown + "}"
        raise NoSuchField(f"couldn't find any field with path {shown!r} in the list of objects",
                          hint="-o json shows the fields each item has")

    def key(pair):
        value = pair[0]
        if value is None:
            return (0, 0, "")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return (1, 1, jsonpath.text_of(value))
        return (1, 0, value)
    return [item for _, item in sorted(zip(keys, items), key=key)]
