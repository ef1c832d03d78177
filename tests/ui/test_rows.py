"""The upload list: rows with their state, progress, cancel, retry, actions through the
delegate, shortcuts on selected rows, the heading, and errors as sentences."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from PySide6.QtCore import QModelIndex, QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from imgur_desktop.app import Application
from imgur_desktop.core.api.transport import MAX_SEND_BLOCK, RetryPolicy, Transport
from imgur_desktop.core.api.v2 import V2Client
from imgur_desktop.ui.upload_model import LookRole, State, UploadItem
from tests.conftest import HostWithKeys
from tests.support import images
from tests.ui.conftest import (
    SENTINEL,
    UPLOAD_TIMEOUT,
    clipboard_text,
    count_images,
    drop,
    fetch,
    file_mime,
    point,
    press_ctrl,
    unique_png,
    wait_done,
    wait_finished,
    write,
)

UNSUPPORTED = ("That file type is not supported! Supported formats: JPEG, GIF, PNG, APNG, "
               "TIFF, BMP, PDF, XCF")
MB = 1024 * 1024


def click_action(qtbot: QtBot, app: Application, row: int, action: str) -> None:
    view = app.window.view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=point(view.action_point(row, action)))


def test_an_unsupported_file_fails_on_its_own_row_and_the_others_go_on(
        qtbot: QtBot, app: Application, tmp_path: Path) -> None:
    files = [write(tmp_path, "good1.png", unique_png()),
             write(tmp_path, "notes.txt", b"these are notes, not an image\n"),
             write(tmp_path, "good2.jpg", images.jpeg())]
    drop(app.window.drop_zone, file_mime(*files))
    items = wait_finished(qtbot, app.model, 3)
    assert [i.state for i in items] == [State.DONE, State.FAILED, State.DONE]
    bad = items[1]
    assert bad.error == UNSUPPORTED
    index = app.model.index(1)
    assert index.data(Qt.ItemDataRole.AccessibleTextRole) == f"notes.txt: {UNSUPPORTED}"
    assert app.window.view.grab().isNull() is False  # the delegate paints every state
    with pytest.raises(KeyError):
        app.window.view.action_point(1, "copy")  # a failed row offers no link
    app.window.view.action_point(1, "details")
    with pytest.raises(KeyError):
        app.window.view.action_point(1, "retry")  # refused for what it is: Retry cannot help
    app.queue.retry(bad)
    assert bad.state is State.FAILED
    assert bad.error == UNSUPPORTED


def test_an_image_the_host_refuses_offers_no_retry(
        qtbot: QtBot, app: Application, tmp_path: Path) -> None:
    whole = unique_png()
    cut = write(tmp_path, "cut.png", whole[:len(whole) // 2])  # a PNG by its first bytes
    drop(app.window.drop_zone, file_mime(cut))
    (item,) = wait_finished(qtbot, app.model, 1)
    assert item.state is State.FAILED
    assert item.error is not None
    assert "corrupt or incomplete" in item.error
    assert item.final
    with pytest.raises(KeyError):
        app.window.view.action_point(0, "retry")
    app.window.view.action_point(0, "remove")


def test_a_link_the_host_could_not_fetch_keeps_its_retry(
        qtbot: QtBot, app: Application) -> None:
    """The host answers 400 when it cannot fetch a link too, which may pass: Retry stays."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # nothing listens there once the socket is closed
    app.queue.add_urls([f"http://127.0.0.1:{port}/picture.png"])
    (item,) = wait_finished(qtbot, app.model, 1)
    assert item.state is State.FAILED
    assert item.error is not None
    assert "could not be fetched" in item.error
    assert not item.final
    app.window.view.action_point(0, "retry")


def test_progress_climbs_to_100_percent_and_the_row_is_done(
        qtbot: QtBot, app: Application, tmp_path: Path) -> None:
    path = write(tmp_path, "big.bmp", images.raster("BMP", (1024, 1024)))  # 3 MB
    app.queue.progress_interval = 0.0  # every piece's news redraws the row (see below)
    seen: list[tuple[State, int]] = []

    def record(top: QModelIndex, _bottom: QModelIndex, _roles: object = None) -> None:
        item = app.model.item_at(top.row())
        seen.append((item.state, item.percent))

    app.model.dataChanged.connect(record)
    drop(app.window.drop_zone, file_mime(path))
    (item,) = wait_done(qtbot, app.model, 1)
    uploading = [percent for state, percent in seen if state is State.UPLOADING]
    assert len(set(uploading)) > 3, uploading  # progress was reported along the way
    assert uploading == sorted(uploading)
    assert uploading[-1] == 100
    assert seen[-1][0] is State.DONE
    assert item.percent == 100
    assert item.size is not None
    assert item.size >= path.stat().st_size
    # The preview is decoded a moment after the row is first drawn (THUMBNAIL_DELAY_MS).
    qtbot.waitUntil(lambda: item.thumbnail is not None, timeout=10_000)
    assert item.thumbnail is not None
    assert max(item.thumbnail.width(), item.thumbnail.height()) <= 48


