"""Write the catalog embedded in the plugin: the FULL output of `kubectl nim catalog generate`.

    python scripts/embedded_catalog.py FULL [--embedded kubectl_nim/data/catalog.yaml]
                                            [--source TEXT]
    python scripts/embedded_catalog.py --from-reference DATA_DIR [--embedded PATH]

The embedded catalog is the whole catalog (NVIDIA's public metadata, docs/catalog.md), byte for byte
what `catalog generate` wrote, behind a comment header saying what it is and how it was made.
Nothing in the header is volatile (no date), so regenerating from the same answers reproduces
the file exactly; tests/verbs/catalog/test_catalog_embedded.py checks that.

`--from-reference DATA_DIR` makes it without NVIDIA: it starts the fake NGC server
(tests/fakes/ngc_server.py) serving DATA_DIR/nvidia-nim-models-data.yaml and runs the plugin's own
`catalog generate --eu-restricted DATA_DIR/eu_restricted_models.json` against it. That is how
the shipped file is made until a maintainer regenerates it from NVIDIA with
`make embedded-catalog` (docs/catalog.md).

Exit codes: 0 written, 1 generate failed or FULL is unusable (nothing written), 2 usage.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kubectl_nim.domain import catalog  # noqa: E402
from kubectl_nim.errors import NimError  # noqa: E402

EMBEDDED = ROOT / "kubectl_nim" / "data" / "catalog.yaml"
NVIDIA_SOURCE = "NVIDIA's NGC catalog"
REFERENCE_SOURCE = ("the fake NGC server (tests/fakes/ngc_server.py) serving the reference "
                    "catalog nvidia-nim-models-data.yaml with eu_restricted_models.json "
                    "(../shared/data), until a maintainer regenerates it from NVIDIA")
REFERENCE_KEY = "nvapi-test-key"  # the fake server's valid key; no real key is involved


def preamble(source: str) -> list[str]:
    """The embedded file's own comment lines, above the header `catalog generate` writes."""
    return [
        "NIM model catalog embedded in kubectl-nim: the last source in docs/design.md#cluster-configuration, used by",
        "`--offline` and on clusters without a catalog ConfigMap. It is the full catalog, byte",
        "for byte what `kubectl nim catalog generate --eu-restricted FILE` wrote from",
        *_wrap(source + ".", 92),
        "Regenerate it with `make embedded-catalog` from NVIDIA, or `make",
        "embedded-catalog-reference` from the reference data (docs/catalog.md); never by hand.",
        "",
    ]


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + ([line] if line else [])


def compose(full_text: str, source: str) -> str:
    """The embedded file: preamble + generate's output, unchanged."""
    parsed = catalog.parse_text(full_text, "generated catalog")
    if parsed.warnings:
        raise NimError(f"the generated catalog has malformed entries: {'; '.join(parsed.warnings)}")
    if not parsed.models:
        raise NimError("the generated catalog holds no model")
    return "".join(f"# {line}\n" if line else "#\n" for line in preamble(source)) + full_text


def generate_from_reference(data_dir: Path) -> str:
    """`catalog generate` (the plugin's own, as a subprocess) against the fake NGC server."""
    sys.path.insert(0, str(ROOT / "tests" / "fakes"))
    from ngc_server import FakeNgcServer  # noqa: E402

    env = {k: v for k, v in os.environ.items()
           if k.upper() not in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NGC_API_URL")}
    env["NGC_API_KEY"] = REFERENCE_KEY
    with FakeNgcServer(catalog_file=str(data_dir / "nvidia-nim-models-data.yaml"),
                       valid_keys=(REFERENCE_KEY,)) as server:
        done = subprocess.run(
            [sys.executable, "-m", "kubectl_nim", "catalog", "generate", "--ngc-api-url",
             server.url, "--eu-restricted", str(data_dir / "eu_restricted_models.json")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise NimError(f"catalog generate failed (exit {done.returncode}): "
                       f"{done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ''}")
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("full", metavar="FULL", nargs="?",
                        help="output of `kubectl nim catalog generate`")
    parser.add_argument("--from-reference", metavar="DATA_DIR",
                        help="generate against the fake NGC server serving DATA_DIR's catalog")
    parser.add_argument("--embedded", default=str(EMBEDDED),
                        help="the file to write (default: %(default)s)")
    parser.add_argument("--source", default=None,
                        help=f"where FULL came from, for the header (default: {NVIDIA_SOURCE})")
    args = parser.parse_args(argv)
    if bool(args.full) == bool(args.from_reference):
        parser.error("give FULL or --from-reference DATA_DIR (one of them)")
    try:
        if args.from_reference:
            text = compose(generate_from_reference(Path(args.from_reference)),
                           args.source or REFERENCE_SOURCE)
        else:
            text = compose(Path(args.full).read_text(encoding="utf-8"),
                           args.source or NVIDIA_SOURCE)
    except (NimError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    Path(args.embedded).write_text(text, encoding="utf-8")
    written = catalog.parse_text(text, args.embedded).models
    eu = sum(m.eu_restricted for m in written)
    print(f"{args.embedded}: {len(written)} models ({eu} EU-restricted), "
          f"{len(text.encode()):,} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
