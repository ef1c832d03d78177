"""Small real files of every kind, made on the fly."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def raster(fmt: str = "PNG", size: tuple[int, int] = (64, 48),
           color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, fmt)
    return buf.getvalue()


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    return raster("PNG", size)


def jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    return raster("JPEG", size)


def gif(frames: int = 1, size: tuple[int, int] = (32, 32)) -> bytes:
    # Frames must differ, or Pillow merges them into one.
    imgs = [Image.new("RGB", size, (i * 60 % 256, 255 - i * 60 % 256, 0)) for i in range(frames)]
    buf = io.BytesIO()
    imgs[0].save(buf, "GIF", save_all=frames > 1, append_images=imgs[1:], duration=100, loop=0)
    return buf.getvalue()


def apng(frames: int = 2, size: tuple[int, int] = (32, 32)) -> bytes:
    imgs = [Image.new("RGBA", size, (i * 90, 0, 0, 255)) for i in range(frames)]
    buf = io.BytesIO()
    imgs[0].save(buf, "PNG", save_all=True, append_images=imgs[1:], duration=100, loop=0)
    return buf.getvalue()


def tiff() -> bytes:
    return raster("TIFF")


def bmp() -> bytes:
    return raster("BMP")


def webp() -> bytes:
    return raster("WEBP")


def pdf() -> bytes:
    body = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    return body


def xcf(width: int = 40, height: int = 30) -> bytes:
    return b"gimp xcf v011\x00" + struct.pack(">II", width, height) + b"\x00" * 64


def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A tiny PNG whose header claims a huge pixel count (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * width
    idat = zlib.compress(row * 64, 9)  # far fewer rows than claimed; never decoded anyway
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
