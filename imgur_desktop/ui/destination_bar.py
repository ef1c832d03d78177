"""Where uploads go, always in sight: the service, anonymous or the account (with Sign in or
Sign out), and the album target (none, a new album with its privacy and layout, or one of the
account's albums). Banners say when a sign-in lasts for this session only, and when uploads
wait for a sign-in."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from imgur_desktop.core.models import Album

from .layout_picker import LayoutPicker
from .upload_queue import AlbumTarget

NO_ALBUM, NEW_ALBUM = "none", "new"
NEEDS_ACCOUNT = ("Albums need an account on this service (API v2): sign in to make one. "
                 "Anonymous uploads go in no album.")
PRIVACY_LABELS = {"hidden": "Hidden (anyone with the link)", "public": "Public",
                  "secret": "Secret (only you)"}
SESSION_ONLY = ("Signed in for this session only: no keyring was found, so the sign-in ends "
                "when imgur-desktop quits and nothing of it is written to disk. Install and "
                "unlock a Secret Service (GNOME Keyring or KWallet) to stay signed in.")
NO_APP_KEYS = ("Signing in needs this application's consumer key and secret for the service "
               "(start with --consumer-key and --consumer-secret).")


def _banner(parent: QWidget) -> QFrame:
    frame = QFrame(parent)
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    frame.setBackgroundRole(QPalette.ColorRole.AlternateBase)
    frame.setAutoFillBackground(True)
    frame.setVisible(False)
    return frame


class DestinationBar(QWidget):
    targetChanged = Signal(object)
    signInRequested = Signal()
    signOutRequested = Signal()
    anonymousRequested = Signal()  # uploads held for a sign-in go anonymously instead

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.where = QLabel("Uploading to: …", self)
        self.where.setAccessibleName("Upload destination")
        row.addWidget(self.where, 1)
        row.addWidget(QLabel("Album:", self))
        self.album = QComboBox(self)
        self.album.setAccessibleName("Album")
        self._album_model = QStandardItemModel(self)
        self.album.setModel(self._album_model)
        row.addWidget(self.album)
        row.addSpacing(12)
        self.account = QLabel("Not signed in", self)
        self.account.setAccessibleName("Account")
        row.addWidget(self.account)
        self.sign_button = QPushButton("Sign in", self)
        self.sign_button.setAccessibleName("Sign in or sign out")
        self.sign_button.clicked.connect(self._sign_clicked)
        self.sign_button.setEnabled(False)  # until the service (and its sign-in) is known
        row.addWidget(self.sign_button)
        column.addLayout(row)

        self.keyring_banner = _banner(self)
        keyring_row = QHBoxLayout(self.keyring_banner)
        self.keyring_text = QLabel(SESSION_ONLY, self.keyring_banner)
        self.keyring_text.setWordWrap(True)
        keyring_row.addWidget(self.keyring_text)
        column.addWidget(self.keyring_banner)

        self.held_banner = _banner(self)
        held_row = QHBoxLayout(self.held_banner)
        self.held_text = QLabel(self.held_banner)
        self.held_text.setWordWrap(True)
        held_row.addWidget(self.held_text, 1)
        self.held_sign_in = QPushButton("Sign in", self.held_banner)
        self.held_sign_in.clicked.connect(lambda: self.signInRequested.emit())
        held_row.addWidget(self.held_sign_in)
        self.held_anonymous = QPushButton("Upload anonymously instead", self.held_banner)
        self.held_anonymous.clicked.connect(lambda: self.anonymousRequested.emit())
        held_row.addWidget(self.held_anonymous)
        column.addWidget(self.held_banner)

        self.new_album = QWidget(self)
        new_row = QHBoxLayout(self.new_album)
        new_row.setContentsMargins(0, 0, 0, 0)
        self.title = QLineEdit(self.new_album)
        self.title.setPlaceholderText("New album title")
        self.title.setAccessibleName("New album title")
        new_row.addWidget(self.title, 1)
        self.privacy = QComboBox(self.new_album)
        self.privacy.setAccessibleName("New album privacy")
        for value, label in PRIVACY_LABELS.items():
            self.privacy.addItem(label, value)
        new_row.addWidget(self.privacy)
        self.layout_picker = LayoutPicker(self.new_album)
        new_row.addWidget(self.layout_picker)
        column.addWidget(self.new_album)
        self.new_album.setVisible(False)

        self._signed_in = False
        self._account: str | None = None
        self._sign_in_possible: bool | None = None  # None: not known yet
        self._albums: list[Album] = []
        self._rebuild()
        self.album.currentIndexChanged.connect(self._changed)
        self.title.textChanged.connect(self._changed)
        self.privacy.currentIndexChanged.connect(self._changed)
        self.layout_picker.layoutChanged.connect(self._changed)

    def set_destination(self, service: str, account: str | None) -> None:
        who = account if account else "Anonymous"
        self.where.setText(f"Uploading to: {service} · {who}")
        if account != self._account:
            self._albums = []  # another account's albums are not offered
        self._account = account
        self._signed_in = account is not None
        self.account.setText(f"Signed in as {account}" if account else "Not signed in")
        self.sign_button.setText("Sign out" if account else "Sign in")
        self._update_sign_button()
        self._rebuild()

    def set_sign_in_possible(self, possible: bool) -> None:
        """Without the application's keys there is nothing to sign in with: say so."""
        self._sign_in_possible = possible
        self.held_sign_in.setEnabled(possible)
        self._update_sign_button()

    def _update_sign_button(self) -> None:
        possible = bool(self._sign_in_possible)
        self.sign_button.setEnabled(possible or self._signed_in)
        refused = self._sign_in_possible is False and not self._signed_in
        self.sign_button.setToolTip(NO_APP_KEYS if refused else "")

    def show_session_only(self, session_only: bool) -> None:
        self.keyring_banner.setVisible(session_only)

    def show_held(self, text: str | None) -> None:
        """A banner while uploads wait for a sign-in (None hides it)."""
        self.held_text.setText(text or "")
        self.held_banner.setVisible(bool(text))

    def _sign_clicked(self) -> None:
        if self._signed_in:
            self.signOutRequested.emit()
        else:
            self.signInRequested.emit()

    def set_albums(self, albums: list[Album]) -> None:
        self._albums = list(albums)
        self._rebuild()

    def _rebuild(self) -> None:
        current = self.album.currentData()
        self.album.blockSignals(True)
        self._album_model.clear()
        none = QStandardItem("No album")
        none.setData(NO_ALBUM, Qt.ItemDataRole.UserRole)
        self._album_model.appendRow(none)
        new = QStandardItem("New album…")
        new.setData(NEW_ALBUM, Qt.ItemDataRole.UserRole)
        if not self._signed_in:
            new.setEnabled(False)
            new.setToolTip(NEEDS_ACCOUNT)
        self._album_model.appendRow(new)
        for album in self._albums:
            entry = QStandardItem(album.title or album.id)
            entry.setData(album.id, Qt.ItemDataRole.UserRole)
            entry.setEnabled(self._signed_in)
            if not self._signed_in:
                entry.setToolTip(NEEDS_ACCOUNT)
            self._album_model.appendRow(entry)
        index = self.album.findData(current) if current else 0
        if index < 0 or not self._album_model.item(index).isEnabled():
            index = 0
        self.album.setCurrentIndex(index)
        self.album.blockSignals(False)
        self._changed()

    def new_album_allowed(self) -> bool:
        return bool(self._album_model.item(1).isEnabled())

    def target(self) -> AlbumTarget:
        value = self.album.currentData()
        if value == NEW_ALBUM:
            return AlbumTarget("new", title=self.title.text().strip() or None,
                               privacy=str(self.privacy.currentData()),
                               layout=self.layout_picker.current())
        if value and value != NO_ALBUM:
            return AlbumTarget("existing", album_id=str(value))
        return AlbumTarget()

    def _changed(self, *_args: object) -> None:
        self.new_album.setVisible(self.album.currentData() == NEW_ALBUM)
        self.targetChanged.emit(self.target())
