"""The streamed multipart body is byte-for-byte what urllib3 (and so requests) would build for
the same fields and boundary, read in blocks of any size, from a real file or from memory; a
file that changes size after the length was fixed is reported, never sent short or long."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
from urllib3.filepost import encode_multipart_formdata

from imgur_desktop.core.api.multipart import (
    FileField,
    MultipartBody,
    SizeChanged,
    remaining_bytes,
)

BOUNDARY = "b0undary-for-the-tests-3f9c"
READ_SIZES = (1, 7, 64 * 1024, 10**9)
# Not a repeat of any short pattern, so a block read twice or skipped shows.
CONTENT = bytes((i * 7 + i // 251) % 256 for i in range(200_003))

Fields = dict[str, str | FileField]
OracleFields = dict[str, str | tuple[str, bytes, str]]


def oracle(fields: OracleFields, boundary: str = BOUNDARY) -> tuple[bytes, str]:
    """urllib3's own encoder: the body and Content-Type requests would send."""
    return encode_multipart_formdata(fields, boundary=boundary)


def read_all(body: MultipartBody, size: int) -> bytes:
    blocks: list[bytes] = []
    while block := body.read(size):
        assert len(block) <= size
        blocks.append(block)
    # Every block but the last is full: nothing short is handed out mid-body.
    assert all(len(b) == size for b in blocks[:-1])
    return b"".join(blocks)


# Each case: a name and a builder of (the fields, for MultipartBody and for the oracle).
Case = Callable[[], tuple[Fields, OracleFields]]


def _plain() -> tuple[Fields, OracleFields]:
    fields: dict[str, str] = {"type": "file", "title": "Ünïcödé — 東京 ☃", "empty": ""}
    return dict(fields), dict(fields)


def _one_file() -> tuple[Fields, OracleFields]:
    return ({"image": ("shot.png", io.BytesIO(CONTENT), "image/png")},
            {"image": ("shot.png", CONTENT, "image/png")})


def _odd_file_name() -> tuple[Fields, OracleFields]:
    name = 'a "quoted"\nnäme\r\\ 東.pdf'
    return ({"image": (name, io.BytesIO(CONTENT[:999]), "application/pdf")},
            {"image": (name, CONTENT[:999], "application/pdf")})


def _fields_around_the_file() -> tuple[Fields, OracleFields]:
    before = {"type": "file", "name": "shot.png", "title": "Café"}
    after = {"description": "line one\r\nline two", "album": "ab12"}
    ours: Fields = {**before, "image": ("shot.png", io.BytesIO(CONTENT), "image/png"), **after}
    theirs: OracleFields = {**before, "image": ("shot.png", CONTENT, "image/png"), **after}
    return ours, theirs


def _empty_file() -> tuple[Fields, OracleFields]:
    return ({"type": "file", "image": ("empty.gif", io.BytesIO(b""), "image/gif"),
             "title": "nothing"},
            {"type": "file", "image": ("empty.gif", b"", "image/gif"), "title": "nothing"})


def _two_files() -> tuple[Fields, OracleFields]:
    return ({"a": ("a.bin", io.BytesIO(CONTENT[:70_000]), "application/octet-stream"),
             "b": ("b.bin", io.BytesIO(CONTENT[70_000:]), "application/octet-stream")},
            {"a": ("a.bin", CONTENT[:70_000], "application/octet-stream"),
             "b": ("b.bin", CONTENT[70_000:], "application/octet-stream")})


CASES: dict[str, Case] = {
    "plain": _plain, "one_file": _one_file, "odd_file_name": _odd_file_name,
    "fields_around_the_file": _fields_around_the_file, "empty_file": _empty_file,
    "two_files": _two_files,
}


