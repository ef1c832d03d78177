"""Measure 3, GUI responsiveness: the longest stall of the GUI thread's event loop while a
batch of uploads runs through the app's real queue and list (UploadQueue + MainWindow on the
offscreen platform, files dropped as one batch). A precise QTimer beats every 5 ms; each gap
between two beats is how long the loop could not react (so a gap is never below 5 ms). The
baseline is the same window, idle, with the same heartbeat."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer

from imgur_desktop.ui import clipboard

from . import engine, qtapp
from .fixtures import jpeg_batch
from .report import ABS_MAX, Budget, Row, percentile
from .suite import Run

HEARTBEAT_MS = 5
TIMEOUT = 600.0
MAX_BUDGET_MS = 50.0
P99_BUDGET_MS = 20.0


class Heartbeat:
    def __init__(self, interval_ms: int = HEARTBEAT_MS) -> None:
        self.beats: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(lambda: self.beats.append(time.perf_counter()))

    def start(self) -> None:
        self.beats = [time.perf_counter()]
        self.timer.start()

    def stop(self) -> list[float]:
        """The gaps between beats, in ms."""
        self.timer.stop()
        self.beats.append(time.perf_counter())
        return [(b - a) * 1000 for a, b in zip(self.beats, self.beats[1:], strict=False)]


def idle_gaps(seconds: float) -> list[float]:
    beat = Heartbeat()
    beat.start()
    end = time.monotonic() + seconds
    qtapp.run_until(lambda: time.monotonic() >= end, seconds + 5)
    return beat.stop()


def measure(run: Run) -> list[Row]:
    count = run.sizes.gui_uploads
    folder = run.folder("gui")
    files = jpeg_batch(folder / "files", count, run.sizes.batch_file_bytes)
    queue = engine.make_queue(run.host)
    window = engine.make_window(queue, folder)
    try:
        engine.show(window)
        idle = idle_gaps(1.0 if run.quick else 3.0)
        beat = Heartbeat()
        beat.start()
        start = time.perf_counter()
        window.submit(clipboard.Payload(paths=files))  # what a drop of the files does
        if not qtapp.run_until(lambda: engine.finished(queue, count), TIMEOUT):
            raise RuntimeError("the uploads did not finish in time")
        elapsed = time.perf_counter() - start
        busy = beat.stop()
        engine.check_done(queue)
    finally:
        engine.dispose(queue, window)
    details = {"uploads": count, "seconds": round(elapsed, 2), "beats": len(busy),
               "busy_p50_ms": percentile(busy, 50), "idle_p50_ms": percentile(idle, 50),
               "worst_busy_ms": sorted(busy)[-5:]}
    what = f"{count} uploads in the window"
    return [
        Row("3a", f"GUI stall, longest, {what}", "ms", max(busy), max(idle), "idle window",
            Budget(ABS_MAX, MAX_BUDGET_MS), details=details),
        Row("3b", f"GUI stall, 99th percentile, {what}", "ms", percentile(busy, 99),
            percentile(idle, 99), "idle window", Budget(ABS_MAX, P99_BUDGET_MS)),
    ]
