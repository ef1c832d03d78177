"""How upload bodies are read: the percent-decoder of urlencoded forms against the standard
library across every chunk edge, the one-pass split of plain multipart bodies against
python-multipart's own streaming parser (and the bodies it must leave to that parser), and both
end to end through the real host."""

from __future__ import annotations

import asyncio
import base64
import random
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes

import pytest
import requests
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from imgur_desktop.server import plain_multipart
from imgur_desktop.server.forms import BadBody, PercentDecoder, UploadBody, read_upload_body
from tests.conftest import HostWithKeys
from tests.support import images

TIMEOUT = 30
B = b"XyZ-boundary-42"
LIMIT = 10 * 1024 * 1024


# -- percent-decoding ------------------------------------------------------------------------


def decode_in_pieces(data: bytes, cuts: list[int]) -> bytes:
    decoder = PercentDecoder()
    out, prev = b"", 0
    for cut in [*cuts, len(data)]:
        out += decoder.feed(data[prev:cut])
        prev = cut
    return out + decoder.flush()


def reference(data: bytes) -> bytes:
    return unquote_to_bytes(data.replace(b"+", b" "))  # what unquote_plus / parse_qsl do


@pytest.mark.parametrize("text", [
    b"a+b%20c%2B%2b%25", b"%41%4a%4A%7e", b"100%", b"%4", b"%%41", b"%G1%1G%+1% 1", b"++",
    b"%e2%82%ac+%E2%82%AC", b"",
])
def test_percent_decoding_at_every_chunk_edge(text: bytes) -> None:
    want = reference(text)
    for cut in range(len(text) + 1):
        assert decode_in_pieces(text, [cut]) == want, (text, cut)
    for a in range(len(text) + 1):
        for b in range(a, len(text) + 1):
            assert decode_in_pieces(text, [a, b]) == want, (text, a, b)


def test_percent_decoding_random_text_and_cuts() -> None:
    rng = random.Random(7)
    alphabet = b"%%++0123456789abcdefABCDEFgz =&\x00\xff"
    for _ in range(3000):
        text = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        cuts = sorted(rng.sample(range(len(text) + 1), min(len(text) + 1, rng.randint(0, 5))))
        assert decode_in_pieces(text, cuts) == reference(text), (text, cuts)


def test_base64_image_in_a_form_decodes_exactly() -> None:
    raw = bytes(range(256)) * 400
    sent = quote(base64.b64encode(raw), safe="").encode()  # '+', '/' and '=' all escaped
    for escape in (b"%2B", b"%2F", b"%3D"):
        assert escape in sent
    cuts = list(range(1, len(sent), 997))  # odd-sized chunks split escapes everywhere
    assert base64.b64decode(decode_in_pieces(sent, cuts)) == raw


# -- multipart: the one-pass split and the streaming parser ------------------------------------


def streamed(body: bytes, boundary: bytes = B) -> list[tuple[dict[str, bytes], bytes]]:
    """python-multipart's reading of ``body``: the reference the split must agree with."""
    parts: list[tuple[dict[str, bytes], bytearray]] = []
    field, value = bytearray(), bytearray()

    def begin() -> None:
        parts.append(({}, bytearray()))

    def header_end() -> None:
        parts[-1][0][field.decode("latin-1").lower()] = bytes(value)
        field.clear()
        value.clear()

    parser = MultipartParser(boundary, callbacks={
        "on_part_begin": begin,
        "on_header_field": lambda d, s, e: field.extend(d[s:e]),
        "on_header_value": lambda d, s, e: value.extend(d[s:e]),
        "on_header_end": header_end,
        "on_part_data": lambda d, s, e: parts[-1][1].extend(d[s:e]),
    })
    parser.write(body)
    parser.finalize()
    return [(headers, bytes(data)) for headers, data in parts]


def part(disposition: bytes, data: bytes, *extra: bytes) -> bytes:
    return b"\r\n".join([b"Content-Disposition: " + disposition, *extra, b"", data])


def body(*parts: bytes, end: bytes = b"--" + B + b"--\r\n") -> bytes:
    return b"".join(b"--" + B + b"\r\n" + p + b"\r\n" for p in parts) + end


PNG = images.png()
PLAIN = {
    "curl": body(part(b'form-data; name="key"', b"k123"), part(b'form-data; name="type"', b"file"),
                 part(b'form-data; name="image"; filename="a.png"', PNG,
                      b"Content-Type: image/png")),
    "no final CRLF": body(part(b'form-data; name="title"', b"t"), end=b"--" + B + b"--"),
    "empty value": body(part(b'form-data; name="title"', b"")),
    "lower-case, no space": body(b'content-disposition:form-data; name="a"\r\n\r\nv\r\n'[:-2]),
    "a value holding most of a delimiter": body(
        part(b'form-data; name="caption"', b"line\r\n--" + B[:-1] + b"\r\n--")),
    "quoted name with escapes": body(part(b'form-data; name="ti\\"tle"; filename="a\\\\b.png"',
                                          b"v")),
    "CRLF-only data": body(part(b'form-data; name="caption"', b"\r\n\r\n")),
}


@pytest.mark.parametrize("name", PLAIN)
def test_plain_bodies_split_as_the_streaming_parser_reads_them(name: str) -> None:
    whole = PLAIN[name]
    split = plain_multipart.split(whole, B)
    assert split is not None, name
    assert split == streamed(whole), name