@pytest.mark.parametrize("how", ["row action", "Esc"])
def test_cancel_mid_upload_stops_it_and_the_host_keeps_nothing(
        qtbot: QtBot, start_app, make_host, tmp_path: Path, how: str) -> None:  # type: ignore[no-untyped-def]
    host: HostWithKeys = make_host("--max-upload-mb", "60", users=False)
    app: Application = start_app(host)
    app.queue.client.max_upload_bytes = 60 * MB  # type: ignore[union-attr]
    path = write(tmp_path, "huge.bmp", images.raster("BMP", (3600, 3600)))  # 37 MB
    before = count_images(host)
    drop(app.window.drop_zone, file_mime(path))
    (item,) = app.model.items
    qtbot.waitUntil(lambda: item.state is State.UPLOADING and item.sent > 0,
                    timeout=UPLOAD_TIMEOUT)
    assert not app.window.view.grab().isNull()  # the row's progress bar paints
    assert app.window.view.action_point(0, "cancel")
    if how == "Esc":
        app.window.view.selectAll()
        qtbot.keyClick(app.window.view, Qt.Key.Key_Escape)
    else:
        click_action(qtbot, app, 0, "cancel")
    assert item.state is State.CANCELLED
    assert item.percent < 100
    qtbot.waitUntil(lambda: app.queue.pool.activeThreadCount() == 0, timeout=UPLOAD_TIMEOUT)
    assert item.state is State.CANCELLED
    assert item.image is None
    assert app.window.view.action_point(0, "retry")
    # The host has settled the broken request before it answers the next one in turn.
    small = write(tmp_path, "after.png", unique_png())
    drop(app.window.drop_zone, file_mime(small))
    qtbot.waitUntil(lambda: app.model.items[-1].state is State.DONE, timeout=UPLOAD_TIMEOUT)
    assert count_images(host) == before + 1



def test_progress_redraws_the_row_no_more_than_25_times_a_second(
        qtbot: QtBot, app: Application, tmp_path: Path) -> None:
    """News comes for every block sent (64-512 KB); the row is redrawn for the first, then at
    most every ``progress_interval``, and for the last piece: a fast upload is not slowed by
    repainting its own bar, and the bar still reaches 100%."""
    path = write(tmp_path, "big.bmp", images.raster("BMP", (1700, 1700)))  # 8.7 MB
    news: list[int] = []
    redraws: list[tuple[float, int]] = []
    app.queue.progress_interval = 0.04
    handle = app.queue._progress

    def counting(item: UploadItem, token: object, sent: int, total: int) -> None:
        news.append(sent)
        handle(item, token, sent, total)  # type: ignore[arg-type]

    app.queue._progress = counting  # type: ignore[method-assign]

    def record(top: QModelIndex, _bottom: QModelIndex, roles: object = None) -> None:
        item = app.model.item_at(top.row())
        if item.state is State.UPLOADING and roles and LookRole in roles:  # type: ignore[operator]
            redraws.append((time.monotonic(), item.percent))

    app.model.dataChanged.connect(record)
    started = time.monotonic()
    drop(app.window.drop_zone, file_mime(path))
    wait_done(qtbot, app.model, 1)
    elapsed = time.monotonic() - started
    assert len(news) >= 8.7 * MB / MAX_SEND_BLOCK  # the worker reported every block
    assert redraws[-1][1] == 100  # the last piece is always shown
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(redraws[:-1])]
    assert all(gap >= 0.04 for gap in gaps), gaps
    assert len(redraws) <= elapsed / 0.04 + 2
    assert len(redraws) < len(news) / 2

