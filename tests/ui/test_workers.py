"""The one way work leaves the GUI thread, tested twice (see ARCHITECTURE, Testing): ``run()``
called synchronously with its signals connected to recorders, and through a real
QThreadPool."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThreadPool
from pytestqt.qtbot import QtBot

from imgur_desktop.core.api.v2 import V2Client
from imgur_desktop.core.cancel import CancelToken
from imgur_desktop.core.errors import Cancelled, UnsupportedFile
from imgur_desktop.core.models import Image
from imgur_desktop.ui.workers import Worker
from tests.conftest import HostWithKeys
from tests.ui.conftest import fetch, unique_png, write

ROOT = Path(__file__).resolve().parents[2]


class Recorder:
    """Every signal of a worker, in order, with the thread each arrived on."""

    def __init__(self, worker: Worker) -> None:
        self.events: list[tuple[str, Any]] = []
        self.threads: set[threading.Thread] = set()
        s = worker.signals
        s.started.connect(lambda: self._add("started", None))
        s.progress.connect(lambda sent, total: self._add("progress", (sent, total)))
        s.finished.connect(lambda result: self._add("finished", result))
        s.failed.connect(lambda exc: self._add("failed", exc))

    def _add(self, kind: str, value: Any) -> None:
        self.threads.add(threading.current_thread())
        self.events.append((kind, value))

    def kinds(self) -> list[str]:
        return [k for k, _ in self.events]

    def progress(self) -> list[tuple[int, int]]:
        return [v for k, v in self.events if k == "progress"]

    def last(self) -> tuple[str, Any]:
        return self.events[-1]


@pytest.fixture
def owner(qtbot: QtBot) -> QObject:
    """The long-lived parent of the workers' signal objects (the queue, in the app)."""
    del qtbot  # the QApplication must exist first
    return QObject()


@pytest.fixture
def pool() -> Any:
    pool = QThreadPool()
    pool.setMaxThreadCount(2)
    yield pool
    pool.waitForDone(10_000)


def counting_job(progress: Any, cancel: CancelToken) -> str:
    for sent in (0, 40, 80, 100):
        progress(sent, 100)
    return "the result"


def test_run_reports_start_progress_and_the_result(owner: QObject) -> None:
    worker = Worker(counting_job, parent=owner)
    rec = Recorder(worker)
    worker.run()
    assert rec.kinds() == ["started", "progress", "progress", "progress", "progress",
                           "finished"]
    assert rec.progress() == [(0, 100), (40, 100), (80, 100), (100, 100)]
    assert rec.last() == ("finished", "the result")


def test_run_turns_an_exception_into_failed_and_never_finished(owner: QObject) -> None:
    def job(_progress: Any, _cancel: CancelToken) -> None:
        raise UnsupportedFile("That file type is not supported!")

    worker = Worker(job, parent=owner)
    rec = Recorder(worker)
    worker.run()
    assert rec.kinds() == ["started", "failed"]
    exc = rec.last()[1]
    assert isinstance(exc, UnsupportedFile)
    assert exc.message == "That file type is not supported!"


def test_run_hands_the_job_the_cancel_token_it_was_given(owner: QObject) -> None:
    token = CancelToken()
    token.cancel()

    def job(_progress: Any, cancel: CancelToken) -> None:
        cancel.raise_if_cancelled()

    worker = Worker(job, token, parent=owner)
    rec = Recorder(worker)
    worker.run()
    assert worker.cancel is token
    assert rec.kinds() == ["started", "failed"]
    assert isinstance(rec.last()[1], Cancelled)


def test_progress_past_2_gib_is_reported_in_kib(owner: QObject) -> None:
    def job(progress: Any, _cancel: CancelToken) -> None:
        progress(3 * 2**30, 5 * 2**30)
        progress(10, 20)

    worker = Worker(job, parent=owner)
    rec = Recorder(worker)
    worker.run()
    assert rec.progress() == [(3 * 2**20, 5 * 2**20), (10, 20)]
    assert rec.last() == ("finished", None)


def test_run_uploads_to_the_host_reporting_progress(owner: QObject, shared_host: HostWithKeys,
                                                    tmp_path: Path) -> None:
    client = V2Client(shared_host.api, key=shared_host.keys.key)
    content = unique_png((300, 200))
    path = write(tmp_path, "w.png", content)
    worker = Worker(lambda progress, cancel: client.upload_file(
        path, progress=progress, cancel=cancel), parent=owner)
    rec = Recorder(worker)
    worker.run()
    assert rec.kinds()[0] == "started"
    kind, image = rec.last()
    assert kind == "finished"
    assert isinstance(image, Image)
    sent, total = rec.progress()[-1]
    assert sent == total > len(content)
    assert fetch(image.links.original) == content