UNUSUAL = {
    "preamble": b"preamble\r\n" + PLAIN["curl"],
    "epilogue": PLAIN["curl"] + b"epilogue",
    "padding after a delimiter": PLAIN["curl"].replace(b"--" + B + b"\r\n", b"--" + B + b" \r\n"),
    "no closing delimiter": PLAIN["curl"][: -len(b"--" + B + b"--\r\n")],
    "part without headers": body(b"\r\ndata"),
    "folded header": body(b'Content-Disposition: form-data;\r\n name="a"\r\n\r\nv'),
    "header without a colon": body(b'Content-Disposition form-data; name="a"\r\n\r\nv'),
    "close delimiter before the end": body(part(b'form-data; name="a"', b"v"),
                                           end=b"--" + B + b"--\r\n--" + B + b"--\r\n"),
    "a line in a value that starts like a delimiter": body(
        part(b'form-data; name="caption"', b"line\r\n--" + B + b"x\r\nend")),
    "too many headers": body(part(b'form-data; name="a"', b"v", *[b"X-A: 1"] * 4)),
}


def text_fields(parts: list[tuple[dict[str, bytes], bytes]]) -> dict[str, str]:
    """The text fields the host keeps from parts read by the streaming parser: the first of
    each name, the image field aside."""
    fields: dict[str, str] = {}
    for headers, data in parts:
        _, options = parse_options_header(headers.get("content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", errors="replace")
        if name != "image":
            fields.setdefault(name, data.decode("utf-8", errors="replace"))
    return fields


@pytest.mark.parametrize("name", UNUSUAL)
def test_unusual_bodies_are_left_to_the_streaming_parser(name: str, tmp_path: Path) -> None:
    whole = UNUSUAL[name]
    assert plain_multipart.split(whole, B) is None, name
    # read_upload_body still reads them exactly as that parser does, refusals included
    try:
        want = streamed(whole)
    except MultipartParseError:
        with pytest.raises(BadBody):
            read(whole, tmp_path)
        return
    assert read(whole, tmp_path).fields == text_fields(want), name


def read(whole: bytes, tmp_path: Path, pieces: int = 1) -> UploadBody:
    async def chunks() -> AsyncIterator[bytes]:
        step = max(len(whole) // pieces, 1)
        for i in range(0, len(whole), step):
            yield whole[i:i + step]

    return asyncio.run(read_upload_body(chunks(), "multipart/form-data; boundary=" + B.decode(),
                                        tmp_dir=tmp_path, file_limit=LIMIT,
                                        text_limit=LIMIT))


@pytest.mark.parametrize("pieces", [1, 7, 300])
def test_a_small_upload_reads_the_same_in_any_chunks(pieces: int, tmp_path: Path) -> None:
    got = read(PLAIN["curl"], tmp_path, pieces)
    assert got.fields == {"key": "k123", "type": "file"}
    assert got.image_is_file
    assert got.image_filename == "a.png"
    assert got.image_data == PNG
    assert got.image_size == len(PNG)
    assert list(tmp_path.iterdir()) == [], "a small image stays in memory"


def test_a_large_upload_still_streams_to_disk(tmp_path: Path) -> None:
    big = images.raster("BMP", (800, 600))  # ~1.4 MB: past the in-memory and whole-body sizes
    whole = body(part(b'form-data; name="key"', b"k"),
                 part(b'form-data; name="image"; filename="big.bmp"', big))
    got = read(whole, tmp_path, pieces=40)
    assert got.fields == {"key": "k"}
    assert got.image_data is None
    assert got.image_path is not None
    assert got.image_path.read_bytes() == big
    got.discard()
    assert list(tmp_path.iterdir()) == []


# -- end to end ------------------------------------------------------------------------------


def test_urlencoded_base64_upload_with_escapes_in_the_title(shared_host: HostWithKeys) -> None:
    png = images.png((50, 20))
    title = "100% + 50%2B \u20ac & more"
    resp = requests.post(shared_host.api + "upload.json", timeout=TIMEOUT, data={
        "key": shared_host.keys.key, "type": "base64", "title": title,
        "image": base64.b64encode(png).decode()})
    assert resp.status_code == 200, resp.text
    item = resp.json()["upload"]
    assert item["image"]["title"] == title
    assert (item["image"]["width"], item["image"]["height"]) == (50, 20)
    served = requests.get(item["links"]["original"], timeout=TIMEOUT)
    assert served.content == png


def test_multipart_field_with_a_delimiter_like_line(shared_host: HostWithKeys) -> None:
    png = images.png((30, 30))
    caption = "first\r\n--" + B.decode() + "x\r\nlast"
    whole = body(part(b'form-data; name="key"', shared_host.keys.key.encode()),
                 part(b'form-data; name="caption"', caption.encode()),
                 part(b'form-data; name="image"; filename="c.png"', png,
                      b"Content-Type: image/png"))
    resp = requests.post(shared_host.api + "upload.json", data=whole, timeout=TIMEOUT,
                         headers={"Content-Type": "multipart/form-data; boundary=" + B.decode()})
    assert resp.status_code == 200, resp.text
    item = resp.json()["upload"]["image"]
    assert item["caption"] == caption
    assert item["name"] == "c.png"
    assert (item["width"], item["height"]) == (30, 30)


@pytest.mark.parametrize("value", [
    "multipart/form-data; boundary=------------------------d74496d66958873e",
    "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
    "multipart/form-data; boundary=a'b+c_d.e~f",
    'multipart/form-data; boundary="quoted boundary"',
    "multipart/form-data; boundary=abc; charset=utf-8",
    "multipart/form-data; charset=utf-8; boundary=abc",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=über",
    "Multipart/Form-Data; Boundary=abc",
    "application/x-www-form-urlencoded",
    "image/png",
    "",
])
def test_the_usual_content_type_is_read_as_the_full_parser_reads_it(value: str) -> None:
    # forms._content_type reads "multipart/form-data; boundary=<token>" itself and hands
    # everything else to python-multipart: both must always agree.
    from imgur_desktop.server.forms import _content_type

    assert _content_type(value) == parse_options_header(value)
