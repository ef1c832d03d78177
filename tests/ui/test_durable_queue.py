"""The app's durable queue against the real local host: the app killed with SIGKILL mid-batch
and started again, pasted data spooled privately before it is sent, the host stopped and
started again mid-batch, server errors retried with backoff, the rate limit waited out without
a refused request, and the ledger's file mode. At the end of each, the ledger and the host
agree: nothing lost, every delete link kept."""

from __future__ import annotations

import itertools
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from pytestqt.qtbot import QtBot

from imgur_desktop.app import Application
from imgur_desktop.core import settings as settings_file
from imgur_desktop.core.ledger import FILE_NAME, State
from imgur_desktop.core.settings import Settings
from imgur_desktop.ui.clipboard import Payload
from imgur_desktop.ui.upload_model import State as Row
from imgur_desktop.ui.upload_model import UploadItem
from imgur_desktop.ui.upload_queue import SERVER_ERROR_ATTEMPTS
from tests.conftest import HostWithKeys
from tests.support.browser import Tokens
from tests.support.faults import FaultProxy
from tests.support.localhost import LocalHost
from tests.support.slowhost import (
    Gate,
    error_500,
    garbled_200,
    host_deletehashes,
    ledger_rows,
    sha256,
    stored_images,
    through,
)
from tests.ui.conftest import (
    UPLOAD_TIMEOUT,
    fetch,
    unique_png,
    wait_done,
    wait_finished,
    write,
)

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]
# How a host that went away reads (refused at once, or a connection cut while it stopped).
NETWORK_ERRORS = ("The service cannot be reached", "The connection to the service broke")
MakeHost = Callable[..., HostWithKeys]
StartApp = Callable[..., Application]


def pictures(folder: Path, count: int) -> list[Path]:
    return [write(folder, f"pic-{n + 1:02}.png", unique_png()) for n in range(count)]


def ledger_of(app: Application) -> Path:
    assert app.context is not None
    return app.context.data_dir / FILE_NAME


def assert_ledger_and_host_agree(rows: list[dict[str, Any]], files: list[Path],
                                 host_data_dir: Path) -> None:
    """Every file has one done row whose link serves its bytes, and whose delete hash is the
    host's own for that image."""
    assert sorted(r["source"] for r in rows) == sorted(str(f) for f in files)
    on_host = host_deletehashes(host_data_dir)
    for row in rows:
        assert row["state"] == State.DONE, row
        assert row["hash"], row
        assert row["deletehash"], row
        assert on_host.get(row["hash"]) == row["deletehash"], row
        assert fetch(row["link"]) == Path(row["source"]).read_bytes(), row


# -- 2. the app killed with SIGKILL mid-batch ---------------------------------------------------


def app_env(root: Path) -> dict[str, str]:
    """The app's own config, data, cache and keyring, away from the person running the tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMGUR_DESKTOP_")}
    env.update(
        QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1",
        XDG_CONFIG_HOME=str(root / "xdg-config"), XDG_DATA_HOME=str(root / "xdg-data"),
        XDG_CACHE_HOME=str(root / "xdg-cache"), IMGUR_DESKTOP_CACHE_DIR=str(root / "cache"),
        PYTHON_KEYRING_BACKEND="tests.support.testkeyring.FileKeyring",
        IMGUR_DESKTOP_TEST_KEYRING=str(root / "keyring.json"))
    return env


@contextmanager
def app_process(argv: list[str], root: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``imgur-desktop ARGV`` (the desktop app) as a process of its own; ended by its pid."""
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "imgur_desktop", *argv], cwd=ROOT,
                                env=app_env(root), stdin=subprocess.DEVNULL, stdout=out,
                                stderr=out)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(15)


def wait_for(check: Callable[[], bool], timeout: float, what: Callable[[], object]) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out: {what()}")
        time.sleep(0.1)


