"""``python -m benchmarks [--quick] [--only 1,3] [--json PATH]``: run the measures, print the
table (measure, this project, baseline, ratio, budget, result) and write the same as JSON
under ``benchmarks/results/``.

The full run exits 1 when a budget is missed; ``--quick`` (tiny sizes, to show the suite runs)
exits 0 whatever the numbers. Either exits 1 when a measure could not run at all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from .report import Row, error_row, machine, markdown, table, write_json

RESULTS = Path(__file__).resolve().parent / "results"


def _measures() -> list[tuple[str, str, str]]:
    """(number, module, title of the row shown if the measure breaks)."""
    return [
        ("1", "batch_throughput", "Batch throughput"),
        ("2", "large_file_memory", "Large-file memory"),
        ("3", "gui_responsiveness", "GUI responsiveness"),
        ("4", "startup_time", "Start-up"),
        ("5", "paste_to_link", "Paste to link"),
        ("6", "album_grid", "Album grid"),
        ("7", "history_view", "History"),
        ("8", "host_throughput", "Local host throughput"),
    ]


NOT_YET: dict[str, str] = {}  # number: why the row is listed but not measured yet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, to show the suite runs (exit 0 on missed budgets)")
    parser.add_argument("--only", default="", metavar="1,3",
                        help="run only these measures (numbers, comma-separated)")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH",
                        help="where to write the JSON (default: benchmarks/results/)")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the table as Markdown (for docs/performance.md)")
    args = parser.parse_args(argv)
    wanted = {w.strip() for w in args.only.split(",") if w.strip()}

    from . import hosts, suite

    sizes = suite.QUICK if args.quick else suite.FULL
    info = machine()
    print(f"imgur-desktop benchmarks ({'quick' if args.quick else 'full'}) on "
          f"{info['nproc']} x {info['cpu']}, Python {info['python']}, {info['qt']}",
          flush=True)
    started = time.monotonic()
    rows: list[Row] = []
    tmp = Path(tempfile.mkdtemp(prefix="imgur-desktop-bench-"))
    try:
        with hosts.image_host(tmp / "host", max_upload_mb=suite.HOST_MAX_UPLOAD_MB) as host:
            run = suite.Run(quick=args.quick, sizes=sizes, tmp=tmp, host=host)
            for number, module, title in _measures():
                if wanted and number not in wanted:
                    continue
                if number in NOT_YET:
                    rows.append(Row(number, title, not_applicable=NOT_YET[number]))
                    continue
                print(f"[{number}] {title} …", flush=True)
                t0 = time.monotonic()
                try:
                    new = importlib.import_module(f"benchmarks.{module}").measure(run)
                except Exception as exc:  # one broken measure must not hide the others
                    traceback.print_exc()
                    new = [error_row(number, title, exc)]
                for row in new:
                    print(f"    {row.id}: {row.project} vs {row.baseline} {row.unit} "
                          f"-> {row.status}", flush=True)
                print(f"    ({time.monotonic() - t0:.0f} s)", flush=True)
                rows.extend(new)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.monotonic() - started

    print()
    print(table(rows))
    if args.markdown:
        print()
        print(markdown(rows))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.json or RESULTS / f"{stamp}{'-quick' if args.quick else ''}.json"
    write_json(out, rows, quick=args.quick, info=info, elapsed=elapsed)
    print(f"\nwritten to {out} ({elapsed:.0f} s)", flush=True)

    errors = [r.id for r in rows if r.status == "error"]
    failed = [r.id for r in rows if r.status == "fail"]
    if errors:
        print(f"could not measure: {', '.join(errors)}", file=sys.stderr)
        return 1
    if failed:
        print(f"budgets missed: {', '.join(failed)}"
              + (" (--quick: not an error)" if args.quick else ""), file=sys.stderr)
        return 0 if args.quick else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
