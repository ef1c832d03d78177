"""Measure 4, start-up: from process start to the main window shown (its first paint done),
``python -m imgur_desktop --api-url … --key …`` with IMGUR_DESKTOP_EXIT_AFTER_SHOW=1 against a
bare PySide6 window (``python -m benchmarks.bare_window``), launched alternately, each one
warm-up launch first (byte-code caches) and then ``sizes.startup_reps`` times; medians count.
Both run on the offscreen platform with their own empty config, data and cache folders."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from .hosts import python_module
from .report import RATIO_MAX, Budget, Row, median
from .suite import Run

LAUNCH_TIMEOUT = 60.0


def launch(argv: list[str], env: dict[str, str]) -> float:
    """Milliseconds from just before the process is created to its ``shown`` line."""
    start = time.monotonic_ns()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env,
                          timeout=LAUNCH_TIMEOUT, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("shown ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{argv[2:4]} exited {proc.returncode} without showing a window: "
                           f"{proc.stderr[-600:]}")
    return (int(lines[0].split()[1]) - start) / 1e6


def clean_env(folder: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", IMGUR_DESKTOP_EXIT_AFTER_SHOW="1")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        path = folder / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["IMGUR_DESKTOP_CONFIG_DIR"] = str(folder / "config")
    # As installed: byte-code caches are written by the warm-up launch and then used.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["IMGUR_DESKTOP_DATA_DIR"] = str(folder / "data")
    return env


def measure(run: Run) -> list[Row]:
    folder = run.folder("startup")
    env = clean_env(folder)
    app = python_module("imgur_desktop", "--api-url", run.host.api, "--key", run.host.key)
    bare = python_module("benchmarks.bare_window")
    launch(app, env)
    launch(bare, env)
    app_ms: list[float] = []
    bare_ms: list[float] = []
    for _ in range(run.sizes.startup_reps):
        app_ms.append(launch(app, env))
        bare_ms.append(launch(bare, env))
    return [Row("4", "Start-up to main window shown", "ms", median(app_ms), median(bare_ms),
                "bare PySide6 window", Budget(RATIO_MAX, 1.5),
                details={"app_ms": [round(x, 1) for x in app_ms],
                         "bare_ms": [round(x, 1) for x in bare_ms]})]
