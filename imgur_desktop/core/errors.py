"""One exception tree for everything the core can fail with.

Exceptions keep the request's method and URL and the raw body for "Copy details", but never
a secret: URLs are stored without their query string, and no header is kept.
"""

from __future__ import annotations

import datetime as dt


class ImgurError(Exception):
    """Base of every error the core raises."""

    def __init__(self, message: str, *, method: str | None = None, url: str | None = None,
                 body: bytes | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url.split("?", 1)[0] if url else url
        self.body = body

    def details(self) -> str:
        """The technical part, for a "Copy details" button or a log line."""
        lines = [f"{type(self).__name__}: {self.message}"]
        if self.method and self.url:
            lines.append(f"{self.method} {self.url}")
        if self.body:
            lines.append(self.body[:2000].decode("utf-8", errors="replace"))
        return "\n".join(lines)


class ApiError(ImgurError):
    """The service answered with an error status."""

    def __init__(self, status: int, message: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.status = status


class RateLimited(ApiError):
    """Credits are used up until ``reset_at`` (UTC)."""

    def __init__(self, reset_at: dt.datetime | None, message: str = "API limits exceeded",
                 **kwargs: object) -> None:
        super().__init__(403, message, **kwargs)
        self.reset_at = reset_at


class AuthRequired(ApiError):
    """Signing in is needed, or the sign-in expired or was revoked."""

    def __init__(self, message: str = "Authentication required", **kwargs: object) -> None:
        super().__init__(401, message, **kwargs)


class UnsupportedFile(ImgurError):
    """The file is not of a type the service accepts (decided by content, before sending)."""


class FileTooLarge(ImgurError):
    def __init__(self, message: str, *, size: int, limit: int) -> None:
        super().__init__(message)
        self.size = size
        self.limit = limit


class BadFile(ImgurError):
    """Not a readable regular file: empty, a folder, a FIFO, a broken link, no permission."""


class NetworkError(ImgurError):
    """The service could not be reached, or stopped answering. ``sent``: the request may
    have reached the service (it broke or timed out afterwards), so it may have acted on it."""

    def __init__(self, message: str, *, sent: bool = False, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.sent = sent


class BadResponse(ImgurError):
    """The service answered something that is not a v2 body (an HTML page, garbage, too big)."""


class Cancelled(ImgurError):
    def __init__(self, message: str = "Cancelled") -> None:
        super().__init__(message)
