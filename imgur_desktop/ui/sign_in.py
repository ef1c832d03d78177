"""The sign-in dialog. The service's page opens in the browser; the browser brings the
verifier back to a one-shot listener on 127.0.0.1, or, where it cannot, the person types the
PIN the page shows. Every step that waits on the network runs on a worker."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from imgur_desktop.core.cancel import CancelToken
from imgur_desktop.core.errors import Cancelled
from imgur_desktop.core.messages import describe

from .account_session import AccountSession, Began, Completed, begin_sign_in, complete_sign_in
from .workers import Worker

EXPIRED = "Your sign-in expired or was revoked; sign in again to continue the uploads."
INTRO = "Signing in opens the service's page in your browser."
OPENING = "Opening the sign-in page…"
IN_BROWSER = "Finish signing in in your browser."
PIN_NEEDED = "Finish signing in in your browser, then type the PIN the page shows."
FINISHING = "Signing in…"
NO_KEYRING = ("No usable keyring was found: this sign-in will last until imgur-desktop "
              "quits, and nothing of it is written to disk.")
NO_PIN = "Type the PIN the page shows, then choose Use PIN."
WAIT_SECONDS = 600.0  # for the browser; Cancel ends the wait sooner

OpenUrl = Callable[[str], object]


def open_in_browser(url: str) -> bool:
    return bool(QDesktopServices.openUrl(QUrl(url)))


class SignInDialog(QDialog):
    signedIn = Signal(str)
    anonymousChosen = Signal()

    def __init__(self, session: AccountSession, *, open_url: OpenUrl | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in")
        self.session = session
        self._open_url = open_url or open_in_browser
        self._attempt = 0
        self._phase = "idle"  # idle | starting | waiting | finishing | failed | done
        self._pin_mode = False
        self._cancel: CancelToken | None = None
        self._began: Began | None = None

        column = QVBoxLayout(self)
        self.reason = QLabel(self)
        self.reason.setWordWrap(True)
        font = self.reason.font()
        font.setBold(True)
        self.reason.setFont(font)
        column.addWidget(self.reason)
        self.note = QLabel(INTRO, self)
        self.note.setWordWrap(True)
        self.note.setAccessibleName("Sign-in progress")
        column.addWidget(self.note)
        self.link = QLabel(self)
        self.link.setWordWrap(True)
        self.link.linkActivated.connect(self._open_url)
        column.addWidget(self.link)
        self.keyring_note = QLabel(NO_KEYRING, self)
        self.keyring_note.setWordWrap(True)
        column.addWidget(self.keyring_note)

        self.pin_row = QWidget(self)
        row = QHBoxLayout(self.pin_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("If it shows a PIN, type it here:", self.pin_row))
        self.pin = QLineEdit(self.pin_row)
        self.pin.setAccessibleName("PIN")
        self.pin.returnPressed.connect(self.use_pin)
        row.addWidget(self.pin, 1)
        self.use_pin_button = QPushButton("Use PIN", self.pin_row)
        self.use_pin_button.clicked.connect(self.use_pin)
        row.addWidget(self.use_pin_button)
        column.addWidget(self.pin_row)

        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Sign-in problem")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column.addWidget(self.error)

        buttons = QDialogButtonBox(self)
        self.start_button = buttons.addButton("Sign in", QDialogButtonBox.ButtonRole.ActionRole)
        self.start_button.clicked.connect(lambda: self.start(pin=self._pin_mode))
        self.pin_instead = buttons.addButton("Sign in with a PIN instead",
                                             QDialogButtonBox.ButtonRole.ActionRole)
        self.pin_instead.setToolTip("For when the browser cannot come back to this app: the "
                                    "page shows a PIN to type here instead")
        self.pin_instead.clicked.connect(lambda: self.start(pin=True))
        self.anonymous = buttons.addButton("Upload anonymously instead",
                                           QDialogButtonBox.ButtonRole.ActionRole)
        self.anonymous.clicked.connect(self._choose_anonymous)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.clicked.connect(self.reject)
        for button in buttons.buttons():
            if isinstance(button, QPushButton):
                button.setAutoDefault(False)  # Enter in the PIN field means "Use PIN"
        column.addWidget(buttons)
        self.prepare(None)

    # -- what the dialog shows ---------------------------------------------------------------

    def prepare(self, reason: str | None) -> None:
        """Back to the start, ready to be shown again (with why, when the app asks)."""
        self.abandon()
        self._attempt += 1  # a sign-in still finishing is kept, but does not close this
        self._phase = "idle"
        self._pin_mode = False
        self.reason.setText(reason or "")
        self.reason.setVisible(bool(reason))
        self.anonymous.setVisible(bool(reason))
        self.pin.clear()
        self._show(INTRO)

    def _show(self, note: str, error: str | None = None) -> None:
        self.note.setText(note)
        self.error.setText(error or "")
        self.error.setVisible(bool(error))
        waiting = self._phase == "waiting"
        self.pin_row.setVisible(self._phase in ("waiting", "finishing"))
        self.pin_row.setEnabled(waiting)
        if waiting:
            self.pin.setFocus()
        self.start_button.setText("Sign in" if self._phase == "idle" else "Start again")
        self.start_button.setEnabled(self._phase in ("idle", "waiting", "failed"))
        self.pin_instead.setVisible(self._phase in ("idle", "failed")
                                    or (waiting and not self._pin_mode))
        self.pin_instead.setEnabled(self._phase != "finishing")
        self.link.setVisible(waiting and self._began is not None)
        self.keyring_note.setVisible(self._began is not None
                                     and not self._began.keyring_usable)

    @property
    def phase(self) -> str:
        return self._phase

    @property
    def listening_on(self) -> str | None:
        """Where the browser is to come back to, while the loopback listener runs."""
        began = self._began
        return began.receiver.callback_url if began and began.receiver else None

    # -- the flow ----------------------------------------------------------------------------

    def start(self, *, pin: bool = False) -> None:
        """Ask the service for a request token (loopback callback, or PIN), then open its
        page in the browser."""
        self.abandon()
        self._attempt += 1
        attempt = self._attempt
        self._pin_mode = pin
        self._phase = "starting"
        self._cancel = CancelToken()
        ctx = self.session.ctx
        worker = Worker(lambda _p, _c: begin_sign_in(ctx, pin=pin), self._cancel,
                        parent=self.session)
        worker.signals.finished.connect(lambda began: self._started(attempt, began))
        worker.signals.failed.connect(lambda exc: self._failed(attempt, exc))
        self._show(OPENING)
        self.session.pool.start(worker)

    def _started(self, attempt: int, began: object) -> None:
        assert isinstance(began, Began)
        if attempt != self._attempt or self._phase != "starting":
            self._close_receiver(began)  # cancelled meanwhile
            return
        self._began = began
        self._phase = "waiting"
        url = began.pending.authorize_url
        self.link.setText(f'If no browser opened, <a href="{html.escape(url)}">open the '
                          "sign-in page</a> yourself.")
        self._show(PIN_NEEDED if began.receiver is None else IN_BROWSER)
        if self._open_url(url) is False:
            self._show(PIN_NEEDED if began.receiver is None else IN_BROWSER,
                       "No browser could be opened: open the sign-in page with the link "
                       "above.")
        if began.receiver is not None:
            receiver, cancel = began.receiver, self._cancel
            worker = Worker(lambda _p, c: receiver.wait(WAIT_SECONDS, c), cancel,
                            parent=self.session)
            worker.signals.finished.connect(lambda verifier: self._finish(attempt, verifier))
            worker.signals.failed.connect(lambda exc: self._failed(attempt, exc))
            self.session.pool.start(worker)

    def use_pin(self) -> None:
        if self._phase != "waiting":
            return
        verifier = self.pin.text().strip()
        if not verifier:
            self._show(self.note.text(), NO_PIN)
            return
        self._finish(self._attempt, verifier)

    def _finish(self, attempt: int, verifier: object) -> None:
        """Trade the verifier for tokens and keep them. Runs on the keyring's own pool (its
        work stays in order with a sign-out's); once the browser said yes, Cancel no longer
        undoes it."""
        if attempt != self._attempt or self._phase != "waiting" or self._began is None:
            return
        began = self._began
        if self._cancel is not None:
            self._cancel.cancel()  # the wait for the browser, if the PIN came first
        self._close_receiver(began)
        self._phase = "finishing"
        self._show(FINISHING)
        ctx = self.session.ctx
        worker = Worker(lambda _p, _c: complete_sign_in(ctx, began, str(verifier)),
                        parent=self.session)
        worker.signals.finished.connect(lambda done: self._completed(attempt, done))
        worker.signals.failed.connect(lambda exc: self._failed(attempt, exc))
        self.session.keyring_pool.start(worker)

    def _completed(self, attempt: int, done: object) -> None:
        assert isinstance(done, Completed)
        self.session.sign_in_completed(done)
        if attempt == self._attempt:
            self._phase = "done"
            self._began = None
            self.accept()
        self.signedIn.emit(done.account)

    def _failed(self, attempt: int, exc: object) -> None:
        if attempt != self._attempt or self._phase in ("idle", "done"):
            return
        if isinstance(exc, Cancelled):
            return  # the dialog ended the wait itself
        if self._began is not None:
            self._close_receiver(self._began)
        self._began = None
        self._phase = "failed"
        text = describe(exc) if isinstance(exc, BaseException) else str(exc)
        self._show("You are not signed in.", text)

    # -- ending ------------------------------------------------------------------------------

    def abandon(self) -> None:
        """Stop waiting for the browser (Cancel, a new start, the app quitting). A sign-in
        past the browser (finishing) completes anyway."""
        if self._phase in ("starting", "waiting"):
            self._attempt += 1  # what the old attempt still reports is ignored
            self._phase = "idle"
        if self._cancel is not None:
            self._cancel.cancel()
        if self._began is not None:
            self._close_receiver(self._began)
            self._began = None

    def _close_receiver(self, began: Began) -> None:
        receiver, began.receiver = began.receiver, None
        if receiver is not None:
            # Not on the GUI thread: closing waits for the listener's poll loop to stop.
            worker = Worker(lambda _p, _c: receiver.close(), parent=self.session)
            self.session.pool.start(worker)

    def _choose_anonymous(self) -> None:
        self.abandon()
        self.anonymousChosen.emit()
        self.reject()

    def reject(self) -> None:
        self.abandon()
        super().reject()
