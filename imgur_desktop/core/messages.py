"""Errors as sentences for people, with a next step. The CLI and the app use the same text;
the technical part stays in ``ImgurError.details()``."""

from __future__ import annotations

import datetime as dt

from .errors import (
    ApiError,
    AuthRequired,
    BadFile,
    BadResponse,
    Cancelled,
    FileTooLarge,
    ImgurError,
    NetworkError,
    RateLimited,
    UnsupportedFile,
)


def reset_text(reset_at: dt.datetime | None) -> str:
    if reset_at is None:
        return "later"
    local = reset_at.astimezone()
    return f"at {local:%H:%M}"


def describe(exc: BaseException) -> str:
    if isinstance(exc, RateLimited):
        return (f"The upload limit is used up; uploads can resume {reset_text(exc.reset_at)}.")
    if isinstance(exc, AuthRequired):
        text = exc.message.rstrip(".")
        said = any(w in text.lower() for w in ("sign in", "sign-in", "signed in"))
        return f"{text}." if said else f"{text}. Sign in again to continue."
    if isinstance(exc, (UnsupportedFile, FileTooLarge, BadFile, Cancelled)):
        return exc.message
    if isinstance(exc, NetworkError):
        return f"{exc.message}."
    if isinstance(exc, BadResponse):
        return (f"{exc.message}. Try again; if it keeps happening the service may be having "
                "trouble.")
    if isinstance(exc, ApiError):
        if exc.status >= 500:
            return f"The service had a problem ({exc.message}). Try again in a moment."
        return exc.message
    if isinstance(exc, ImgurError):
        return exc.message
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}"
    return str(exc) or type(exc).__name__
