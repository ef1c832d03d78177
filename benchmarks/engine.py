"""The app's upload engine and window, built as ``imgur_desktop/app.py`` builds them (the
service is given rather than resolved), headless on the offscreen platform."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from imgur_desktop.core.settings import Settings
from imgur_desktop.ui.main_window import MainWindow
from imgur_desktop.ui.upload_model import State, UploadListModel
from imgur_desktop.ui.upload_queue import UploadQueue

from . import qtapp
from .hosts import Host
from .suite import app_client

SETTLE_TIMEOUT_MS = 30_000


def make_queue(host: Host, settings: Settings | None = None) -> UploadQueue:
    """UploadQueue at the settings' concurrency (3 by default), copying links to the real
    clipboard, with the app's client set."""
    qtapp.application()
    settings = settings or Settings()
    queue = UploadQueue(UploadListModel(), concurrency=settings.concurrency,
                        copy_text=lambda text: QApplication.clipboard().setText(text))
    queue.set_client(app_client(host))
    return queue


def make_window(queue: UploadQueue, folder: Path,
                settings: Settings | None = None) -> MainWindow:
    window = MainWindow(queue, settings=settings or Settings(),
                        save_settings=lambda _new: None,
                        qsettings=qtapp.settings_file(folder))
    window.set_destination("Local image host", None)
    return window


def show(window: MainWindow, timeout: float = 10.0) -> None:
    window.show()
    window.activateWindow()
    if not qtapp.run_until(lambda: window.isVisible() and window.isActiveWindow(), timeout):
        raise RuntimeError("the window did not become active")


def finished(queue: UploadQueue, count: int) -> bool:
    items = queue.model._items  # the live list: no copy per check
    return len(items) >= count and all(i.state.finished for i in items)


def check_done(queue: UploadQueue) -> None:
    bad = [(i.label, i.state.value, i.error) for i in queue.model.items
           if i.state is not State.DONE]
    if bad:
        raise RuntimeError(f"{len(bad)} upload(s) did not succeed, e.g. {bad[:3]}")


def dispose(queue: UploadQueue, window: MainWindow | None = None) -> None:
    """Stop what the queue still runs and free it, so nothing reaches the next measure."""
    for item in queue.model.items:
        if item.cancel is not None:
            item.cancel.cancel()
    queue.wait_for_workers(SETTLE_TIMEOUT_MS)
    QApplication.processEvents()
    if queue.client is not None:
        queue.client.transport.close()
    if window is not None:
        window.hide()
        window.deleteLater()
    queue.deleteLater()
    QApplication.processEvents()