def test_app_killed_mid_batch_sends_everything_after_a_restart(
        make_host: MakeHost, tmp_path: Path) -> None:
    concurrency, batch, first_held = 3, 30, 7
    host = make_host(users=False)  # its own host: every image on it is from this test
    files = pictures(tmp_path / "pictures", batch)
    config, data = tmp_path / "cfg", tmp_path / "data"
    settings_file.save(config, Settings(concurrency=concurrency))
    ledger_file = data / FILE_NAME
    log = tmp_path / "app.log"
    # From the 7th upload on, the host stores the image but the app does not hear back: the
    # kill comes with `concurrency` uploads on the host and unknown to the app.
    gate = Gate().hold(first_held, where="answer")
    with FaultProxy(host.url, default=gate) as proxy:
        argv = ["--api-url", proxy.api, "--key", host.keys.key, "--data-dir", str(data),
                "--config-dir", str(config)]
        with app_process(argv + [str(f) for f in files], tmp_path, log) as first:
            gate.wait_held(concurrency, timeout=60)
            os.kill(first.pid, signal.SIGKILL)
            assert first.wait(15) == -signal.SIGKILL
        gate.release()

        at_kill = ledger_rows(ledger_file)
        states = [r["state"] for r in at_kill]
        assert len(at_kill) == batch, log.read_text()
        assert (states.count(State.DONE), states.count(State.SENDING),
                states.count(State.QUEUED)) == (first_held - 1, concurrency,
                                                batch - first_held + 1 - concurrency)
        in_flight = {r["source"] for r in at_kill if r["state"] == State.SENDING}
        assert sum(stored_images(host.data_dir).values()) == first_held - 1 + concurrency

        # Started again with no files named: it takes up what the ledger holds.
        with app_process(argv, tmp_path, log) as second:
            wait_for(lambda: [r["state"] for r in ledger_rows(ledger_file)]
                     == [State.DONE] * batch, 60,
                     lambda: ([r["state"] for r in ledger_rows(ledger_file)],
                              log.read_text()))
            second.send_signal(signal.SIGTERM)
            second.wait(15)

        rows = ledger_rows(ledger_file)
        assert_ledger_and_host_agree(rows, files, host.data_dir)
        again = {r["source"] for r in rows if r["interrupted"]}
        assert again == in_flight
        assert all(r["interrupted"] == 1 and r["attempts"] == 2 for r in rows
                   if r["source"] in again)
        assert all(r["interrupted"] == 0 and r["attempts"] == 1 for r in rows
                   if r["source"] not in again)
        # The host: each file once, and a second copy of exactly those the ledger marks.
        stored = stored_images(host.data_dir)
        twice = {h for h, n in stored.items() if n == 2}
        assert twice == {sha256(Path(s).read_bytes()) for s in again}
        assert set(stored) == {sha256(f.read_bytes()) for f in files}
        assert sum(stored.values()) == batch + len(again) <= batch + concurrency
        assert len(gate.upload_log()) == batch + concurrency
        assert all(e.status == 200 for e in gate.upload_log())


# -- 3. pasted data is spooled before it is sent ----------------------------------------------


def test_pasted_bytes_are_spooled_privately_until_the_host_has_them(
        qtbot: QtBot, start_app: StartApp, shared_host: HostWithKeys) -> None:
    gate = Gate().hold(1, where="request")  # the upload waits before the host sees it
    with FaultProxy(shared_host.url, default=gate) as proxy:
        app = start_app(through(shared_host, proxy))
        spool_dir = ledger_of(app).parent / "spool"
        content = unique_png((33, 21))
        assert app.window.submit(Payload(image_bytes=content, image_mime="image/png"))
        qtbot.waitUntil(lambda: gate.held == 1, timeout=UPLOAD_TIMEOUT)

        (spooled,) = list(spool_dir.iterdir())
        assert spooled.read_bytes() == content
        assert stat.S_IMODE(spooled.stat().st_mode) == 0o600
        assert stat.S_IMODE(spool_dir.stat().st_mode) == 0o700
        (row,) = ledger_rows(ledger_of(app))
        assert (row["kind"], row["spool"], row["state"], row["size"], row["sha256"]) == (
            "spooled", str(spooled), State.SENDING, len(content), sha256(content))
        assert sha256(content) not in stored_images(shared_host.data_dir)

        gate.release()
        (item,) = wait_done(qtbot, app.model, 1)
        assert item.image is not None
        assert list(spool_dir.iterdir()) == []  # the host has it: our copy is gone
        (row,) = ledger_rows(ledger_of(app))
        assert (row["state"], row["spool"], row["hash"], row["deletehash"]) == (
            State.DONE, None, item.image.hash, item.image.deletehash)
        assert fetch(row["link"]) == content
        assert host_deletehashes(shared_host.data_dir)[row["hash"]] == row["deletehash"]


