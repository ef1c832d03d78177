"""Ctrl+V anywhere in the window, through the real clipboard: encoded image bytes first, then a
decoded image, file links, web links, text naming a file; a short message for anything else."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image as PILImage
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from imgur_desktop.app import Application
from tests.conftest import HostWithKeys
from tests.support import images
from tests.ui.conftest import (
    fetch,
    press_ctrl,
    set_clipboard,
    unique_png,
    wait_done,
    write,
)
from tests.ui.test_drop import requests_upload


def paste(qtbot: QtBot, app: Application) -> None:
    press_ctrl(qtbot, app.window, Qt.Key.Key_V)


def test_pasted_png_bytes_arrive_byte_identical(qtbot: QtBot, app: Application) -> None:
    content = unique_png((50, 20))
    mime = QMimeData()
    mime.setData("image/png", content)
    set_clipboard(mime)
    paste(qtbot, app)
    (item,) = wait_done(qtbot, app.model, 1)
    assert item.image is not None
    assert fetch(item.image.links.original) == content
    assert item.image.mime == "image/png"


def test_pasted_jpeg_bytes_keep_their_type(qtbot: QtBot, app: Application) -> None:
    content = images.jpeg()
    mime = QMimeData()
    mime.setData("image/jpeg", content)
    set_clipboard(mime)
    paste(qtbot, app)
    (item,) = wait_done(qtbot, app.model, 1)
    assert item.label.endswith(".jpg")
    assert item.image is not None
    assert item.image.mime == "image/jpeg"
    assert fetch(item.image.links.original) == content


def test_encoded_png_bytes_win_over_the_decoded_image(qtbot: QtBot, app: Application) -> None:
    content = unique_png((30, 30))
    other = QImage(7, 9, QImage.Format.Format_RGB32)
    other.fill(QColor(10, 200, 10))
    mime = QMimeData()
    mime.setImageData(other)
    mime.setData("image/png", content)
    set_clipboard(mime)
    paste(qtbot, app)
    (item,) = wait_done(qtbot, app.model, 1)
    assert item.image is not None
    assert fetch(item.image.links.original) == content
    assert (item.image.width, item.image.height) == (30, 30)


def test_a_pasted_image_with_no_encoded_bytes_is_uploaded_as_png(qtbot: QtBot,
                                                                 app: Application) -> None:
    image = QImage(33, 21, QImage.Format.Format_RGB32)
    image.fill(QColor(12, 34, 200))
    mime = QMimeData()
    mime.setImageData(image)
    set_clipboard(mime)
    paste(qtbot, app)
    (item,) = wait_done(qtbot, app.model, 1)
    assert item.label.endswith(".png")
    assert item.image is not None
    assert item.image.mime == "image/png"
    uploaded = PILImage.open(io.BytesIO(fetch(item.image.links.original)))
    assert uploaded.format == "PNG"
    assert uploaded.size == (33, 21)
    assert uploaded.convert("RGB").getpixel((5, 5)) == (12, 34, 200)


def test_pasted_file_links_upload_those_files(qtbot: QtBot, app: Application,
                                              tmp_path: Path) -> None:
    first, second = unique_png(), images.gif()
    paths = [write(tmp_path, "copied.png", first), write(tmp_path, "copied.gif", second)]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    set_clipboard(mime)
    paste(qtbot, app)
    items = wait_done(qtbot, app.model, 2)
    assert [i.path for i in items] == paths
    assert [fetch(i.image.links.original) for i in items if i.image] == [first, second]


@pytest.mark.parametrize("as_", ["text", "url"])
def test_a_pasted_web_link_is_uploaded_by_url(qtbot: QtBot, app: Application,
                                              shared_host: HostWithKeys, as_: str) -> None:
    content = images.gif()
    source = requests_upload(shared_host, content)
    mime = QMimeData()
    if as_ == "text":
        mime.setText(source)
    else:
        mime.setUrls([QUrl(source)])
    set_clipboard(mime)
    paste(qtbot, app)
    (item,) = wait_done(qtbot, app.model, 1)
    assert item.url == source
    assert item.image is not None
    assert item.image.links.original != source
    assert fetch(item.image.links.original) == content


def test_pasted_text_that_names_a_file_uploads_the_file(qtbot: QtBot, app: Application,
                                                        tmp_path: Path) -> None:
    content = unique_png()
    path = write(tmp_path, "named in text.png", content)
    mime = QMimeData()
    mime.setText(f"  {path}  \n")
    set_clipboard(mime)
    paste(qtbot, app)
    (item,) = wait_done(qtbot, app.model, 1)
    assert item.path == path
    assert item.image is not None
    assert fetch(item.image.links.original) == content


def test_pasting_nothing_usable_says_so_and_adds_no_row(qtbot: QtBot, app: Application,
                                                        tmp_path: Path) -> None:
    for text in ("hello", str(tmp_path / "no such file.png"), "ftp://example.com/a.png"):
        mime = QMimeData()
        mime.setText(text)
        set_clipboard(mime)
        app.window.show_status("")
        paste(qtbot, app)
        assert app.window.status_text.text() == (
            "The clipboard holds no image, file or link to upload.")
        assert app.model.rowCount() == 0
    assert app.window.heading.text() == "Images (0)"
    assert not app.queue.busy


def test_ctrl_v_works_wherever_the_focus_is_in_the_window(qtbot: QtBot,
                                                          app: Application) -> None:
    content = unique_png()
    mime = QMimeData()
    mime.setData("image/png", content)
    set_clipboard(mime)
    title = app.window.destination.album  # a focusable control deep inside the window
    title.setFocus()
    qtbot.waitUntil(title.hasFocus)
    press_ctrl(qtbot, title, Qt.Key.Key_V)
    (item,) = wait_done(qtbot, app.model, 1)
    assert item.image is not None
    assert fetch(item.image.links.original) == content
