"""Check an uploaded file is a whole, sane image, read its size, and draw its thumbnails.

Runs on a worker thread. The pixel count is checked from the header before anything is
decoded, so a decompression bomb is refused without allocating its pixels.
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps

from imgur_desktop.core.formats import APNG, GIF, PDF, XCF, ImageFormat

SMALL_SQUARE = 90  # the "s" thumbnail: 90x90, cropped to a square
LARGE_THUMBNAIL = 640  # the "l" thumbnail: fits in 640x640
THUMB_QUALITY = 85


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


def write_thumbnails(img: Image.Image, small: Path, large: Path) -> None:
    flat = _flatten(img)
    square = ImageOps.fit(flat, (SMALL_SQUARE, SMALL_SQUARE), Image.Resampling.LANCZOS)
    square.save(small, "JPEG", quality=THUMB_QUALITY)
    flat.thumbnail((LARGE_THUMBNAIL, LARGE_THUMBNAIL), Image.Resampling.LANCZOS)
    flat.save(large, "JPEG", quality=THUMB_QUALITY)


def _inspect_raster(path: Path, fmt: ImageFormat, max_pixels: int, small: Path,
                    large: Path) -> Inspected:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as probe:
                width, height = probe.size
                if width <= 0 or height <= 0:
                    raise ImageRejected("Image has no pixels")
                if width * height > max_pixels:
                    raise ImageRejected(
                        f"Image dimensions are too large ({width}x{height} pixels)"
                    )
                probe.verify()  # structure and checksums, without decoding pixels
            with Image.open(path) as img:
                frames = getattr(img, "n_frames", 1)
                animated = (fmt in (GIF, APNG)) and frames > 1
                img.draft("RGB", (LARGE_THUMBNAIL, LARGE_THUMBNAIL))  # JPEG: decode scaled
                img.load()  # a truncated or corrupt image fails here
                write_thumbnails(img, small, large)
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected("Image dimensions are too large") from exc
        except (OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:
            raise ImageRejected("Image is corrupt or incomplete") from exc
    return Inspected(width, height, animated)


def _inspect_pdf(path: Path, small: Path, large: Path) -> Inspected:
    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(max(size - 2048, 0))
        tail = fh.read()
    if b"%%EOF" not in tail:
        raise ImageRejected("PDF is corrupt or incomplete")
    _placeholder("PDF", SMALL_SQUARE).save(small, "JPEG", quality=THUMB_QUALITY)
    _placeholder("PDF", LARGE_THUMBNAIL // 2).save(large, "JPEG", quality=THUMB_QUALITY)
    return Inspected(0, 0, False)


def _inspect_xcf(path: Path, max_pixels: int, small: Path, large: Path) -> Inspected:
    # Header: "gimp xcf " + 4-byte version + NUL, then width and height as big-endian uint32.
    with path.open("rb") as fh:
        header = fh.read(22)
    if len(header) < 22:
        raise ImageRejected("XCF is corrupt or incomplete")
    width, height = struct.unpack(">II", header[14:22])
    if width == 0 or height == 0:
        raise ImageRejected("XCF is corrupt or incomplete")
    if width * height > max_pixels:
        raise ImageRejected(f"Image dimensions are too large ({width}x{height} pixels)")
    _placeholder("XCF", SMALL_SQUARE).save(small, "JPEG", quality=THUMB_QUALITY)
    _placeholder("XCF", LARGE_THUMBNAIL // 2).save(large, "JPEG", quality=THUMB_QUALITY)
    return Inspected(width, height, False)


def inspect_image(path: Path, fmt: ImageFormat, *, max_pixels: int, small: Path,
                  large: Path) -> Inspected:
    """Validate ``path`` (already sniffed as ``fmt``) and write its two thumbnails."""
    if fmt is PDF:
        return _inspect_pdf(path, small, large)
    if fmt is XCF:
        return _inspect_xcf(path, max_pixels, small, large)
    return _inspect_raster(path, fmt, max_pixels, small, large)