# -- 4. the host stops and starts again mid-batch ---------------------------------------------


def test_host_stopped_mid_batch_queue_waits_offline_and_resumes_by_itself(
        qtbot: QtBot, start_app: StartApp, make_host: MakeHost, tmp_path: Path) -> None:
    host = make_host(users=False)
    app = start_app(host)
    queue, model = app.queue, app.model
    offline_news: list[int] = []
    queue.offline.connect(offline_news.append)
    files = pictures(tmp_path / "pictures", 12)
    app.window.submit(Payload(paths=files))
    # Stopped from the GUI thread: no upload starts meanwhile, so at most the ones in flight
    # (concurrency 3) finish and the rest meet a host that is gone.
    qtbot.waitUntil(lambda: sum(i.state is Row.DONE for i in model.items) >= 2,
                    timeout=UPLOAD_TIMEOUT)
    done_before_stop = sum(i.state is Row.DONE for i in model.items)
    port = urlsplit(host.url).port
    assert host.host.stop() == 0
    restarted: LocalHost | None = None
    try:
        qtbot.waitUntil(lambda: queue.is_offline, timeout=UPLOAD_TIMEOUT)
        qtbot.waitUntil(lambda: not any(i.state is Row.UPLOADING for i in model.items),
                        timeout=UPLOAD_TIMEOUT)
        assert queue.is_offline
        # The status bar's latest news; a "links copied" for the rows that finished may come
        # between, and each new try to reach the host says it again.
        qtbot.waitUntil(lambda: "go on by themselves when it answers"
                        in app.window.status_text.text(), timeout=UPLOAD_TIMEOUT)
        waiting = [i for i in model.items if i.state is not Row.DONE]
        assert len(waiting) >= 12 - done_before_stop - queue.concurrency > 0
        assert all(i.state is Row.QUEUED for i in waiting)
        tried = [i for i in waiting if i.attempts > 0]
        assert tried, [(i.label, i.state, i.attempts) for i in waiting]
        by_id = {r["id"]: r for r in ledger_rows(ledger_of(app))}
        for item in tried:
            assert item.error is not None
            assert item.error.startswith(NETWORK_ERRORS), item.error
            assert item.status_text() == (f"Waiting to retry (attempt {item.attempts + 1}): "
                                          f"{item.error}")
            assert item.ledger_id is not None
            row = by_id[item.ledger_id]
            assert (row["state"], row["error"], row["attempts"]) == (
                State.QUEUED, item.error, item.attempts)
        assert offline_news
        assert offline_news[0] > 0

        # The same host (port, data) comes back; nobody touches the app.
        restarted = LocalHost(host.data_dir, extra_args=["--port", str(port)]).start()
        assert restarted.url == host.url
        items = wait_done(qtbot, model, 12)
        assert not queue.is_offline
        assert offline_news[-1] == 0
        assert all(i.attempts == 2 for i in tried)
        assert all(i.error is None for i in items)

        rows = ledger_rows(ledger_of(app))
        assert_ledger_and_host_agree(rows, files, host.data_dir)
        # Nothing was sent twice: the host holds the twelve, each once.
        assert stored_images(host.data_dir) == {sha256(f.read_bytes()): 1 for f in files}
    finally:
        if restarted is not None:
            restarted.stop()


# -- 5. server errors are retried with backoff ---------------------------------------------------


def post_gaps(gate: Gate) -> list[float]:
    return [b.at - a.at for a, b in itertools.pairwise(gate.upload_log())]


def wait_retry_shown(qtbot: QtBot, app: Application, item: UploadItem, attempts: int) -> str:
    """The row waits for its next try, saying which try it will be and what went wrong."""
    qtbot.waitUntil(lambda: item.state is Row.QUEUED and item.attempts == attempts,
                    timeout=UPLOAD_TIMEOUT)
    assert item.error
    assert item.status_text() == f"Waiting to retry (attempt {attempts + 1}): {item.error}"
    assert item.ledger_id is not None
    row = next(r for r in ledger_rows(ledger_of(app)) if r["id"] == item.ledger_id)
    assert (row["state"], row["attempts"], row["error"]) == (State.QUEUED, attempts, item.error)
    return item.error


