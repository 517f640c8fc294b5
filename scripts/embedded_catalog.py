"""Refresh the catalog embedded in the plugin from a full `kubectl nim catalog generate` run.

    python scripts/embedded_catalog.py FULL.yaml [--embedded kubectl_nim/data/catalog.yaml]
                                                 [--date YYYY-MM-DD]

The embedded catalog is a hand-picked sample; this keeps the choice of models and refreshes
their data (tags, latestTag, EU flag, descriptions) from FULL, the output of `catalog generate`.
The comment header is kept as written, with its `Made on YYYY-MM-DD` date moved to --date
(default: today, UTC). A model of the sample that FULL lacks is an error naming it: NVIDIA may
have renamed or withdrawn it, and a maintainer chooses the replacement by editing the file.
`make embedded-catalog` runs the whole procedure (docs/catalog.md).

Exit codes: 0 written, 1 a sample model is missing from FULL (nothing written), 2 usage.
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kubectl_nim import catalog, catalog_build  # noqa: E402
from kubectl_nim.errors import NimError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EMBEDDED = ROOT / "kubectl_nim" / "data" / "catalog.yaml"
_DATE = re.compile(r"(Made on )\d{4}-\d{2}-\d{2}")


def header_of(text: str) -> list[str]:
    """The leading comment block of a YAML file, without the `# ` prefixes."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[2:] if line.startswith("# ") else line[1:])
    return lines


def refresh(full_path: str, embedded_path: str, date: str) -> tuple[str, catalog_build.Selection]:
    """The new text of the embedded catalog, and the selection it holds."""
    full = catalog.load_file(full_path)
    if full.warnings:
        raise NimError(f"{full_path} has malformed entries: {'; '.join(full.warnings)}")
    current_text = Path(embedded_path).read_text(encoding="utf-8")
    current = catalog.parse_text(current_text, source=embedded_path)
    selection = catalog_build.select_models(full.models, current.names)
    header = [_DATE.sub(rf"\g<1>{date}", line) for line in header_of(current_text)]
    return catalog.to_configmap_yaml(selection.models, header=header), selection


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("full", metavar="FULL", help="output of `kubectl nim catalog generate`")
    parser.add_argument("--embedded", default=str(EMBEDDED),
                        help="the embedded catalog to refresh in place (default: %(default)s)")
    parser.add_argument("--date", default=datetime.datetime.now(datetime.timezone.utc)
                        .strftime("%Y-%m-%d"), help="date for the header (default: today, UTC)")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.date):
        parser.error(f"--date {args.date!r} is not YYYY-MM-DD")
    try:
        text, selection = refresh(args.full, args.embedded, args.date)
    except (NimError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if selection.missing:
        print(f"error: {args.full} lacks {len(selection.missing)} model(s) of the embedded "
              f"sample: {', '.join(selection.missing)}; nothing was written (NVIDIA may have "
              f"renamed or withdrawn them: edit {args.embedded} to drop or replace them, then "
              f"rerun)", file=sys.stderr)
        return 1
    Path(args.embedded).write_text(text, encoding="utf-8")
    eu = sum(m.eu_restricted for m in selection.models)
    print(f"{args.embedded}: {len(selection.models)} models ({eu} EU-restricted) refreshed from "
          f"{args.full}; review the header prose if the EU count changed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