def test_through_the_pool_signals_arrive_on_the_gui_thread(qtbot: QtBot, owner: QObject,
                                                            pool: Any) -> None:
    ran_on: list[threading.Thread] = []

    def job(progress: Any, cancel: CancelToken) -> str:
        ran_on.append(threading.current_thread())
        return counting_job(progress, cancel)

    worker = Worker(job, parent=owner)
    rec = Recorder(worker)
    with qtbot.waitSignal(worker.signals.finished, timeout=10_000) as done:
        pool.start(worker)
    assert done.args == ["the result"]
    assert ran_on
    assert ran_on[0] is not threading.main_thread()
    assert rec.threads == {threading.main_thread()}
    assert rec.kinds() == ["started", "progress", "progress", "progress", "progress",
                           "finished"]


def test_through_the_pool_news_survives_a_flush_of_deferred_deletes(
        qtbot: QtBot, owner: QObject, pool: Any) -> None:
    """Whatever flushes deferred deletes early (QTest.qWait does) must not cost the result:
    the signals object goes only after its queued signals were delivered."""
    worker = Worker(counting_job, parent=owner)
    rec = Recorder(worker)
    signals = worker.signals
    pool.start(worker)
    assert pool.waitForDone(10_000)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qtbot.waitUntil(lambda: "finished" in rec.kinds(), timeout=5_000)
    assert rec.last() == ("finished", "the result")
    qtbot.waitUntil(lambda: not shiboken6.isValid(signals), timeout=5_000)


def test_through_the_pool_a_failure_arrives_as_failed(qtbot: QtBot, owner: QObject,
                                                      pool: Any) -> None:
    def job(_progress: Any, _cancel: CancelToken) -> None:
        raise OSError(5, "Input/output error")

    worker = Worker(job, parent=owner)
    rec = Recorder(worker)
    with qtbot.waitSignal(worker.signals.failed, timeout=10_000) as failed:
        pool.start(worker)
    (exc,) = failed.args
    assert isinstance(exc, OSError)
    assert exc.strerror == "Input/output error"
    assert "finished" not in rec.kinds()


def test_through_the_pool_cancel_stops_an_upload_to_the_host(
        qtbot: QtBot, owner: QObject, pool: Any, make_host: Any, tmp_path: Path) -> None:
    from imgur_desktop.core import formats
    from tests.support import images
    from tests.ui.conftest import count_images

    host: HostWithKeys = make_host("--max-upload-mb", "60", users=False)
    client = V2Client(host.api, key=host.keys.key, max_upload_bytes=60 * 2**20)
    path = write(tmp_path, "big.bmp", images.raster("BMP", (3000, 3000)))
    assert formats.sniff_file(path) is formats.BMP
    worker = Worker(lambda progress, cancel: client.upload_file(
        path, progress=progress, cancel=cancel), parent=owner)
    rec = Recorder(worker)
    with qtbot.waitSignal(worker.signals.failed, timeout=30_000) as failed:
        worker.signals.progress.connect(lambda sent, _total: sent > 0 and worker.cancel.cancel())
        pool.start(worker)
    assert isinstance(failed.args[0], Cancelled)
    sent, total = rec.progress()[-1]
    assert sent < total
    pool.waitForDone(10_000)
    assert count_images(host) == 0


def test_many_signals_do_not_wear_out_the_interpreter() -> None:
    """PySide6 6.12.0 on CPython < 3.12 hands back True from every emit() and None from every
    void call without a reference; the app must survive tens of thousands of them (a few
    uploads' worth of progress), up to and including a clean exit."""
    script = (
        "from PySide6.QtCore import QCoreApplication, QObject\n"
        "app = QCoreApplication([])\n"
        "from imgur_desktop.ui.workers import Worker\n"
        "owner = QObject()\n"
        "def job(progress, cancel):\n"
        "    for n in range(50_000):\n"
        "        progress(n, 50_000)\n"
        "        owner.setObjectName('x')\n"
        "worker = Worker(job, parent=owner)\n"
        "seen = []\n"
        "worker.signals.progress.connect(lambda s, t: seen.append(s))\n"
        "worker.run()\n"
        "assert len(seen) == 50_000, len(seen)\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False,
                            env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"
