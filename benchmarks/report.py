"""Rows of the results table, their budgets, the printed table and the JSON file."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RATIO_MIN, RATIO_MAX, ABS_MAX = "ratio_min", "ratio_max", "abs_max"


@dataclass(frozen=True)
class Budget:
    kind: str  # RATIO_MIN: ratio >= value; RATIO_MAX: ratio <= value; ABS_MAX: project <= value
    value: float

    def text(self, unit: str) -> str:
        if self.kind == RATIO_MIN:
            return f">= {self.value:g}x"
        if self.kind == RATIO_MAX:
            return f"<= {self.value:g}x"
        return f"<= {self.value:g} {unit}"

    def met(self, project: float, ratio: float | None) -> bool:
        if self.kind == ABS_MAX:
            return project <= self.value
        if ratio is None:
            return False
        return ratio >= self.value if self.kind == RATIO_MIN else ratio <= self.value


@dataclass
class Row:
    id: str
    measure: str
    unit: str = ""
    project: float | None = None
    baseline: float | None = None
    baseline_name: str = ""
    budget: Budget | None = None
    note: str = ""
    not_applicable: str = ""  # e.g. "needs #5": the row is listed but not measured
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.project is None or self.baseline is None or self.baseline == 0:
            return None
        return self.project / self.baseline

    @property
    def status(self) -> str:
        if self.not_applicable:
            return f"n/a: {self.not_applicable}"
        if self.project is None or not math.isfinite(self.project):
            return "error"
        if self.budget is None:
            return "info"
        return "pass" if self.budget.met(self.project, self.ratio) else "fail"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "measure": self.measure, "unit": self.unit,
            "project": self.project, "baseline": self.baseline,
            "baseline_name": self.baseline_name, "ratio": self.ratio,
            "budget": None if self.budget is None else {
                "kind": self.budget.kind, "value": self.budget.value,
                "text": self.budget.text(self.unit)},
            "status": self.status, "note": self.note, "details": self.details,
        }


def error_row(id_: str, measure: str, exc: BaseException) -> Row:
    return Row(id_, measure, note=f"error: {type(exc).__name__}: {exc}")


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:.{digits}f} {unit}".strip()


def table(rows: list[Row]) -> str:
    head = ("#", "measure", "this project", "baseline", "ratio", "budget", "result")
    lines = [head]
    for row in rows:
        ratio = row.ratio
        lines.append((
            row.id, row.measure + (f" (vs {row.baseline_name})" if row.baseline_name else ""),
            _num(row.project, row.unit), _num(row.baseline, row.unit),
            "-" if ratio is None else f"{ratio:.2f}x",
            "-" if row.budget is None else row.budget.text(row.unit), row.status))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def markdown(rows: list[Row]) -> str:
    out = ["| # | measure | this project | baseline | ratio | budget | result |",
           "|---|---|---|---|---|---|---|"]
    for row in rows:
        ratio = row.ratio
        measure = row.measure + (f" (vs {row.baseline_name})" if row.baseline_name else "")
        out.append(f"| {row.id} | {measure} | {_num(row.project, row.unit)} | "
                   f"{_num(row.baseline, row.unit)} | "
                   f"{'-' if ratio is None else f'{ratio:.2f}x'} | "
                   f"{'-' if row.budget is None else row.budget.text(row.unit)} | "
                   f"{row.status} |")
    return "\n".join(out)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from PySide6 import __version__ as pyside
        from PySide6.QtCore import qVersion
        qt = f"Qt {qVersion()}, PySide6 {pyside}"
    except ImportError:
        qt = "none"
    try:
        curl = subprocess.run(["curl", "--version"], capture_output=True, text=True,
                              timeout=10).stdout.split("\n", 1)[0]
    except (OSError, subprocess.SubprocessError):
        curl = "none"
    try:
        load = os.getloadavg()
    except OSError:
        load = (math.nan,) * 3
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "qt": qt, "os": platform.platform(), "curl": curl,
            "loadavg_at_start": [round(x, 2) for x in load]}


def write_json(path: Path, rows: list[Row], *, quick: bool, info: dict[str, Any],
               elapsed: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": quick, "elapsed_s": round(elapsed, 1), "machine": info,
        "rows": [row.as_json() for row in rows],
        "failed": [row.id for row in rows if row.status in ("fail", "error")],
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank) of ``values``."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
