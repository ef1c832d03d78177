"""Random identifiers in the shapes Imgur used."""

from __future__ import annotations

import secrets
import string

_ALNUM = string.ascii_letters + string.digits
# Random bytes below this are used (b % 62), the rest dropped, so every character is equally
# likely; one read of the system's random source per id instead of one per character.
_UNBIASED = 256 - 256 % len(_ALNUM)
# Both steps in one C call: a byte's character, and the bytes to drop.
_TO_CHAR = bytes(ord(_ALNUM[b % len(_ALNUM)]) for b in range(256))
_BIASED = bytes(range(_UNBIASED, 256))


def random_id(length: int) -> str:
    chars = b""
    while len(chars) < length:
        chars += secrets.token_bytes(length + 4).translate(_TO_CHAR, _BIASED)
    return chars[:length].decode("ascii")


def image_hash() -> str:
    return random_id(7)  # 5 characters in 2011, 7 by 2015


def delete_hash() -> str:
    return random_id(15)


def album_id() -> str:
    return random_id(5)


def api_key() -> str:
    return secrets.token_hex(16)


def consumer_key() -> str:
    return random_id(25)


def consumer_secret() -> str:
    return secrets.token_hex(20)


def oauth_token() -> str:
    return random_id(30)


def oauth_secret() -> str:
    return random_id(30)


def verifier() -> str:
    return random_id(10)
