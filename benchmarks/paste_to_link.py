"""Measure 5, paste to link: Ctrl+V in the app's window with a 1920x1080 screenshot (PNG bytes
on the real QClipboard) until the link is on the clipboard, against one raw upload of the same
bytes with ``requests.post`` (multipart, a new connection each time, as a script would).
Alternately, ``sizes.paste_reps`` times each; medians count."""

from __future__ import annotations

import time

import requests
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from . import engine, qtapp
from .fixtures import screenshot_png
from .hosts import Host
from .report import RATIO_MAX, Budget, Row, median
from .suite import Run

TIMEOUT = 60.0
SENTINEL = "nothing copied yet"


def raw_upload(host: Host, data: bytes) -> float:
    start = time.perf_counter()
    resp = requests.post(host.upload_url, data={"key": host.key, "type": "file"},
                         files={"image": ("screenshot.png", data, "image/png")},
                         timeout=TIMEOUT)
    elapsed = time.perf_counter() - start
    if resp.status_code != 200 or "link" not in resp.text:
        raise RuntimeError(f"raw upload failed: HTTP {resp.status_code} {resp.text[:200]}")
    return elapsed


def measure(run: Run) -> list[Row]:
    data = screenshot_png((1920, 1080))
    queue = engine.make_queue(run.host)
    window = engine.make_window(queue, run.folder("paste"))
    clipboard = QApplication.clipboard()
    copied: list[float] = []
    queue.linksCopied.connect(lambda _text: copied.append(time.perf_counter()))
    app_s: list[float] = []
    raw_s: list[float] = []
    try:
        engine.show(window)
        raw_upload(run.host, data)  # warm-up of both: connections, the host's caches
        for rep in range(run.sizes.paste_reps + 1):
            clipboard.setText(SENTINEL)
            mime = QMimeData()
            mime.setData("image/png", data)
            clipboard.setMimeData(mime)
            qtapp.run_until(lambda: True, 1)
            copied.clear()
            start = time.perf_counter()
            QTest.keyClick(window, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
            if not qtapp.run_until(lambda: bool(copied), TIMEOUT, poll_ms=2):
                raise RuntimeError("no link reached the clipboard after Ctrl+V")
            text = clipboard.text()
            if not text.startswith(run.host.url):
                raise RuntimeError(f"the clipboard holds {text[:80]!r}, not a link")
            if rep:  # the first round is the warm-up
                app_s.append(copied[0] - start)
                raw_s.append(raw_upload(run.host, data))
        engine.check_done(queue)
    finally:
        engine.dispose(queue, window)
    return [Row("5", f"Paste to link, 1920x1080 PNG ({len(data) // 1024} KB)", "ms",
                median(app_s) * 1000, median(raw_s) * 1000, "one raw requests upload",
                Budget(RATIO_MAX, 1.5),
                details={"app_ms": [round(x * 1000, 1) for x in app_s],
                         "raw_ms": [round(x * 1000, 1) for x in raw_s],
                         "png_bytes": len(data)})]