def test_cancel_then_retry_at_once_ends_done(qtbot: QtBot, start_app, make_host,  # type: ignore[no-untyped-def]
                                             tmp_path: Path) -> None:
    """The cancelled attempt's late news must not touch the new attempt."""
    host: HostWithKeys = make_host("--max-upload-mb", "60", users=False)
    app: Application = start_app(host)
    app.queue.client.max_upload_bytes = 60 * MB  # type: ignore[union-attr]
    content = images.raster("BMP", (2600, 2600))  # 20 MB
    path = write(tmp_path, "again.bmp", content)
    drop(app.window.drop_zone, file_mime(path))
    (item,) = app.model.items
    qtbot.waitUntil(lambda: item.sent > 0, timeout=UPLOAD_TIMEOUT)
    click_action(qtbot, app, 0, "cancel")
    click_action(qtbot, app, 0, "retry")
    assert item.state is State.UPLOADING
    (item,) = wait_finished(qtbot, app.model, 1)
    assert item.state is State.DONE, (item.state, item.error)
    assert item.image is not None
    qtbot.waitUntil(lambda: app.queue.pool.activeThreadCount() == 0, timeout=UPLOAD_TIMEOUT)
    assert count_images(host) == 1
    assert clipboard_text() == item.image.links.original


def closed_port_client(host: HostWithKeys) -> V2Client:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return V2Client(f"http://127.0.0.1:{port}/2/", key=host.keys.key,
                    transport=Transport(retry=RetryPolicy(attempts=1)))


def test_an_unreachable_host_holds_the_row_with_a_reason_and_it_goes_on_by_itself(
        qtbot: QtBot, app: Application, shared_host: HostWithKeys, tmp_path: Path) -> None:
    good = app.queue.client
    assert good is not None
    app.queue.set_client(closed_port_client(shared_host))
    content = unique_png()
    drop(app.window.drop_zone, file_mime(write(tmp_path, "later.png", content)))
    qtbot.waitUntil(lambda: app.queue.is_offline, timeout=UPLOAD_TIMEOUT)
    (item,) = app.model.items
    assert item.state is State.QUEUED  # waiting, not failed: nothing is wrong with the file
    assert item.error == ("The service cannot be reached (is it running, and is the network "
                          "up?).")
    assert item.details
    assert "127.0.0.1" in item.details
    assert item.status_text().startswith("Waiting to retry (attempt 2): The service cannot")
    assert app.model.index(0).data(Qt.ItemDataRole.ToolTipRole) == item.details
    status = app.window.status_text.text()
    assert status.startswith("The image host cannot be reached; trying again in "), status
    assert "go on by themselves" in status

    # The host "comes back" (the real one answers): the queue finds out by itself.
    app.queue.client = good
    (item,) = wait_finished(qtbot, app.model, 1)
    assert item.state is State.DONE
    assert item.error is None
    assert item.attempts == 2
    assert item.image is not None
    assert fetch(item.image.links.original) == content
    assert not app.queue.is_offline


def test_details_of_a_failed_row_open_an_error_box_that_copies_them(
        qtbot: QtBot, app: Application, shared_host: HostWithKeys, tmp_path: Path) -> None:
    # A key the host does not know: refused for good, with the host's answer in the details.
    app.queue.set_client(V2Client(shared_host.api, key="not-a-registered-key"))
    drop(app.window.drop_zone, file_mime(write(tmp_path, "x.png", unique_png())))
    (item,) = wait_finished(qtbot, app.model, 1)
    assert item.state is State.FAILED
    assert item.details
    assert "POST " in item.details
    click_action(qtbot, app, 0, "details")
    qtbot.waitUntil(lambda: any(b.isVisible() for b in app.window.findChildren(QMessageBox)))
    (box,) = [b for b in app.window.findChildren(QMessageBox) if b.isVisible()]
    assert box.text() == item.error
    assert box.detailedText() == item.details
    (copy,) = [b for b in box.findChildren(QPushButton) if b.text() == "Copy details"]
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    assert clipboard_text() == item.details
    box.close()


class UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def catch(self, url: QUrl) -> None:
        self.urls.append(url.toString())


def done_rows(qtbot: QtBot, app: Application, tmp_path: Path, n: int) -> list[UploadItem]:
    files = [write(tmp_path, f"row{i}.png", unique_png()) for i in range(n)]
    drop(app.window.drop_zone, file_mime(*files))
    return wait_done(qtbot, app.model, n)


