"""Every way the plugin prints results: kubectl's print flags, in one place.

`Printer` is what `cli/print_flags.print_flags` hands each read verb (`models`, `list`, `status`,
`config view`, `version`, `validate-key`): `-o table|wide|json|yaml|name|jsonpath=...|
jsonpath-file=...|custom-columns=...`, `--no-headers`, `--sort-by`. Verbs hand over plain data
plus a column spec; the formats are identical across verbs. A collection in JSON/YAML (and under
jsonpath) is kubectl's v1 List; one object is that object. JSON and YAML keep key order stable.
The serialisations themselves are pure and live in domain/ (formats, jsonpath, columns).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, Sequence

from kubectl_nim.domain.formats import dump_json, dump_yaml, kube_list, plain_table, table_widths

if TYPE_CHECKING:
    from kubectl_nim.domain.dry_run import DryRun

# The -o values every read verb takes (besides jsonpath=, jsonpath-file=, custom-columns=).
FORMATS = ("table", "wide", "json", "yaml", "name")
HUMAN = ("table", "wide")


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    wide_only: bool = False
    wide_value: Optional[Callable[[Any], Any]] = None  # -o wide: the whole value, not cut


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "<none>"
    return str(value)


def _grid(items: Iterable[Any], columns: Sequence[Column], wide: bool):
    shown = [c for c in columns if wide or not c.wide_only]
    values = [(c.wide_value if wide and c.wide_value else c.value) for c in shown]
    return [c.header for c in shown], [[_cell(v(item)) for v in values] for item in items]


def table(items: Iterable[Any], columns: Sequence[Column], wide: bool = False,
          headers: bool = True) -> str:
    names, rows = _grid(items, columns, wide)
    if not rows:
        return ""
    return plain_table(rows, names, show_headers=headers) + "\n"


@dataclass
class Printer:
    """kubectl's PrintFlags, bound: what a read verb prints, in the format asked for."""

    output: str = "table"
    no_headers: bool = False
    sort_by: Optional[str] = None
    _widths: list = field(default_factory=list)  # the first table's, for -w

    @property
    def human(self) -> bool:
        return self.output in HUMAN

    @property
    def structured(self) -> bool:
        """JSON or YAML: an empty collection still prints (an empty List)."""
        return self.output in ("json", "yaml")

    def sorted(self, items: Sequence[Any], to_data: Callable[[Any], Any]) -> list:
        if not self.sort_by:
            return list(items)
        from kubectl_nim.domain.columns import sort_items

        return sort_items(list(items), self.sort_by, to_data)

    def items(self, items: Sequence[Any], *, columns: Sequence[Column],
              to_data: Callable[[Any], Any], name: Callable[[Any], str]) -> str:
        """A collection: sorted by --sort-by, then in the format asked for."""
        items = self.sorted(items, to_data)
        if self.human:
            names, rows = _grid(items, columns, self.output == "wide")
            if not rows:
                return ""
            self._widths = table_widths(rows, names, not self.no_headers)
            return plain_table(rows, names, show_headers=not self.no_headers) + "\n"
        if self.output == "name":
            return "".join(f"{name(i)}\n" for i in items)
        return self._data([to_data(i) for i in items], collection=True)

    def more(self, items: Sequence[Any], *, columns: Sequence[Column],
             to_data: Callable[[Any], Any], name: Callable[[Any], str]) -> str:
        """Rows printed after the first table (`-w`): no header again, each column at least
        as wide as the first table's, so that the rows stay under their header; JSON and YAML
        print each item as one object, as `kubectl get -w -o json` does."""
        if self.human:
            names, rows = _grid(items, columns, self.output == "wide")
            if not rows:
                return ""
            text = plain_table(rows, names, show_headers=False, min_widths=self._widths)
            self._widths = table_widths(rows, names, False) if not self._widths else \
                [max(a, b) for a, b in zip(self._widths, table_widths(rows, names, False))]
            return text + "\n"
        if self.structured:
            return "".join(self.one(to_data(i)) for i in items)
        return self.items(items, columns=columns, to_data=to_data, name=name)

    def one(self, data: Any, *, text: Optional[Callable[[], str]] = None,
            name: Optional[str] = None) -> str:
        """One object: the verb's own human form for table/wide, else data as asked."""
        if self.human:
            return text() if text else dump_yaml(data)
        if self.output == "name":
            if not name:
                from kubectl_nim.errors import UsageError

                raise UsageError("-o name prints kind/name of objects; this output has no "
                                 "name", hint="use -o json, yaml or jsonpath=...")
            return f"{name}\n"
        return self._data(data, collection=False)

    def _data(self, data: Any, collection: bool) -> str:
        fmt = self.output
        if fmt.startswith("jsonpath="):
            from kubectl_nim.domain import jsonpath

            return jsonpath.render(fmt[len("jsonpath="):], kube_list(data) if collection else data)
        if fmt.startswith("custom-columns="):
            from kubectl_nim.domain.columns import custom_columns

            return custom_columns(fmt[len("custom-columns="):], data if collection else [data],
                                  headers=not self.no_headers)
        if collection:
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
