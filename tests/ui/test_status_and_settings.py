"""The status bar (credits, reset time, the countdown while the upload limit is used up), the
settings dialog, and what the app queues from its command line."""

from __future__ import annotations

import datetime as dt
import re
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox
from pytestqt.qtbot import QtBot

from imgur_desktop.app import Application
from imgur_desktop.core.links import LinkFormat
from imgur_desktop.core.models import Credits
from imgur_desktop.core.settings import Settings
from imgur_desktop.ui.dialogs import SettingsDialog
from imgur_desktop.ui.main_window import CREDITS_INTERVAL
from imgur_desktop.ui.upload_model import State
from tests.conftest import HostWithKeys
from tests.support import images
from tests.ui.conftest import (
    UPLOAD_TIMEOUT,
    clipboard_text,
    drop,
    fetch,
    file_mime,
    press_ctrl,
    set_clipboard,
    unique_png,
    wait_done,
    when_modal,
    write,
)
from tests.ui.test_drop import requests_upload

CREDITS = re.compile(r"^(\d+) of (\d+) credits, resets (\d\d:\d\d)$")


def test_the_status_bar_shows_credits_and_their_reset_from_the_start(
        qtbot: QtBot, app: Application, tmp_path: Path) -> None:
    # Asked for once connected, before any upload: the first uploads are never sent blind.
    qtbot.waitUntil(lambda: CREDITS.match(app.window.credits_text.text()) is not None)
    before = CREDITS.match(app.window.credits_text.text())
    assert before is not None
    where = app.args.api_url.split("/")[2]  # 127.0.0.1:port
    assert app.window.status_text.text() == f"Ready: uploads go to {where}"
    assert app.window.destination.where.text() == f"Uploading to: {where} · Anonymous"
    drop(app.window.drop_zone, file_mime(write(tmp_path, "c.png", unique_png())))
    wait_done(qtbot, app.model, 1)

    def remaining() -> int:
        match = CREDITS.match(app.window.credits_text.text())
        assert match, app.window.credits_text.text()
        assert int(match.group(2)) == 100000
        return int(match.group(1))

    # Shown within a quarter of a second (a batch's credits are not redrawn per upload).
    qtbot.waitUntil(lambda: remaining() <= int(before.group(1)) - 10, timeout=2_000)
    assert app.window.counts_text.text() == "0 uploading, 0 queued"


def test_when_the_limit_is_used_up_the_rest_wait_with_a_countdown(
        qtbot: QtBot, start_app, make_host, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    host: HostWithKeys = make_host("--credits-anon", "25", users=False)
    app: Application = start_app(host)
    files = [write(tmp_path, f"r{n}.png", unique_png()) for n in range(3)]
    with qtbot.waitSignal(app.queue.countdown, timeout=UPLOAD_TIMEOUT,
                          check_params_cb=lambda left: left > 0):
        drop(app.window.drop_zone, file_mime(*files))
    qtbot.waitUntil(lambda: sum(i.state is State.DONE for i in app.model.items) == 2,
                    timeout=UPLOAD_TIMEOUT)
    states = sorted(i.state.value for i in app.model.items)
    assert states == ["done", "done", "queued"]
    (waiting,) = [i for i in app.model.items if i.state is State.QUEUED]
    assert waiting.error is None
    assert waiting.status_text() == "Waiting"
    assert waiting.attempts == 0
    # "2 links copied" may come last; the countdown's next tick puts itself back.
    qtbot.waitUntil(lambda: app.window.status_text.text().startswith(
        "Upload limit reached: uploads resume in "), timeout=5_000)
    status = app.window.status_text.text()
    assert re.fullmatch(r"Upload limit reached: uploads resume in \d+:\d\d", status), status
    paused = app.queue.paused_until
    assert paused is not None
    match = CREDITS.match(app.window.credits_text.text())
    assert match, app.window.credits_text.text()
    # 25 - 1 (the credits look-up when connected) - 2 uploads x 10; the third upload was held
    # back here rather than sent to be refused.
    assert (match.group(1), match.group(2)) == ("4", "25")
    assert match.group(3) == paused.astimezone().strftime("%H:%M")
    assert app.window.counts_text.text() == "0 uploading, 1 queued"

    # The countdown goes on, and nothing else starts meanwhile.
    with qtbot.waitSignal(app.queue.countdown, timeout=5_000) as tick:
        drop(app.window.drop_zone, file_mime(write(tmp_path, "r3.png", unique_png())))
    assert tick.args[0] > 0
    assert app.model.items[-1].state is State.QUEUED
    assert app.window.counts_text.text() == "0 uploading, 2 queued"


def test_a_burst_of_credit_changes_redraws_the_status_bar_a_few_times(
        qtbot: QtBot, app: Application) -> None:
    """Two hundred uploads change the credits two hundred times; the status bar shows the
    first at once, then the newest at most every CREDITS_INTERVAL, and always the last."""
    qtbot.waitUntil(lambda: CREDITS.match(app.window.credits_text.text()) is not None)
    qtbot.wait(int(CREDITS_INTERVAL * 1000) + 50)  # the connect-time credits are behind us
    label = app.window.credits_text
    shown: list[str] = []
    set_text = label.setText

    def counting(text: str) -> None:
        shown.append(text)
        set_text(text)

    label.setText = counting  # type: ignore[method-assign]
    reset = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)
    started = time.monotonic()
    for left in range(5000, 3000, -10):  # 200 uploads, as fast as they can come
        app.window.show_credits(Credits(limit=100000, remaining=left, reset_at=reset))
        QApplication.processEvents()
    burst = time.monotonic() - started
    assert shown[0].startswith("5000 of 100000 credits")  # the first change shows at once
    qtbot.waitUntil(lambda: shown[-1].startswith("3010 of 100000 credits"), timeout=2_000)
    # At most one redraw per interval while the burst lasted, plus the first and the last.
    assert len(shown) <= burst / CREDITS_INTERVAL + 3, (len(shown), burst)
    assert shown[-1] == f"3010 of 100000 credits, resets {reset.astimezone():%H:%M}"


