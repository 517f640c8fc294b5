"""One line rewritten in place on a terminal: `--wait`'s spinner (app/wait.Reporter) and the
catalog's fetch progress (cli/commands/catalog.Progress) both draw through it.

The line is cut to the terminal's width (a wrapped line cannot be rewritten with `\\r`), and
cleared before anything else is printed, so that what follows starts a line of its own.
"""

from __future__ import annotations

from typing import Callable

CLEAR = "\r\033[K"   # back to the line's start, erase to its end


def terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


def fit(text: str, width: int) -> str:
    return text if len(text) < width else text[:max(1, width - 2)] + "…"


class LiveLine:
    def __init__(self, write: Callable[[str, bool], object],
                 width: Callable[[], int] = terminal_width):
        """`write(text, newline)` puts text on the terminal, ending the line when told."""
        self.write = write
        self.width = width
        self.open = False   # a line without its newline is on screen

    def show(self, text: str) -> None:
        """Replace the line with `text` (kept open: the next show rewrites it)."""
        self.write(CLEAR + fit(text, self.width()), False)
        self.open = True

    def done(self, text: str) -> None:
        """Replace the line with `text` for good (newline)."""
        self.write(CLEAR + fit(text, self.width()), True)
        self.open = False

    def above(self, text: str) -> None:
        """Print `text` on a line of its own where the live line was (it is redrawn by the
        next show)."""
        self.write(CLEAR + text, True)
        self.open = False

    def clear(self) -> None:
        if self.open:
            self.write(CLEAR, False)
            self.open = False