@pytest.mark.parametrize("answer", [error_500, garbled_200], ids=["500", "garbled 200"])
def test_two_server_errors_then_done_on_the_third_try(
        qtbot: QtBot, start_app: StartApp, shared_host: HostWithKeys, tmp_path: Path,
        answer: Callable[[], Any]) -> None:
    gate = Gate()
    gate.fail_uploads = [answer(), answer()]
    with FaultProxy(shared_host.url, default=gate) as proxy:
        app = start_app(through(shared_host, proxy))
        (path,) = pictures(tmp_path, 1)
        app.window.submit(Payload(paths=[path]))
        (item,) = app.model.items
        first = wait_retry_shown(qtbot, app, item, 1)
        second = wait_retry_shown(qtbot, app, item, 2)
        assert first == second
        if answer is error_500:
            assert first.startswith("The service had a problem"), first
        else:
            assert "Try again" in first, first
        wait_done(qtbot, app.model, 1)

        assert item.attempts == 3
        assert [e.status for e in gate.upload_log()] == [answer().status] * 2 + [200]
        # Backoff: at least half the doubling bound before each try (0.5 s, then 1 s).
        gaps = post_gaps(gate)
        assert gaps[0] >= 0.5, gaps
        assert gaps[1] >= 1.0, gaps
        (row,) = ledger_rows(ledger_of(app))
        assert (row["state"], row["attempts"], row["error"]) == (State.DONE, 3, None)
        # A garbled 200 may mean the host kept the image: each re-send is marked as a
        # possible duplicate. A 500 is a refusal: nothing to mark.
        assert row["interrupted"] == (2 if answer is garbled_200 else 0)
        assert_ledger_and_host_agree([row], [path], shared_host.data_dir)


def test_a_server_that_keeps_failing_fails_the_row_after_the_last_try(
        qtbot: QtBot, start_app: StartApp, shared_host: HostWithKeys, tmp_path: Path) -> None:
    gate = Gate()
    gate.fail_uploads = [error_500() for _ in range(SERVER_ERROR_ATTEMPTS + 5)]
    with FaultProxy(shared_host.url, default=gate) as proxy:
        app = start_app(through(shared_host, proxy))
        (path,) = pictures(tmp_path, 1)
        app.window.submit(Payload(paths=[path]))
        (item,) = app.model.items
        # Real backoff: 0.5-1 + 1-2 + 2-4 + 4-8 s between the five tries.
        qtbot.waitUntil(lambda: item.state is Row.FAILED, timeout=45_000)

        assert not app.queue.busy  # nothing more will be sent for it
        assert item.attempts == SERVER_ERROR_ATTEMPTS
        uploads = gate.upload_log()
        assert len(uploads) == SERVER_ERROR_ATTEMPTS
        assert all(e.status == 500 for e in uploads)
        gaps = post_gaps(gate)
        assert all(gap >= 0.5 * 2 ** n for n, gap in enumerate(gaps)), gaps
        assert item.error is not None
        assert item.error.startswith("The service had a problem"), item.error
        assert item.status_text() == item.error
        (row,) = ledger_rows(ledger_of(app))
        assert (row["state"], row["attempts"], row["error"]) == (
            State.FAILED, SERVER_ERROR_ATTEMPTS, item.error)
        assert sha256(path.read_bytes()) not in stored_images(shared_host.data_dir)


# -- 6. the rate limit is waited out, never run into -------------------------------------------


