"""Every way the plugin prints results: table, wide, json, yaml, name.

Commands hand over plain data plus a column spec; this module owns the formats so that they are
identical across verbs. JSON and YAML are meant for scripts and keep key order stable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

FORMATS = ("table", "wide", "json", "yaml", "name")


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    wide_only: bool = False


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


def table(items: Iterable[Any], columns: Sequence[Column], wide: bool = False) -> str:
    from tabulate import tabulate

    shown = [c for c in columns if wide or not c.wide_only]
    rows = [[_cell(c.value(item)) for c in shown] for item in items]
    if not rows:
        return ""
    return tabulate(rows, headers=[c.header for c in shown], tablefmt="plain",
                    disable_numparse=True) + "\n"


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "<none>"
    return str(value)


def render(items: Sequence[Any], fmt: str, *, columns: Sequence[Column],
           to_data: Callable[[Any], Any], name: Callable[[Any], str],
           as_kube_list: bool = False) -> str:
    """Render a collection in one of FORMATS."""
    if fmt in ("table", "wide"):
        return table(items, columns, wide=fmt == "wide")
    if fmt == "name":
        return "".join(f"{name(i)}\n" for i in items)
    data = [to_data(i) for i in items]
    if as_kube_list:
        data = kube_list(data)
    return dump_json(data) if fmt == "json" else dump_yaml(data)


def render_one(data: Any, fmt: str) -> str:
    return dump_json(data) if fmt == "json" else dump_yaml(data)
