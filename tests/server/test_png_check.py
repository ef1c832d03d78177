"""``check_png`` on real PNGs: every mode Pillow writes, Adam7 images from a small encoder here
(Pillow cannot write them), a corpus of damaged files judged against Pillow's own verdict, the
pixel limit, APNG frame counts, the host's upload path, and the memory a big image needs."""

from __future__ import annotations

import io
import itertools
import random
import struct
import tracemalloc
import warnings
import zlib
from pathlib import Path

import pytest
import requests
from PIL import Image, ImageFile, PngImagePlugin

from imgur_desktop.server.png_check import PngDamaged, PngInfo, PngTooLarge, check_png
from tests.conftest import HostWithKeys

SIG = b"\x89PNG\r\n\x1a\n"
LIMIT = 64_000_000  # the host's default pixel limit; far above every image here
CORRUPT = "Image is corrupt or incomplete"

# -- PNG bytes by hand ----------------------------------------------------------------------------

Chunk = tuple[bytes, bytes]  # (type, body)


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def parse(data: bytes) -> list[Chunk]:
    """The chunks of a whole PNG."""
    assert data[:8] == SIG
    out, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        out.append((data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]))
        pos += 12 + length
    assert pos == len(data)
    return out


def layout(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, offset of the length field, body length) of each chunk."""
    out, pos = [], 8
    for kind, body in parse(data):
        out.append((kind, pos, len(body)))
        pos += 12 + len(body)
    return out


def build(parts: list[Chunk]) -> bytes:
    """A PNG of these chunks, every CRC correct."""
    return SIG + b"".join(chunk(kind, body) for kind, body in parts)


def ihdr(width: int, height: int, depth: int, colour: int, interlace: int = 0) -> Chunk:
    return b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)


def header(data: bytes) -> tuple[int, ...]:
    """(width, height, depth, colour, compression, filter, interlace) from the IHDR."""
    kind, body = parse(data)[0]
    assert kind == b"IHDR"
    return struct.unpack(">IIBBBBB", body)


def stream_of(data: bytes) -> bytes:
    return b"".join(body for kind, body in parse(data) if kind == b"IDAT")


def inflated(data: bytes) -> bytes:
    return zlib.decompress(stream_of(data))


def with_idat(data: bytes, pieces: list[bytes]) -> bytes:
    """``data`` with its IDAT chunks replaced by one IDAT per piece, where the first one was."""
    parts = parse(data)
    at = next(i for i, (kind, _) in enumerate(parts) if kind == b"IDAT")
    rest = [p for p in parts if p[0] != b"IDAT"]
    return build(rest[:at] + [(b"IDAT", p) for p in pieces] + rest[at:])


def with_rows(data: bytes, raw: bytes) -> bytes:
    """``data`` with ``raw`` (filter bytes and rows, uncompressed) as its image data."""
    return with_idat(data, [zlib.compress(raw)])


def split(stream: bytes, n: int) -> list[bytes]:
    cuts = [len(stream) * i // n for i in range(n + 1)]
    return [stream[a:b] for a, b in itertools.pairwise(cuts)]


CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Adam7 passes: (first column, first row, column step, row step), from the PNG specification.
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2))


def row_starts(data: bytes) -> tuple[list[int], int]:
    """Offsets of every row's filter byte in the inflated data, and the data's whole length."""
    width, height, depth, colour, _, _, interlace = header(data)
    grids = ADAM7 if interlace else ((0, 0, 1, 1),)
    starts: list[int] = []
    pos = 0
    for x0, y0, dx, dy in grids:
        columns, rows = len(range(x0, width, dx)), len(range(y0, height, dy))
        if not columns:
            continue  # an empty pass has no rows at all, not even filter bytes
        stride = 1 + (columns * CHANNELS[colour] * depth + 7) // 8
        for _ in range(rows):
            starts.append(pos)
            pos += stride
    return starts, pos


def pillow_png(img: Image.Image, **params: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **params)
    return buf.getvalue()


def noise(mode: str, size: tuple[int, int], seed: int = 1, values: int = 256) -> Image.Image:
    """Random pixels (``values`` per byte for palette images), so nothing compresses away."""
    rnd = random.Random(seed)
    w, h = size
    if mode == "1":
        return Image.frombytes("1", size, rnd.randbytes((w + 7) // 8 * h))
    per_pixel = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "I;16": 2, "P": 1}[mode]
    raw = rnd.randbytes(w * h * per_pixel)
    if mode == "P":
        raw = bytes(b % values for b in raw)
        img = Image.frombytes("P", size, raw)
        img.putpalette(rnd.randbytes(768))
        return img
    return Image.frombytes(mode, size, raw)


# (PNG colour type, bit depth, Pillow raw mode with PNG's byte order) of the modes written here.
PNG_MODES = {"1": (0, 1, "1"), "L": (0, 8, "L"), "LA": (4, 8, "LA"), "RGB": (2, 8, "RGB"),
             "RGBA": (6, 8, "RGBA"), "I;16": (0, 16, "I;16B")}


def adam7(img: Image.Image) -> bytes:
    """``img`` as an interlaced PNG: each pass's pixels picked from the raw rows, each pass row
    given filter byte 0, the whole zlib-compressed into one IDAT."""
    colour, depth, rawmode = PNG_MODES[img.mode]
    w, h = img.size
    if depth == 1:  # pick whole bytes (0 or 255) per pixel, pack the bits per pass row
        raw, size = img.convert("L").tobytes(), 1
    else:
        raw, size = img.tobytes("raw", rawmode), CHANNELS[colour] * depth // 8
    out = bytearray()
    for x0, y0, dx, dy in ADAM7:
        for y in range(y0, h, dy):
            line = raw[y * w * size:(y + 1) * w * size]
            picked = b"".join(line[x * size:(x + 1) * size] for x in range(x0, w, dx))
            if not picked:
                break  # an empty pass: it contributes nothing
            if depth == 1:
                packed = bytearray((len(picked) + 7) // 8)
                for i, value in enumerate(picked):
                    if value:
                        packed[i >> 3] |= 0x80 >> (i & 7)
                picked = bytes(packed)
            out += b"\x00" + picked
    return build([ihdr(w, h, depth, colour, interlace=1), (b"IDAT", zlib.compress(bytes(out))),
                  (b"IEND", b"")])


def pixels(img: Image.Image) -> bytes:
    return img.tobytes("raw", "I;16B") if img.mode == "I;16" else img.tobytes()


# -- the two verdicts -----------------------------------------------------------------------------

def check(data: bytes, max_pixels: int = LIMIT) -> PngInfo:
    return check_png(io.BytesIO(data).read, max_pixels=max_pixels)


def png_check_size(data: bytes) -> tuple[int, int] | None:
    """check_png's size, or None when it refuses. Any other exception fails the test: damage
    must come out as PngDamaged, never as a stray IndexError or struct.error."""
    try:
        info = check(data)
    except PngDamaged:
        return None
    return info.width, info.height


def pillow_size(data: bytes) -> tuple[int, int] | None:
    """Pillow's verdict as the host reached it before png_check: open + verify, then a fresh
    open + load; any exception means refused. Only Pillow's PNG reader is asked: the host
    only checks files it has sniffed as PNG."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG"]) as probe:
                probe.verify()
            with Image.open(io.BytesIO(data), formats=["PNG"]) as img:
                img.load()
                return img.size
    except Exception:
        return None


