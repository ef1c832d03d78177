"""Secrets in the OS keyring only: OAuth tokens and consumer secrets, one entry per API URL
and account. Nothing here ever touches a file; with no usable keyring, callers are told so and
keep the sign-in for the session only."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import keyring
from keyring.errors import KeyringError, PasswordDeleteError

logger = logging.getLogger(__name__)

SERVICE = "imgur-desktop"


class KeyringUnavailable(Exception):
    """No usable OS keyring; the text says what to do about it."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            "No usable keyring was found, so the sign-in cannot be kept after this session "
            f"({detail}). Install and unlock a Secret Service (GNOME Keyring or KWallet)."
        )


@dataclass(frozen=True, slots=True)
class StoredTokens:
    account: str
    token: str
    secret: str
    consumer_key: str


def _entry(api_url: str, account: str) -> str:
    return f"oauth1|{api_url}|{account}"


class TokenStore:
    """``keyring`` behind a small API; ``keyring.set_keyring`` picks the backend in tests."""

    def check(self) -> None:
        """Raise KeyringUnavailable now if there is no usable keyring at all, so a sign-in
        is not started (and a token issued) that could not be kept."""
        try:
            keyring.get_password(SERVICE, "availability-check")
        except (KeyringError, RuntimeError) as exc:
            raise KeyringUnavailable(type(exc).__name__) from None

    def save(self, api_url: str, tokens: StoredTokens) -> None:
        payload = json.dumps({"token": tokens.token, "secret": tokens.secret,
                              "consumer_key": tokens.consumer_key})
        try:
            keyring.set_password(SERVICE, _entry(api_url, tokens.account), payload)
        except KeyringError as exc:
            raise KeyringUnavailable(type(exc).__name__) from None
        except RuntimeError as exc:  # some backends fail this way when locked or absent
            raise KeyringUnavailable(str(exc)) from None

    def load(self, api_url: str, account: str) -> StoredTokens | None:
        try:
            raw = keyring.get_password(SERVICE, _entry(api_url, account))
        except (KeyringError, RuntimeError) as exc:
            logger.warning("keyring unavailable: %s", type(exc).__name__)
            return None
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            return StoredTokens(account, data["token"], data["secret"], data["consumer_key"])
        except (ValueError, KeyError, TypeError):
            logger.warning("ignoring an unreadable keyring entry for %s", account)
            return None

    def delete(self, api_url: str, account: str) -> None:
        try:
            keyring.delete_password(SERVICE, _entry(api_url, account))
        except PasswordDeleteError:
            pass  # already gone
        except (KeyringError, RuntimeError) as exc:
            raise KeyringUnavailable(type(exc).__name__) from None

    # The OAuth application's consumer secret is a secret too.

    def save_consumer_secret(self, api_url: str, consumer_key: str, secret: str) -> None:
        try:
            keyring.set_password(SERVICE, f"consumer|{api_url}|{consumer_key}", secret)
        except (KeyringError, RuntimeError) as exc:
            raise KeyringUnavailable(type(exc).__name__) from None

    def load_consumer_secret(self, api_url: str, consumer_key: str) -> str | None:
        try:
            return keyring.get_password(SERVICE, f"consumer|{api_url}|{consumer_key}")
        except (KeyringError, RuntimeError):
            return None