@pytest.mark.parametrize("size", READ_SIZES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_same_bytes_as_urllib3(case: str, size: int) -> None:
    ours, theirs = CASES[case]()
    expected, content_type = oracle(theirs)
    body = MultipartBody(ours, boundary=BOUNDARY)
    assert body.len == len(expected)
    assert body.content_type == content_type
    assert f"boundary={BOUNDARY}" in body.content_type
    assert read_all(body, size) == expected


def test_a_fresh_boundary_each_body() -> None:
    first = MultipartBody({"type": "file"})
    second = MultipartBody({"type": "file"})
    assert first.boundary != second.boundary
    expected, content_type = oracle({"type": "file"}, boundary=first.boundary)
    assert first.content_type == content_type
    assert read_all(first, 64 * 1024) == expected


@pytest.fixture
def on_disk(tmp_path: Path) -> Iterator[tuple[Path, IO[bytes]]]:
    path = tmp_path / "photo.jpg"
    path.write_bytes(CONTENT)
    with path.open("rb") as fh:
        yield path, fh


@pytest.mark.parametrize("size", READ_SIZES)
def test_a_real_file_counts_from_where_it_stands(
        on_disk: tuple[Path, IO[bytes]], size: int) -> None:
    _, fh = on_disk
    fh.read(12_345)  # as if a header had been sniffed, through the buffer
    assert remaining_bytes(fh) == len(CONTENT) - 12_345
    body = MultipartBody({"type": "file", "image": ("photo.jpg", fh, "image/jpeg"),
                          "title": "x"}, boundary=BOUNDARY)
    expected, _ = oracle({"type": "file",
                          "image": ("photo.jpg", CONTENT[12_345:], "image/jpeg"),
                          "title": "x"})
    assert body.len == len(expected)
    assert read_all(body, size) == expected


def test_unbuffered_file_counts_from_where_it_stands(tmp_path: Path) -> None:
    path = tmp_path / "raw.bin"
    path.write_bytes(CONTENT)
    with path.open("rb", buffering=0) as fh:
        fh.seek(100)
        body = MultipartBody({"image": ("raw.bin", fh, "image/png")}, boundary=BOUNDARY)
        expected, _ = oracle({"image": ("raw.bin", CONTENT[100:], "image/png")})
        assert body.len == len(expected)
        assert read_all(body, 7) == expected


def test_bytesio_counts_from_where_it_stands() -> None:
    buffer = io.BytesIO(CONTENT)
    buffer.seek(50_000)
    assert remaining_bytes(buffer) == len(CONTENT) - 50_000
    body = MultipartBody({"image": ("m.png", buffer, "image/png")}, boundary=BOUNDARY)
    expected, _ = oracle({"image": ("m.png", CONTENT[50_000:], "image/png")})
    assert body.len == len(expected)
    assert read_all(body, 64 * 1024) == expected


def _drain(body: MultipartBody, size: int) -> None:
    while body.read(size):
        pass


@pytest.mark.parametrize("size", READ_SIZES)
def test_a_file_cut_short_after_the_length_was_fixed(
        on_disk: tuple[Path, IO[bytes]], size: int) -> None:
    path, fh = on_disk
    body = MultipartBody({"image": ("photo.jpg", fh, "image/jpeg"), "title": "x"})
    os.truncate(path, len(CONTENT) // 2)
    with pytest.raises(SizeChanged):
        _drain(body, size)


@pytest.mark.parametrize("size", READ_SIZES)
def test_a_file_grown_after_the_length_was_fixed(
        on_disk: tuple[Path, IO[bytes]], size: int) -> None:
    path, fh = on_disk
    body = MultipartBody({"image": ("photo.jpg", fh, "image/jpeg"), "title": "x"})
    with path.open("ab") as more:
        more.write(b"still being written")
    with pytest.raises(SizeChanged):
        _drain(body, size)


def test_an_empty_file_that_grew(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with path.open("rb") as fh:
        body = MultipartBody({"image": ("empty.png", fh, "image/png")})
        path.write_bytes(b"late")
        with pytest.raises(SizeChanged):
            _drain(body, 64 * 1024)


def test_a_file_emptied_after_the_length_was_fixed(
        on_disk: tuple[Path, IO[bytes]]) -> None:
    path, fh = on_disk
    body = MultipartBody({"image": ("photo.jpg", fh, "image/jpeg")})
    os.truncate(path, 0)
    with pytest.raises(SizeChanged):
        _drain(body, 64 * 1024)


def test_an_untouched_file_goes_whole(on_disk: tuple[Path, IO[bytes]]) -> None:
    _, fh = on_disk
    body = MultipartBody({"image": ("photo.jpg", fh, "image/jpeg")}, boundary=BOUNDARY)
    expected, _ = oracle({"image": ("photo.jpg", CONTENT, "image/jpeg")})
    assert read_all(body, 64 * 1024) == expected  # no SizeChanged


@pytest.mark.parametrize("case", sorted(CASES))
def test_nothing_after_the_end(case: str) -> None:
    ours, theirs = CASES[case]()
    body = MultipartBody(ours, boundary=BOUNDARY)
    expected, _ = oracle(theirs)
    assert body.read(len(expected)) == expected
    for size in (1, 64 * 1024, 10**9):
        assert body.read(size) == b""
    assert body.read(1) == b""