@pytest.fixture(autouse=True)
def strict_pillow(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pillow's default (and the host's): truncated images are errors. Pinned here in case
    # another test in the same run relaxed it.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", False)


# -- 1. valid PNGs from Pillow --------------------------------------------------------------------

SIZES = [(1, 1), (3, 2), (7, 5), (9, 9), (17, 4), (33, 3), (1, 300), (3, 500), (64, 48)]
# (mode, save options, expected (bit depth, colour type) in the IHDR, palette values used)
VALID_KINDS: list[tuple[str, dict[str, object], tuple[int, int], int]] = [
    ("1", {}, (1, 0), 256),
    ("L", {}, (8, 0), 256),
    ("LA", {}, (8, 4), 256),
    ("P", {}, (8, 3), 256),
    ("P", {"transparency": 5}, (8, 3), 256),
    ("P", {"bits": 1}, (1, 3), 2),
    ("P", {"bits": 2}, (2, 3), 4),
    ("P", {"bits": 4, "transparency": 1}, (4, 3), 16),
    ("RGB", {}, (8, 2), 256),
    ("RGB", {"compress_level": 0}, (8, 2), 256),
    ("RGB", {"optimize": True}, (8, 2), 256),
    ("RGBA", {}, (8, 6), 256),
    ("I;16", {}, (16, 0), 256),
]


@pytest.mark.parametrize(("mode", "params", "depth_colour", "values"), VALID_KINDS,
                         ids=[mode + "".join(f"-{k}{v}" for k, v in params.items())
                              for mode, params, _, _ in VALID_KINDS])
def test_every_mode_pillow_writes_is_accepted_with_its_size(
        tmp_path: Path, mode: str, params: dict[str, object], depth_colour: tuple[int, int],
        values: int) -> None:
    for i, size in enumerate(SIZES):
        data = pillow_png(noise(mode, size, seed=i, values=values), **params)
        assert header(data)[2:4] == depth_colour  # the bit depth and colour type meant
        if "transparency" in params:
            assert b"tRNS" in [kind for kind, _ in parse(data)]
        assert pillow_size(data) == size  # a valid file by Pillow's own reading
        assert check(data) == PngInfo(size[0], size[1], animated=False)
        path = tmp_path / f"{i}.png"
        path.write_bytes(data)
        with open(path, "rb") as fh:
            assert check_png(fh.read, max_pixels=LIMIT) == PngInfo(size[0], size[1], False)


def test_a_big_image_in_many_idat_chunks_is_accepted(tmp_path: Path) -> None:
    """Pillow cuts a big image's data into 64 KB IDAT chunks; the rows then cross chunk and
    inflate-piece boundaries everywhere (noise pixels are full of bytes > 4, so a row misread
    by one byte would be refused)."""
    for mode, size in (("RGB", (300, 300)), ("L", (255, 700)), ("RGBA", (301, 257))):
        data = pillow_png(noise(mode, size))
        assert [kind for kind, _ in parse(data)].count(b"IDAT") > 1
        path = tmp_path / "big.png"
        path.write_bytes(data)
        with open(path, "rb") as fh:
            assert check_png(fh.read, max_pixels=LIMIT) == PngInfo(*size, animated=False)


