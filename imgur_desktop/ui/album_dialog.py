"""Create or edit an album: title, description, privacy, and its layout from the picker."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from imgur_desktop.core.models import PRIVACIES, Album

from .layout_picker import LayoutPicker

PRIVACY_TEXT = {
    "public": "Public: anyone can find it",
    "hidden": "Hidden: only people with the link",
    "secret": "Secret: only you",
}
NEW_ALBUM_PRIVACY = "hidden"


@dataclass(frozen=True, slots=True)
class AlbumFields:
    title: str
    description: str
    privacy: str
    layout: str


class AlbumDialog(QDialog):
    def __init__(self, album: Album | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New album" if album is None else "Edit album")
        form = QFormLayout(self)
        self.title = QLineEdit((album.title or "") if album else "", self)
        self.title.setPlaceholderText("Untitled album")
        self.title.setAccessibleName("Album title")
        form.addRow("&Title", self.title)
        self.description = QPlainTextEdit((album.description or "") if album else "", self)
        self.description.setAccessibleName("Album description")
        self.description.setTabChangesFocus(True)
        self.description.setFixedHeight(80)
        form.addRow("&Description", self.description)
        self.privacy = QComboBox(self)
        self.privacy.setAccessibleName("Album privacy")
        for name in PRIVACIES:
            self.privacy.addItem(PRIVACY_TEXT.get(name, name.capitalize()), name)
        privacy = (album.privacy if album else None) or NEW_ALBUM_PRIVACY
        self.privacy.setCurrentIndex(max(0, self.privacy.findData(privacy)))
        form.addRow("&Privacy", self.privacy)
        layout = album.layout if album and album.layout else "blog"
        self.layout_picker = LayoutPicker(self, current=layout)
        form.addRow("Layout", self.layout_picker)
        self.layout_help = QLabel(LayoutPicker.description(layout), self)
        self.layout_help.setWordWrap(True)
        form.addRow("", self.layout_help)
        self.layout_picker.layoutChanged.connect(
            lambda name: self.layout_help.setText(LayoutPicker.description(name)))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Create" if album is None else "Save")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

    def fields(self) -> AlbumFields:
        return AlbumFields(title=self.title.text().strip(),
                           description=self.description.toPlainText().strip(),
                           privacy=str(self.privacy.currentData()),
                           layout=self.layout_picker.current())