def test_credits_running_out_pause_with_a_countdown_and_no_refused_request(
        qtbot: QtBot, start_app: StartApp, make_host: MakeHost, tmp_path: Path) -> None:
    # 45 credits a window: the credits look-up costs 1, each upload 10, so 4 uploads fit.
    host = make_host("--credits-anon", "45", "--credits-window", "8", users=False)
    gate = Gate()
    with FaultProxy(host.url, default=gate) as proxy:
        app = start_app(through(host, proxy), settings=Settings(concurrency=3))
        queue, model = app.queue, app.model
        countdown: list[int] = []
        queue.countdown.connect(countdown.append)
        files = pictures(tmp_path / "pictures", 8)
        app.window.submit(Payload(paths=files))

        qtbot.waitUntil(lambda: queue.paused_until is not None, timeout=UPLOAD_TIMEOUT)
        qtbot.waitUntil(lambda: app.window.status_text.text().startswith(
            "Upload limit reached: uploads resume in 0:0"), timeout=5_000)
        qtbot.waitUntil(lambda: not any(i.state is Row.UPLOADING for i in model.items),
                        timeout=UPLOAD_TIMEOUT)
        assert queue.paused_until is not None, "the pause ended before the uploads settled"
        states = [i.state for i in model.items]
        assert (states.count(Row.DONE), states.count(Row.QUEUED)) == (4, 4), states
        assert countdown
        assert 0 < countdown[0] <= 8 + 1, countdown  # the window, rounded up
        # The ledger agrees: the four that wait were never sent, so a crash now must not have
        # them count as interrupted (sent twice) on the next start.
        paused = ledger_rows(ledger_of(app))
        assert sorted(r["state"] for r in paused) == [State.DONE] * 4 + [State.QUEUED] * 4, [
            (r["label"], r["state"], r["attempts"]) for r in paused]

        items = wait_done(qtbot, model, 8)  # by itself, once the window has turned
        # The pause ended once, at the reset: not resumed early and refused again and again.
        assert countdown[-1] == 0
        assert countdown.count(0) == 1, (countdown.count(0), countdown[:20])
        assert all(i.error is None for i in items)
        assert [i.attempts for i in items] == [1] * 8

        # Counted at the host's door: every request was answered, none refused.
        statuses = gate.statuses()
        assert not any(s in (403, 429) for s in statuses), gate.log
        assert all(s == 200 for s in statuses), gate.log
        assert len(gate.upload_log()) == 8
        assert sum(stored_images(host.data_dir).values()) == 8
        rows = ledger_rows(ledger_of(app))
        assert [r["attempts"] for r in rows] == [1] * 8, rows
        assert_ledger_and_host_agree(rows, files, host.data_dir)


# -- 7. the ledger is private ------------------------------------------------------------------


def test_the_apps_ledger_and_its_side_files_are_owner_only(
        qtbot: QtBot, start_app: StartApp, tmp_path: Path) -> None:
    old = os.umask(0o002)  # a permissive umask: only the app's own care makes them private
    try:
        app = start_app()
        (path,) = pictures(tmp_path, 1)
        app.window.submit(Payload(paths=[path]))
        wait_done(qtbot, app.model, 1)
    finally:
        os.umask(old)
    ledger = ledger_of(app)
    assert ledger.parent == Path(app.args.data_dir)
    (row,) = ledger_rows(ledger)
    assert row["state"] == State.DONE
    assert row["deletehash"]
    for name in (ledger.name, ledger.name + "-wal", ledger.name + "-shm"):
        side = ledger.with_name(name)
        assert side.exists(), name
        assert stat.S_IMODE(side.stat().st_mode) == 0o600, (name, oct(side.stat().st_mode))


# -- 8. cancelling: the next row starts; a copy that lands anyway keeps its delete link -------


def test_cancelling_the_uploading_row_starts_the_next_one(
        qtbot: QtBot, start_app: StartApp, shared_host: HostWithKeys, tmp_path: Path) -> None:
    gate = Gate().hold(1, where="request")  # the first upload waits before the host
    with FaultProxy(shared_host.url, default=gate) as proxy:
        app = start_app(through(shared_host, proxy), settings=Settings(concurrency=1))
        files = [tmp_path / f"c{n}.png" for n in range(3)]
        for path in files:
            path.write_bytes(unique_png())
        app.queue.add_paths(files)
        qtbot.waitUntil(lambda: gate.held == 1, timeout=UPLOAD_TIMEOUT)
        first, second, _third = app.model.items
        app.queue.cancel(first)
        # Its slot is free at once: the next row goes without waiting for the held answer.
        qtbot.waitUntil(lambda: second.state is Row.UPLOADING, timeout=UPLOAD_TIMEOUT)
        gate.release(forward_held=False)
        items = wait_finished(qtbot, app.model, 3)
    assert [i.state for i in items] == [Row.CANCELLED, Row.DONE, Row.DONE]


