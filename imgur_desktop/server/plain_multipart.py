"""A complete multipart/form-data body of the plain shape every client sends, split in one pass.

The streaming parser (python-multipart) calls back into Python for every header and piece of
data: about a third of the time the host spent on a small upload. A small body that has
arrived whole is split here with a few ``find`` calls instead. Anything this module is not
sure of (a preamble, padding after a delimiter, a line inside a part that starts like a
delimiter, an epilogue, a part without headers, an odd header line) makes it return None,
and the streaming parser reads the body as before, so what a body means never depends on
which of the two read it.
"""

from __future__ import annotations

CRLF = b"\r\n"
MAX_BOUNDARY = 200  # the streaming parser refuses past 256; leave every long one to it
MAX_HEADERS = 4  # per part; content-disposition and content-type are all clients send
MAX_HEADER_LINE = 1024
# Header names: letters, digits and '-' (a subset of the HTTP token characters).
_NAME_BYTES = bytes(range(256)).translate(
    None, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")

Part = tuple[dict[str, bytes], bytes]  # headers (lower-case names) and data


def _headers(block: bytes) -> dict[str, bytes] | None:
    lines = block.split(CRLF)
    if len(lines) > MAX_HEADERS:
        return None
    headers: dict[str, bytes] = {}
    for line in lines:
        if len(line) > MAX_HEADER_LINE or b"\r" in line or b"\n" in line:
            return None
        name, colon, value = line.partition(b":")
        if not colon or not name or name.translate(None, _NAME_BYTES) != name:
            return None
        # As the streaming parser: leading spaces dropped, the rest of the line kept.
        headers[name.decode("latin-1").lower()] = value.lstrip(b" ")
    return headers


def split(body: bytes, boundary: bytes) -> list[Part] | None:
    """The parts of ``body``, in order; None when it is not of the plain shape."""
    if not boundary or len(boundary) > MAX_BOUNDARY:
        return None
    delimiter = CRLF + b"--" + boundary
    first = b"--" + boundary + CRLF
    if not body.startswith(first):
        return None
    parts: list[Part] = []
    pos = len(first)
    while True:
        end = body.find(delimiter, pos)
        if end < 0:
            return None  # no closing delimiter
        head_end = body.find(CRLF + CRLF, pos, end)
        if head_end <= pos:
            return None  # no headers, or none that end inside the part
        headers = _headers(body[pos:head_end])
        if headers is None:
            return None
        parts.append((headers, body[head_end + 4:end]))
        after = end + len(delimiter)
        if body.startswith(CRLF, after):
            pos = after + 2
            continue
        if body.startswith(b"--", after) and body[after + 2:] in (b"", CRLF):
            return parts
        return None
