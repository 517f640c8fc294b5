"""`-w/--watch` of `list` and `status`: poll, and print what changed the way kubectl -w prints
events — one row (or object) per item that appeared or changed, under the first table's header,
a notice on stderr for one that went; Ctrl-C ends it with exit 0."""

from __future__ import annotations

from typing import Any, Callable, Hashable

import click

from kubectl_nim import log


def watch(current: Callable[[], list], first: list, printer, spec: dict, interval: float,
          key: Callable[[Any], Hashable], fingerprint: Callable[[Any], Any],
          sleep: Callable[[float], None]) -> None:
    """`current()` reads the items again; `fingerprint(item)` is what counts as a change (a
    status's verdict and reasons, not its age); `spec`: the columns, data and name of
    `Printer.items`."""
    seen = {key(i): fingerprint(i) for i in first}
    names = {key(i): spec["name"](i) for i in first}
    try:
        while True:
            sleep(interval)
            items = current()
            now = {key(i): fingerprint(i) for i in items}
            changed = [i for i in items if seen.get(key(i)) != now[key(i)]]
            if changed:
                click.echo(printer.more(changed, **spec), nl=False)
            for gone in seen.keys() - now.keys():
                log.notice(f"{names[gone]} deleted")
            names.update({key(i): spec["name"](i) for i in items})
            seen = now
    except KeyboardInterrupt:
        return  # Ctrl-C is how a watch ends
