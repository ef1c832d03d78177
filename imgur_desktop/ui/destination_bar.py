"""Where uploads go, always in sight: the service, anonymous or the account (with Sign in or
Sign out), and the album target (none, a new album with its privacy and layout, or one of the
account's albums). Banners say when a sign-in lasts for this session only, and when uploads
wait for a sign-in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .roles import USER_ROLE

if TYPE_CHECKING:
    from PySide6.QtWidgets import QLineEdit

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


class _Banner(QFrame):
    """A tinted strip under the first row: a sentence, and buttons added after it."""

    def __init__(self, parent: QWidget, text: str = "") -> None:
        from PySide6.QtGui import QPalette

        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self.setAutoFillBackground(True)
        self.setVisible(False)
        self.row = QHBoxLayout(self)
        self.text = QLabel(text, self)
        self.text.setWordWrap(True)
        self.row.addWidget(self.text, 1)

    def add_button(self, text: str) -> QPushButton:
        button = QPushButton(text, self)
        self.row.addWidget(button)
        return button


class _NewAlbumPanel(QWidget):
    """Title, privacy and layout of a new album: shown while "New album…" is chosen."""

    def __init__(self, parent: QWidget) -> None:
        from PySide6.QtWidgets import QLineEdit

        from .layout_picker import LayoutPicker

        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.title = QLineEdit(self)
        self.title.setPlaceholderText("New album title")
        self.title.setAccessibleName("New album title")
        row.addWidget(self.title, 1)
        self.privacy = QComboBox(self)
        self.privacy.setAccessibleName("New album privacy")
        for value, label in PRIVACY_LABELS.items():
            self.privacy.addItem(label, value)
        row.addWidget(self.privacy)
        self.layout_picker = LayoutPicker(self)
        row.addWidget(self.layout_picker)


class DestinationBar(QWidget):
    targetChanged = Signal(object)
    signInRequested = Signal()
    signOutRequested = Signal()
    anonymousRequested = Signal()  # uploads held for a sign-in go anonymously instead

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._column = QVBoxLayout(self)
        self._column.setContentsMargins(0, 0, 0, 0)
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
        self._column.addLayout(row)

        # Hidden at the first paint, so built when first needed (docs/performance.md, row 4):
        # the banners and the new album's panel, each in its own place under the first row.
        self._keyring: _Banner | None = None
        self._held: _Banner | None = None
        self._held_buttons: tuple[QPushButton, QPushButton] | None = None
        self._new_album: _NewAlbumPanel | None = None

        self._signed_in = False
        self._account: str | None = None
        self._sign_in_possible: bool | None = None  # None: not known yet
        self._albums: list[Album] = []
        self._rebuild(announce=False)  # nobody listens yet
        self.album.currentIndexChanged.connect(self._changed)

    def _place(self, widget: QWidget) -> None:
        """Under the first row, in the order keyring banner, held banner, new album."""
        parts: list[QWidget | None] = [self._keyring, self._held, self._new_album]
        before = parts[:parts.index(widget)]
        self._column.insertWidget(1 + sum(part is not None for part in before), widget)

    @property
    def keyring_banner(self) -> QFrame:
        if self._keyring is None:
            self._keyring = _Banner(self, SESSION_ONLY)
            self._place(self._keyring)
        return self._keyring

    @property
    def keyring_text(self) -> QLabel:
        banner = self.keyring_banner
        assert isinstance(banner, _Banner)
        return banner.text

    def _held_banner(self) -> tuple[_Banner, QPushButton, QPushButton]:
        if self._held is None or self._held_buttons is None:
            banner = self._held = _Banner(self)
            sign_in = banner.add_button("Sign in")
            sign_in.clicked.connect(lambda: self.signInRequested.emit())
            if self._sign_in_possible is not None:
                sign_in.setEnabled(self._sign_in_possible)
            anonymous = banner.add_button("Upload anonymously instead")
            anonymous.clicked.connect(lambda: self.anonymousRequested.emit())
            self._held_buttons = (sign_in, anonymous)
            self._place(banner)
        return self._held, *self._held_buttons

    @property
    def held_banner(self) -> QFrame:
        return self._held_banner()[0]

    @property
    def held_text(self) -> QLabel:
        return self._held_banner()[0].text

    @property
    def held_sign_in(self) -> QPushButton:
        return self._held_banner()[1]

    @property
    def held_anonymous(self) -> QPushButton:
        return self._held_banner()[2]

    @property
    def new_album(self) -> QWidget:
        if self._new_album is None:
            panel = self._new_album = _NewAlbumPanel(self)
            panel.setVisible(False)
            self._place(panel)
            panel.title.textChanged.connect(self._changed)
            panel.privacy.currentIndexChanged.connect(self._changed)
            panel.layout_picker.layoutChanged.connect(self._changed)
        return self._new_album

    def _panel(self) -> _NewAlbumPanel:
        panel = self.new_album
        assert isinstance(panel, _NewAlbumPanel)
        return panel

    @property
    def title(self) -> QLineEdit:
        return self._panel().title

    @property
    def privacy(self) -> QComboBox:
        return self._panel().privacy

    @property
    def layout_picker(self) -> LayoutPicker:
        return self._panel().layout_picker

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
        if self._held_buttons is not None:
            self._held_buttons[0].setEnabled(possible)
        self._update_sign_button()

    def _update_sign_button(self) -> None:
        possible = bool(self._sign_in_possible)
        self.sign_button.setEnabled(possible or self._signed_in)
        refused = self._sign_in_possible is False and not self._signed_in
        self.sign_button.setToolTip(NO_APP_KEYS if refused else "")

    def show_session_only(self, session_only: bool) -> None:
        if session_only or self._keyring is not None:
            self.keyring_banner.setVisible(session_only)

    def show_held(self, text: str | None) -> None:
        """A banner while uploads wait for a sign-in (None hides it)."""
        if text or self._held is not None:
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

    def _rebuild(self, *, announce: bool = True) -> None:
        current = self.album.currentData()
        self.album.blockSignals(True)
        self._album_model.clear()
        none = QStandardItem("No album")
        none.setData(NO_ALBUM, USER_ROLE)
        self._album_model.appendRow(none)
        new = QStandardItem("New album…")
        new.setData(NEW_ALBUM, USER_ROLE)
        if not self._signed_in:
            new.setEnabled(False)
            new.setToolTip(NEEDS_ACCOUNT)
        self._album_model.appendRow(new)
        for album in self._albums:
            entry = QStandardItem(album.title or album.id)
            entry.setData(album.id, USER_ROLE)
            entry.setEnabled(self._signed_in)
            if not self._signed_in:
                entry.setToolTip(NEEDS_ACCOUNT)
            self._album_model.appendRow(entry)
        index = self.album.findData(current) if current else 0
        if index < 0 or not self._album_model.item(index).isEnabled():
            index = 0
        self.album.setCurrentIndex(index)
        self.album.blockSignals(False)
        if announce:
            self._changed()

    def new_album_allowed(self) -> bool:
        return bool(self._album_model.item(1).isEnabled())

    def target(self) -> AlbumTarget:
        from .upload_queue import AlbumTarget  # the engine's module: loaded after first paint

        value = self.album.currentData()
        if value == NEW_ALBUM:
            return AlbumTarget("new", title=self.title.text().strip() or None,
                               privacy=str(self.privacy.currentData()),
                               layout=self.layout_picker.current())
        if value and value != NO_ALBUM:
            return AlbumTarget("existing", album_id=str(value))
        return AlbumTarget()

    def _changed(self, *_args: object) -> None:
        wanted = self.album.currentData() == NEW_ALBUM
        if wanted or self._new_album is not None:
            self.new_album.setVisible(wanted)
        self.targetChanged.emit(self.target())
