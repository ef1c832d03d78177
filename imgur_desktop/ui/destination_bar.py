"""Where uploads go, always in sight: the service, anonymous or the account, and the album
target (none, a new album with its privacy and layout, or an existing album)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
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


class DestinationBar(QWidget):
    targetChanged = Signal(object)

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
        column.addLayout(row)

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
        self._albums: list[Album] = []
        self._rebuild()
        self.album.currentIndexChanged.connect(self._changed)
        self.title.textChanged.connect(self._changed)
        self.privacy.currentIndexChanged.connect(self._changed)
        self.layout_picker.layoutChanged.connect(self._changed)

    def set_destination(self, service: str, account: str | None) -> None:
        who = account if account else "Anonymous"
        self.where.setText(f"Uploading to: {service} · {who}")
        self._signed_in = account is not None
        self._rebuild()

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