def raw_png(size: tuple[int, int], depth: int, colour: int, interlace: int, seed: int) -> bytes:
    """A PNG of random rows (random filter types 0-4, random bytes) for any header."""
    rnd = random.Random(seed)
    w, h = size
    grids = ADAM7 if interlace else ((0, 0, 1, 1),)
    rows = bytearray()
    for x0, y0, dx, dy in grids:
        columns = len(range(x0, w, dx))
        for _ in range(len(range(y0, h, dy)) if columns else 0):
            rows += bytes([rnd.randrange(5)]) + rnd.randbytes(
                (columns * CHANNELS.get(colour, 1) * depth + 7) // 8)
    palette = [(b"PLTE", rnd.randbytes(3 * 2 ** min(depth, 8)))] if colour == 3 else []
    return build([ihdr(w, h, depth, colour, interlace), *palette,
                  (b"IDAT", zlib.compress(bytes(rows))), (b"IEND", b"")])


ALLOWED = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}


def test_every_colour_type_and_bit_depth_agrees_with_pillow() -> None:
    """Every pairing the PNG specification allows, interlaced or not, is accepted by both;
    every other pairing is refused by both."""
    allowed = 0
    for colour in (0, 1, 2, 3, 4, 5, 6, 7):
        for depth in (1, 2, 3, 4, 8, 16, 32):
            for interlace in (0, 1):
                data = raw_png((13, 11), depth, colour, interlace, seed=colour * depth)
                verdicts = (pillow_size(data), png_check_size(data))
                if depth in ALLOWED.get(colour, ()):
                    assert verdicts == ((13, 11), (13, 11)), (colour, depth, interlace)
                    allowed += 1
                else:
                    assert verdicts == (None, None), (colour, depth, interlace)
    assert allowed == 2 * 15


# -- 2. interlaced PNGs ---------------------------------------------------------------------------

ADAM7_SIZES = [(1, 1), (2, 3), (4, 4), (5, 5), (9, 10), (8, 8), (16, 3), (3, 17), (33, 17)]


@pytest.mark.parametrize("mode", ["1", "L", "LA", "RGB", "RGBA", "I;16"])
def test_interlaced_pngs_are_accepted(mode: str) -> None:
    for i, size in enumerate(ADAM7_SIZES):
        source = noise(mode, size, seed=i)
        data = adam7(source)
        # The encoder is right: Pillow reads the file back as interlaced, to the same pixels.
        with Image.open(io.BytesIO(data), formats=["PNG"]) as back:
            assert back.info.get("interlace") == 1
            back.load()
            assert (back.mode, back.size) == (source.mode, source.size)
            assert pixels(back) == pixels(source)
        assert check(data) == PngInfo(size[0], size[1], animated=False)


def test_small_interlaced_images_have_empty_passes() -> None:
    """The sizes above include images where whole passes are empty (no rows, no filter bytes):
    six of the seven for 1x1, three for 2x3 and 4x4, one for 16x3 and 3x17."""
    def passes(w: int, h: int) -> int:
        return sum(1 for x0, y0, _, _ in ADAM7 if x0 < w and y0 < h)
    assert {size: passes(*size) for size in ADAM7_SIZES if passes(*size) < 7} == {
        (1, 1): 1, (2, 3): 4, (4, 4): 5, (16, 3): 6, (3, 17): 6}
    # The inflated data of 1x1 is one row of one pixel: a filter byte and a grey byte.
    assert len(inflated(adam7(noise("L", (1, 1))))) == 2


# -- 3. damaged files, judged against Pillow ------------------------------------------------------

