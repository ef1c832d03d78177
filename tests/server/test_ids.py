"""The host's random identifiers: the shapes Imgur used, every character equally likely."""

from __future__ import annotations

import string
from collections import Counter

from imgur_desktop.server import ids

ALNUM = set(string.ascii_letters + string.digits)


def test_ids_have_their_shapes() -> None:
    for make, length in ((ids.image_hash, 7), (ids.delete_hash, 15), (ids.album_id, 5),
                         (ids.oauth_token, 30), (ids.verifier, 10)):
        for _ in range(200):
            value = make()
            assert len(value) == length
            assert set(value) <= ALNUM


def test_every_character_is_equally_likely() -> None:
    # 62 characters, 600,000 draws: about 9,677 each. A biased mapping (b % 62 over all 256
    # byte values) gives the first 8 characters 5/4 of the others' share, about 12,000.
    counts = Counter("".join(ids.random_id(20) for _ in range(30_000)))
    assert set(counts) == ALNUM
    expected = 600_000 / 62
    chi2 = sum((n - expected) ** 2 / expected for n in counts.values())
    # 61 degrees of freedom: the 99.99th percentile is about 113.
    assert chi2 < 113, counts.most_common(10)


def test_ids_do_not_repeat() -> None:
    drawn = {ids.image_hash() for _ in range(20_000)}
    assert len(drawn) == 20_000