def test_row_actions_copy_open_and_remove(qtbot: QtBot, app: Application,
                                          tmp_path: Path) -> None:
    first, second = done_rows(qtbot, app, tmp_path, 2)
    assert first.image
    assert second.image
    assert app.window.heading.text() == "Images (2)"

    click_action(qtbot, app, 1, "copy")
    assert clipboard_text() == second.image.links.original
    assert app.window.status_text.text() == "Link copied"

    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("http", catcher, "catch")
    try:
        click_action(qtbot, app, 0, "open")
    finally:
        QDesktopServices.unsetUrlHandler("http")
    assert catcher.urls == [first.image.links.imgur_page]

    click_action(qtbot, app, 0, "remove")
    assert app.model.items == [second]
    assert app.window.heading.text() == "Images (1)"
    click_action(qtbot, app, 0, "remove")
    assert app.model.rowCount() == 0
    assert app.window.heading.text() == "Images (0)"
    assert app.window.empty.isVisible()


def test_ctrl_c_copies_the_selected_rows_links_and_delete_removes_them(
        qtbot: QtBot, app: Application, tmp_path: Path) -> None:
    items = done_rows(qtbot, app, tmp_path, 3)
    view = app.window.view
    view.setFocus()
    selection = view.selectionModel()
    selection.select(app.model.index(0), selection.SelectionFlag.Select)
    selection.select(app.model.index(2), selection.SelectionFlag.Select)
    press_ctrl(qtbot, view, Qt.Key.Key_C)
    assert clipboard_text() == "\n".join(
        i.image.links.original for i in (items[0], items[2]) if i.image)
    assert app.window.status_text.text() == "2 links copied"

    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert app.model.items == [items[1]]
    assert app.window.heading.text() == "Images (1)"


def test_copy_all_and_clear_finished(qtbot: QtBot, app: Application, tmp_path: Path) -> None:
    items = done_rows(qtbot, app, tmp_path, 2)
    qtbot.mouseClick(app.window.copy_all, Qt.MouseButton.LeftButton)
    assert clipboard_text() == "\n".join(i.image.links.original for i in items if i.image)
    qtbot.mouseClick(app.window.clear_done, Qt.MouseButton.LeftButton)
    assert app.model.rowCount() == 0
    assert app.window.heading.text() == "Images (0)"


class HoldingProxy:
    """A front for the host over real sockets: it forwards each request whole, then holds the
    host's answer to an upload until released, so a test can act after the host has stored
    the image and before the app hears of it."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.answered = threading.Event()
        self.release = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection", "content-length")}
                resp = requests.request(self.command, proxy.target + self.path, data=body,
                                        headers=headers, timeout=30)
                if self.command == "POST":
                    proxy.answered.set()
                    proxy.release.wait(30)
                try:
                    self.send_response(resp.status_code)
                    for name, value in resp.headers.items():
                        if name.lower() not in ("connection", "transfer-encoding",
                                                "content-encoding", "content-length"):
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(resp.content)))
                    self.end_headers()
                    self.wfile.write(resp.content)
                except OSError:
                    pass  # the app hung up: that is its right

            do_GET = do_POST = do_DELETE = _forward

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/2/"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_an_upload_cancelled_after_its_last_byte_is_deleted_from_the_host(
        qtbot: QtBot, start_app, make_host, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    host: HostWithKeys = make_host(users=False)
    app: Application = start_app(host)
    proxy = HoldingProxy(host.url)
    try:
        app.queue.set_client(V2Client(proxy.api, key=host.keys.key))
        drop(app.window.drop_zone, file_mime(write(tmp_path, "late.png", unique_png())))
        qtbot.waitUntil(proxy.answered.is_set, timeout=UPLOAD_TIMEOUT)
        assert count_images(host) == 1  # the host has it; the app has not heard yet
        click_action(qtbot, app, 0, "cancel")
        (item,) = app.model.items
        assert item.state is State.CANCELLED
        proxy.release.set()
        qtbot.waitUntil(lambda: count_images(host) == 0, timeout=UPLOAD_TIMEOUT)
        qtbot.waitUntil(lambda: app.queue.pool.activeThreadCount() == 0,
                        timeout=UPLOAD_TIMEOUT)
        assert item.state is State.CANCELLED
        assert item.image is None
        assert clipboard_text() == SENTINEL
    finally:
        proxy.close()


def test_an_error_box_is_freed_once_closed(qtbot: QtBot, app: Application) -> None:
    from PySide6.QtCore import QEvent

    from imgur_desktop.ui.dialogs import error_box

    box = error_box(app.window, "Something failed.", "details")
    gone: list[bool] = []
    box.destroyed.connect(lambda: gone.append(True))
    box.open()
    assert box.close()  # as the title bar's close button does (and Esc)
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert gone == [True]

    box = error_box(app.window, "Something else failed.")
    box.destroyed.connect(lambda: gone.append(True))
    box.open()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert gone == [True, True]
