"""``imgur-desktop history`` as a real subprocess over a ledger written as the queue writes it
(around real uploads to the local host): text and JSON lines, filters, exports read back, and
that reading the history never starts a local image host."""

from __future__ import annotations

import csv
import datetime as dt
import json
import socket
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from imgur_desktop.core.api.v2 import V2Client
from imgur_desktop.core.ledger import EXPORT_COLUMNS, FILE_NAME, Entry, Ledger, NewUpload
from tests.conftest import HostWithKeys
from tests.support import images

from .conftest import Cli, fetch

pytestmark = pytest.mark.timeout(120)


@dataclass
class Written:
    done: list[Entry]  # oldest first
    failed: Entry
    queued: Entry

    @property
    def newest_first(self) -> list[Entry]:
        return [self.queued, self.failed, *reversed(self.done)]


def write_history(data_dir: Path, host: HostWithKeys) -> Written:
    ledger = Ledger.in_dir(data_dir)
    client = V2Client(host.api, key=host.keys.key)
    try:
        done = []
        for n, name in enumerate(("sunset.png", "my cat, asleep.png")):
            data = images.raster("PNG", (20 + n, 20), color=(n * 80, 10, 200))
            (row,) = ledger.add([NewUpload(name, "spooled", spool=str(ledger.spool(data)))],
                                service=client.api_url, account=None)
            ledger.sending(row)
            ledger.done(row, client.upload_file(Path(ledger.get(row).spool or "")))
            done.append(row)
        (failed,) = ledger.add([NewUpload("notes\nfile.txt", "file", source="/tmp/notes.txt")],
                               service=client.api_url, account=None)
        ledger.sending(failed)
        ledger.failed(failed, "That file type is not supported!")
        (queued,) = ledger.add([NewUpload("later.png", "file", source="/tmp/later.png")],
                               service=client.api_url, account=None)
        return Written([ledger.get(i) for i in done], ledger.get(failed), ledger.get(queued))
    finally:
        ledger.close()


@pytest.fixture
def written(cli: Cli, shared_host: HostWithKeys) -> Written:
    return write_history(cli.data_dir, shared_host)


def text_line(e: Entry) -> list[str]:
    when = dt.datetime.fromtimestamp(e.created).strftime("%Y-%m-%d %H:%M:%S")
    return [when, e.state, " ".join(e.label.split()), e.link or "-", e.delete_page or "-"]


def test_text_lists_every_upload_newest_first(cli: Cli, written: Written) -> None:
    result = cli.run("history")
    assert result.rc == 0, result.stderr
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert lines == [text_line(e) for e in written.newest_first]
    assert lines[1][2] == "notes file.txt"  # a newline in a name never splits a line
    for e in written.done:  # what the lines link to is really there
        assert e.link
        assert fetch(e.link).status_code == 200
        assert e.deletehash
        assert e.deletehash in (e.delete_page or "")


def test_json_is_one_object_per_line(cli: Cli, written: Written) -> None:
    result = cli.run("history", "--json")
    assert result.rc == 0, result.stderr
    records = result.json_lines()
    assert [r["id"] for r in records] == [e.id for e in written.newest_first]
    for record, e in zip(records, written.newest_first, strict=True):
        assert tuple(record) == EXPORT_COLUMNS
        expected = e.as_dict()
        assert record == {k: expected[k] for k in EXPORT_COLUMNS}
    assert records[2]["deletehash"] == written.done[1].deletehash


def test_filters(cli: Cli, written: Written) -> None:
    def ids(*args: str) -> list[int]:
        result = cli.run("history", "--json", *args)
        assert result.rc == 0, result.stderr
        return [r["id"] for r in result.json_lines()] if result.stdout else []

    sunset, cat = written.done
    assert ids("--state", "done") == [cat.id, sunset.id]
    assert ids("--state", "failed") == [written.failed.id]
    assert ids("--state", "pending") == [written.queued.id]
    assert ids("--state", "failed", "--state", "pending") == [written.queued.id,
                                                              written.failed.id]
    assert ids("--search", "CAT") == [cat.id]
    assert ids("--search", (sunset.link or "").rsplit("/", 1)[1]) == [sunset.id]
    assert ids("--limit", "2") == [written.queued.id, written.failed.id]
    assert ids("--state", "done", "--limit", "1") == [cat.id]
    assert ids("--search", "nothing like this") == []

    none = cli.run("history", "--search", "nothing like this")
    assert (none.rc, none.stdout) == (0, "")
    assert "No uploads match." in none.stderr
    bad = cli.run("history", "--limit", "0")
    assert bad.rc == 2
    assert "--limit" in bad.stderr
    assert cli.run("history", "--state", "lost").rc == 2


def test_export_json_and_csv(cli: Cli, written: Written, tmp_path: Path) -> None:
    out = tmp_path / "all.json"
    result = cli.run("history", "--export", str(out))
    assert (result.rc, result.stdout) == (0, "")
    assert f"Exported 4 uploads to {out}" in result.stderr
    records = json.loads(out.read_text(encoding="utf-8"))
    assert [r["id"] for r in records] == [e.id for e in written.newest_first]
    assert records[3]["deletehash"] == written.done[0].deletehash
    assert out.stat().st_mode & 0o077 == 0  # it holds delete links

    out = tmp_path / "done.csv"
    result = cli.run("history", "--state", "done", "--export", str(out))
    assert result.rc == 0, result.stderr
    rows = list(csv.DictReader(out.open(newline="", encoding="utf-8")))
    assert [int(r["id"]) for r in rows] == [e.id for e in reversed(written.done)]
    for row, e in zip(rows, reversed(written.done), strict=True):
        assert (row["label"], row["link"], row["delete_page"], row["state"]) == (
            e.label, e.link, e.delete_page, "done")

    result = cli.run("history", "--export", str(tmp_path / "missing" / "x.json"))
    assert result.rc == 1
    assert "Cannot write" in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_history_never_starts_a_local_host(tmp_path: Path, shared_host: HostWithKeys) -> None:
    port = free_port()
    machine = Cli(tmp_path / "machine", {"IMGUR_DESKTOP_LOCAL_PORT": str(port)})
    machine.root.mkdir()
    try:
        # nothing configured, nothing uploaded: no host, and no file made by reading
        empty = machine.run("history")
        assert (empty.rc, empty.stdout) == (0, "")
        assert "Nothing uploaded yet." in empty.stderr
        assert not (machine.data_dir / FILE_NAME).exists()

        written = write_history(machine.data_dir, shared_host)
        result = machine.run("history", "--json")
        assert result.rc == 0, result.stderr
        assert len(result.json_lines()) == len(written.newest_first)
        assert not (machine.data_dir / "local-host" / "serve.pid").exists()
        assert not (machine.data_dir / "local-host").exists()
        assert not listening(port)

        # the --data-dir flag is honoured the same way
        other = tmp_path / "other"
        write_history(other, shared_host)
        flagged = machine.run("history", "--data-dir", str(other), "--json")
        assert flagged.rc == 0, flagged.stderr
        assert len(flagged.json_lines()) == 4
        assert not (other / "local-host").exists()
    finally:
        machine.stop_local_host()


def test_a_ledger_from_a_newer_app_is_refused_clearly(cli: Cli) -> None:
    cli.data_dir.mkdir(parents=True)
    with sqlite3.connect(cli.data_dir / FILE_NAME) as db:
        db.execute("PRAGMA user_version = 99")
    result = cli.run("history")
    assert result.rc == 1
    assert "newer imgur-desktop" in result.stderr
    assert "Traceback" not in result.stderr
