"""What the app loads before its window's first paint (measure 4 of the benchmarks).

The window opens about as fast as a bare PySide6 window because everything the first paint does
not show is imported and built after it (docs/performance.md, row 4). Nothing times anything
here: a fresh app process reports, at the moment of its first paint, which of the costly parts
are already loaded, so a top-level import or a ``Qt.`` enum slipped into the window's
construction fails this test instead of slowly eating the start-up budget."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from imgur_desktop.app import Application, started

# Run in the app's own process: at the first paint (the probe the benchmark uses), write what is
# loaded, then let the probe print its line and quit.
DRIVER = """
import gc, json, sys
from PySide6 import QtCore
from imgur_desktop import startup_probe
from imgur_desktop.cli import main

report = startup_probe.ExitAfterFirstPaint._report

def collections():
    return sum(g["collections"] for g in gc.get_stats())

def loaded_at_first_paint(self):
    with open(sys.argv[1], "w") as out:
        json.dump({"qt_namespace": "Qt" in vars(QtCore), "modules": sorted(sys.modules),
                   "gc_enabled": gc.isenabled(), "gc_collections": collections() - BEFORE},
                  out)
    report(self)

startup_probe.ExitAfterFirstPaint._report = loaded_at_first_paint
BEFORE = collections()
sys.exit(main(["--api-url", "http://127.0.0.1:9/2/", "--key", "unused"]))
"""

# Built or imported after the first paint, each for a reason in docs/performance.md.
LATER = (
    "imgur_desktop.ui.upload_queue",  # the upload engine
    "imgur_desktop.core.ledger",
    "imgur_desktop.core.models",
    "imgur_desktop.core.api.v2",  # the API client: requests, oauthlib
    "imgur_desktop.ui.upload_view",  # the list's view and delegate, at the first row
    "imgur_desktop.ui.history_view",  # the other tabs, when first shown
    "imgur_desktop.ui.my_images",
    "imgur_desktop.ui.albums_view",
    "imgur_desktop.ui.album_browser",
    "imgur_desktop.ui.sign_in",
    "imgur_desktop.ui.layout_picker",
    "requests",
    "sqlite3",
    "keyring",
)


def test_the_first_paint_needs_no_qt_enums_and_no_engine(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", IMGUR_DESKTOP_EXIT_AFTER_SHOW="1",
               IMGUR_DESKTOP_CONFIG_DIR=str(tmp_path / "config"))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env[name] = str(tmp_path / name.lower())
    report = tmp_path / "loaded.json"
    proc = subprocess.run([sys.executable, "-c", DRIVER, str(report)], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("shown "), proc.stdout  # the window was painted
    loaded = json.loads(report.read_text())
    modules = set(loaded["modules"])
    assert "imgur_desktop.ui.main_window" in modules  # the report is from the real window
    # PySide6 builds every enum of the Qt namespace on its first use: ~18 ms.
    assert loaded["qt_namespace"] is False, "the window used Qt.<enum> before its first paint"
    assert sorted(modules.intersection(LATER)) == []
    # No cyclic collection walks what start-up builds (~8 ms in some forty passes); it is
    # back on once the window is on screen (the app's own first-paint hook ran before this).
    assert loaded["gc_collections"] <= 2, loaded["gc_collections"]  # parsing the arguments
    assert loaded["gc_enabled"] is True


def test_the_collector_runs_again_once_the_window_is_shown() -> None:
    """``started`` turns the collector back on, with start-up's objects set aside for good."""
    assert gc.isenabled()
    gc.disable()
    try:
        started()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 1000
        started()  # a second call (the fallback after exec) changes nothing
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()


def test_the_upload_list_is_built_after_the_first_paint_before_any_drop(
        qtbot: QtBot, start_app: Callable[..., Application]) -> None:
    """Not before the first paint (above), but soon after, while the window is idle: the first
    drop then finds it built instead of freezing the window to build it."""
    app = start_app()
    assert app.model.rowCount() == 0
    qtbot.waitUntil(lambda: app.window._view is not None, timeout=5_000)
    assert app.window.stack.currentWidget() is app.window.empty  # still the empty list's words
