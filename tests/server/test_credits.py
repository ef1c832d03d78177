"""Hourly API credits (contract §1.3): rate headers on every API answer, costs (call 1, upload
10, OAuth token calls and pages 0), the /2/credits body, exhaustion (403 "API limits exceeded",
nothing done), and per-account buckets (pro accounts get twice the quota)."""

from __future__ import annotations

import sqlite3
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from tests.conftest import ALICE, BOB, HostWithKeys
from tests.support import images
from tests.support.browser import sign_in, signed_session

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
WINDOW = 3600

MakeHost = Callable[..., HostWithKeys]


def rate(resp: requests.Response) -> tuple[int, int, int]:
    """(limit, remaining, reset) from the headers; each must be a plain integer."""
    values = []
    for name in RATE_HEADERS:
        assert name in resp.headers, f"{resp.request.method} {resp.url} lacks {name}"
        text = resp.headers[name]
        assert text.isdigit(), f"{name}: {text!r}"
        values.append(int(text))
    return values[0], values[1], values[2]


def remaining(resp: requests.Response) -> int:
    return rate(resp)[1]


def credits_call(host: HostWithKeys, session: Any = requests) -> requests.Response:
    return session.get(host.api + "credits.json", timeout=10)


def upload(host: HostWithKeys, data: bytes | None = None) -> requests.Response:
    return requests.post(host.api + "upload.json", data={"key": host.keys.key},
                         files={"image": ("a.png", data or images.png(), "image/png")},
                         timeout=30)


def image_rows(data_dir: Path) -> int:
    con = sqlite3.connect(f"file:{data_dir / 'imgur-host.sqlite3'}?mode=ro", uri=True)
    try:
        return int(con.execute("SELECT COUNT(*) FROM images").fetchone()[0])
    finally:
        con.close()


def assert_limits_exceeded(resp: requests.Response) -> None:
    assert resp.status_code == 403, resp.text
    err = resp.json()["error"]
    assert err["message"] == "API limits exceeded"
    assert set(err) == {"message", "request", "method", "format", "parameters"}


def assert_reset_is_an_hour_ahead(reset: int, before: float) -> None:
    """An epoch in seconds (not ms, not a delta), one window after the bucket was opened."""
    now = time.time()
    assert int(before) + WINDOW - 2 <= reset <= int(now) + WINDOW + 1, (reset, now)


# -- tests ---------------------------------------------------------------------------------------

def test_every_api_response_carries_rate_headers(make_host: MakeHost) -> None:
    before = time.time()
    host = make_host()
    key = host.keys.key
    good = upload(host)
    assert good.status_code == 200
    hash_ = good.json()["upload"]["image"]["hash"]
    api = host.api
    calls: list[tuple[str, str, dict[str, Any], int]] = [
        ("GET", api + "credits.json", {}, 200),
        ("GET", api + "credits.xml", {}, 200),
        ("GET", api + "credits", {}, 200),
        ("GET", api + "stats.json", {}, 200),
        ("GET", api + "stats.json", {"params": {"view": "year"}}, 400),
        ("GET", api + "gallery.json", {}, 200),
        ("GET", api + f"image/{hash_}.json", {}, 200),
        ("GET", api + "image/NoSuchHash.json", {}, 404),
        ("GET", api + "album/NoSuchAlbum.xml", {}, 404),
        ("GET", api + "delete/NotADeleteHash.json", {}, 400),
        ("GET", host.url + "oembed.json", {"params": {"url": host.url + hash_}}, 200),
        ("GET", api + "account.json", {}, 401),
        ("GET", api + "account/images.json", {}, 401),
        ("GET", api + "no/such/route.json", {}, 404),
        ("PUT", api + "stats.json", {}, 405),
        ("POST", api + "upload.json", {"data": {"image": "x"}}, 401),
        ("POST", api + "upload.json", {"data": {"key": "wrong", "image": "x"}}, 401),
        ("POST", api + "upload.json", {"data": {"key": key},
                                       "files": {"image": ("a.txt", b"words" * 50)}}, 400),
        ("POST", api + "upload.xml", {"data": {"key": key},
                                      "files": {"image": ("b.png", images.png())}}, 200),
    ]
    resets = set()
    for method, url, kwargs, status in calls:
        resp = requests.request(method, url, timeout=30, **kwargs)
        assert resp.status_code == status, (method, url, resp.text[:300])
        limit, left, reset = rate(resp)
        assert limit == 500, (url, limit)  # the anonymous default
        assert 0 <= left <= limit
        assert_reset_is_an_hour_ahead(reset, before)
        resets.add(reset)
    assert len(resets) == 1, "one bucket, one window: the reset does not move between calls"


