"""Checks made on a local file before anything is sent, so no credit is spent on a file the
service would refuse."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .errors import BadFile, FileTooLarge, UnsupportedFile
from .formats import SNIFF_BYTES, UNSUPPORTED_MESSAGE, ImageFormat, sniff_bytes

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CheckedFile:
    path: Path
    size: int
    format: ImageFormat


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def check_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> CheckedFile:
    """Raise BadFile, FileTooLarge or UnsupportedFile, or return what will be uploaded."""
    name = path.name or str(path)
    try:
        st = os.stat(path)  # follows links; a broken one raises FileNotFoundError
    except FileNotFoundError:
        if path.is_symlink():
            raise BadFile(f"{name} is a link to a file that does not exist") from None
        raise BadFile(f"{name} does not exist") from None
    except OSError as exc:
        raise BadFile(f"{name} cannot be read: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise BadFile(f"{name} is a folder, not an image")
    if not stat.S_ISREG(st.st_mode):
        raise BadFile(f"{name} is not a regular file (a pipe, socket or device)")
    if st.st_size == 0:
        raise BadFile(f"{name} is empty (0 bytes)")
    if st.st_size > max_bytes:
        raise FileTooLarge(
            f"{name} is {_mb(st.st_size)}; the limit is {_mb(max_bytes)}",
            size=st.st_size, limit=max_bytes)
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except PermissionError:
        raise BadFile(f"{name} cannot be read: permission denied") from None
    except OSError as exc:
        raise BadFile(f"{name} cannot be read: {exc.strerror}") from None
    fmt = sniff_bytes(head)
    if fmt is None:
        raise UnsupportedFile(UNSUPPORTED_MESSAGE)
    return CheckedFile(path, st.st_size, fmt)


def check_bytes(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> ImageFormat:
    if not data:
        raise BadFile("The image data is empty")
    if len(data) > max_bytes:
        raise FileTooLarge(f"The image is {_mb(len(data))}; the limit is {_mb(max_bytes)}",
                           size=len(data), limit=max_bytes)
    fmt = sniff_bytes(data[:SNIFF_BYTES])
    if fmt is None:
        raise UnsupportedFile(UNSUPPORTED_MESSAGE)
    return fmt
