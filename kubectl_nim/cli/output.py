"""Every way the plugin prints results: table, wide, json, yaml, name.

Commands hand over plain data plus a column spec; this module owns the formats so that they are
identical across verbs. JSON and YAML are meant for scripts and keep key order stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from kubectl_nim.domain.formats import dump_json, dump_yaml, kube_list, plain_table

if TYPE_CHECKING:
    from kubectl_nim.domain.dry_run import DryRun

FORMATS = ("table", "wide", "json", "yaml", "name")


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    wide_only: bool = False


def table(items: Iterable[Any], columns: Sequence[Column], wide: bool = False,
          headers: bool = True) -> str:
    shown = [c for c in columns if wide or not c.wide_only]
    rows = [[_cell(c.value(item)) for c in shown] for item in items]
    if not rows:
        return ""
    return plain_table(rows, [c.header for c in shown], show_headers=headers) + "\n"


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "<none>"
    return str(value)


def render(items: Sequence[Any], fmt: str, *, columns: Sequence[Column],
           to_data: Callable[[Any], Any], name: Callable[[Any], str],
           as_kube_list: bool = False, headers: bool = True) -> str:
    """Render a collection in one of FORMATS, or `jsonpath=TEMPLATE` (over a v1 List of the
    items' data, as kubectl applies it to a list). `headers=False`: kubectl's --no-headers."""
    if fmt in ("table", "wide"):
        return table(items, columns, wide=fmt == "wide", headers=headers)
    if fmt == "name":
        return "".join(f"{name(i)}\n" for i in items)
    data = [to_data(i) for i in items]
    if fmt.startswith("jsonpath="):
        from kubectl_nim.domain import jsonpath

        return jsonpath.render(fmt[len("jsonpath="):], kube_list(data))
    if as_kube_list:
        data = kube_list(data)
    return dump_json(data) if fmt == "json" else dump_yaml(data)


def result_line(ref: str, action: str, dry_run: "DryRun | None" = None) -> str:
    """kubectl's line for one object written: `secret/x created`, `... configured (dry run)`.
    `ref` comes from domain/refs (kubectl's `kind.group/name`)."""
    return f"{ref} {action}{dry_run.suffix if dry_run is not None else ''}"


def result_printer(dry_run: "DryRun"):
    """What a use case reports (`emit(ref, action)`), printed as `result_line` on stdout."""
    import click

    return lambda ref, action: click.echo(result_line(ref, action, dry_run))


def render_one(data: Any, fmt: str) -> str:
    return dump_json(data) if fmt == "json" else dump_yaml(data)
