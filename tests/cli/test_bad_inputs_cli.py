"""The bad-input corpus (tests/support/corpus.py) through ``imgur-desktop upload --json``, a
real subprocess, against the real host behind a counting proxy: one line per file with its
sentence, links for the valid ones, exit status 1, nothing sent that was refused, no hang; and
10,000 files dropped at once."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.conftest import HostWithKeys
from tests.support.corpus import REFUSED, REJECTED, UPLOADED, Case, Corpus, build
from tests.support.corpus import expected_bytes as served_bytes
from tests.support.faults import FaultProxy, Then

from .conftest import Cli, Result, fetch

pytestmark = pytest.mark.timeout(120)

SETPRIV = shutil.which("setpriv")
# As root, files of mode 000 are readable; setpriv (util-linux) runs the CLI without that power.
CAN_MAKE_UNREADABLE = os.geteuid() != 0 or SETPRIV is not None


def upload(cli: Cli, *args: str, timeout: float = 90) -> Result:
    command = [sys.executable, "-m", "imgur_desktop", "upload", *args]
    if os.geteuid() == 0 and SETPRIV is not None:
        command = [SETPRIV, "--bounding-set", "-dac_override,-dac_read_search", *command]
    proc = subprocess.run(command, capture_output=True, timeout=timeout, cwd=cli.root,
                          env=cli.env, stdin=subprocess.DEVNULL, check=False)
    return Result(list(args), proc.returncode, proc.stdout.decode("utf-8", "replace"),
                  proc.stderr.decode("utf-8", "replace"))


def via(front: FaultProxy, host: HostWithKeys) -> list[str]:
    return ["--json", "--api-url", front.api, "--key", host.keys.key]


@pytest.fixture
def corpus(tmp_path: Path) -> Iterator[Corpus]:
    built = build(tmp_path / "corpus")
    if not CAN_MAKE_UNREADABLE:  # root would read and upload it: it is not what it claims
        built.path(built.case("unreadable")).unlink()
        built.cases = [c for c in built.cases if not c.unreadable]
    yield built
    built.restore_permissions()


def posts(front: FaultProxy) -> int:
    return sum(1 for seen in front.seen if seen.method == "POST")


def check_line(corpus: Corpus, case: Case, line: dict[str, Any]) -> None:
    assert line["file"] == str(corpus.path(case))
    if case.outcome == UPLOADED:
        assert line["ok"] is True, line
        resp = fetch(line["links"]["original"])
        assert resp.status_code == 200
        assert resp.content == served_bytes(corpus, case)
        assert fetch(line["links"]["delete_page"]).status_code == 200
        return
    assert line["ok"] is False, line
    assert case.message is not None
    if case.prefix:
        assert line["error"].startswith(case.message), line
    else:
        assert line["error"] == case.message


def test_every_file_named_gets_its_own_line(cli: Cli, corpus: Corpus,
                                            shared_host: HostWithKeys) -> None:
    vanishing = next(c for c in corpus.cases if c.vanishes)
    folder = corpus.case("folder")  # a folder named on the command line is walked instead
    named = [c for c in corpus.cases if not c.vanishes and c is not folder]
    named.append(vanishing)  # last, so it is listed well before its turn comes
    with FaultProxy(shared_host.url) as front:
        # The first upload the host sees removes it: gone between listing and sending.
        front.plan(Then(lambda: corpus.vanish(vanishing)))
        started = time.monotonic()
        result = upload(cli, *[str(corpus.path(c)) for c in named], str(corpus.path(folder)),
                        *via(front, shared_host))
        seconds = time.monotonic() - started

        assert result.rc == 1, result.stderr  # some uploaded, some not
        lines = result.json_lines()
        assert len(lines) == len(named), result.stdout
        for case, line in zip(named, lines, strict=True):
            check_line(corpus, case, line)  # the links name the proxy: check them here
        assert f"{corpus.path(folder)}: no supported images in this folder" in result.stderr
        # Only what could be an image went out; every refused file stayed here.
        assert posts(front) == sum(1 for c in named if c.outcome in (REJECTED, UPLOADED))
    assert seconds < 60, f"{len(named)} files took {seconds:.1f}s"


def test_unreadable_file_gets_its_line(cli: Cli, corpus: Corpus,
                                       shared_host: HostWithKeys) -> None:
    """Also in the corpus run; on its own so that, where it cannot be made, the skip shows."""
    if not CAN_MAKE_UNREADABLE:
        pytest.skip("running as root, which reads files of mode 000, and setpriv (util-linux) "
                    "is not installed to drop that power: this one case cannot be made")
    unreadable, photo = corpus.case("unreadable"), corpus.case("photo")
    with FaultProxy(shared_host.url) as front:
        result = upload(cli, str(corpus.path(unreadable)), str(corpus.path(photo)),
                        *via(front, shared_host))
        assert result.rc == 1, result.stderr
        first, second = result.json_lines()
        check_line(corpus, unreadable, first)
        check_line(corpus, photo, second)
        assert posts(front) == 1


def test_the_corpus_folder_uploads_what_it_can(cli: Cli, corpus: Corpus,
                                               shared_host: HostWithKeys) -> None:
    """The folder as a whole, with a link back to itself inside (nested/back-up): the walk
    ends, every valid regular file in it uploads, and the broken ones say why."""
    vanishing = next(c for c in corpus.cases if c.vanishes)
    with FaultProxy(shared_host.url) as front:
        front.plan(Then(lambda: corpus.vanish(vanishing)))
        result = upload(cli, str(corpus.root), *via(front, shared_host))

        assert result.rc == 1, result.stderr
        lines = {line["file"]: line for line in result.json_lines()}
        inner = corpus.root / "nested" / "inner.png"
        assert lines[str(inner)]["ok"] is True
        assert fetch(lines[str(inner)]["links"]["original"]).content == inner.read_bytes()
        assert not any("back-up" in name for name in lines)  # the link to itself: not followed
        # Every plain file that starts like an image has its line: uploaded, or why not.
        sniffed = [c for c in corpus.cases
                   if c.outcome in (UPLOADED, REJECTED) or c.vanishes or c.id == "sparse-1gb"]
        sniffed = [c for c in sniffed if not corpus.path(c).is_symlink() and not c.unreadable]
        for case in sniffed:
            check_line(corpus, case, lines[str(corpus.path(case))])
        for case in corpus.cases:
            if case.error == "UnsupportedFile":  # never sent; a line says why, and a count
                line = lines[str(corpus.path(case))]
                assert line == {"file": str(corpus.path(case)), "ok": False, "skipped": True,
                                "error": case.message}
        assert f"{corpus.root}: skipped " in result.stderr
        # Sent: the plain files that start like an image, nothing else (the sparse file and
        # the vanished one are refused here), and nested/inner.png.
        sent = [c for c in sniffed if c.outcome in (UPLOADED, REJECTED)]
        # Links to files are followed (link-to-photo.png uploads the photo again).
        linked = [c for c in corpus.cases if corpus.path(c).is_symlink()
                  and c.outcome == UPLOADED]
        assert [c.id for c in linked] == ["link-to-photo"]
        assert lines[str(corpus.path(linked[0]))]["ok"] is True
        assert posts(front) == len(sent) + len(linked) + 1


def test_every_entry_of_a_dropped_folder_gets_a_line(cli: Cli, corpus: Corpus,
                                                     shared_host: HostWithKeys) -> None:
    vanishing = next(c for c in corpus.cases if c.vanishes)
    with FaultProxy(shared_host.url) as front:
        front.plan(Then(lambda: corpus.vanish(vanishing)))
        result = upload(cli, str(corpus.root), *via(front, shared_host))
    lines = {line["file"]: line for line in result.json_lines()}
    for case in corpus.cases:
        if case.id == "folder":
            continue  # a folder inside a folder is walked, not an error
        line = lines.get(str(corpus.path(case)))
        assert line is not None, f"nothing said about {case.id}"
        assert line["ok"] is (case.outcome == UPLOADED)
        if case.outcome == REFUSED:
            assert line["error"] == case.message


# -- 10,000 files at once ----------------------------------------------------------------------


def tiny_png(i: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (i * 11 % 256, i * 29 % 256, i * 71 % 256)).save(buf, "PNG")
    return buf.getvalue()


def test_ten_thousand_files_dropped_at_once(cli: Cli, shared_host: HostWithKeys,
                                           tmp_path: Path) -> None:
    folder = tmp_path / "dropped"
    folder.mkdir()
    valid = {folder / f"image-{i:05d}.png": tiny_png(i) for i in range(0, 10_000, 500)}
    for i in range(10_000):
        path = folder / f"image-{i:05d}.png"
        if path in valid:
            path.write_bytes(valid[path])
        else:
            (folder / f"note-{i:05d}.txt").write_bytes(b"not an image %d\n" % i)
    assert len(valid) == 20
    assert sum(1 for _ in folder.iterdir()) == 10_000

    with FaultProxy(shared_host.url) as front:
        started = time.monotonic()
        result = upload(cli, str(folder), *via(front, shared_host), timeout=60)
        seconds = time.monotonic() - started

        assert result.rc == 0, result.stderr  # skipping a text file is not a failure
        every = result.json_lines()
        lines = [line for line in every if not line.get("skipped")]
        assert len(every) - len(lines) == 10_000 - len(valid)  # each text file said why
        assert [line["file"] for line in lines] == sorted(str(p) for p in valid)
        assert all(line["ok"] for line in lines)
        for line in lines:
            assert fetch(line["links"]["original"]).content == valid[Path(line["file"])]
        assert posts(front) == 20  # no text file went out
    assert f"{folder}: skipped 9980 file(s) that cannot be uploaded" in result.stderr
    assert seconds < 60, f"10,000 files took {seconds:.1f}s"
