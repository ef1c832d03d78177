"""Row previews are a nicety and give way to uploads: decoded a moment after the row is first
drawn, on a thread that runs behind the rest of the app."""

from __future__ import annotations

import os
import sys
import threading

import pytest
from PySide6.QtCore import QThreadPool
from pytestqt.qtbot import QtBot

from imgur_desktop.ui.upload_model import UploadItem, UploadListModel
from imgur_desktop.ui.upload_queue import THUMBNAIL_DELAY_MS, UploadQueue
from imgur_desktop.ui.workers import BACKGROUND_NICE, Worker, yield_cpu
from tests.ui.conftest import unique_png


def test_a_preview_is_decoded_after_a_pause_then_arrives(qtbot: QtBot) -> None:
    queue = UploadQueue(UploadListModel(), copy_text=lambda _text: None)
    item = UploadItem(label="shot.png", data=unique_png((640, 480)))
    queue.request_thumbnail(item)
    queue.request_thumbnail(item)  # asked again by the next paint: still one decode
    # Nothing has started yet: the decode waits for its timer, which the event loop runs.
    assert queue.thumb_pool.activeThreadCount() == 0
    assert len(queue._thumbs_waiting) == 1
    assert queue._thumb_timer.isActive()
    assert queue._thumb_timer.interval() == THUMBNAIL_DELAY_MS
    item.data = None  # the upload finished and let its bytes go: the preview still comes
    qtbot.waitUntil(lambda: item.thumbnail is not None, timeout=10_000)
    assert item.thumbnail is not None
    assert (item.thumbnail.width(), item.thumbnail.height()) == (48, 36)
    queue.wait_for_workers(10_000)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread nice values: Linux")
def test_the_preview_thread_runs_behind_the_others(qtbot: QtBot) -> None:
    pool = QThreadPool()
    seen: list[tuple[int, int]] = []
    parent = UploadQueue(UploadListModel(), copy_text=lambda _text: None)

    def job(_p: object, _c: object) -> tuple[int, int]:
        yield_cpu()
        tid = threading.get_native_id()
        return tid, os.getpriority(os.PRIO_PROCESS, tid)

    worker = Worker(job, parent=parent)
    worker.signals.finished.connect(lambda result: seen.append(result))
    pool.start(worker)
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    tid, nice = seen[0]
    gui = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert tid != threading.get_native_id()
    assert nice >= BACKGROUND_NICE
    assert gui < BACKGROUND_NICE or nice == gui  # the GUI's own priority is untouched
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == gui
    pool.waitForDone(10_000)


def test_progress_held_back_is_drawn_a_moment_later(qtbot: QtBot) -> None:
    """A burst of news then silence (a stalled connection): the bar does not stay behind at
    the last value drawn, it shows the newest one within the redraw interval."""
    from imgur_desktop.core.cancel import CancelToken
    from imgur_desktop.ui.upload_model import LookRole, State

    model = UploadListModel()
    queue = UploadQueue(model, copy_text=lambda _text: None)
    item = UploadItem(label="big.png", size=1000)
    model.add([item])
    item.state = State.UPLOADING
    item.cancel = token = CancelToken()
    drawn: list[int] = []
    model.dataChanged.connect(
        lambda top, _bottom, roles=None: drawn.append(model.item_at(top.row()).sent)
        if roles and LookRole in roles else None)
    queue._progress(item, token, 100, 1000)  # drawn at once
    queue._progress(item, token, 200, 1000)  # too soon: held back
    queue._progress(item, token, 300, 1000)
    assert drawn == [100]
    qtbot.waitUntil(lambda: drawn[-1] == 300, timeout=2_000)
    assert drawn == [100, 300]
