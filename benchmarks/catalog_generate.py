"""BENCHMARKS.md "`catalog generate`": `catalog generate` against the fake NGC API with 100 ms per request.

    .venv/bin/python benchmarks/catalog_generate.py [--latency-ms 100] [--runs 3]
        [--big 2000] [--flaky 0.05] [--no-serial]

1. The 186-model catalog (../shared/data/nvidia-nim-models-data.yaml when present, else a
   generated one of the same size) served by the standalone fake with `--latency-ms`:
   `catalog generate` at the default concurrency (16), at 32, and at `--concurrency 1` (the
   serial baseline), each as a child process through the console script. Reported: wall time,
   the ideal `ceil(models / concurrency) x latency + start-up` (start-up = the same run with no
   latency: interpreter, imports, parsing, rendering), the serial/parallel ratio, and the
   request phases the command logs under -v (key, catalog search, details).
2. A 2,000-model catalog where `--flaky` (5%) of the API requests answer 503 once: every model
   must be in the output, and the retries the command counts must equal the 503s served.
3. Peak RSS of each child (os.wait4 gives exactly that child's rusage).

Prints markdown tables (BENCHMARKS.md keeps a copy with the date and machine).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._harness import ROOT, FakeServer, tool  # noqa: E402
from tests.fakes.ngc_server import DEFAULT_VALID_KEYS, generate_catalog  # noqa: E402

REFERENCE = ROOT.parent / "shared" / "data" / "nvidia-nim-models-data.yaml"
KEY = DEFAULT_VALID_KEYS[0]
DEFAULT_CONCURRENCY = 32
_SUMMARY = re.compile(r"Processed ([\d,]+) models? in [\d.]+s: ([\d,]+) written .*?"
                      r"([\d,]+) left out \(HTTP 451\).*?([\d,]+) failed, ([\d,]+) retr")
_TIMINGS = re.compile(r"debug: timings: key ([\d.]+)s, catalog ([\d.]+)s, details ([\d.]+)s")


@dataclass
class Run:
    seconds: float
    peak_rss_mib: float
    processed: int
    written: int
    failed: int
    retries: int
    phases: tuple[float, float, float]  # key, catalog, details (seconds, from -v)
    output: str


def generate(url: str, concurrency: int | None, out: Path) -> Run:
    """One `kubectl-nim catalog generate -v` child process, timed, with its own peak RSS."""
    argv = [tool("kubectl-nim"), "catalog", "generate", "-v", "--ngc-api-url", url,
            "--output", str(out)]
    if concurrency is not None:
        argv += ["--concurrency", str(concurrency)]
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["NGC_API_KEY"] = KEY
    with tempfile.TemporaryFile("w+") as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=stderr, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        log = stderr.read()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{log[-2000:]}")
    summary, timings = _SUMMARY.search(log), _TIMINGS.search(log)
    if not summary or not timings:
        raise SystemExit(f"no summary/timings in the output:\n{log[-2000:]}")
    processed, written, _, failed, retries = (int(g.replace(",", "")) for g in summary.groups())
    return Run(elapsed, usage.ru_maxrss / 1024, processed, written, failed, retries,
               tuple(float(t) for t in timings.groups()), out.read_text())


def median_run(url: str, concurrency: int | None, out: Path, runs: int) -> Run:
    results = [generate(url, concurrency, out) for _ in range(runs)]
    results.sort(key=lambda r: r.seconds)
    return results[len(results) // 2]


def catalog_file(tmp: Path) -> tuple[str, str]:
    if REFERENCE.is_file():
        return str(REFERENCE), f"reference catalog ({REFERENCE.name})"
    import json

    path = tmp / "catalog-186.json"
    path.write_text(json.dumps(generate_catalog(186)))
    return str(path), "generated catalog (../shared/data absent)"


def model_names(text: str) -> set[str]:
    from kubectl_nim.domain import catalog

    parsed = catalog.parse_text(text, "output")
    if parsed.warnings:
        raise SystemExit(f"malformed output: {parsed.warnings[:3]}")
    return set(parsed.names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--runs", type=int, default=3,
                        help="runs of each parallel configuration (median kept); serial runs once")
    parser.add_argument("--big", type=int, default=2000, help="models of the large catalog")
    parser.add_argument("--flaky", type=float, default=0.05,
                        help="fraction of requests answering 503 once in the large run")
    parser.add_argument("--no-serial", action="store_true", help="skip the slow serial run")
    args = parser.parse_args(argv)
    latency = args.latency_ms / 1000

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        out = tmp / "catalog.yaml"
        path, source = catalog_file(tmp)

        with FakeServer("ngc_server.py", "--catalog", path, "--latency-ms", "0") as server:
            startup = median_run(server.url, None, out, args.runs)
        with FakeServer("ngc_server.py", "--catalog", path, "--latency-ms",
                        f"{args.latency_ms:g}") as server:
            # The default, and 16 (the "around 16" the issue first suggested), to show why the
            # default is 32: at 16 the fixed costs keep the speed-up under the 15x target.
            rows = [(DEFAULT_CONCURRENCY, median_run(server.url, None, out, args.runs)),
                    (16, median_run(server.url, 16, out, args.runs))]
            reference_output = rows[0][1].output
            if not args.no_serial:
                rows.append((1, generate(server.url, 1, out)))
        models = rows[0][1].processed
        for _, run in rows:
            assert run.output == reference_output, "outputs differ between concurrencies"

        print(f"### `catalog generate`: {models} models, {args.latency_ms:g} ms per request\n")
        print(f"Source: {source}. Start-up (the same run with no latency, median of "
              f"{args.runs}): {startup.seconds:.2f} s, peak RSS {startup.peak_rss_mib:.1f} MiB.\n")
        print("| concurrency | wall time | key + search | details phase | ideal "
              "ceil(n/c)×latency + start-up | wall / ideal | peak RSS |")
        print("|---|---|---|---|---|---|---|")
        serial = next((r for c, r in rows if c == 1), None)
        for concurrency, run in rows:
            ideal = math.ceil(models / concurrency) * latency + startup.seconds
            label = f"{concurrency}" + (" (default)" if concurrency == DEFAULT_CONCURRENCY
                                        else " (serial)" if concurrency == 1 else "")
            print(f"| {label} | {run.seconds:.2f} s | {run.phases[0] + run.phases[1]:.2f} s | "
                  f"{run.phases[2]:.2f} s | {ideal:.2f} s | {run.seconds / ideal:.2f}× | "
                  f"{run.peak_rss_mib:.1f} MiB |")
        if serial:
            print()
            for concurrency, run in rows:
                if concurrency != 1:
                    print(f"- serial / concurrency {concurrency}: wall time "
                          f"{serial.seconds / run.seconds:.1f}×, details phase "
                          f"{serial.phases[2] / run.phases[2]:.1f}×")
        print()

        big = tmp / f"catalog-{args.big}.json"
        import json

        big.write_text(json.dumps(generate_catalog(args.big)))
        expected = {json.loads(v)["name"] for v in generate_catalog(args.big)["data"].values()}
        with FakeServer("ngc_server.py", "--catalog", str(big), "--latency-ms",
                        f"{args.latency_ms:g}") as server:
            server.admin("POST", "/_fake/flaky", {"path_regex": "^/v[23]/", "status": 503,
                                                  "fraction": args.flaky, "seed": 5})
            run = generate(server.url, None, out)
            log = server.requests()
        served_503 = sum(1 for r in log if r["status"] == 503)
        names = model_names(run.output)
        missing = expected - names
        ideal = math.ceil(args.big / DEFAULT_CONCURRENCY) * latency + startup.seconds
        print(f"### {args.big:,} models, {args.flaky:.0%} of requests answering 503 once, "
              f"concurrency {DEFAULT_CONCURRENCY}\n")
        print("| models in output | 503s served | retries counted | failed | wall time | "
              "ideal (no failures) | wall / ideal | output size | peak RSS |")
        print("|---|---|---|---|---|---|---|---|---|")
        print(f"| {len(names):,} / {args.big:,} | {served_503} | {run.retries} | {run.failed} | "
              f"{run.seconds:.2f} s | {ideal:.2f} s | {run.seconds / ideal:.2f}× | "
              f"{len(run.output.encode()):,} B | {run.peak_rss_mib:.1f} MiB |")
        if missing or run.retries != served_503 or run.failed:
            print(f"\nFAILED: {len(missing)} models missing, retries {run.retries} != "
                  f"503s {served_503}, failed {run.failed}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
