"""Composition root of the desktop app: settings, service, client, queue, window.

Everything is built here and passed in; no widget looks a service up for itself. Finding the
service can mean starting the local image host, so it runs on a worker while the window is
already on screen.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtCore import (
    QMessageLogContext,
    QSettings,
    QThreadPool,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication

from imgur_desktop.core import settings as settings_file
from imgur_desktop.core.messages import describe
from imgur_desktop.core.settings import Settings

from . import startup_probe
from .ui import clipboard
from .ui.dialogs import error_box
from .ui.first_paint import AfterFirstPaint
from .ui.main_window import MainWindow
from .ui.upload_model import UploadListModel
from .ui.upload_queue import UploadQueue
from .ui.workers import Worker

if TYPE_CHECKING:
    from imgur_desktop.cli.context import Context
    from imgur_desktop.core.api.v2 import V2Client

logger = logging.getLogger(__name__)


def _qt_messages(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    level = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
             QtMsgType.QtWarningMsg: logging.WARNING}.get(kind, logging.ERROR)
    logging.getLogger("qt").log(level, "%s", message)


def _excepthook(kind: type[BaseException], exc: BaseException,
                tb: TracebackType | None) -> None:
    logger.error("unexpected error", exc_info=(kind, exc, tb))
    details = "".join(traceback.format_exception(kind, exc, tb))
    error_box(None, "Something went wrong inside imgur-desktop. Your uploads and links are "
                    "safe; the details can help fix it.", details).exec()


def service_label(ctx: Context) -> str:
    if ctx.local is not None:
        return "Local image host"
    return urlsplit(ctx.api_url).netloc or ctx.api_url


class Application:
    """Owns the long-lived parts; ``window`` is shown as soon as it exists."""

    def __init__(self, args: argparse.Namespace, inputs: list[str]) -> None:
        self.args = args
        self.qsettings = QSettings("imgur-desktop", "imgur-desktop")
        ctx_dir = resolve_config_dir(args)
        self.config_dir = ctx_dir
        self.settings = settings_file.load(ctx_dir)
        self.model = UploadListModel()
        self.queue = UploadQueue(self.model, concurrency=self.settings.concurrency,
                                 copy_text=lambda text: QApplication.clipboard().setText(text))
        self.window = MainWindow(self.queue, settings=self.settings,
                                 save_settings=self.save_settings, qsettings=self.qsettings)
        self.context: Context | None = None
        self._pool = QThreadPool()
        self._inputs = inputs

    def save_settings(self, new: Settings) -> None:
        settings_file.save(self.config_dir, new)
        self.settings = new

    def start(self) -> None:
        self.window.show()
        self.window.show_status("Connecting to the image host…")
        worker = Worker(lambda _p, _c: _resolve(self.args), parent=self.window)
        worker.signals.finished.connect(self._connected)
        worker.signals.failed.connect(self._not_connected)
        # The look-up imports the API client (requests, keyring): it runs on a worker but
        # holds the interpreter lock much of the time, so it starts once the window is drawn.
        self._connect_when_shown = AfterFirstPaint(self.window,
                                                   lambda: self._pool.start(worker))
        # Paths and links named together are both queued (a payload holds one kind only).
        urls = [i for i in self._inputs if i.lower().startswith(("http://", "https://"))]
        paths = [Path(i) for i in self._inputs if i not in urls]
        if paths:
            self.window.submit(clipboard.Payload(paths=paths))
        if urls:
            self.window.submit(clipboard.Payload(urls=urls))

    def _connected(self, ctx: object) -> None:
        from imgur_desktop.cli.context import Context

        assert isinstance(ctx, Context)
        self.context = ctx
        client: V2Client = ctx.client(fmt="json", wait=False)
        client.max_upload_bytes = self.settings.max_upload_bytes
        self.queue.set_client(client)
        account = ctx.account() if client.signed_in else None
        self.window.set_destination(service_label(ctx), account)

    def _not_connected(self, exc: object) -> None:
        text = describe(exc) if isinstance(exc, BaseException) else str(exc)
        self.window.show_status(f"No image host: {text}")
        error_box(self.window, f"imgur-desktop could not reach an image host: {text}",
                  repr(exc)).open()


def _resolve(args: argparse.Namespace) -> Context:
    """Find the service (on a worker). The API client, requests and the keyring are imported
    here, after the window is up, not before it."""
    from imgur_desktop.cli.context import resolve

    return resolve(args)


def resolve_config_dir(args: argparse.Namespace) -> Path:
    import os

    explicit = getattr(args, "config_dir", None) or os.environ.get("IMGUR_DESKTOP_CONFIG_DIR")
    if explicit:
        return Path(explicit)
    from imgur_desktop.core import paths

    return paths.config_dir()


def run(args: argparse.Namespace, inputs: list[str]) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("imgur-desktop")
    app.setDesktopFileName("imgur-desktop")
    qInstallMessageHandler(_qt_messages)
    sys.excepthook = _excepthook
    application = Application(args, inputs)
    probe = startup_probe.install(application.window)  # benchmarks only, off by default
    application.start()
    status = app.exec()
    # The service look-up may still run (quit during "Connecting…"): let it end before the
    # window it reports to is destroyed.
    application._pool.waitForDone(30_000)
    del probe
    return status
