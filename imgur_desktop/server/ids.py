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


IMAGE_HASH_LENGTH = 7  # 5 characters in 2011, 7 by 2015
DELETE_HASH_LENGTH = 15


def image_hash() -> str:
    return random_id(IMAGE_HASH_LENGTH)


def image_and_delete_hash() -> tuple[str, str]:
    """Both of a new image's ids from one read of the random source (an upload's thread lets
    go of the interpreter lock for each read)."""
    both = random_id(IMAGE_HASH_LENGTH + DELETE_HASH_LENGTH)
    return both[:IMAGE_HASH_LENGTH], both[IMAGE_HASH_LENGTH:]


def delete_hash() -> str:
    return random_id(DELETE_HASH_LENGTH)


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
