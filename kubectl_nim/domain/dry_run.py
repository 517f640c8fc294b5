"""`--dry-run`: what a mode means, defined once (docs/design.md#dry-runs).

`none` writes; `client` sends nothing and shows what would be sent; `server` sends every write with
the API server's `dryRun=All`, which runs admission and validation and persists nothing. The CLI
parses the flag once (`cli/options.dry_run_option`) into a `DryRun`; every use case and every app
write primitive takes it as is and asks it what to do, never comparing the strings.
"""

from __future__ import annotations

import enum


class DryRun(enum.StrEnum):
    NONE = "none"
    CLIENT = "client"
    SERVER = "server"

    @classmethod
    def parse(cls, text: "str | DryRun") -> "DryRun":
        """A mode from its name (kubectl's three); ValueError for anything else."""
        return cls(text)

    @property
    def persists(self) -> bool:
        """The run changes the cluster (only `none`)."""
        return self is DryRun.NONE

    @property
    def sends(self) -> bool:
        """Requests reach the API server (`none` and `server`; `client` only prints)."""
        return self is not DryRun.CLIENT

    @property
    def server_flag(self) -> bool:
        """Whether a request carries the server's `dryRun=All` (`server` only). A client dry run
        sends nothing: asking it is a bug, refused rather than answered with "persist"."""
        if self is DryRun.CLIENT:
            raise ValueError("a client dry run sends no request")
        return self is DryRun.SERVER

    @property
    def suffix(self) -> str:
        """What a result line says after the action: `secret/x created (dry run)`."""
        return _SUFFIX[self]

    def __bool__(self) -> bool:
        raise TypeError("a DryRun has no truth value: ask .persists, .sends or .server_flag")


_SUFFIX = {DryRun.NONE: "", DryRun.CLIENT: " (dry run)", DryRun.SERVER: " (server dry run)"}

MODES = tuple(mode.value for mode in DryRun)
