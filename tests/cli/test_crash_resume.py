"""``imgur-desktop upload`` killed with SIGKILL in the middle of a batch of 30 files, then
``upload --resume``: all 30 end on the host, none lost, at most the one in flight sent twice,
and the ledger says which.

The uploader talks to the real host through a ``Gate`` that holds the 7th upload, so the kill
lands at a known moment: before the host got the upload ("request"), or after the host stored
it but before the answer reached the uploader ("answer", the case that makes a duplicate)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from imgur_desktop.core.ledger import FILE_NAME, Ledger, State
from tests.conftest import HostWithKeys
from tests.support import images
from tests.support.faults import FaultProxy
from tests.support.slowhost import (
    Gate,
    host_deletehashes,
    ledger_rows,
    sha256,
    stored_images,
)

from .conftest import Cli

pytestmark = pytest.mark.timeout(120)
BATCH = 30
KILLED_AT = 7  # the upload in flight when the uploader dies


def distinct_pngs(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for n in range(count):
        path = folder / f"shot-{n + 1:02}.png"
        # The size differs too, so no two files (and no file of another test) are the same.
        path.write_bytes(images.raster("PNG", (40 + n, 30), color=(n * 8, 255 - n * 8, 77)))
        paths.append(path)
    assert len({sha256(p.read_bytes()) for p in paths}) == count
    return paths


@pytest.mark.parametrize("moment", ["answer", "request"])
def test_sigkill_mid_batch_then_resume_sends_each_file_once_more_at_most(
        cli: Cli, make_host: Callable[..., HostWithKeys], tmp_path: Path,
        moment: str) -> None:
    host = make_host(users=False)  # its own host: every image on it is from this test
    files = distinct_pngs(tmp_path / "pictures", BATCH)
    gate = Gate().hold(KILLED_AT, where=moment)
    with FaultProxy(host.url, default=gate) as proxy:
        service = ["--api-url", proxy.api, "--key", host.keys.key]
        running = cli.popen("upload", *map(str, files), "--json", *service)
        try:
            gate.wait_held(1)
            os.kill(running.proc.pid, signal.SIGKILL)
            running.proc.wait(15)
        finally:
            if running.proc.poll() is None:
                running.proc.kill()
        killed = running.finish()
        # The held upload never reaches the host after all when it was held before sending.
        gate.release(forward_held=False)

        assert killed.rc == -signal.SIGKILL
        printed = killed.json_lines()
        assert [line["file"] for line in printed] == [str(f) for f in files[:KILLED_AT - 1]]
        assert all(line["ok"] for line in printed)
        # What the ledger held at the moment of the kill: written before each request.
        at_kill = ledger_rows(cli.data_dir / FILE_NAME)
        assert [r["source"] for r in at_kill] == [str(f) for f in files]
        assert [r["state"] for r in at_kill] == (
            [State.DONE] * (KILLED_AT - 1) + [State.SENDING]
            + [State.QUEUED] * (BATCH - KILLED_AT))
        host_has = stored_images(host.data_dir)
        assert sum(host_has.values()) == (KILLED_AT if moment == "answer" else KILLED_AT - 1)

        resumed = cli.run("upload", "--resume", "--json", *service)

        assert resumed.rc == 0, resumed.stderr
        lines = resumed.json_lines()
        assert [line["file"] for line in lines] == [str(f) for f in files[KILLED_AT - 1:]]
        assert all(line["ok"] for line in lines), lines
        assert ("1 were being sent when the last run stopped and are sent again"
                in resumed.stderr), resumed.stderr

        ledger = Ledger.in_dir(cli.data_dir)
        try:
            rows = ledger.query(newest_first=False)
        finally:
            ledger.close()
        assert len(rows) == BATCH
        by_source = {r.source: r for r in rows}
        assert set(by_source) == {str(f) for f in files}
        for path in files:
            row = by_source[str(path)]
            assert row.state == State.DONE, row
            assert row.hash, row
            assert row.deletehash, row
            assert row.link, row
            again = path == files[KILLED_AT - 1]
            assert row.interrupted == (1 if again else 0), row
            assert row.attempts == (2 if again else 1), row
            # The link the ledger kept gives back exactly the file.
            served = requests.get(row.link, timeout=10)
            assert served.status_code == 200, row.link
            assert served.content == path.read_bytes(), row.link

        # The host: every file, and a second copy only of the one the ledger marks.
        stored = stored_images(host.data_dir)
        expected = {sha256(f.read_bytes()): 1 for f in files}
        if moment == "answer":
            expected[sha256(files[KILLED_AT - 1].read_bytes())] = 2
        assert dict(stored) == expected
        assert sum(stored.values()) == BATCH + (moment == "answer")
        # Every delete link the ledger kept is the host's own for that image.
        on_host = host_deletehashes(host.data_dir)
        assert {r.hash: r.deletehash for r in rows}.items() <= on_host.items()
        assert len(on_host) == sum(stored.values())
        # Nothing was refused and nothing was sent beyond the batch and the one resend.
        uploads = gate.upload_log()
        assert len(uploads) == BATCH + 1
        assert [e.status for e in uploads if e.status is not None] == [200] * (
            BATCH + (moment == "answer"))


def test_piped_image_killed_in_flight_is_sent_from_its_spooled_copy(
        cli: Cli, make_host: Callable[..., HostWithKeys]) -> None:
    host = make_host(users=False)
    content = images.raster("PNG", (71, 13), color=(1, 2, 3))
    gate = Gate().hold(1, where="request")
    with FaultProxy(host.url, default=gate) as proxy:
        service = ["--api-url", proxy.api, "--key", host.keys.key]
        proc = subprocess.Popen(
            [sys.executable, "-m", "imgur_desktop", "upload", "-", "--json", *service],
            cwd=cli.root, env=cli.env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            assert proc.stdin is not None
            proc.stdin.write(content)
            proc.stdin.close()
            gate.wait_held(1)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(15)
        gate.release(forward_held=False)  # the host never got it

        (row,) = ledger_rows(cli.data_dir / FILE_NAME)
        assert (row["kind"], row["state"], row["size"]) == ("spooled", State.SENDING,
                                                            len(content))
        spooled = Path(row["spool"])
        assert spooled.read_bytes() == content
        assert stat.S_IMODE(spooled.stat().st_mode) == 0o600
        assert sum(stored_images(host.data_dir).values()) == 0

        resumed = cli.run("upload", "--resume", "--json", *service)

        assert resumed.rc == 0, resumed.stderr
        (line,) = resumed.json_lines()
        assert line["ok"] is True, line
        assert not spooled.exists()  # the host has it: the copy has done its job
        (row,) = ledger_rows(cli.data_dir / FILE_NAME)
        assert (row["state"], row["spool"], row["interrupted"], row["hash"],
                row["deletehash"]) == (State.DONE, None, 1, line["hash"], line["deletehash"])
        assert requests.get(row["link"], timeout=10).content == content
        assert dict(stored_images(host.data_dir)) == {sha256(content): 1}
        assert host_deletehashes(host.data_dir) == {row["hash"]: row["deletehash"]}
