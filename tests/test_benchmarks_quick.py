"""The benchmark suite runs: ``python -m benchmarks --quick`` (tiny sizes) exits 0 and writes
every row of the table with numbers. Nothing is timed here; docs/performance.md holds the
numbers of a full run."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MEASURED = ("1a", "1b", "1c", "2", "3a", "3b", "4", "5", "6a", "6b", "6c", "6d", "7", "8a",
            "8b")
INFO_ONLY = ("1a", "6a", "8b")  # rows for information, without a budget
ZERO_IS_GOOD = ("6c",)  # thumbnail requests at a second open: the budget is none at all


@pytest.mark.timeout(300)
def test_quick_run_reports_every_measure_with_numbers(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]

    doc = json.loads(out.read_text())
    assert doc["quick"] is True
    rows = {row["id"]: row for row in doc["rows"]}
    assert list(rows) == list(MEASURED)
    for row_id in MEASURED:
        row = rows[row_id]
        for key in ("project", "baseline", "ratio"):
            value = row[key]
            assert isinstance(value, (int, float)), (row_id, key, value)
            assert math.isfinite(value), (row_id, key, value)
            if row_id in ZERO_IS_GOOD and key != "baseline":
                assert value >= 0, (row_id, key, value)
            else:
                assert value > 0, (row_id, key, value)
        assert row["status"] in ("pass", "fail", "info"), row
        assert row["unit"], row
    budgeted = [i for i in MEASURED if rows[i]["budget"] is not None]
    assert budgeted == [i for i in MEASURED if i not in INFO_ONLY]
    for row_id in MEASURED:  # the same table on stdout
        assert f"\n{row_id} " in proc.stdout
    assert doc["machine"]["nproc"] >= 1
