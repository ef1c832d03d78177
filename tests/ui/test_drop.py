"""Ways in by drag and drop: files, a folder, a web link, raw image data; and the drop zone's
words."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QDragLeaveEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel
from pytestqt.qtbot import QtBot

from imgur_desktop.app import Application
from tests.conftest import HostWithKeys
from tests.support import images
from tests.ui.conftest import (
    drag_enter,
    drop,
    fetch,
    file_mime,
    press_ctrl,
    unique_png,
    wait_done,
    when_modal,
    write,
)


def test_the_drop_zone_speaks_the_seeds_words(app: Application) -> None:
    zone = app.window.drop_zone
    words = [label.text() for label in zone.findChildren(QLabel)] + [zone.browse.text()]
    for phrase in ("browse your computer", "drag and drop here", "Ctrl + V",
                   "paste from your clipboard"):
        assert phrase in words
    assert app.window.empty.isVisible()
    assert app.window.empty.text() == "Nothing uploaded yet. Drop images here or press Ctrl+V."
    assert app.window.heading.text() == "Images (0)"


def test_dragging_files_over_says_how_many_and_leaving_resets(
        app: Application, tmp_path: Path) -> None:
    zone = app.window.drop_zone
    files = [write(tmp_path, f"{n}.png", unique_png()) for n in range(3)]
    event = drag_enter(zone, file_mime(*files))
    assert event.isAccepted()
    assert zone.hint.text() == "Drop to upload 3 files"
    QApplication.sendEvent(zone, QDragLeaveEvent())
    assert zone.hint.text() == "Upload images"

    folder = tmp_path / "trip"
    write(folder, "a.png", unique_png())
    assert drag_enter(zone, file_mime(folder)).isAccepted()
    assert zone.hint.text() == "Drop to upload 1 folder"  # its images are counted on the drop
    assert drag_enter(zone, file_mime(files[0], folder)).isAccepted()
    assert zone.hint.text() == "Drop to upload 1 file and 1 folder"

    raw = QMimeData()
    raw.setData("image/png", unique_png())
    assert drag_enter(zone, raw).isAccepted()
    assert zone.hint.text() == "Drop to upload this image"

    text = QMimeData()
    text.setText("just some words")
    assert not drag_enter(zone, text).isAccepted()


def test_dropped_files_upload_and_land_on_the_host(qtbot: QtBot, app: Application,
                                                   tmp_path: Path) -> None:
    png, jpeg, gif = unique_png(), images.jpeg(), images.gif()
    files = [write(tmp_path, "a.png", png), write(tmp_path, "b.jpg", jpeg),
             write(tmp_path, "c.gif", gif)]
    drop(app.window.drop_zone, file_mime(*files))
    items = wait_done(qtbot, app.model, 3)
    assert [i.label for i in items] == ["a.png", "b.jpg", "c.gif"]
    for item, content in zip(items, (png, jpeg, gif), strict=True):
        assert item.image is not None
        assert fetch(item.image.links.original) == content
    assert app.window.heading.text() == "Images (3)"
    assert app.window.view.isVisible()


def test_a_dropped_folder_queues_its_images_recursively_and_tells_what_was_skipped(
        qtbot: QtBot, app: Application, tmp_path: Path) -> None:
    folder = tmp_path / "holiday"
    write(folder, "one.png", unique_png())
    write(folder, "notes.txt", b"not an image at all\n")
    write(folder / "deeper", "two.jpg", images.jpeg())
    write(folder / "deeper", "three.bmp", images.bmp())
    write(folder / "deeper", "readme.md", b"# nothing\n")
    with qtbot.waitSignal(app.queue.message, timeout=10_000) as told:
        drop(app.window.drop_zone, file_mime(folder))
    assert told.args == ["holiday: 3 image(s); skipped 2 file(s) that are not supported images"]
    assert app.window.status_text.text() == told.args[0]
    items = wait_done(qtbot, app.model, 3)
    assert sorted(i.label for i in items) == sorted([
        str(Path("holiday/one.png")), str(Path("holiday/deeper/two.jpg")),
        str(Path("holiday/deeper/three.bmp"))])


def test_a_dropped_web_link_is_uploaded_by_url(qtbot: QtBot, app: Application,
                                               shared_host: HostWithKeys,
                                               tmp_path: Path) -> None:
    content = images.gif(frames=1)
    source = requests_upload(shared_host, content)
    mime = QMimeData()
    mime.setUrls([QUrl(source)])
    drop(app.window.drop_zone, mime)
    (item,) = wait_done(qtbot, app.model, 1)
    assert item.url == source
    assert item.path is None
    assert item.image is not None
    assert item.image.links.original != source  # a new image on the host, fetched by it
    assert fetch(item.image.links.original) == content


def test_dropped_raw_image_data_is_uploaded_as_is(qtbot: QtBot, app: Application) -> None:
    content = unique_png((40, 30))
    mime = QMimeData()
    mime.setData("image/png", content)
    drop(app.window.drop_zone, mime)
    (item,) = wait_done(qtbot, app.model, 1)
    assert item.label.startswith("Pasted image ")
    assert item.label.endswith(".png")
    assert item.image is not None
    assert fetch(item.image.links.original) == content


def choose(folder: Path, names: list[str]) -> Callable[[QFileDialog], None]:
    """Pick ``names`` in ``folder`` in the file chooser, as a person would."""
    def act(dialog: QFileDialog) -> None:
        dialog.setDirectory(str(folder))
        dialog.selectFile(" ".join(f'"{name}"' for name in names))
        dialog.accept()
    return act


def test_ctrl_o_and_browse_open_a_file_chooser_whose_choice_is_uploaded(
        qtbot: QtBot, app: Application, tmp_path: Path) -> None:
    for n in (1, 2, 3):
        write(tmp_path, f"pick{n}.png", unique_png())

    shown = when_modal(QFileDialog, choose(tmp_path, ["pick1.png", "pick2.png"]))
    press_ctrl(qtbot, app.window, Qt.Key.Key_O)
    assert len(shown) == 1
    items = wait_done(qtbot, app.model, 2)
    assert [i.label for i in items] == ["pick1.png", "pick2.png"]

    shown = when_modal(QFileDialog, choose(tmp_path, ["pick3.png"]))
    qtbot.mouseClick(app.window.drop_zone.browse, Qt.MouseButton.LeftButton)
    assert len(shown) == 1
    items = wait_done(qtbot, app.model, 3)
    assert items[2].label == "pick3.png"


def requests_upload(host: HostWithKeys, content: bytes) -> str:
    """Put an image on the host outside the app; return its direct link."""
    import requests

    resp = requests.post(host.api + "upload.json", data={"key": host.keys.key},
                         files={"image": ("source.gif", content, "image/gif")}, timeout=10)
    resp.raise_for_status()
    return str(resp.json()["upload"]["links"]["original"])
