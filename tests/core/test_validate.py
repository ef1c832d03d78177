"""Checks made before sending: type by content, size, and what is not a readable regular file.
A refused file must cost nothing: no request at all, so no credit."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from imgur_desktop.core import formats
from imgur_desktop.core.api.v2 import UploadMeta, V2Client
from imgur_desktop.core.errors import BadFile, FileTooLarge, ImgurError, UnsupportedFile
from imgur_desktop.core.validate import DEFAULT_MAX_BYTES, check_bytes, check_file
from tests.conftest import HostWithKeys
from tests.core.conftest import fast_transport
from tests.support import images
from tests.support.faults import FaultProxy

SEED_TEXT = ("That file type is not supported! Supported formats: "
             "JPEG, GIF, PNG, APNG, TIFF, BMP, PDF, XCF")


def zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("inside.png", images.png())
    return buf.getvalue()


UNSUPPORTED: dict[str, Callable[[], bytes]] = {
    "notes.txt": lambda: b"just some text, not an image\n",
    "photo.webp": images.webp,
    "drawing.svg": lambda: (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
                            b'width="10" height="10"><rect width="10" height="10"/></svg>'),
    "archive.zip": zip_bytes,
    # A supported extension does not help: the content decides.
    "fake.png": lambda: b"plain text wearing a .png name\n",
}

SUPPORTED: dict[str, tuple[Callable[[], bytes], formats.ImageFormat]] = {
    "a.jpg": (images.jpeg, formats.JPEG),
    "a.gif": (images.gif, formats.GIF),
    "a.png": (images.png, formats.PNG),
    "a.apng": (images.apng, formats.APNG),
    "a.tif": (images.tiff, formats.TIFF),
    "a.bmp": (images.bmp, formats.BMP),
    "a.pdf": (images.pdf, formats.PDF),
    "a.xcf": (images.xcf, formats.XCF),
    "no-extension": (images.png, formats.PNG),
    "wrong-extension.txt": (images.jpeg, formats.JPEG),
}


def test_the_message_is_the_seeds() -> None:
    assert formats.UNSUPPORTED_MESSAGE == SEED_TEXT


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(UNSUPPORTED[name]())
    with pytest.raises(UnsupportedFile) as info:
        check_file(path)
    assert str(info.value) == SEED_TEXT
    assert info.value.message == SEED_TEXT


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_bytes(name: str) -> None:
    with pytest.raises(UnsupportedFile, match=r"^That file type is not supported!"):
        check_bytes(UNSUPPORTED[name]())


@pytest.mark.parametrize("name", sorted(SUPPORTED))
def test_supported_file(tmp_path: Path, name: str) -> None:
    make, expected = SUPPORTED[name]
    path = tmp_path / name
    data = make()
    path.write_bytes(data)
    checked = check_file(path)
    assert checked.format == expected
    assert checked.size == len(data)
    assert checked.path == path
    assert check_bytes(data) == expected


def test_symlink_to_a_good_file_is_followed(tmp_path: Path) -> None:
    target = tmp_path / "real.png"
    target.write_bytes(images.png())
    link = tmp_path / "link.png"
    link.symlink_to(target)
    assert check_file(link).format == formats.PNG


def test_too_large_for_the_given_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    data = images.png((300, 300))
    path.write_bytes(data)
    limit = len(data) - 1
    with pytest.raises(FileTooLarge) as info:
        check_file(path, limit)
    assert (info.value.size, info.value.limit) == (len(data), limit)
    assert "big.png" in info.value.message
    assert check_file(path, len(data)).size == len(data)  # exactly at the limit is fine
    with pytest.raises(FileTooLarge):
        check_bytes(data, limit)


def test_too_large_for_the_default_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    with path.open("wb") as fh:
        fh.write(b"%PDF-1.4\n")
        fh.truncate(DEFAULT_MAX_BYTES + 1)  # sparse: the size is checked before the content
    with pytest.raises(FileTooLarge) as info:
        check_file(path)
    assert info.value.limit == DEFAULT_MAX_BYTES
    assert "10.0 MB" in info.value.message


def bad_files(tmp_path: Path) -> dict[str, Path]:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    folder = tmp_path / "folder.png"
    folder.mkdir()
    broken = tmp_path / "broken.png"
    broken.symlink_to(tmp_path / "gone.png")
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    return {"empty": empty, "folder": folder, "broken-link": broken, "fifo": fifo,
            "missing": tmp_path / "nowhere.png"}


BAD_WORDS = {"empty": "empty", "folder": "folder", "broken-link": "link",
             "fifo": "not a regular file", "missing": "does not exist"}


@pytest.mark.parametrize("kind", sorted(BAD_WORDS))
def test_bad_file(tmp_path: Path, kind: str) -> None:
    path = bad_files(tmp_path)[kind]
    with pytest.raises(BadFile) as info:
        check_file(path)  # a FIFO must not be opened: that would block
    assert BAD_WORDS[kind] in info.value.message
    assert path.name in info.value.message


def test_unreadable_file(tmp_path: Path) -> None:
    """Root reads through permission bits, so as root the check runs in a child without the
    capabilities that allow it (setpriv, from util-linux)."""
    path = tmp_path / "secret.png"
    path.write_bytes(images.png())
    path.chmod(0)
    try:
        if os.geteuid() != 0:
            with pytest.raises(BadFile, match="permission denied"):
                check_file(path)
            return
        setpriv = shutil.which("setpriv")
        assert setpriv is not None, "setpriv (util-linux) is needed to test this as root"
        code = ("import sys; from pathlib import Path\n"
                "from imgur_desktop.core.validate import check_file\n"
                "from imgur_desktop.core.errors import BadFile\n"
                "try:\n    check_file(Path(sys.argv[1]))\n"
                "except BadFile as exc:\n    print(exc.message)\n")
        done = subprocess.run([setpriv, "--bounding-set", "-dac_override,-dac_read_search",
                               sys.executable, "-c", code, str(path)],
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        assert "permission denied" in done.stdout
        assert "secret.png" in done.stdout
    finally:
        path.chmod(0o600)


def test_empty_bytes() -> None:
    with pytest.raises(BadFile):
        check_bytes(b"")


# -- through the client: refused before anything is sent ---------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_refused_uploads_cost_nothing(proxy: FaultProxy, shared_host: HostWithKeys,
                                      tmp_path: Path, fmt: str) -> None:
    client = V2Client(proxy.api, key=shared_host.keys.key, fmt=fmt, max_upload_bytes=5000,
                      transport=fast_transport())
    first = client.credits()
    state = client.anonymous_rate.credits
    assert state is not None
    assert state.remaining == first.remaining
    assert proxy.count == 1

    def file_upload(path: Path) -> Callable[[], object]:
        return lambda: client.upload_file(path)

    refused: list[tuple[Callable[[], object], type[ImgurError]]] = []
    for name, make in UNSUPPORTED.items():
        path = tmp_path / name
        path.write_bytes(make())
        refused.append((file_upload(path), UnsupportedFile))
    big = tmp_path / "big.png"
    big.write_bytes(images.png((400, 400)) + bytes(6000))
    refused.append((file_upload(big), FileTooLarge))
    refused += [(file_upload(path), BadFile) for path in bad_files(tmp_path).values()]
    refused += [
        (lambda: client.upload_bytes(images.webp(), "a.webp"), UnsupportedFile),
        (lambda: client.upload_bytes(b"", "a.png"), BadFile),
        (lambda: client.upload_bytes(bytes(6000), "zeros.png"), FileTooLarge),
        (lambda: client.upload_base64(zip_bytes()), UnsupportedFile),
        (lambda: client.upload_file(tmp_path / "notes.txt", UploadMeta(title="t")),
         UnsupportedFile),
    ]
    for attempt, expected in refused:
        with pytest.raises(expected) as info:
            attempt()
        if expected is UnsupportedFile:
            assert info.value.message == SEED_TEXT

    assert proxy.count == 1  # not one of them was sent
    assert client.anonymous_rate.credits == state
    # The host agrees: only this second credits call has cost anything since.
    assert client.credits().remaining == first.remaining - 1


def test_refused_without_a_key_or_a_bad_url_scheme_is_not_sent(proxy: FaultProxy,
                                                               tmp_path: Path) -> None:
    from imgur_desktop.core.errors import ApiError

    path = tmp_path / "a.png"
    path.write_bytes(images.png())
    keyless = V2Client(proxy.api, transport=fast_transport())
    with pytest.raises(ApiError) as info:
        keyless.upload_file(path)
    assert info.value.status == 401
    with pytest.raises(ApiError) as info:
        keyless.upload_url("file:///etc/passwd")
    assert info.value.status == 400
    assert proxy.count == 0