def fill_settings(link_format: str, concurrency: int,
                  confirm: bool) -> Callable[[SettingsDialog], None]:
    def act(dialog: SettingsDialog) -> None:
        dialog.link_format.setCurrentIndex(dialog.link_format.findData(link_format))
        dialog.concurrency.setValue(concurrency)
        dialog.confirm.setChecked(confirm)
        (buttons,) = dialog.findChildren(QDialogButtonBox)
        buttons.button(QDialogButtonBox.StandardButton.Save).click()
    return act


def answer(button: QMessageBox.StandardButton,
           texts: list[str]) -> Callable[[QMessageBox], None]:
    """Note the question (the box is gone once answered), then press ``button``."""
    def act(box: QMessageBox) -> None:
        texts.append(box.text())
        box.button(button).click()
    return act


def reactivate(qtbot: QtBot, app: Application) -> None:
    """A closed dialog hands activation back to the window (the window manager's job)."""
    app.window.activateWindow()
    qtbot.waitUntil(app.window.isActiveWindow)


def test_settings_are_saved_and_used(qtbot: QtBot, app: Application,
                                     shared_host: HostWithKeys) -> None:
    shown = when_modal(SettingsDialog, fill_settings("markdown", 2, confirm=True))
    qtbot.mouseClick(app.window.settings_button, Qt.MouseButton.LeftButton)
    assert len(shown) == 1
    reactivate(qtbot, app)

    saved = tomllib.loads((app.config_dir / "settings.toml").read_text(encoding="utf-8"))
    assert saved["link_format"] == "markdown"
    assert saved["concurrency"] == 2
    assert saved["confirm_upload"] is True
    assert app.settings.link_format == "markdown"
    assert app.queue.link_format is LinkFormat.MARKDOWN
    assert app.queue.concurrency == 2
    assert app.queue.pool.maxThreadCount() == 2

    content = unique_png()
    mime = QMimeData()
    mime.setData("image/png", content)
    set_clipboard(mime)
    asked: list[str] = []
    when_modal(QMessageBox, answer(QMessageBox.StandardButton.No, asked))
    press_ctrl(qtbot, app.window, Qt.Key.Key_V)
    reactivate(qtbot, app)
    where = app.args.api_url.split("/")[2]
    assert asked == [f"Upload 1 item(s) to {where} · Anonymous?"]
    assert app.model.rowCount() == 0

    when_modal(QMessageBox, answer(QMessageBox.StandardButton.Yes, asked))
    press_ctrl(qtbot, app.window, Qt.Key.Key_V)
    assert len(asked) == 2
    (item,) = wait_done(qtbot, app.model, 1)
    assert item.image is not None
    assert clipboard_text() == f"![{item.image.name}]({item.image.links.original})"
    assert fetch(item.image.links.original) == content


def test_settings_saved_earlier_are_used_from_the_start(qtbot: QtBot, start_app,  # type: ignore[no-untyped-def]
                                                        tmp_path: Path) -> None:
    app: Application = start_app(settings=Settings(link_format="bbcode", concurrency=5))
    assert app.queue.link_format is LinkFormat.BBCODE
    assert app.queue.concurrency == 5
    drop(app.window.drop_zone, file_mime(write(tmp_path, "b.png", unique_png())))
    (item,) = wait_done(qtbot, app.model, 1)
    assert item.image is not None
    assert clipboard_text() == f"[img]{item.image.links.original}[/img]"


def test_cancelling_the_settings_dialog_changes_nothing(qtbot: QtBot, app: Application) -> None:
    def cancel(dialog: SettingsDialog) -> None:
        dialog.concurrency.setValue(7)
        dialog.link_format.setCurrentIndex(dialog.link_format.findData("html"))
        dialog.reject()

    shown = when_modal(SettingsDialog, cancel)
    qtbot.mouseClick(app.window.settings_button, Qt.MouseButton.LeftButton)
    assert len(shown) == 1
    assert not (app.config_dir / "settings.toml").exists()
    assert app.queue.concurrency == 3
    assert app.queue.link_format is LinkFormat.DIRECT


def test_paths_and_links_named_on_the_command_line_are_all_uploaded(
        qtbot: QtBot, start_app, shared_host: HostWithKeys,  # type: ignore[no-untyped-def]
        tmp_path: Path) -> None:
    content = unique_png()
    path = write(tmp_path, "named.png", content)
    remote = images.gif()
    url = requests_upload(shared_host, remote)
    app: Application = start_app(inputs=[str(path), url])
    items = wait_done(qtbot, app.model, 2)
    by_kind = {("path" if i.path else "url"): i for i in items}
    assert by_kind["path"].path == path
    assert by_kind["url"].url == url
    assert fetch(by_kind["path"].image.links.original) == content  # type: ignore[union-attr]
    assert fetch(by_kind["url"].image.links.original) == remote  # type: ignore[union-attr]