def bases() -> dict[str, bytes]:
    """Small valid PNGs of different shapes to damage."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "a text chunk before the data")
    multi = pillow_png(noise("RGBA", (6, 6), seed=3))
    stream = stream_of(multi)
    third = len(stream) // 3
    frames = [noise("RGBA", (4, 4), seed=s) for s in (4, 5)]
    return {
        "rgb": pillow_png(noise("RGB", (7, 5), seed=1), pnginfo=info),
        "pal": pillow_png(noise("P", (9, 6), seed=2, values=16), bits=4, transparency=3),
        # the data in four IDAT chunks, one of them empty
        "multi": with_idat(multi, [stream[:third], stream[third:2 * third], b"",
                                   stream[2 * third:]]),
        "adam7": adam7(noise("RGB", (9, 10), seed=6)),
        "grey16": pillow_png(noise("I;16", (5, 4), seed=7)),
        "apng": pillow_png(frames[0], save_all=True, append_images=frames[1:]),
    }


def truncations(name: str, data: bytes) -> dict[str, bytes]:
    return {f"{name}:cut{n}": data[:n] for n in range(len(data))}


def flips(name: str, data: bytes) -> dict[str, bytes]:
    """One bit flipped in every byte (which bit varies), and every bit of the bytes that frame
    the chunks: their lengths, types and CRCs."""
    framing: set[int] = set()
    for _, at, length in layout(data):
        framing.update(range(at, at + 8))
        framing.update(range(at + 8 + length, at + 12 + length))
    out = {}
    for pos in range(len(data)):
        for bit in range(8) if pos in framing else (pos * 5 % 8,):
            damaged = bytearray(data)
            damaged[pos] ^= 1 << bit
            out[f"{name}:flip{pos}.{bit}"] = bytes(damaged)
    return out


def row_variants(name: str, data: bytes) -> dict[str, bytes]:
    """The image data re-encoded (every CRC right) with its rows or stream changed."""
    raw = inflated(data)
    starts, total = row_starts(data)
    assert total == len(raw)
    last = raw[starts[-1]:]
    out = {}
    for i, at in enumerate(starts):
        bad = bytearray(raw)
        bad[at] = 5 + i * 41 % 251  # 5..255: no such filter type
        out[f"{name}:filter{bad[at]}@row{i}"] = with_rows(data, bytes(bad))
        fine = bytearray(raw)
        fine[at] = (raw[at] + 1 + i) % 5  # another real filter: other pixels, still whole
        out[f"{name}:refilter@row{i}"] = with_rows(data, bytes(fine))
    garbled = bytes((b * 7 + 3) & 0xFF if i not in starts else b for i, b in enumerate(raw))
    out[f"{name}:other-pixels"] = with_rows(data, garbled)
    out[f"{name}:row-short"] = with_rows(data, raw[:-len(last)])
    out[f"{name}:byte-short"] = with_rows(data, raw[:-1])
    out[f"{name}:row-long"] = with_rows(data, raw + last)
    out[f"{name}:byte-long"] = with_rows(data, raw + b"\x00")
    whole = zlib.compress(raw)
    out[f"{name}:junk-after-stream"] = with_idat(data, [whole + b"junk"])
    out[f"{name}:junk-idat-after-stream"] = with_idat(data, [whole, b"more junk"])
    out[f"{name}:in-many-idats"] = with_idat(data, split(whole, 5))
    out[f"{name}:idat-per-byte"] = with_idat(data, [whole[i:i + 1] for i in range(len(whole))])
    out[f"{name}:empty-idats-around"] = with_idat(data, [b"", whole, b""])
    packer = zlib.compressobj()
    out[f"{name}:stream-unfinished"] = with_idat(
        data, [packer.compress(raw) + packer.flush(zlib.Z_SYNC_FLUSH)])
    out[f"{name}:no-adler"] = with_idat(data, [whole[:-4]])
    out[f"{name}:half-adler"] = with_idat(data, [whole[:-2]])
    out[f"{name}:bad-adler"] = with_idat(data, [whole[:-1] + bytes([whole[-1] ^ 1])])
    out[f"{name}:bad-zlib-header"] = with_idat(data, [b"\x78\x9a" + whole[2:]])
    bare = zlib.compressobj(wbits=-15)  # deflate without the zlib header and checksum
    out[f"{name}:raw-deflate"] = with_idat(data, [bare.compress(raw) + bare.flush()])
    out[f"{name}:no-stream"] = with_idat(data, [b""])
    for k in (1, 2, len(whole) // 3, len(whole) // 2):  # the rows are not all in yet
        out[f"{name}:split-at{k}"] = _split_by_text(data, whole, k)
    out[f"{name}:split-after-stream"] = _split_by_text(data, whole, len(whole))
    return out


def _split_by_text(data: bytes, stream: bytes, k: int) -> bytes:
    """IDAT(stream[:k]), tEXt, IDAT(stream[k:]): the data interrupted by another chunk."""
    parts = parse(with_idat(data, [stream[:k], stream[k:]]))
    second = max(i for i, (kind, _) in enumerate(parts) if kind == b"IDAT")
    return build([*parts[:second], (b"tEXt", b"Comment\x00between"), *parts[second:]])


def chunk_variants(name: str, data: bytes) -> dict[str, bytes]:
    """Chunks removed, moved, added or with wrong fields (every CRC right)."""
    parts = parse(data)
    kinds = [kind for kind, _ in parts]
    w, h, depth, colour, comp, filt, interlace = header(data)
    rest = parts[1:]

    def without(kind: bytes) -> bytes:
        return build([p for p in parts if p[0] != kind])

    def head(**change: int) -> bytes:
        fields = {"w": w, "h": h, "depth": depth, "colour": colour, "comp": comp,
                  "filt": filt, "interlace": interlace, **change}
        body = struct.pack(">IIBBBBB", *fields.values())
        return build([(b"IHDR", body), *rest])

    out = {
        f"{name}:no-iend": build(parts[:-1]),
        f"{name}:no-idat": without(b"IDAT"),
        f"{name}:ihdr-second": build([parts[1], parts[0], *parts[2:]]),
        f"{name}:text-first": build([(b"tEXt", b"Comment\x00first"), *parts]),
        f"{name}:no-ihdr": build(rest),
        f"{name}:ihdr-twice": build([parts[0], parts[0], *rest]),
        f"{name}:private-chunk": build([parts[0], (b"prIv", b"\x01\x02"), *rest]),
        f"{name}:after-iend": data + chunk(b"tEXt", b"Comment\x00late") + b"trailing bytes",
        f"{name}:digit-in-type": build([parts[0], (b"tE5t", b"x"), *rest]),
        f"{name}:width+1": head(w=w + 1),
        f"{name}:height+1": head(h=h + 1),
        f"{name}:height-1": head(h=h - 1),  # every base is taller than one row
        f"{name}:width-0": head(w=0),
        f"{name}:height-0": head(h=0),
        f"{name}:compression-1": head(comp=1),
        f"{name}:filter-method-1": head(filt=1),
        f"{name}:interlace-2": head(interlace=2),
        f"{name}:interlace-flipped": head(interlace=1 - interlace),
        f"{name}:colour-5": head(colour=5),
        f"{name}:colour-7": head(colour=7),
        f"{name}:depth-3": head(depth=3),
        f"{name}:depth-32": head(depth=32),
        f"{name}:ihdr-long": build([(b"IHDR", parts[0][1] + b"\x00"), *rest]),
        f"{name}:ihdr-short": build([(b"IHDR", parts[0][1][:12]), *rest]),
    }
    if colour == 2:
        out[f"{name}:rgb-depth-4"] = head(depth=4)
    if colour == 3:
        out[f"{name}:no-plte"] = without(b"PLTE")
        plte = next(p for p in parts if p[0] == b"PLTE")
        no_plte = [p for p in parts if p[0] != b"PLTE"]
        out[f"{name}:plte-after-idat"] = build([*no_plte[:-1], plte, no_plte[-1]])
        out[f"{name}:palette-depth-16"] = head(depth=16)
    if b"acTL" in kinds:
        actl = kinds.index(b"acTL")
        out[f"{name}:no-actl"] = build(parts[:actl] + parts[actl + 1:])
        out[f"{name}:no-fdat"] = without(b"fdAT")
    return out


def corpus() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for name, data in bases().items():
        out[f"{name}:as-is"] = data
        for make in (truncations, flips, row_variants, chunk_variants):
            variants = make(name, data)
            assert not variants.keys() & out.keys()
            out.update(variants)
    return out


# Where check_png refuses a file Pillow loads. Each breaks a rule of the PNG specification that
# Pillow does not enforce, and each leaves the file incomplete or malformed, which is what the
# upload check is for; none is something an encoder writes.
STRICTER = {
    # The image data does not fill exactly the header's rows: Pillow stops at the end of the
    # zlib stream and leaves the missing rows blank, or stops once its rows are full and
    # ignores what follows (the header then claims one row less).
    "row-short", "height+1", "row-long", "byte-long", "height-1",
    # The zlib stream is not finished (no final block, or its Adler-32 cut off): Pillow stops
    # reading once its rows are full.
    "stream-unfinished", "no-adler", "half-adler",
    # IHDR must come first, once, 13 bytes long, with compression method 0 and interlace 0/1.
    "ihdr-second", "text-first", "ihdr-twice", "ihdr-long", "compression-1", "interlace-2",
    # IDAT chunks must be consecutive, even when the later one is empty.
    "split-after-stream",
    # A palette image needs PLTE before its data (Pillow makes up a grey palette).
    "no-plte", "plte-after-idat",
    # Chunk types are four ASCII letters.
    "digit-in-type",
    # An APNG whose frame control gives the default image another width than IHDR's: Pillow
    # decodes the frame's width, check_png the header's.
    "width+1",
}


def iend_damage(name: str, data: bytes) -> set[str]:
    """Pillow never reads the IEND chunk's length or CRC: cut inside that CRC, or a bit flipped
    in either, it still loads the file; check_png reads the file to its last byte."""
    kind, at, _ = layout(data)[-1]
    assert kind == b"IEND"
    fields = [*range(at, at + 4), *range(at + 8, at + 12)]
    return ({f"{name}:cut{n}" for n in range(at + 8, at + 12)}
            | {f"{name}:flip{pos}.{bit}" for pos in fields for bit in range(8)})


def expected_stricter() -> set[str]:
    out: set[str] = set()
    for name, data in bases().items():
        out |= iend_damage(name, data)
        kinds = set(STRICTER)
        if header(data)[6]:  # interlaced: one more row shifts every pass, a filter byte is bad
            kinds -= {"height+1"}
        else:  # Pillow refuses interlace 2 when the data is not interlaced
            kinds -= {"interlace-2"}
        if parse(data)[1][0] == b"IDAT":  # IDAT then IHDR: Pillow refuses too
            kinds -= {"ihdr-second"}
        if b"acTL" in [kind for kind, _ in parse(data)]:
            kinds -= {"height-1"}  # Pillow refuses a frame taller than the image
        else:
            kinds -= {"width+1"}  # the rows no longer line up: a bad filter byte
        if header(data)[3] != 3:
            kinds -= {"no-plte", "plte-after-idat"}
        out |= {f"{name}:{kind}" for kind in kinds}
    return out


def test_damaged_files_pillow_refuses_are_refused_too() -> None:
    verdicts = {label: (pillow_size(data), png_check_size(data))
                for label, data in corpus().items()}
    pillow_refused = {label for label, (theirs, _) in verdicts.items() if theirs is None}
    # Not vacuous: a big corpus, with plenty of both verdicts.
    assert len(verdicts) > 5000
    assert len(pillow_refused) > 4000
    assert len(verdicts) - len(pillow_refused) > 300
    for name in bases():  # each base is valid to both
        assert None not in verdicts[f"{name}:as-is"]

    let_through = sorted(label for label in pillow_refused if verdicts[label][1] is not None)
    assert let_through == []

    # Where both accept, they read the same size.
    for label, (theirs, ours) in verdicts.items():
        if theirs is not None and ours is not None:
            assert ours == theirs, label

    stricter = {label for label, (theirs, ours) in verdicts.items()
                if theirs is not None and ours is None}
    assert stricter == expected_stricter()


def test_a_bad_filter_byte_is_found_in_any_row_of_a_big_image() -> None:
    """Rows of 256 bytes (a 255-wide grey image) start exactly at every multiple of 64 KB,
    where pieces of data read or inflated end; the interlaced form and IDAT chunks of 997
    bytes put those ends everywhere else. A filter byte of 5 in any single row is refused,
    by Pillow and by check_png."""
    size = (255, 2100)  # 535,500 bytes of rows, past 512 KB
    flat = pillow_png(noise("L", size, seed=8))
    laced = adam7(noise("L", size, seed=9))
    checked = 0
    for data in (flat, laced):
        raw = inflated(data)
        starts, total = row_starts(data)
        assert total == len(raw) > 512 * 1024
        # the rows nearest each 64 KB boundary, the last of each pass, and a spread of the rest
        near = {i for i, at in enumerate(starts) if not 520 <= at % 65536 <= 65536 - 520}
        ends = {i for i in range(len(starts)) if i + 1 == len(starts)
                or starts[i + 1] - starts[i] != starts[i] - starts[i - 1]}
        rows = sorted(near | ends | set(range(0, len(starts), 211)))
        assert len(near) >= 8 * 3  # rows on both sides of each of the eight boundaries
        for pieces in (len(raw), 997):
            def encode(body: bytes, data: bytes = data, pieces: int = pieces) -> bytes:
                stream = zlib.compress(body, 0)  # stored: quick to make, as valid
                return with_idat(data, [stream[i:i + pieces]
                                        for i in range(0, len(stream), pieces)])
            assert check(encode(raw)) == PngInfo(*size, animated=False)
            for i in rows:
                bad = bytearray(raw)
                bad[starts[i]] = 5
                variant = encode(bytes(bad))
                assert pillow_size(variant) is None, (i, pieces)
                with pytest.raises(PngDamaged, match="filter"):
                    check(variant)
                checked += 1
    assert checked > 100


# -- ancillary chunks -----------------------------------------------------------------------------

def malformed_metadata() -> dict[str, tuple[bytes, bytes]]:
    """(valid PNG, the same with one malformed ancillary chunk, every CRC right). Pillow
    refuses each when it opens or loads the file, so the host cannot draw its thumbnails."""
    rgb = pillow_png(noise("RGB", (7, 5), seed=1))
    pal_png = pillow_png(noise("P", (7, 5), seed=2))
    parts, pal = parse(rgb), parse(pal_png)
    big_text = zlib.compress(b" " * 2_000_000, 9)  # inflates past Pillow's 1 MB text limit

    def before_idat(*extra: Chunk) -> bytes:
        return build([parts[0], *extra, *parts[1:]])

    def after_idat(*extra: Chunk) -> bytes:
        return build([*parts[:-1], *extra, parts[-1]])

    actl = (b"acTL", struct.pack(">II", 1, 0))
    damaged: dict[str, bytes] = {
        "gAMA-3-bytes": before_idat((b"gAMA", b"\x00\x00\xb1")),
        "gAMA-3-bytes-after-idat": after_idat((b"gAMA", b"\x00\x00\xb1")),
        "pHYs-8-bytes": before_idat((b"pHYs", bytes(8))),
        "cHRM-31-bytes": before_idat((b"cHRM", bytes(31))),
        "sRGB-empty": before_idat((b"sRGB", b"")),
        "tRNS-1-byte": before_idat((b"tRNS", b"\x00")),
        "iCCP-method-1": before_idat((b"iCCP", b"icc\x00\x01" + zlib.compress(b"x" * 100))),
        "iCCP-2MB": before_idat((b"iCCP", b"icc\x00\x00" + big_text)),
        "zTXt-method-1": before_idat((b"zTXt", b"Comment\x00\x01" + zlib.compress(b"hi"))),
        "zTXt-2MB": before_idat((b"zTXt", b"Comment\x00\x00" + big_text)),
        "zTXt-2MB-after-idat": after_idat((b"zTXt", b"Comment\x00\x00" + big_text)),
        "acTL-4-bytes": before_idat((b"acTL", struct.pack(">I", 2))),
        "fcTL-short": before_idat(actl, (b"fcTL", bytes(10))),
        "fcTL-bad-sequence": before_idat(
            actl, (b"fcTL", struct.pack(">IIIIIHHBB", 5, 7, 5, 0, 0, 1, 10, 0, 0))),
        "fcTL-wider-than-image": before_idat(
            actl, (b"fcTL", struct.pack(">IIIIIHHBB", 0, 8, 5, 0, 0, 1, 10, 0, 0))),
        # The frame before the image data lays its rows out: smaller than the image, the
        # data no longer lines up with it.
        "fcTL-smaller-than-image": before_idat(
            actl, (b"fcTL", struct.pack(">IIIIIHHBB", 0, 4, 4, 0, 0, 1, 10, 0, 0))),
        "fdAT-without-fcTL": after_idat((b"fdAT", struct.pack(">I", 0) + zlib.compress(b"x"))),
        # Headers longer than one piece read (64 KB): the limits still hold past them.
        "zTXt-long-keyword-2MB": before_idat((b"zTXt", b"K" * 70_000 + b"\x00\x00" + big_text)),
        "zTXt-long-keyword-method-1": before_idat(
            (b"zTXt", b"K" * 70_000 + b"\x00\x01" + zlib.compress(b"hi"))),
        "iTXt-long-keyword-2MB": before_idat(
            (b"iTXt", b"K" * 70_000 + b"\x00\x01\x00en\x00t\x00" + big_text)),
        "iCCP-long-name-2MB": before_idat((b"iCCP", b"P" * 70_000 + b"\x00\x00" + big_text)),
    }
    out = {label: (rgb, data) for label, data in damaged.items()}
    out["PLTE-over-256-colours"] = (pal_png, build([pal[0], (b"PLTE", bytes(800)), *pal[2:]]))
    return out


MALFORMED = malformed_metadata()


def test_pillow_refuses_malformed_metadata() -> None:
    """The cases below are real refusals: Pillow (which draws the thumbnails) will not load
    them, while their image data alone is whole."""
    for label, (valid, data) in MALFORMED.items():
        assert pillow_size(valid) == png_check_size(valid) == (7, 5)
        assert stream_of(data) == stream_of(valid)
        assert pillow_size(data) is None, label


@pytest.mark.parametrize("label", sorted(MALFORMED))
def test_malformed_metadata_is_refused(label: str) -> None:
    assert png_check_size(MALFORMED[label][1]) is None


def benign_metadata() -> dict[str, bytes]:
    """Well-formed or merely unreadable metadata, which Pillow loads past: the check must not
    refuse these (a decoder drops text it cannot read, it does not refuse the image)."""
    rgb = pillow_png(noise("RGB", (7, 5), seed=1))
    parts = parse(rgb)

    def before_idat(*extra: Chunk) -> bytes:
        return build([parts[0], *extra, *parts[1:]])

    def after_idat(*extra: Chunk) -> bytes:
        return build([*parts[:-1], *extra, parts[-1]])

    text = zlib.compress(b"hello " * 1000)
    return {
        "zTXt": before_idat((b"zTXt", b"Comment\x00\x00" + text)),
        "zTXt-after-idat": after_idat((b"zTXt", b"Comment\x00\x00" + text)),
        "zTXt-not-zlib": before_idat((b"zTXt", b"Comment\x00\x00not a zlib stream")),
        "zTXt-keyword-only": before_idat((b"zTXt", b"Comment")),
        "zTXt-just-under-1MB": before_idat(
            (b"zTXt", b"Comment\x00\x00" + zlib.compress(b" " * 1_000_000, 9))),
        "iTXt-compressed": before_idat(
            (b"iTXt", b"Title\x00\x01\x00en\x00Titel\x00" + zlib.compress("héllo".encode()))),
        "iTXt-plain": before_idat((b"iTXt", "Title\x00\x00\x00en\x00\x00héllo".encode())),
        "iTXt-unknown-method": before_idat((b"iTXt", b"Title\x00\x01\x07en\x00\x00zz")),
        "iTXt-no-language": before_idat((b"iTXt", b"Title\x00\x01\x00")),
        "iCCP-not-zlib": before_idat((b"iCCP", b"icc\x00\x00garbage")),
        "tEXt-long-keyword": before_idat((b"tEXt", b"K" * 200 + b"\x00value")),
        "private-chunk": before_idat((b"prVt", bytes(100))),
        "gAMA-5-bytes": before_idat((b"gAMA", bytes(5))),
        "zTXt-long-keyword": before_idat((b"zTXt", b"K" * 70_000 + b"\x00\x00" + text)),
        "iTXt-long-translation": before_idat(
            (b"iTXt", b"Title\x00\x00\x00en\x00" + b"T" * 70_000 + b"\x00words")),
    }


@pytest.mark.parametrize("label", sorted(benign_metadata()))
def test_benign_metadata_is_accepted_by_both(label: str) -> None:
    data = benign_metadata()[label]
    assert pillow_size(data) == (7, 5), label
    assert png_check_size(data) == (7, 5), label


def test_host_refuses_malformed_metadata(shared_host: HostWithKeys) -> None:
    resp = upload(shared_host, "gamma.png", MALFORMED["gAMA-3-bytes"][1])
    assert resp.status_code == 400, resp.text[:300]
    assert resp.json()["error"]["message"] == CORRUPT


# -- 4. the pixel limit ---------------------------------------------------------------------------

class Counting:
    """A reader over bytes that counts what was read from it."""

    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)
        self.taken = 0

    def read(self, n: int) -> bytes:
        out = self._buf.read(n)
        self.taken += len(out)
        return out


HEADER_BYTES = 8 + 12 + 13  # the signature and the IHDR chunk


def test_too_many_pixels_are_refused_from_the_header_alone() -> None:
    bomb = zlib.compress(bytes(20_000_000), 9)  # 20 MB of zeros in ~20 KB
    big = ihdr(100_000, 100_000, 8, 2)
    for after in (
        chunk(b"IDAT", bomb) + chunk(b"IEND", b""),
        chunk(b"IDAT", b"not a zlib stream at all")[:-4] + b"BAD!" + chunk(b"IEND", b""),
        b"",  # the file even ends there
    ):
        reader = Counting(SIG + chunk(*big) + after)
        with pytest.raises(PngTooLarge) as caught:
            check_png(reader.read, max_pixels=LIMIT)
        assert (caught.value.width, caught.value.height) == (100_000, 100_000)
        assert reader.taken == HEADER_BYTES  # nothing past the header was read, or inflated
    # The same data under a header within the limit is read, and refused as damage: the bomb
    # as soon as it inflates past the rows (in small pieces), the rest as what they are.
    small = ihdr(100, 100, 8, 2)
    reader = Counting(SIG + chunk(*small) + chunk(b"IDAT", bomb) + chunk(b"IEND", b""))
    tracemalloc.start()
    try:
        with pytest.raises(PngDamaged, match="more image data"):
            check_png(reader.read, max_pixels=LIMIT)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000
    with pytest.raises(PngDamaged, match="does not inflate"):
        check(SIG + chunk(*small) + chunk(b"IDAT", b"not a zlib stream at all")[:-4] + b"BAD!")


def test_the_limit_is_inclusive() -> None:
    data = pillow_png(noise("RGB", (7, 9)))
    assert check(data, max_pixels=63) == PngInfo(7, 9, animated=False)
    with pytest.raises(PngTooLarge) as caught:
        check(data, max_pixels=62)
    assert (caught.value.width, caught.value.height) == (7, 9)


# -- 5. APNG --------------------------------------------------------------------------------------

def frames(n: int) -> list[Image.Image]:
    # Frames must differ, or Pillow merges them into one.
    return [Image.new("RGBA", (12, 10), (40 * i, 200 - 40 * i, 90, 255)) for i in range(n)]


def actl_frames(data: bytes) -> int | None:
    bodies = [body for kind, body in parse(data) if kind == b"acTL"]
    return struct.unpack(">I", bodies[0][:4])[0] if bodies else None


def test_apng_with_frames_is_animated() -> None:
    for n in (2, 3):
        first, *rest = frames(n)
        data = pillow_png(first, save_all=True, append_images=rest, duration=100, loop=0)
        assert actl_frames(data) == n
        with Image.open(io.BytesIO(data)) as img:
            assert isinstance(img, PngImagePlugin.PngImageFile)
            assert img.n_frames == n
        assert check(data) == PngInfo(12, 10, animated=True)


def test_a_second_actl_leaves_a_still_image() -> None:
    """As decoders read it (Pillow drops the count at a second acTL): not animated."""
    two = pillow_png(frames(2)[0], save_all=True, append_images=[frames(2)[1]])
    assert check(two).animated
    parts = parse(two)
    actl = next(p for p in parts if p[0] == b"acTL")
    doubled = build([parts[0], actl, *parts[1:]])
    assert check(doubled) == PngInfo(12, 10, animated=False)


def test_png_without_animation_is_not_animated() -> None:
    plain = pillow_png(frames(1)[0])
    assert actl_frames(plain) is None
    assert check(plain) == PngInfo(12, 10, animated=False)
    # Pillow writes acTL for a single frame only beside a separate default image; the
    # animation then has one frame (Pillow counts the default image too, as n_frames 2).
    default, only = frames(2)
    one = pillow_png(default, save_all=True, default_image=True, append_images=[only])
    assert actl_frames(one) == 1
    assert check(one) == PngInfo(12, 10, animated=False)
    # A single-frame save_all writes no acTL at all.
    single = pillow_png(frames(1)[0], save_all=True)
    assert actl_frames(single) is None
    assert check(single) == PngInfo(12, 10, animated=False)


# -- 6. through the host --------------------------------------------------------------------------

def upload(host: HostWithKeys, name: str, data: bytes) -> requests.Response:
    return requests.post(host.api + "upload.json", data={"key": host.keys.key},
                         files={"image": (name, data, "image/png")}, timeout=60)


def with_bad_filter(data: bytes, row: int) -> bytes:
    raw = bytearray(inflated(data))
    raw[row_starts(data)[0][row]] = 5
    return with_rows(data, bytes(raw))


def test_host_accepts_interlaced_and_refuses_a_bad_filter(shared_host: HostWithKeys) -> None:
    small = adam7(noise("RGB", (33, 17), seed=11))
    big = adam7(noise("RGB", (330, 300), seed=12))  # past 256 KB: checked from a spooled file
    assert len(big) > 256 * 1024
    for data, size in ((small, (33, 17)), (big, (330, 300))):
        resp = upload(shared_host, "interlaced.png", data)
        assert resp.status_code == 200, resp.text[:500]
        image = resp.json()["upload"]["image"]
        assert (image["width"], image["height"]) == size
        assert image["animated"] == "false"
        served = requests.get(shared_host.url + f"{image['hash']}.png", timeout=30)
        assert served.content == data
    for data in (small, big):
        bad = with_bad_filter(data, row=len(row_starts(data)[0]) // 2)
        assert pillow_size(bad) is None  # damaged by Pillow's reading too
        resp = upload(shared_host, "bad-filter.png", bad)
        assert resp.status_code == 400, resp.text[:500]
        assert resp.json()["error"]["message"] == CORRUPT


# -- 7. memory ------------------------------------------------------------------------------------

def test_a_big_image_is_checked_in_little_memory(tmp_path: Path) -> None:
    """A 4000x4000 RGB image is 48 MB of pixels; check_png inflates its 56 KB file in pieces
    and holds none of them for long."""
    path = tmp_path / "big.png"
    Image.new("RGB", (4000, 4000), (10, 20, 30)).save(path, "PNG")
    size = path.stat().st_size
    assert size < 200_000
    with open(path, "rb") as fh:
        taken = 0

        def read(n: int) -> bytes:
            nonlocal taken
            out = fh.read(n)
            taken += len(out)
            return out

        tracemalloc.start()
        try:
            info = check_png(read, max_pixels=LIMIT)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert info == PngInfo(4000, 4000, animated=False)
    assert taken == size  # the whole file was read: every row was looked at
    assert peak < 4_000_000, peak  # against 48 MB decoded
