"""Measure 2, large-file memory: how much the uploading process's peak resident memory grows
while it uploads one large file (a PDF, which the host checks by header and trailer and never
decodes), through the app's engine against the base64 loop of measure 1 (b).

Each upload runs in its own fresh subprocess (``python -m benchmarks.large_file_memory MODE
FILE API KEY``), which resets its peak (``/proc/self/clear_refs`` = 5) once everything is
imported and built, reads VmRSS, uploads, and reads VmHWM: growth = VmHWM - VmRSS before.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from .fixtures import big_pdf
from .hosts import python_module
from .report import ABS_MAX, Budget, Row
from .suite import Run

CHILD_TIMEOUT = 900.0
BUDGET_MB = 30.0


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError:
        return False
    return True


def _upload_engine(path: Path, api: str, key: str) -> None:
    from . import engine, qtapp
    from .hosts import Host

    queue = engine.make_queue(Host(api.removesuffix("2/"), key, 0))
    _start()
    queue.add_paths([path])
    if not qtapp.run_until(lambda: engine.finished(queue, 1), CHILD_TIMEOUT):
        raise RuntimeError("the upload did not finish in time")
    engine.check_done(queue)


def _upload_base64(path: Path, api: str, key: str) -> None:
    import base64

    import requests

    _start()
    data = base64.b64encode(path.read_bytes())
    resp = requests.post(api + "upload.json", timeout=CHILD_TIMEOUT,
                         data={"key": key, "type": "base64", "image": data})
    if resp.status_code != 200:
        raise RuntimeError(f"HTTP {resp.status_code}: {resp.text[:200]}")


_before: dict[str, float] = {}


def _start() -> None:
    """Everything is imported and built: from here on, growth is the upload's."""
    _before["reset"] = _reset_peak()
    _before["hwm"] = _status_kb("VmHWM")
    _before["rss"] = _status_kb("VmRSS")
    _before["t"] = time.perf_counter()


def child(mode: str, path: Path, api: str, key: str) -> dict[str, float]:
    {"engine": _upload_engine, "base64": _upload_base64}[mode](path, api, key)
    seconds = time.perf_counter() - _before["t"]
    hwm = _status_kb("VmHWM")
    # Without clear_refs the peak before may be an import-time peak above the RSS.
    start = _before["rss"] if _before["reset"] else _before["hwm"]
    return {"growth_mb": (hwm - start) / 1024, "rss_before_mb": _before["rss"] / 1024,
            "hwm_after_mb": hwm / 1024, "seconds": seconds, "peak_reset": _before["reset"]}


def run_child(mode: str, path: Path, api: str, key: str) -> dict[str, float]:
    proc = subprocess.run(
        python_module("benchmarks.large_file_memory", mode, str(path), api, key),
        capture_output=True, text=True, timeout=CHILD_TIMEOUT + 60, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} child failed ({proc.returncode}): {proc.stderr[-800:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def measure(run: Run) -> list[Row]:
    size = run.sizes.big_file_bytes
    path = big_pdf(run.folder("memory") / "large.pdf", size)
    try:
        engine = run_child("engine", path, run.host.api, run.host.key)
        baseline = run_child("base64", path, run.host.api, run.host.key)
    finally:
        path.unlink(missing_ok=True)
    return [Row("2", f"Peak RSS growth uploading a {size // (1024 * 1024)} MB file", "MB",
                engine["growth_mb"], baseline["growth_mb"], "base64 form loop",
                Budget(ABS_MAX, BUDGET_MB), details={"engine": engine, "base64": baseline})]


if __name__ == "__main__":
    mode, file, api_url, app_key = sys.argv[1:5]
    print(json.dumps(child(mode, Path(file), api_url, app_key)))
