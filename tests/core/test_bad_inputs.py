"""The bad-input corpus (tests/support/corpus.py) through ``V2Client.upload_file`` against the
real host, behind a counting proxy: each refused file ends in its exact error and sentence with
no request made and no credit spent, each broken image is refused by the host with nothing
stored, and every valid file, whatever its name, uploads and its link serves it back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from imgur_desktop.core.api.v2 import V2Client
from imgur_desktop.core.errors import ApiError, ImgurError
from imgur_desktop.core.messages import describe
from imgur_desktop.core.models import Image
from tests.conftest import HostWithKeys
from tests.core.conftest import fast_transport
from tests.support.corpus import REFUSED, REJECTED, UPLOADED, Case, Corpus, build, cases
from tests.support.corpus import expected_bytes as served_bytes
from tests.support.faults import FaultProxy

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]
CASES = cases()


@pytest.fixture
def corpus(tmp_path: Path) -> Iterator[Corpus]:
    built = build(tmp_path / "corpus")
    yield built
    built.restore_permissions()  # or pytest cannot clean up after a non-root run


def client_for(proxy: FaultProxy, host: HostWithKeys, fmt: str = "json") -> V2Client:
    return V2Client(proxy.api, key=host.keys.key, fmt=fmt, transport=fast_transport())


def stored(host: HostWithKeys) -> set[str]:
    return {p.name for p in (host.data_dir / "images").iterdir()}


def root_reads_everything() -> bool:
    return os.geteuid() == 0


def attempt_unprivileged(path: Path, api: str, key: str) -> tuple[str, str]:
    """Upload ``path`` from a child without the powers that let root read any file (setpriv,
    from util-linux), so a mode-000 file is unreadable there as it is for a person."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root, which reads files whatever their mode, and setpriv "
                    "(util-linux) is not installed to drop that power for this one case")
    code = ("import sys\nfrom pathlib import Path\n"
            "from imgur_desktop.core.api.v2 import V2Client\n"
            "from imgur_desktop.core.messages import describe\n"
            "try:\n    V2Client(sys.argv[2], key=sys.argv[3]).upload_file(Path(sys.argv[1]))\n"
            "except Exception as exc:\n    print(type(exc).__name__)\n    print(describe(exc))\n"
            "else:\n    print('uploaded')\n")
    done = subprocess.run(
        [setpriv, "--bounding-set", "-dac_override,-dac_read_search", sys.executable, "-c",
         code, str(path), api, key],
        capture_output=True, text=True, timeout=60, check=False, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    kind, _, text = done.stdout.partition("\n")
    return kind, text.rstrip("\n")


def check_message(case: Case, text: str) -> None:
    assert case.message is not None
    if case.prefix:
        assert text.startswith(case.message), text
    else:
        assert text == case.message


def assert_served(image: Image, data: bytes) -> None:
    resp = requests.get(image.links.original, timeout=10)
    assert resp.status_code == 200, image.links.original
    assert resp.content == data


# -- one case at a time ----------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_through_the_client(case: Case, corpus: Corpus, proxy: FaultProxy,
                                 shared_host: HostWithKeys) -> None:
    path = corpus.path(case)
    client = client_for(proxy, shared_host)
    before = stored(shared_host)
    if case.vanishes:
        listed = sorted(corpus.root.iterdir())
        assert path in listed
        corpus.vanish(case)  # gone between the listing and the sending

    if case.unreadable and root_reads_everything():
        kind, text = attempt_unprivileged(path, proxy.api, shared_host.keys.key)
        assert (kind, text) == (case.error, case.message)
        assert proxy.count == 0
        return

    if case.outcome == UPLOADED:
        image = client.upload_file(path)
        assert proxy.count == 1
        assert_served(image, served_bytes(corpus, case))
        assert image.size == len(served_bytes(corpus, case))
        added = stored(shared_host) - before
        assert len(added) == 1
        assert added.pop().startswith(image.hash + ".")
        return

    with pytest.raises(ImgurError) as info:
        client.upload_file(path)
    assert type(info.value).__name__ == case.error
    check_message(case, describe(info.value))
    if case.outcome == REFUSED:
        assert proxy.count == 0  # refused before any request: nothing reached the host
    else:
        assert isinstance(info.value, ApiError)
        assert info.value.status == 400
        assert proxy.count == 1  # sent once, never again
    assert stored(shared_host) == before  # nothing was kept


# -- odd names come back as they were ---------------------------------------------------------