def test_a_call_costs_one_and_an_upload_ten(make_host: MakeHost) -> None:
    host = make_host()
    first = remaining(credits_call(host))
    assert first == 499  # the credits call itself costs 1
    assert remaining(requests.get(host.api + "stats.json", timeout=10)) == first - 1
    assert remaining(requests.get(host.api + "gallery.xml", timeout=10)) == first - 2
    up = upload(host)
    assert up.status_code == 200
    assert remaining(up) == first - 12
    hash_ = up.json()["upload"]["image"]["hash"]
    assert remaining(requests.get(host.api + f"image/{hash_}.json", timeout=10)) == first - 13
    raw = requests.post(host.api + "upload.json", params={"key": host.keys.key},
                        data=images.jpeg(), headers={"Content-Type": "image/jpeg"}, timeout=30)
    assert raw.status_code == 200
    assert remaining(raw) == first - 23
    # browser pages and image files are free
    for path in ("", f"{hash_}.png", f"{hash_}s.jpg", f"{hash_}l.jpg", hash_):
        page = requests.get(host.url + path, timeout=10)
        assert page.status_code == 200, path
    assert remaining(credits_call(host)) == first - 24


def test_credits_body_in_json_and_xml(make_host: MakeHost) -> None:
    before = time.time()
    host = make_host("--credits-anon", "77")
    resp = credits_call(host)
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"credits"}
    c = body["credits"]
    assert set(c) == {"limit", "remaining", "reset", "refresh_in_secs"}
    assert all(type(v) is int for v in c.values()), c  # JSON numbers, not strings
    assert c["limit"] == 77
    assert c["remaining"] == 76
    limit, left, reset = rate(resp)
    assert (limit, left, reset) == (c["limit"], c["remaining"], c["reset"])
    assert_reset_is_an_hour_ahead(c["reset"], before)
    assert abs(c["refresh_in_secs"] - (c["reset"] - time.time())) <= 2
    assert WINDOW - 5 <= c["refresh_in_secs"] <= WINDOW

    xml = requests.get(host.api + "credits.xml", timeout=10)
    assert xml.status_code == 200
    assert xml.headers["Content-Type"].startswith("application/xml")
    root = ET.fromstring(xml.content)
    assert root.tag == "credits"
    fields = {child.tag: int(child.text or "") for child in root}
    assert set(fields) == {"limit", "remaining", "reset", "refresh_in_secs"}
    assert fields["limit"] == 77
    assert fields["remaining"] == 75
    assert fields["reset"] == c["reset"]
    # the default format (no suffix) is XML too
    assert ET.fromstring(requests.get(host.api + "credits", timeout=10).content).tag == "credits"


def test_exhaustion_refuses_and_does_nothing(make_host: MakeHost) -> None:
    host = make_host("--credits-anon", "25")
    images_dir = host.data_dir / "images"
    first = upload(host, images.png((20, 20)))
    assert first.status_code == 200
    assert remaining(first) == 15
    second = upload(host, images.png((21, 21)))
    assert second.status_code == 200
    assert remaining(second) == 5
    assert len(list(images_dir.iterdir())) == 2

    third = upload(host, images.raster("BMP", (300, 300)))
    assert_limits_exceeded(third)
    assert rate(third)[:2] == (25, 5), "a refused upload takes nothing"
    assert len(list(images_dir.iterdir())) == 2, "no third image stored"
    assert image_rows(host.data_dir) == 2
    assert list((host.data_dir / "tmp").iterdir()) == []

    for left in (4, 3, 2, 1, 0):
        resp = credits_call(host)
        assert resp.status_code == 200
        assert resp.json()["credits"]["remaining"] == left
        assert remaining(resp) == left
    hash_ = first.json()["upload"]["image"]["hash"]
    for resp in (credits_call(host),
                 requests.get(host.api + f"image/{hash_}.json", timeout=10),
                 upload(host)):
        assert_limits_exceeded(resp)
        assert rate(resp)[:2] == (25, 0)
    assert image_rows(host.data_dir) == 2
    # pages and files are not API calls: still served
    assert requests.get(host.url + f"{hash_}.png", timeout=10).status_code == 200
    assert requests.get(host.url, timeout=10).status_code == 200


