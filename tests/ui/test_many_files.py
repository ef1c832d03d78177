"""10,000 files dropped on the window at once (20 images among them): every one gets a row
and a clear outcome, the images upload, the ledger records all of them, and the window keeps
answering meanwhile (a heartbeat timer never waits long)."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from imgur_desktop.app import Application
from imgur_desktop.core.ledger import Ledger, Query, State
from imgur_desktop.core.validate import UNSUPPORTED_MESSAGE
from imgur_desktop.ui.upload_model import State as RowState
from tests.ui.conftest import drop, fetch, file_mime, unique_png

FILES = 10_000
IMAGES = 20
# Not a speed target (benchmarks hold those): a window that stops answering for this long
# would look hung to the person.
LONGEST_STALL = 2.0  # seconds


class Heartbeat:
    def __init__(self) -> None:
        self.last = time.monotonic()
        self.longest = 0.0
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self.beat)

    def beat(self) -> None:
        now = time.monotonic()
        self.longest = max(self.longest, now - self.last)
        self.last = now


def test_ten_thousand_dropped_files_each_get_an_outcome_and_the_window_answers(
        qtbot: QtBot, app: Application, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    images: dict[Path, bytes] = {}
    paths = []
    for n in range(FILES):
        path = folder / f"file-{n:05d}.png"
        if n % (FILES // IMAGES) == 0:
            images[path] = unique_png((16, 16))
            path.write_bytes(images[path])
        else:
            path.write_bytes(b"a text file wearing a .png name %d\n" % n)
        paths.append(path)
    assert len(images) == IMAGES

    heart = Heartbeat()
    heart.timer.start()
    drop(app.window.drop_zone, file_mime(*paths))
    heart.beat()  # the drop itself is one event: it counts too
    qtbot.waitUntil(lambda: app.model.rowCount() == FILES
                    and all(i.state.finished for i in app.model.rows()), timeout=180_000)
    heart.timer.stop()

    items = app.model.items
    done = [i for i in items if i.state is RowState.DONE]
    failed = [i for i in items if i.state is RowState.FAILED]
    assert sorted(i.path for i in done if i.path) == sorted(images)
    assert len(failed) == FILES - IMAGES
    assert {i.error for i in failed} == {UNSUPPORTED_MESSAGE}
    for item in done:
        assert item.image is not None
        assert item.path is not None
        assert fetch(item.image.links.original) == images[item.path]
    assert app.window.counts_text.text() == "0 uploading, 0 queued"
    assert heart.longest < LONGEST_STALL, f"the window stalled {heart.longest:.2f} s"

    assert app.ledger is not None
    ledger = Ledger(app.ledger.path)
    assert ledger.count() == FILES
    assert ledger.count(Query(states=(State.DONE,))) == IMAGES
    assert ledger.count(Query(states=(State.FAILED,))) == FILES - IMAGES
    kept = ledger.query(Query(states=(State.DONE,)))
    assert all(e.deletehash and e.link for e in kept)

    # Clearing the finished rows is one pass; the refused ones stay to be seen.
    app.window.clear_finished()
    assert app.model.rowCount() == FILES - IMAGES
    assert app.window.heading.text() == f"Images ({FILES - IMAGES})"
