"""Check an uploaded file is a whole, sane image and read its size (at upload); draw its
thumbnails (when one is first asked for).

Runs on a worker thread. The pixel count is checked from the header before anything is
decoded, so a decompression bomb is refused without allocating its pixels.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from PIL import Image, ImageDraw, ImageOps

from imgur_desktop.core.formats import APNG, GIF, PDF, PNG, XCF, ImageFormat

from .png_check import PngDamaged, PngTooLarge, check_png

SMALL_SQUARE = 90  # the "s" thumbnail: 90x90, cropped to a square
LARGE_THUMBNAIL = 640  # the "l" thumbnail: fits in 640x640
THUMB_QUALITY = 85

# An upload's bytes: in memory when small (the usual case), else the file they were spooled to.
Source = bytes | Path


class ImageRejected(Exception):
    """The file is of a supported type but cannot be accepted; the text is for people."""


@dataclass(frozen=True, slots=True)
class Inspected:
    width: int
    height: int
    animated: bool


def _flatten(img: Image.Image) -> Image.Image:
    """RGB for JPEG thumbnails; transparency goes onto white, as a browser would show it."""
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")


def _placeholder(label: str, size: int) -> Image.Image:
    tile = Image.new("RGB", (size, size), (232, 234, 237))
    draw = ImageDraw.Draw(tile)
    font_size = max(size // 5, 10)
    draw.text((size // 2, size // 2), label, fill=(60, 64, 67), anchor="mm",
              font_size=font_size)
    return tile


def _readable(source: Source) -> Path | IO[bytes]:
    """What Pillow opens: the file, or a fresh reader over the bytes (``verify`` spends one)."""
    return io.BytesIO(source) if isinstance(source, bytes) else source


def _inspect_raster(source: Source, fmt: ImageFormat, max_pixels: int) -> Inspected:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(_readable(source)) as probe:
                width, height = probe.size
                if width <= 0 or height <= 0:
                    raise ImageRejected("Image has no pixels")
                if width * height > max_pixels:
                    raise ImageRejected(
                        f"Image dimensions are too large ({width}x{height} pixels)"
                    )
                probe.verify()  # structure and checksums, without decoding pixels
            with Image.open(_readable(source)) as img:
                frames = getattr(img, "n_frames", 1)
                animated = (fmt in (GIF, APNG)) and frames > 1
                img.draft("RGB", (LARGE_THUMBNAIL, LARGE_THUMBNAIL))  # JPEG: decode scaled
                img.load()  # a truncated or corrupt image fails here
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected("Image dimensions are too large") from exc
        except (OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:
            raise ImageRejected("Image is corrupt or incomplete") from exc
    return Inspected(width, height, animated)


def _inspect_pdf(source: Source) -> Inspected:
    if isinstance(source, bytes):
        tail = source[-2048:]
    else:
        size = source.stat().st_size
        with source.open("rb") as fh:
            fh.seek(max(size - 2048, 0))
            tail = fh.read()
    if b"%%EOF" not in tail:
        raise ImageRejected("PDF is corrupt or incomplete")
    return Inspected(0, 0, False)


def _inspect_xcf(source: Source, max_pixels: int) -> Inspected:
    # Header: "gimp xcf " + 4-byte version + NUL, then width and height as big-endian uint32.
    if isinstance(source, bytes):
        header = source[:22]
    else:
        with source.open("rb") as fh:
            header = fh.read(22)
    if len(header) < 22:
        raise ImageRejected("XCF is corrupt or incomplete")
    width, height = struct.unpack(">II", header[14:22])
    if width == 0 or height == 0:
        raise ImageRejected("XCF is corrupt or incomplete")
    if width * height > max_pixels:
        raise ImageRejected(f"Image dimensions are too large ({width}x{height} pixels)")
    return Inspected(width, height, False)


def _inspect_png(source: Source, max_pixels: int) -> Inspected:
    try:
        reader: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")
        with reader:
            info = check_png(reader.read, max_pixels=max_pixels)
    except PngTooLarge as exc:
        raise ImageRejected(
            f"Image dimensions are too large ({exc.width}x{exc.height} pixels)") from None
    except PngDamaged as exc:
        raise ImageRejected("Image is corrupt or incomplete") from exc
    return Inspected(info.width, info.height, info.animated)


def inspect_image(source: Source, fmt: ImageFormat, *, max_pixels: int) -> Inspected:
    """Validate ``source`` (already sniffed as ``fmt``): a whole image of a sane size, so a
    truncated or corrupt one fails here, not when first shown. PNGs are checked without
    decoding their pixels (``png_check``); other raster images are decoded once."""
    if fmt in (PNG, APNG):
        return _inspect_png(source, max_pixels)
    if fmt is PDF:
        return _inspect_pdf(source)
    if fmt is XCF:
        return _inspect_xcf(source, max_pixels)
    return _inspect_raster(source, fmt, max_pixels)


def write_thumbnail(path: Path, mime: str, size: str, dest: IO[bytes]) -> None:
    """Draw thumbnail ``size`` ("s": 90x90 square, "l": fits 640x640) of the stored image at
    ``path`` into ``dest`` as a JPEG. The image passed ``inspect_image`` when it was uploaded;
    the pipeline is the one the host always used, so the bytes do not depend on when it runs."""
    if mime in (PDF.mime, XCF.mime):
        label = "PDF" if mime == PDF.mime else "XCF"
        edge = SMALL_SQUARE if size == "s" else LARGE_THUMBNAIL // 2
        _placeholder(label, edge).save(dest, "JPEG", quality=THUMB_QUALITY)
        return
    with Image.open(path) as img:
        img.draft("RGB", (LARGE_THUMBNAIL, LARGE_THUMBNAIL))  # JPEG: decode scaled
        img.load()
        flat = _flatten(img)
    if size == "s":
        flat = ImageOps.fit(flat, (SMALL_SQUARE, SMALL_SQUARE), Image.Resampling.LANCZOS)
    else:
        flat.thumbnail((LARGE_THUMBNAIL, LARGE_THUMBNAIL), Image.Resampling.LANCZOS)
    flat.save(dest, "JPEG", quality=THUMB_QUALITY)
