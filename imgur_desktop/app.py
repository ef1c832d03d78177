"""Composition root of the desktop app: settings, service, client, queue, window.

Everything is built here and passed in; no widget looks a service up for itself. Finding the
service can mean starting the local image host, so it runs on a worker while the window is
already on screen.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QMessageLogContext,
    QSettings,
    QThreadPool,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication

from imgur_desktop.core import settings as settings_file
from imgur_desktop.core.logsafe import keep_secrets_out_of_logs
from imgur_desktop.core.settings import Settings

from . import startup_probe
from .ui.first_paint import AfterFirstPaint
from .ui.main_window import MainWindow
from .ui.upload_model import UploadListModel

if TYPE_CHECKING:
    from imgur_desktop.cli.context import Context
    from imgur_desktop.core.ledger import Ledger

    from .ui.account_session import AccountSession, SavedSignIn
    from .ui.sign_in import SignInDialog
    from .ui.upload_queue import UploadQueue

# What the window does not need to open is built or imported after its first paint, or when
# first used: the upload engine (and the ledger, sqlite3 and hashlib it imports), the
# sign-in, the error and settings dialogs (docs/performance.md, row 4).

logger = logging.getLogger(__name__)

HELD = ("Uploads are waiting: your sign-in expired or was revoked. Sign in again, or upload "
        "them anonymously instead.")


def _qt_messages(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    level = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
             QtMsgType.QtWarningMsg: logging.WARNING}.get(kind, logging.ERROR)
    logging.getLogger("qt").log(level, "%s", message)


def _excepthook(kind: type[BaseException], exc: BaseException,
                tb: TracebackType | None) -> None:
    import traceback

    from .ui.dialogs import error_box

    logger.error("unexpected error", exc_info=(kind, exc, tb))
    details = "".join(traceback.format_exception(kind, exc, tb))
    error_box(None, "Something went wrong inside imgur-desktop. Your uploads and links are "
                    "safe; the details can help fix it.", details).exec()


def service_label(ctx: Context) -> str:
    from urllib.parse import urlsplit

    if ctx.local is not None:
        return "Local image host"
    return urlsplit(ctx.api_url).netloc or ctx.api_url


class Application:
    """Owns the long-lived parts; ``window`` is shown as soon as it exists."""

    def __init__(self, args: argparse.Namespace, inputs: list[str], *,
                 open_url: Callable[[str], object] | None = None) -> None:
        self.args = args
        keep_secrets_out_of_logs()
        self.qsettings = QSettings("imgur-desktop", "imgur-desktop")
        ctx_dir = resolve_config_dir(args)
        self.config_dir = ctx_dir
        self.settings = settings_file.load(ctx_dir)
        self.model = UploadListModel()
        self.window = MainWindow(None, model=self.model, make_queue=self._make_queue,
                                 settings=self.settings,
                                 save_settings=self._save_window_settings,
                                 qsettings=self.qsettings)
        self.context: Context | None = None
        self.ledger: Ledger | None = None
        self.account: AccountSession | None = None
        self.sign_in_dialog: SignInDialog | None = None
        self._open_url = open_url  # the system browser unless a test drives the consent
        self._pool = QThreadPool()
        self._inputs = inputs

    @property
    def queue(self) -> UploadQueue:
        """The upload engine: built just after the first paint, or sooner if asked for."""
        return self.window.queue

    def _make_queue(self) -> UploadQueue:
        from .ui.upload_queue import UploadQueue

        return UploadQueue(self.model, concurrency=self.settings.concurrency,
                           copy_text=lambda text: QApplication.clipboard().setText(text))

    def save_settings(self, new: Settings) -> None:
        settings_file.save(self.config_dir, new)
        self.settings = new

    def _save_window_settings(self, new: Settings) -> None:
        # The window's copy predates any sign-in since: the accounts are the session's.
        self.save_settings(replace(new, accounts=self.settings.accounts,
                                   consumer_key=self.settings.consumer_key))

    def start(self) -> None:
        self.window.show()
        self.window.show_status("Connecting to the image host…")
        # The look-up imports the API client (requests, keyring): it runs on a worker but
        # holds the interpreter lock much of the time, so it starts once the window is drawn,
        # and so does the upload engine (unless inputs named at start need it at once).
        self._connect_when_shown = AfterFirstPaint(self.window, self._first_paint_done)
        if self._inputs:
            self._queue_inputs(self._inputs)

    def _queue_inputs(self, inputs: list[str]) -> None:
        from .ui import clipboard

        # Paths and links named together are both queued (a payload holds one kind only).
        urls = [i for i in inputs if i.lower().startswith(("http://", "https://"))]
        paths = [Path(i) for i in inputs if i not in urls]
        if paths:
            self.window.submit(clipboard.Payload(paths=paths))
        if urls:
            self.window.submit(clipboard.Payload(urls=urls))

    def _first_paint_done(self) -> None:
        started()
        QTimer.singleShot(0, self.window, self._after_first_paint)

    def _after_first_paint(self) -> None:
        """The window is on screen (one more turn of the event loop has passed, so whatever
        else waited for the first paint ran first): look the service up, and build the
        upload engine while the look-up runs."""
        from .ui.workers import Worker

        worker = Worker(lambda _p, _c: _resolve(self.args), parent=self.window)
        worker.signals.finished.connect(self._connected)
        worker.signals.failed.connect(self._not_connected)
        self._pool.start(worker)
        self.window.queue  # noqa: B018 (the property builds it)

    def _connected(self, found: object) -> None:
        from imgur_desktop.cli.context import Context
        from imgur_desktop.core.ledger import Ledger

        from .ui.account_session import AccountSession, SavedSignIn

        assert isinstance(found, tuple)
        ctx, saved, ledger = found
        assert isinstance(ctx, Context)
        assert isinstance(saved, SavedSignIn)
        self.context = ctx
        if isinstance(ledger, Ledger):
            self.ledger = ledger
            self.queue.attach_ledger(ledger, ctx.api_url)
            self.window.attach_ledger(ledger)
        else:
            self.window.show_status(str(ledger))
        account = self.account = AccountSession(
            ctx, saved, settings=lambda: self.settings, save_settings=self.save_settings,
            parent=self.window)
        bar = self.window.destination
        account.changed.connect(self._account_changed)
        account.albumsChanged.connect(bar.set_albums)
        account.message.connect(self.window.show_status)
        bar.set_sign_in_possible(account.can_sign_in)
        bar.signInRequested.connect(lambda: self.ask_to_sign_in())
        bar.signOutRequested.connect(account.sign_out)
        bar.anonymousRequested.connect(account.sign_out)
        self.queue.signInNeeded.connect(self._sign_in_needed)
        self.queue.albumCreated.connect(lambda _album: account.refresh_albums())
        account.announce()

    def _account_changed(self, client: object, name: object) -> None:
        """The one place a new client reaches the queue (and, through the same signal, any
        view that lists the account)."""
        from imgur_desktop.core.api.v2 import V2Client  # loaded by the look-up already

        assert isinstance(client, V2Client)
        assert self.context is not None
        assert self.account is not None
        self.queue.account = name if isinstance(name, str) else None
        self.queue.set_client(client)
        self.window.set_client(client, name if isinstance(name, str) else None)
        self.window.set_destination(service_label(self.context),
                                    name if isinstance(name, str) else None)
        self.window.destination.show_session_only(self.account.session_only)
        self.window.destination.show_held(None)  # a new client ends a hold

    def ask_to_sign_in(self, reason: str | None = None) -> SignInDialog | None:
        """Show the sign-in dialog; without a reason it goes to the browser at once."""
        from .ui.sign_in import SignInDialog

        if self.account is None:
            self.window.show_status("Still connecting to the image host…")
            return None
        dialog = self.sign_in_dialog
        if dialog is None:
            dialog = self.sign_in_dialog = SignInDialog(self.account, open_url=self._open_url,
                                                        parent=self.window)
            dialog.anonymousChosen.connect(self.account.sign_out)
            dialog.rejected.connect(self._sign_in_refused)
        if dialog.isVisible():
            dialog.raise_()
            return dialog
        dialog.prepare(reason)
        dialog.open()
        if reason is None:
            dialog.start()
        return dialog

    def _sign_in_needed(self) -> None:
        from .ui.sign_in import EXPIRED

        self.window.destination.show_held(HELD)
        self.window.show_status(EXPIRED)
        self.ask_to_sign_in(EXPIRED)

    def _sign_in_refused(self) -> None:
        if self.queue.held_for_sign_in:
            self.window.show_status(HELD)

    def _not_connected(self, exc: object) -> None:
        from imgur_desktop.core.messages import describe

        from .ui.dialogs import error_box

        text = describe(exc) if isinstance(exc, BaseException) else str(exc)
        self.window.show_status(f"No image host: {text}")
        error_box(self.window, f"imgur-desktop could not reach an image host: {text}",
                  repr(exc)).open()

    def finish(self) -> None:
        """After the event loop: stop waiting for a browser, then let the workers end
        before the window they report to is destroyed (the service look-up may still run
        after a quit during "Connecting…")."""
        if self.sign_in_dialog is not None:
            self.sign_in_dialog.abandon()
        self._pool.waitForDone(30_000)
        if self.account is not None:
            self.account.wait_for_workers(30_000)


def _resolve(args: argparse.Namespace) -> tuple[Context, SavedSignIn, Ledger | str]:
    """Find the service, read the saved sign-in and open the upload ledger (on a worker).
    The API client, requests and the keyring are imported here, after the window is up."""
    from imgur_desktop.cli.context import resolve
    from imgur_desktop.core.ledger import Ledger, LedgerError

    from .ui.account_session import read_saved_sign_in

    ctx = resolve(args)
    ledger: Ledger | str
    try:
        ledger = Ledger.in_dir(ctx.data_dir)
    except LedgerError as exc:
        ledger = f"{exc}. Uploads work, but are not kept in the history."
    return ctx, read_saved_sign_in(ctx), ledger


def resolve_config_dir(args: argparse.Namespace) -> Path:
    import os

    explicit = getattr(args, "config_dir", None) or os.environ.get("IMGUR_DESKTOP_CONFIG_DIR")
    if explicit:
        return Path(explicit)
    from imgur_desktop.core import paths

    return paths.config_dir()


def started() -> None:
    """The window is on screen: what start-up built stays for good (the collector need not
    walk it again), and the cyclic collector runs again if start-up had turned it off."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


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
    try:
        status = app.exec()
    finally:
        started()  # whatever happened to the first paint
    application.finish()
    del probe
    return status