ODD_NAMES = ["newline-name", "non-latin-name", "quotes-name", "no-extension", "spaces-gif",
             "png-named-jpg"]


@pytest.mark.parametrize("case_id", ODD_NAMES)
def test_odd_names_come_back_as_given(case_id: str, corpus: Corpus,
                                      shared_host: HostWithKeys) -> None:
    case = corpus.case(case_id)
    client = V2Client(shared_host.api, key=shared_host.keys.key, transport=fast_transport())
    image = client.upload_file(corpus.path(case))
    assert client.image(image.hash).hash == image.hash  # the link is real and readable
    assert image.name == case.name


# -- the whole corpus in a row, as a queue would send it ----------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_whole_corpus_in_one_batch(fmt: str, corpus: Corpus, proxy: FaultProxy,
                                   shared_host: HostWithKeys) -> None:
    """One client, every case in turn: a bad file fails alone, and every valid one after it
    still uploads; only the files that could be images are ever sent."""
    client = client_for(proxy, shared_host, fmt)
    before = stored(shared_host)
    uploaded: dict[str, Image] = {}
    failed: dict[str, str] = {}
    for case in corpus.cases:
        if case.unreadable and root_reads_everything():
            continue  # root reads it: test_case_through_the_client covers it unprivileged
        if case.vanishes:
            corpus.vanish(case)
        try:
            uploaded[case.id] = client.upload_file(corpus.path(case))
        except ImgurError as exc:
            failed[case.id] = describe(exc)
    expected_up = {c.id for c in corpus.of(UPLOADED)}
    assert set(uploaded) == expected_up
    for case in corpus.cases:
        if case.id in failed:
            check_message(case, failed[case.id])
    assert set(failed) | set(uploaded) == {
        c.id for c in corpus.cases if not (c.unreadable and root_reads_everything())}
    posts = [s for s in proxy.seen if s.method == "POST"]
    assert len(posts) == len(corpus.of(REJECTED)) + len(expected_up) == proxy.count
    assert len(stored(shared_host) - before) == len(expected_up)
    for case_id, image in uploaded.items():
        assert_served(image, served_bytes(corpus, corpus.case(case_id)))


def test_refused_files_spend_no_credit(corpus: Corpus, proxy: FaultProxy,
                                       shared_host: HostWithKeys) -> None:
    client = client_for(proxy, shared_host)
    first = client.credits()
    refused = [c for c in corpus.of(REFUSED) if not (c.unreadable and root_reads_everything())]
    assert len(refused) >= 18
    for case in refused:
        if case.vanishes:
            corpus.vanish(case)
        with pytest.raises(ImgurError):
            client.upload_file(corpus.path(case))
    assert proxy.count == 1  # only the credits call
    # The host agrees: the second credits call is all that has cost anything since.
    assert client.credits().remaining == first.remaining - 1


# -- a file that changes while it is sent ------------------------------------------------------


@pytest.mark.parametrize("change", ["grows", "shrinks"])
def test_file_changing_while_it_is_sent(change: str, tmp_path: Path, proxy: FaultProxy,
                                        shared_host: HostWithKeys) -> None:
    """A file still being written: the length was announced before the first byte went out,
    so the upload stops with a plain reason instead of storing a different file (grown) or
    waiting for bytes that never come (shrunk)."""
    path = tmp_path / "being-written.pdf"
    path.write_bytes(b"%PDF-1.4\n" + bytes(1024 * 1024) + b"\n%%EOF\n")
    client = client_for(proxy, shared_host)
    before = stored(shared_host)
    reports: list[int] = []

    def progress(sent: int, total: int) -> None:
        if not reports:  # while the first block is on its way
            with path.open("r+b") as fh:
                if change == "grows":
                    fh.seek(0, os.SEEK_END)
                    fh.write(b"more data, still being written " * 10_000)
                else:
                    fh.truncate(200_000)
        reports.append(sent)

    with pytest.raises(ImgurError) as info:
        client.upload_file(path, progress=progress)
    assert type(info.value).__name__ == "BadFile"
    assert describe(info.value) == (
        "being-written.pdf changed size while it was being sent (is it still being written?); "
        "try again once it is complete")
    # The request had started (it stopped mid-body); the relay may see its head a moment later.
    deadline = time.monotonic() + 10
    while proxy.count == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proxy.count == 1
    proxy.close()  # waits for the relay to pass the hang-up on and hear the host out
    assert stored(shared_host) == before
