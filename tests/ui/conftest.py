"""Fixtures for the desktop app's tests: the app built as in production against the real local
image host, a signed-in window wired as the composition root wires it, drops built as Qt
builds them, and files made on the fly."""

from __future__ import annotations

import gc
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
import requests
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from imgur_desktop.app import Application
from imgur_desktop.cli.parser import build_app
from imgur_desktop.core import settings as settings_file
from imgur_desktop.core.api.v2 import OAuthCredentials, V2Client
from imgur_desktop.core.settings import Settings
from imgur_desktop.ui.main_window import MainWindow
from imgur_desktop.ui.upload_model import State, UploadItem, UploadListModel
from imgur_desktop.ui.upload_queue import UploadQueue
from tests.conftest import HostWithKeys
from tests.support import images
from tests.support.browser import Tokens

T = TypeVar("T")
UPLOAD_TIMEOUT = 30_000  # ms; uploads to the loopback host take a fraction of that
SENTINEL = "clipboard before the test"
_colours = itertools.count(1)


@pytest.fixture(scope="session", autouse=True)
def _own_qsettings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The window keeps its geometry in QSettings: keep that out of the real user's config."""
    folder = str(tmp_path_factory.mktemp("qsettings"))
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, folder)


@pytest.fixture(autouse=True)
def _collect_qt_garbage_on_the_gui_thread() -> Iterator[None]:
    """Torn down last: collect the test's cyclic garbage here, on the GUI thread.

    The app's objects form reference cycles (the window holds the Application's
    ``save_settings``, the Application holds the window). Left to the cyclic collector, they
    are freed wherever it next runs, which may be a pool thread of a later test: deleting a
    QTimer, a QThreadPool or a widget from there crashes Qt (a segfault in a timer event).
    """
    yield
    gc.collect()
    QApplication.processEvents()


def unique_png(size: tuple[int, int] = (64, 48)) -> bytes:
    """A PNG no other test uploads (its colour differs), so byte comparisons mean something."""
    n = next(_colours)
    return images.raster("PNG", size, color=(n * 37 % 256, n * 91 % 256, n * 53 % 256))


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def fetch(url: str) -> bytes:
    resp = requests.get(url, timeout=10)
    resp.raise_for_status()
    return resp.content


def count_images(host: HostWithKeys) -> int:
    folder = Path(host.data_dir) / "images"
    return sum(1 for p in folder.iterdir() if p.is_file()) if folder.exists() else 0


