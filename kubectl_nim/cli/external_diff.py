"""`diff` through the user's own diff program, as `kubectl diff` does with KUBECTL_EXTERNAL_DIFF.

The variable holds a program and its arguments (`colordiff -N -u`); it is run on two folders,
`live` and `merged`, with one YAML file per object (secret values already redacted). Its exit
code is passed on: 0 no change, 1 changes; anything else, or a program that cannot run, is a
`diff` failure (exit 2).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from typing import Optional, Sequence

VARIABLE = "KUBECTL_EXTERNAL_DIFF"


def command(environ) -> Optional[list[str]]:
    text = (environ.get(VARIABLE) or "").strip()
    return shlex.split(text) if text else None


def run(program: list[str], diffs: Sequence) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `program LIVE MERGED` over the objects of `diffs`."""
    from kubectl_nim.domain.formats import dump_yaml
    from kubectl_nim.domain.redaction import member_name
    from kubectl_nim.errors import DiffFailed

    with tempfile.TemporaryDirectory(prefix="kubectl-nim-diff-") as root:
        folders = [os.path.join(root, "live"), os.path.join(root, "merged")]
        for folder in folders:
            os.mkdir(folder, 0o700)
        for item in diffs:
            name = member_name(item.ref.replace("/", "."))
            for folder, obj in zip(folders, (item.live, item.merged)):
                if obj is not None:
                    with open(os.path.join(folder, name), "x", encoding="utf-8") as f:
                        f.write(dump_yaml(obj))
        try:
            done = subprocess.run([*program, *folders], capture_output=True, text=True,
                                  cwd=root)
        except OSError as e:
            raise DiffFailed(f"cannot run {VARIABLE} program {program[0]!r}: "
                             f"{e.strerror or e}",
                             hint=f"fix or unset {VARIABLE}") from None
    # the folders' paths mean nothing once gone: show them as kubectl's LIVE/MERGED
    out = done.stdout.replace(folders[0], "live").replace(folders[1], "merged")
    return done.returncode, out, done.stderr
