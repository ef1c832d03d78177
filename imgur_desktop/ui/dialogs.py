"""Errors as sentences with the technical part one click away, and the settings dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QWidget,
)

from imgur_desktop.core.links import LinkFormat
from imgur_desktop.core.settings import Settings


def error_box(parent: QWidget | None, text: str, details: str | None = None) -> QMessageBox:
    """A message box whose "Copy details" button puts the technical part on the clipboard."""
    box = QMessageBox(QMessageBox.Icon.Warning, "imgur-desktop", text,
                      QMessageBox.StandardButton.Ok, parent)
    # Shown with open() and forgotten by its caller: freed when closed, not with the window.
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setEscapeButton(QMessageBox.StandardButton.Ok)  # Esc and the title bar close it too
    if details:
        box.setDetailedText(details)
        copy = box.addButton("Copy details", QMessageBox.ButtonRole.ActionRole)
        copy.clicked.disconnect()
        copy.clicked.connect(lambda: QApplication.clipboard().setText(details))
    return box


def save_cancel(dialog: QDialog, form: QFormLayout) -> QDialogButtonBox:
    """Save and Cancel at the foot of a form dialog, wired to accept and reject."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                               | QDialogButtonBox.StandardButton.Cancel, dialog)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    return buttons


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._settings = settings
        form = QFormLayout(self)
        self.api_url = QLineEdit(settings.api_url or "", self)
        self.api_url.setPlaceholderText("The built-in local image host")
        form.addRow("Service URL", self.api_url)
        self.key = QLineEdit(settings.key or "", self)
        self.key.setPlaceholderText("Registered automatically for the local host")
        form.addRow("API key", self.key)
        self.link_format = QComboBox(self)
        for fmt in (LinkFormat.DIRECT, LinkFormat.PAGE, LinkFormat.MARKDOWN,
                    LinkFormat.BBCODE, LinkFormat.HTML):
            self.link_format.addItem(fmt.label, fmt.value)
        self.link_format.setCurrentIndex(max(0, self.link_format.findData(settings.link_format)))
        form.addRow("Copy links as", self.link_format)
        self.auto_copy = QCheckBox("Copy the link when an upload finishes", self)
        self.auto_copy.setChecked(settings.auto_copy)
        form.addRow("", self.auto_copy)
        self.concurrency = QSpinBox(self)
        self.concurrency.setRange(1, 8)
        self.concurrency.setValue(settings.concurrency)
        form.addRow("Uploads at once", self.concurrency)
        self.max_upload = QDoubleSpinBox(self)
        self.max_upload.setRange(0.1, 1024)
        self.max_upload.setSuffix(" MB")
        self.max_upload.setValue(settings.max_upload_mb)
        form.addRow("Largest file", self.max_upload)
        self.confirm = QCheckBox("Ask before uploading", self)
        self.confirm.setChecked(settings.confirm_upload)
        form.addRow("", self.confirm)
        save_cancel(self, form)

    def result_settings(self) -> Settings:
        from dataclasses import replace

        url = self.api_url.text().strip() or None
        return replace(self._settings, api_url=url, key=self.key.text().strip() or None,
                       link_format=str(self.link_format.currentData()),
                       auto_copy=self.auto_copy.isChecked(),
                       concurrency=self.concurrency.value(),
                       max_upload_mb=self.max_upload.value(),
                       confirm_upload=self.confirm.isChecked())
