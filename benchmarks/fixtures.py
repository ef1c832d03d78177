"""Files the measures upload, made on the fly: photo-like JPEGs of an exact size, a large PDF,
and a 1920x1080 screenshot-like PNG."""

from __future__ import annotations

import io
import struct
from pathlib import Path

from PIL import Image, ImageDraw

MB = 1024 * 1024
_COM_MAX = 65533  # payload bytes of one JPEG comment segment


def photo_jpeg(size: tuple[int, int] = (1600, 1200), quality: int = 90) -> bytes:
    """A photo-like JPEG (gradients plus grain, so it compresses like a photo, not a flat
    colour): 1600x1200 at quality 90 is about 0.9 MB."""
    w, h = size
    base = Image.linear_gradient("L").resize((w, h))
    coarse = Image.effect_noise((max(w // 4, 1), max(h // 4, 1)), 60).resize(
        (w, h), Image.Resampling.BICUBIC)
    grain = Image.effect_noise((w, h), 25)
    img = Image.merge("RGB", (Image.blend(base, coarse, 0.5), Image.blend(coarse, grain, 0.5),
                              Image.blend(base.transpose(Image.Transpose.ROTATE_180), grain,
                                          0.4)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def pad_jpeg(jpeg: bytes, size: int, tag: str) -> bytes:
    """``jpeg`` grown to exactly ``size`` bytes with comment segments after SOI (the first
    names ``tag``, so every file differs); still a valid JPEG."""
    assert jpeg[:2] == b"\xff\xd8"
    missing = size - len(jpeg)
    count = -(-missing // (_COM_MAX + 4))  # segments needed; each costs 4 bytes of header
    payload = missing - 4 * count
    if count < 1 or payload < len(tag):
        raise ValueError(f"a {len(jpeg)}-byte JPEG cannot be padded to {size} bytes")
    share, extra = divmod(payload, count)
    segments = []
    for i in range(count):
        length = share + (1 if i < extra else 0)
        body = (tag.encode() if i == 0 else b"").ljust(length, b"\x00")
        segments.append(b"\xff\xfe" + struct.pack(">H", length + 2) + body)
    out = jpeg[:2] + b"".join(segments) + jpeg[2:]
    assert len(out) == size
    return out


def jpeg_batch(folder: Path, count: int, size: int) -> list[Path]:
    """``count`` distinct JPEG files of exactly ``size`` bytes each."""
    folder.mkdir(parents=True, exist_ok=True)
    dims = (1600, 1200) if size >= 960 * 1024 else (320, 240)
    base = photo_jpeg(dims)
    paths = []
    for i in range(count):
        path = folder / f"photo-{i:04d}.jpg"
        path.write_bytes(pad_jpeg(base, size, f"benchmark file {i}"))
        paths.append(path)
    return paths


def big_pdf(path: Path, size: int) -> Path:
    """A PDF of exactly ``size`` bytes: the host checks PDFs by their header and trailer only."""
    head, tail = b"%PDF-1.4\n", b"\n%%EOF\n"
    padding = size - len(head) - len(tail)
    chunk = b"%" + b" " * (MB - 2) + b"\n"
    with path.open("wb") as fh:
        fh.write(head)
        while padding > 0:
            part = chunk[:padding]
            fh.write(part)
            padding -= len(part)
        fh.write(tail)
    return path


def screenshot_png(size: tuple[int, int] = (1920, 1080)) -> bytes:
    """A screenshot-like PNG: a desktop with windows, text, a toolbar and one photo in it."""
    w, h = size
    img = Image.new("RGB", size, (236, 239, 244))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, w, 32), fill=(40, 44, 52))
    for i in range(12):
        draw.text((12 + i * 90, 8), f"Menu {i}", fill=(220, 220, 220))
    for win in range(3):
        x0, y0 = 60 + win * 420, 80 + win * 60
        x1, y1 = x0 + 900, y0 + 700
        draw.rectangle((x0 + 6, y0 + 6, x1 + 6, y1 + 6), fill=(190, 194, 200))
        draw.rectangle((x0, y0, x1, y1), fill=(255, 255, 255), outline=(120, 120, 120))
        draw.rectangle((x0, y0, x1, y0 + 28), fill=(60 + win * 40, 90, 160))
        draw.text((x0 + 10, y0 + 8), f"Window {win} - document.txt", fill=(255, 255, 255))
        for line in range(40):
            text = " ".join(f"word{(line * 7 + k * 13 + win) % 97}" for k in range(14))
            draw.text((x0 + 12, y0 + 40 + line * 16), text, fill=(30, 30, 30))
    photo = Image.open(io.BytesIO(photo_jpeg((480, 320), 85)))
    img.paste(photo, (w - 560, h - 420))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