def file_mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drag_enter(widget: QWidget, mime: QMimeData) -> QDragEnterEvent:
    event = QDragEnterEvent(widget.rect().center(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return event


def drop(widget: QWidget, mime: QMimeData) -> QDropEvent:
    """Drag ``mime`` over ``widget`` and drop it there, as Qt delivers a drop."""
    assert drag_enter(widget, mime).isAccepted(), "the drag was refused on entering"
    event = QDropEvent(QPointF(widget.rect().center()), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return event


def clear_clipboard() -> None:
    QApplication.clipboard().setText(SENTINEL)


def set_clipboard(mime: QMimeData) -> None:
    QApplication.clipboard().setMimeData(mime)


def clipboard_text() -> str:
    return QApplication.clipboard().text()


def finished(model: UploadListModel, count: int) -> Callable[[], bool]:
    def check() -> bool:
        items = model.items
        return len(items) == count and all(i.state.finished for i in items)
    return check


def wait_finished(qtbot: QtBot, model: UploadListModel, count: int) -> list[UploadItem]:
    qtbot.waitUntil(finished(model, count), timeout=UPLOAD_TIMEOUT)
    return model.items


def wait_done(qtbot: QtBot, model: UploadListModel, count: int) -> list[UploadItem]:
    items = wait_finished(qtbot, model, count)
    assert [i.state for i in items] == [State.DONE] * count, [
        (i.label, i.state, i.error) for i in items]
    return items


def press_ctrl(qtbot: QtBot, widget: QWidget, key: Qt.Key) -> None:
    qtbot.keyClick(widget, key, Qt.KeyboardModifier.ControlModifier)


def quiesce(queue: UploadQueue) -> None:
    """Stop what the queue still runs, so nothing reaches the next test."""
    for item in queue.model.items:
        if item.cancel is not None:
            item.cancel.cancel()
    queue._timer.stop()
    queue.wait_for_workers(20_000)
    QApplication.processEvents()


def app_args(host: HostWithKeys, tmp: Path, *extra: str) -> list[str]:
    return ["--api-url", host.api, "--key", host.keys.key, "--config-dir", str(tmp / "cfg"),
            "--data-dir", str(tmp / "data"), *extra]


@pytest.fixture
def start_app(qtbot: QtBot, tmp_path: Path,
              shared_host: HostWithKeys) -> Iterator[Callable[..., Application]]:
    """``start_app(host=None, settings=None)``: the app as ``imgur-desktop --api-url … --key …``
    builds it, started and connected (anonymous)."""
    started: list[Application] = []

    def start(host: HostWithKeys | None = None, settings: Settings | None = None,
              inputs: Sequence[str] = ()) -> Application:
        host = host or shared_host
        tmp = tmp_path / f"app{len(started)}"
        if settings is not None:
            settings_file.save(tmp / "cfg", settings)
        args = build_app().parse_args(app_args(host, tmp))
        app = Application(args, list(inputs))
        started.append(app)
        qtbot.addWidget(app.window)
        with qtbot.waitExposed(app.window):
            app.start()
        qtbot.waitUntil(lambda: app.queue.client is not None or
                        app.window.status_text.text().startswith("No image host"),
                        timeout=10_000)
        assert app.queue.client is not None, app.window.status_text.text()
        app.window.activateWindow()
        qtbot.waitUntil(app.window.isActiveWindow)
        clear_clipboard()
        return app

    yield start
    for app in started:
        quiesce(app.queue)
        app._pool.waitForDone(10_000)


@pytest.fixture
def app(start_app: Callable[..., Application]) -> Application:
    return start_app()


@dataclass
class SignedIn:
    window: MainWindow
    queue: UploadQueue
    model: UploadListModel
    client: V2Client
    config_dir: Path


@pytest.fixture
def alice_window(qtbot: QtBot, tmp_path: Path, shared_host: HostWithKeys,
                 alice_tokens: Tokens) -> Iterator[SignedIn]:
    """A window signed in as alice, wired as ``Application`` wires it once connected."""
    config_dir = tmp_path / "alice-cfg"
    model = UploadListModel()
    queue = UploadQueue(model, concurrency=3,
                        copy_text=lambda text: QApplication.clipboard().setText(text))
    window = MainWindow(queue, settings=Settings(),
                        save_settings=lambda new: settings_file.save(config_dir, new),
                        qsettings=QSettings(str(tmp_path / "alice.ini"),
                                            QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    keys = shared_host.keys
    client = V2Client(shared_host.api, oauth=OAuthCredentials(
        keys.consumer_key, keys.consumer_secret, alice_tokens.token, alice_tokens.secret))
    queue.set_client(client)
    window.set_destination("Local image host", "alice")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    clear_clipboard()
    yield SignedIn(window, queue, model, client, config_dir)
    quiesce(queue)


def when_modal(kind: type[T], act: Callable[[T], None], *, tries: int = 250) -> list[T]:
    """Once a modal ``kind`` is up (a dialog's own event loop runs meanwhile), ``act`` on it,
    as a person would. Returns a list that holds the dialog once it was handled; polling
    stops after ``tries`` x 20 ms so a dialog that never comes cannot reach a later test."""
    handled: list[T] = []

    def poll(left: int) -> None:
        widget = QApplication.activeModalWidget()
        if isinstance(widget, kind):
            handled.append(widget)
            act(widget)
        elif left > 0:
            QTimer.singleShot(20, lambda: poll(left - 1))

    QTimer.singleShot(0, lambda: poll(tries))
    return handled


def point(p: object) -> QPoint:
    assert isinstance(p, QPoint)
    return p