def test_oauth_token_calls_cost_nothing(make_host: MakeHost) -> None:
    host = make_host("--credits-anon", "25")
    assert remaining(credits_call(host)) == 24
    sign_in(host.url, host.keys, *ALICE)  # request_token, authorize (GET+POST), access_token
    assert remaining(credits_call(host)) == 23
    # with the anonymous bucket empty, a sign-in still goes through
    while credits_call(host).status_code == 200:
        pass
    assert_limits_exceeded(credits_call(host))
    tokens = sign_in(host.url, host.keys, *BOB)
    me = signed_session(host.keys, tokens).get(host.api + "account.json", timeout=10)
    assert me.status_code == 200
    assert me.json()["account"]["url"] == "bob"


def test_accounts_have_their_own_buckets(make_host: MakeHost) -> None:
    host = make_host("--credits-anon", "25", "--credits-user", "300")
    alice = signed_session(host.keys, sign_in(host.url, host.keys, *ALICE))
    bob = signed_session(host.keys, sign_in(host.url, host.keys, *BOB))
    # empty the anonymous bucket of 127.0.0.1 first: accounts must not care
    while credits_call(host).status_code == 200:
        pass
    assert_limits_exceeded(credits_call(host))

    me = alice.get(host.api + "account.json", timeout=10)
    assert me.status_code == 200
    assert rate(me)[:2] == (300, 299)
    c = credits_call(host, alice).json()["credits"]
    assert (c["limit"], c["remaining"]) == (300, 298)

    up = alice.post(host.api + "account/images.json",
                    files={"image": ("a.png", images.png(), "image/png")}, timeout=30)
    assert up.status_code == 200, up.text
    assert rate(up)[:2] == (300, 288)  # an account upload costs 10 from the account

    pro = bob.get(host.api + "account.json", timeout=10)
    assert pro.status_code == 200
    assert pro.json()["account"]["is_pro"] == "true"
    assert rate(pro)[:2] == (600, 599)  # pro: twice --credits-user

    assert rate(alice.get(host.api + "account.json", timeout=10))[:2] == (300, 287)
    assert_limits_exceeded(credits_call(host))  # anonymous still empty


def test_account_quota_defaults(make_host: MakeHost) -> None:
    host = make_host()
    alice = signed_session(host.keys, sign_in(host.url, host.keys, *ALICE))
    bob = signed_session(host.keys, sign_in(host.url, host.keys, *BOB))
    assert rate(alice.get(host.api + "account.json", timeout=10))[:2] == (1000, 999)
    assert rate(bob.get(host.api + "account.json", timeout=10))[:2] == (2000, 1999)
    assert rate(credits_call(host))[:2] == (500, 499)


def test_account_exhaustion(make_host: MakeHost) -> None:
    host = make_host("--credits-user", "12")
    alice = signed_session(host.keys, sign_in(host.url, host.keys, *ALICE))
    up = alice.post(host.api + "account/images.json",
                    files={"image": ("a.png", images.png(), "image/png")}, timeout=30)
    assert up.status_code == 200
    assert rate(up)[:2] == (12, 2)
    again = alice.post(host.api + "account/images.json",
                       files={"image": ("b.png", images.png(), "image/png")}, timeout=30)
    assert_limits_exceeded(again)
    assert image_rows(host.data_dir) == 1
    count = alice.get(host.api + "account/images_count.json", timeout=10)
    assert count.status_code == 200
    assert count.json()["images_count"]["count"] == 1
    assert rate(count)[:2] == (12, 1)
    # the anonymous bucket of the same IP is untouched
    assert rate(credits_call(host))[:2] == (500, 499)
