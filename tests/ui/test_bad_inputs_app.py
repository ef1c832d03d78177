"""The bad-input corpus (tests/support/corpus.py) dropped on the window in one go: every file
gets its own row with a clear sentence, the good ones upload byte for byte, and one bad file
never holds up or spoils the others."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from imgur_desktop.app import Application
from imgur_desktop.ui.upload_model import State
from tests.support.corpus import REFUSED, REJECTED, UPLOADED, Corpus, build, expected_bytes
from tests.ui.conftest import drop, fetch, file_mime, wait_finished

# Dropped on their own, not as part of the folder: "folder" would be walked and "vanished" is
# the CLI's race. Root reads any file, so "unreadable" is not what it claims to be there.
LEFT_OUT = {"folder", "vanished"} | ({"unreadable"} if os.geteuid() == 0 else set())


@pytest.fixture
def corpus(tmp_path: Path) -> Iterator[Corpus]:
    built = build(tmp_path / "corpus")
    yield built
    built.restore_permissions()


def test_the_whole_corpus_dropped_at_once_each_file_says_what_became_of_it(
        qtbot: QtBot, app: Application, corpus: Corpus) -> None:
    cases = [c for c in corpus.cases if c.id not in LEFT_OUT]
    assert len(cases) >= 25
    drop(app.window.drop_zone, file_mime(*(corpus.path(c) for c in cases)))
    items = wait_finished(qtbot, app.model, len(cases))
    by_path = {str(i.path): i for i in items}
    for case in cases:
        item = by_path[str(corpus.path(case))]
        if case.outcome == UPLOADED:
            assert item.state is State.DONE, (case.id, item.error)
            assert item.image is not None
            assert fetch(item.image.links.original) == expected_bytes(corpus, case), case.id
        else:
            assert case.outcome in (REFUSED, REJECTED)
            assert item.state is State.FAILED, case.id
            assert case.message is not None
            if case.prefix:
                assert (item.error or "").startswith(case.message), (case.id, item.error)
            else:
                assert item.error == case.message, (case.id, item.error)
    assert app.window.counts_text.text() == "0 uploading, 0 queued"
    # Thumbnails too: a pipe among the rows must not block the one thumbnail thread.
    photo = by_path[str(corpus.path(corpus.case("photo")))]
    pipe = by_path[str(corpus.path(corpus.case("fifo")))]
    app.queue.request_thumbnail(pipe)
    app.queue.request_thumbnail(photo)
    qtbot.waitUntil(lambda: photo.thumbnail is not None, timeout=10_000)