def test_a_cancelled_upload_that_reaches_the_host_is_recorded_then_deleted(
        qtbot: QtBot, start_app: StartApp, shared_host: HostWithKeys, tmp_path: Path) -> None:
    gate = Gate().hold(1, where="answer")  # the host keeps it; the answer waits
    with FaultProxy(shared_host.url, default=gate) as proxy:
        app = start_app(through(shared_host, proxy))
        path = tmp_path / "late.png"
        path.write_bytes(unique_png())
        app.queue.add_paths([path])
        qtbot.waitUntil(lambda: gate.held == 1, timeout=UPLOAD_TIMEOUT)
        (item,) = app.model.items
        app.queue.cancel(item)
        gate.release()
        # The copy on the host is written to the ledger with its delete link, then deleted,
        # and only then marked deleted.
        qtbot.waitUntil(lambda: ledger_rows(ledger_of(app))[0]["state"] == State.DELETED,
                        timeout=UPLOAD_TIMEOUT)
    (row,) = ledger_rows(ledger_of(app))
    assert row["hash"]
    assert row["deletehash"]
    assert row["hash"] not in host_deletehashes(shared_host.data_dir)
    assert item.state is Row.CANCELLED


# -- 9. a batch for a new album, cut short, still makes its album with every image -------------


def test_a_new_album_batch_cut_short_gets_its_album_after_the_restart(
        qtbot: QtBot, shared_host: HostWithKeys, alice_tokens: Tokens, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from imgur_desktop.core.api.v2 import OAuthCredentials, V2Client
    from imgur_desktop.core.ledger import Ledger
    from imgur_desktop.ui.upload_model import UploadListModel
    from imgur_desktop.ui.upload_queue import AlbumTarget, UploadQueue

    keys = shared_host.keys
    files = [write(tmp_path / "trip", f"t{n}.png", unique_png()) for n in range(3)]
    ledger_dir = tmp_path / "data"
    gate = Gate().hold(2, where="request")  # the first goes through; the second waits
    with FaultProxy(shared_host.url, default=gate) as proxy:
        alice = V2Client(proxy.api, oauth=OAuthCredentials(
            keys.consumer_key, keys.consumer_secret, alice_tokens.token, alice_tokens.secret))
        first = UploadQueue(UploadListModel(), concurrency=1, copy_text=lambda _t: None)
        first.set_client(alice)
        ledger = Ledger.in_dir(ledger_dir)
        first.attach_ledger(ledger, proxy.api)
        first.album_target = AlbumTarget("new", title="Cut short", layout="grid")
        first.add_paths(files)
        qtbot.waitUntil(lambda: gate.held == 1, timeout=UPLOAD_TIMEOUT)
        # The app "dies" here: its ledger goes (and its lock with it); nothing more of it runs.
        first.pool.clear()
        ledger.close()
        gate.release(forward_held=False)
        first.pool.waitForDone(20_000)
        QApplication.processEvents()

        second = UploadQueue(UploadListModel(), concurrency=1, copy_text=lambda _t: None)
        second.set_client(alice)
        with qtbot.waitSignal(second.albumCreated, timeout=UPLOAD_TIMEOUT) as made:
            second.attach_ledger(Ledger.in_dir(ledger_dir), proxy.api)
        quiesce_queue(second)
        album = made.args[0]
        stored = alice.album(album.id)
    assert stored.title == "Cut short"
    assert stored.layout == "grid"
    rows = ledger_rows(ledger_dir / FILE_NAME)
    assert [r["state"] for r in rows] == [State.DONE] * 3
    # All three, in the order they were queued: the one sent before the "crash" too.
    assert [i.hash for i in stored.images] == [r["hash"] for r in rows]
    assert all(r["album"] == album.id for r in rows)


def quiesce_queue(queue: Any) -> None:
    queue.wait_for_workers(20_000)
