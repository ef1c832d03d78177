"""The local host's OAuth 1.0a provider, end to end over real HTTP (contract §1.2, §1.7 #1).

Every flow here is driven the way a desktop client and a person in a browser drive it: the app
signs with requests-oauthlib / oauthlib, the person submits the consent form.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from defusedxml import ElementTree
from oauthlib.oauth1 import Client
from requests_oauthlib import OAuth1, OAuth1Session

from tests.support.browser import (
    Tokens,
    callback_params,
    consent,
    pin_from,
    sign_in,
    signed_session,
)
from tests.support.localhost import add_app

ALICE = ("alice", "alice-password-1")
BOB = ("bob", "bob-password-2")
CALLBACK = "http://127.0.0.1:9/cb?x=1"
ACCOUNT_ALICE = {"account": {"url": "alice", "is_pro": "false",
                             "default_album_privacy": "public", "public_images": "false"}}
ACCOUNT_BOB = {"account": {"url": "bob", "is_pro": "true",
                           "default_album_privacy": "public", "public_images": "false"}}
ERROR_FIELDS = {"message", "request", "method", "format", "parameters"}


# -- helpers ---------------------------------------------------------------------------------


def form(response: requests.Response) -> dict[str, str]:
    """A form-encoded OAuth answer as a dict (each key exactly once)."""
    parsed = parse_qs(response.text, keep_blank_values=True, strict_parsing=True)
    assert all(len(v) == 1 for v in parsed.values()), response.text
    return {k: v[0] for k, v in parsed.items()}


def assert_v2_error(response: requests.Response, status: int, method: str = "get") -> str:
    """The v2 JSON error body with ``status``; returns its message."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    body = response.json()
    assert list(body) == ["error"], body
    error = body["error"]
    assert set(error) == ERROR_FIELDS, error
    assert isinstance(error["message"], str)
    assert error["message"]
    assert error["method"] == method
    assert error["format"] == "json"
    assert "oauth_signature" not in error["parameters"]
    return str(error["message"])


def has_pin(response: requests.Response) -> bool:
    return 'id="pin"' in response.text


def request_token_session(host: Any, callback: str | None = "oob") -> tuple[OAuth1Session,
                                                                            dict[str, str]]:
    session = OAuth1Session(host.keys.consumer_key, client_secret=host.keys.consumer_secret,
                            callback_uri=callback)
    token = session.fetch_request_token(host.url + "oauth/request_token")
    return session, token


def exchange(host: Any, token: str, secret: str, verifier: str) -> requests.Response:
    """A raw access-token call signed with the request token and ``verifier``."""
    auth = OAuth1(host.keys.consumer_key, client_secret=host.keys.consumer_secret,
                  resource_owner_key=token, resource_owner_secret=secret, verifier=verifier)
    return requests.post(host.url + "oauth/access_token", auth=auth, timeout=10)


def tamper(signature: str) -> str:
    """Change one base64 character of a (percent-encoded) signature."""
    for i, ch in enumerate(signature):
        if ch.isalnum():
            return signature[:i] + ("B" if ch == "A" else "A") + signature[i + 1:]
    raise AssertionError(signature)


# -- request token ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_request_token_answer_is_form_encoded(shared_host: Any, method: str) -> None:
    auth = OAuth1(shared_host.keys.consumer_key, client_secret=shared_host.keys.consumer_secret,
                  callback_uri="oob")
    r = requests.request(method, shared_host.url + "oauth/request_token", auth=auth, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-www-form-urlencoded")
    answer = form(r)
    assert set(answer) == {"oauth_token", "oauth_token_secret", "oauth_callback_confirmed"}
    assert answer["oauth_callback_confirmed"] == "true"
    assert answer["oauth_token"]
    assert answer["oauth_token_secret"]
    assert answer["oauth_token"] != answer["oauth_token_secret"]


def test_request_tokens_are_fresh_each_time(shared_host: Any) -> None:
    _, first = request_token_session(shared_host)
    _, second = request_token_session(shared_host)
    assert first["oauth_token"] != second["oauth_token"]
    assert first["oauth_token_secret"] != second["oauth_token_secret"]


def test_unsigned_request_token_call_is_refused(shared_host: Any) -> None:
    r = requests.post(shared_host.url + "oauth/request_token", timeout=10)
    assert r.status_code in (400, 401)
    assert "oauth_token=" not in r.text


# -- the PIN flow ----------------------------------------------------------------------------


def test_authorize_page_is_a_sign_in_form(shared_host: Any) -> None:
    session, token = request_token_session(shared_host)
    url = session.authorization_url(shared_host.url + "oauth/authorize")
    page = requests.get(url, timeout=10)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert re.search(r'<form[^>]*method="post"', html, re.I)
    assert re.search(r'name="username"', html)
    assert re.search(r'type="password"[^>]*name="password"|name="password"[^>]*type="password"',
                     html)
    hidden = re.search(r'<input[^>]*type="hidden"[^>]*name="oauth_token"[^>]*value="([^"]+)"',
                       html)
    assert hidden is not None
    assert hidden.group(1) == token["oauth_token"]
    assert re.search(r'<button[^>]*name="allow"', html)
    assert re.search(r'<button[^>]*name="deny"', html)
    assert not has_pin(page)


def test_pin_flow_with_oob_callback(shared_host: Any) -> None:
    session, token = request_token_session(shared_host, "oob")
    assert token["oauth_callback_confirmed"] == "true"
    url = session.authorization_url(shared_host.url + "oauth/authorize")
    assert "oauth_token=" + token["oauth_token"] in url

    page = consent(url, *ALICE)
    assert page.status_code == 200
    verifier = pin_from(page)
    assert len(verifier) >= 6

    access = session.fetch_access_token(shared_host.url + "oauth/access_token",
                                        verifier=verifier)
    assert access["oauth_token"]
    assert access["oauth_token_secret"]
    assert access["oauth_token"] != token["oauth_token"]
    assert access["oauth_token_secret"] != token["oauth_token_secret"]

    api = signed_session(shared_host.keys, Tokens(access["oauth_token"],
                                                  access["oauth_token_secret"]))
    for _ in range(2):  # a long-lived token: good for many calls
        r = api.get(shared_host.api + "account.json")
        assert r.status_code == 200, r.text
        assert r.json() == ACCOUNT_ALICE


def test_pin_flow_with_no_callback_parameter_at_all(shared_host: Any) -> None:
    keys = shared_host.keys
    client = Client(keys.consumer_key, client_secret=keys.consumer_secret)
    uri, headers, _ = client.sign(shared_host.url + "oauth/request_token", http_method="POST")
    assert "oauth_callback" not in headers["Authorization"]
    assert "oauth_callback" not in uri
    r = requests.post(uri, headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    token = form(r)
    assert token["oauth_callback_confirmed"] == "true"

    page = consent(shared_host.url + "oauth/authorize?oauth_token=" + token["oauth_token"], *BOB)
    assert page.status_code == 200
    verifier = pin_from(page)

    client = Client(keys.consumer_key, client_secret=keys.consumer_secret,
                    resource_owner_key=token["oauth_token"],
                    resource_owner_secret=token["oauth_token_secret"], verifier=verifier)
    uri, headers, _ = client.sign(shared_host.url + "oauth/access_token", http_method="POST")
    r = requests.post(uri, headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    access = form(r)
    assert set(access) >= {"oauth_token", "oauth_token_secret"}

    api = signed_session(keys, Tokens(access["oauth_token"], access["oauth_token_secret"]))
    r = api.get(shared_host.api + "account.json")
    assert r.status_code == 200, r.text
    assert r.json() == ACCOUNT_BOB


# -- the callback flow -----------------------------------------------------------------------


def test_callback_flow_redirects_with_token_and_verifier(shared_host: Any) -> None:
    session, token = request_token_session(shared_host, CALLBACK)
    assert token["oauth_callback_confirmed"] == "true"
    url = session.authorization_url(shared_host.url + "oauth/authorize")

    answer = consent(url, *ALICE, follow=False)
    assert answer.status_code == 302, answer.text[:300]
    assert not has_pin(answer)
    location = answer.headers["location"]
    parts = urlsplit(location)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "127.0.0.1:9", "/cb")
    params = callback_params(location)
    assert set(params) == {"x", "oauth_token", "oauth_verifier"}
    assert params["x"] == "1"
    assert params["oauth_token"] == token["oauth_token"]
    assert params["oauth_verifier"]

    access = session.fetch_access_token(shared_host.url + "oauth/access_token",
                                        verifier=params["oauth_verifier"])
    api = signed_session(shared_host.keys, Tokens(access["oauth_token"],
                                                  access["oauth_token_secret"]))
    r = api.get(shared_host.api + "account.json")
    assert r.status_code == 200, r.text
    assert r.json() == ACCOUNT_ALICE


# -- the account, signed ---------------------------------------------------------------------


def test_signed_account_json(shared_host: Any, alice_tokens: Tokens, bob_tokens: Tokens) -> None:
    for tokens, expected in ((alice_tokens, ACCOUNT_ALICE), (bob_tokens, ACCOUNT_BOB)):
        r = signed_session(shared_host.keys, tokens).get(shared_host.api + "account.json")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/json")
        assert r.json() == expected


@pytest.mark.parametrize(("path", "params"), [
    ("account.xml", {}),
    ("account", {}),  # no suffix: XML
])
def test_signed_account_xml(shared_host: Any, bob_tokens: Tokens, path: str,
                            params: dict[str, str]) -> None:
    r = signed_session(shared_host.keys, bob_tokens).get(shared_host.api + path, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/xml")
    assert r.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ElementTree.fromstring(r.content)
    assert root.tag == "account"
    assert [(child.tag, child.text) for child in root] == [
        ("url", "bob"), ("is_pro", "true"), ("default_album_privacy", "public"),
        ("public_images", "false"),
    ]


def test_signed_account_with_format_parameter(shared_host: Any, alice_tokens: Tokens) -> None:
    api = signed_session(shared_host.keys, alice_tokens)
    r = api.get(shared_host.api + "account", params={"_format": "json"})
    assert r.status_code == 200, r.text
    assert r.json() == ACCOUNT_ALICE


# -- signatures that must not hold -----------------------------------------------------------


def test_tampered_signature_is_401(shared_host: Any, alice_tokens: Tokens) -> None:
    api = signed_session(shared_host.keys, alice_tokens)
    url = shared_host.api + "account.json"
    good = api.prepare_request(requests.Request("GET", url))
    assert api.send(good, timeout=10).status_code == 200  # the same request, untouched, holds

    bad = api.prepare_request(requests.Request("GET", url))
    header = bad.headers["Authorization"]
    text = header.decode() if isinstance(header, bytes) else header
    match = re.search(r'oauth_signature="([^"]+)"', text)
    assert match is not None, text
    bad.headers["Authorization"] = text.replace(match.group(0),
                                                f'oauth_signature="{tamper(match.group(1))}"')
    with requests.Session() as plain:
        r = plain.send(bad, timeout=10)
    assert_v2_error(r, 401)
    assert "account" not in r.json()


def test_tampered_query_parameter_is_401(shared_host: Any, alice_tokens: Tokens) -> None:
    api = signed_session(shared_host.keys, alice_tokens)
    prepared = api.prepare_request(requests.Request(
        "GET", shared_host.api + "account/images.json", params={"count": "5"}))
    prepared.url = prepared.url.replace("count=5", "count=6")
    with requests.Session() as plain:
        r = plain.send(prepared, timeout=10)
    assert_v2_error(r, 401)


def test_replayed_request_is_401(shared_host: Any, alice_tokens: Tokens) -> None:
    api = signed_session(shared_host.keys, alice_tokens)
    prepared = api.prepare_request(requests.Request("GET", shared_host.api + "account.json"))
    with requests.Session() as plain:
        first = plain.send(prepared, timeout=10)
        second = plain.send(prepared, timeout=10)
    assert first.status_code == 200, first.text
    assert first.json() == ACCOUNT_ALICE
    assert_v2_error(second, 401)


def test_replayed_post_does_not_act_twice(shared_host: Any, alice_tokens: Tokens) -> None:
    api = signed_session(shared_host.keys, alice_tokens)
    title = "replay-" + uuid.uuid4().hex
    prepared = api.prepare_request(requests.Request(
        "POST", shared_host.api + "account/albums.json", data={"title": title}))
    with requests.Session() as plain:
        first = plain.send(prepared, timeout=10)
        second = plain.send(prepared, timeout=10)
    assert first.status_code == 200, first.text
    assert first.json()["albums"]["title"] == title
    assert_v2_error(second, 401, method="post")
    albums = api.get(shared_host.api + "account/albums.json", params={"count": "100"})
    assert albums.status_code == 200, albums.text
    pages = [albums.json()["albums"]]
    page = 2
    while len(pages[-1]) == 100:
        more = api.get(shared_host.api + "account/albums.json",
                       params={"count": "100", "page": str(page)})
        if more.status_code == 404:
            break
        pages.append(more.json()["albums"])
        page += 1
    titles = [a["title"] for p in pages for a in p]
    assert titles.count(title) == 1


@pytest.mark.parametrize("wrong", ["consumer_secret", "token_secret", "consumer_key", "token"])
def test_wrong_credentials_are_401(shared_host: Any, alice_tokens: Tokens, wrong: str) -> None:
    keys = shared_host.keys
    creds = {"consumer_key": keys.consumer_key, "consumer_secret": keys.consumer_secret,
             "token": alice_tokens.token, "token_secret": alice_tokens.secret}
    creds[wrong] = "x" + creds[wrong][1:] if creds[wrong][0] != "x" else "y" + creds[wrong][1:]
    api = OAuth1Session(creds["consumer_key"], client_secret=creds["consumer_secret"],
                        resource_owner_key=creds["token"],
                        resource_owner_secret=creds["token_secret"])
    r = api.get(shared_host.api + "account.json")
    assert_v2_error(r, 401)


def test_request_token_with_wrong_consumer_secret_is_401(shared_host: Any) -> None:
    auth = OAuth1(shared_host.keys.consumer_key, client_secret="not-the-secret-at-all",
                  callback_uri="oob")
    r = requests.post(shared_host.url + "oauth/request_token", auth=auth, timeout=10)
    assert r.status_code == 401
    assert "oauth_token=" not in r.text


def test_verifier_works_only_once(shared_host: Any) -> None:
    session, token = request_token_session(shared_host)
    verifier = pin_from(consent(session.authorization_url(shared_host.url + "oauth/authorize"),
                                *ALICE))
    first = exchange(shared_host, token["oauth_token"], token["oauth_token_secret"], verifier)
    assert first.status_code == 200, first.text
    access = form(first)

    second = exchange(shared_host, token["oauth_token"], token["oauth_token_secret"], verifier)
    assert second.status_code == 401, second.text
    assert "oauth_token=" not in second.text

    # the token from the first exchange is still good
    api = signed_session(shared_host.keys, Tokens(access["oauth_token"],
                                                  access["oauth_token_secret"]))
    assert api.get(shared_host.api + "account.json").json() == ACCOUNT_ALICE


def test_wrong_verifier_is_refused(shared_host: Any) -> None:
    session, token = request_token_session(shared_host)
    verifier = pin_from(consent(session.authorization_url(shared_host.url + "oauth/authorize"),
                                *ALICE))
    wrong = ("A" if verifier[0] != "A" else "B") + verifier[1:]
    bad = exchange(shared_host, token["oauth_token"], token["oauth_token_secret"], wrong)
    assert bad.status_code == 401
    assert "oauth_token=" not in bad.text


def test_unauthorized_request_token_cannot_be_exchanged(shared_host: Any) -> None:
    _, token = request_token_session(shared_host)
    r = exchange(shared_host, token["oauth_token"], token["oauth_token_secret"], "12345678")
    assert r.status_code == 401
    assert "oauth_token=" not in r.text


def test_deny_gives_no_access_token(shared_host: Any) -> None:
    session, token = request_token_session(shared_host)
    url = session.authorization_url(shared_host.url + "oauth/authorize")
    page = consent(url, *ALICE, allow=False)
    assert page.status_code == 200
    assert "denied" in page.text.lower()
    assert not has_pin(page)
    assert "oauth_verifier" not in page.text

    # the request token is dead: the sign-in page is gone, and no verifier can be exchanged
    assert requests.get(url, timeout=10).status_code == 400
    again = requests.post(shared_host.url + "oauth/authorize", timeout=10, allow_redirects=False,
                          data={"oauth_token": token["oauth_token"], "username": ALICE[0],
                                "password": ALICE[1], "allow": "1"})
    assert again.status_code == 400
    assert not has_pin(again)
    r = exchange(shared_host, token["oauth_token"], token["oauth_token_secret"], "12345678")
    assert r.status_code == 401
    assert "oauth_token=" not in r.text


def test_deny_with_callback_does_not_redirect_with_a_verifier(shared_host: Any) -> None:
    session, token = request_token_session(shared_host, CALLBACK)
    page = consent(session.authorization_url(shared_host.url + "oauth/authorize"), *ALICE,
                   allow=False)
    assert "oauth_verifier" not in page.headers.get("location", "")
    assert not has_pin(page)
    # The waiting app hears of it at once: back to its callback with denied=TOKEN.
    assert page.status_code == 302
    location = page.headers["location"]
    assert location.startswith(CALLBACK.split("?")[0])
    assert f"denied={token['oauth_token']}" in location


@pytest.mark.parametrize(("username", "password"), [
    ("alice", "wrong-password"),
    ("alice", ""),
    ("nobody", "alice-password-1"),
])
def test_wrong_password_shows_the_form_again(shared_host: Any, username: str,
                                             password: str) -> None:
    session, token = request_token_session(shared_host, CALLBACK)
    url = session.authorization_url(shared_host.url + "oauth/authorize")
    page = consent(url, username, password)
    assert page.status_code == 401
    assert not has_pin(page)
    assert "location" not in page.headers
    assert "oauth_verifier" not in page.text
    hidden = re.search(r'name="oauth_token"[^>]*value="([^"]+)"', page.text)
    assert hidden is not None
    assert hidden.group(1) == token["oauth_token"]
    assert 'name="password"' in page.text
    r = exchange(shared_host, token["oauth_token"], token["oauth_token_secret"], "12345678")
    assert r.status_code == 401

    # a second try with the right password goes through on the same request token
    ok = consent(url, *ALICE)
    assert ok.status_code == 302
    assert callback_params(ok.headers["location"])["oauth_token"] == token["oauth_token"]


def test_access_token_belongs_to_its_app(shared_host: Any, alice_tokens: Tokens) -> None:
    other = add_app(shared_host.data_dir, "other-app-" + uuid.uuid4().hex[:6])
    assert other.consumer_key != shared_host.keys.consumer_key

    # app A's token, signed by app B (with B's own secret): refused
    r = signed_session(other, alice_tokens).get(shared_host.api + "account.json")
    assert_v2_error(r, 401)

    # app B gets its own token through its own sign-in; that one works for B only
    b_tokens = sign_in(shared_host.url, other, *ALICE)
    r = signed_session(other, b_tokens).get(shared_host.api + "account.json")
    assert r.status_code == 200, r.text
    assert r.json() == ACCOUNT_ALICE
    r = signed_session(shared_host.keys, b_tokens).get(shared_host.api + "account.json")
    assert_v2_error(r, 401)


def test_request_token_of_another_app_cannot_be_exchanged(shared_host: Any) -> None:
    other = add_app(shared_host.data_dir, "thief-" + uuid.uuid4().hex[:6])
    session, token = request_token_session(shared_host)
    verifier = pin_from(consent(session.authorization_url(shared_host.url + "oauth/authorize"),
                                *ALICE))
    auth = OAuth1(other.consumer_key, client_secret=other.consumer_secret,
                  resource_owner_key=token["oauth_token"],
                  resource_owner_secret=token["oauth_token_secret"], verifier=verifier)
    r = requests.post(shared_host.url + "oauth/access_token", auth=auth, timeout=10)
    assert r.status_code == 401
    assert "oauth_token=" not in r.text


# -- unsigned calls to account routes --------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "account.json"),
    ("GET", "account/images.json"),
    ("GET", "account/images_count.json"),
    ("GET", "account/albums.json"),
    ("GET", "account/albums_count.json"),
    ("POST", "account/albums.json"),
    ("POST", "account/albums_order.json"),
])
def test_unsigned_account_call_is_401(shared_host: Any, method: str, path: str) -> None:
    data = {"title": "x", "ids": "abcde"} if method == "POST" else None
    r = requests.request(method, shared_host.api + path, data=data, timeout=10)
    assert_v2_error(r, 401, method=method.lower())


def test_unsigned_account_call_with_api_key_is_still_401(shared_host: Any) -> None:
    r = requests.get(shared_host.api + "account.json", params={"key": shared_host.keys.key},
                     timeout=10)
    assert_v2_error(r, 401)


def test_unsigned_account_upload_is_401(shared_host: Any) -> None:
    from tests.support.images import png

    r = requests.post(shared_host.api + "account/images.json",
                      data={"key": shared_host.keys.key},
                      files={"image": ("a.png", png())}, timeout=10)
    assert_v2_error(r, 401, method="post")


def test_unsigned_account_call_xml_error(shared_host: Any) -> None:
    r = requests.get(shared_host.api + "account.xml", timeout=10)
    assert r.status_code == 401
    root = ElementTree.fromstring(r.content)
    assert root.tag == "error"
    assert [c.tag for c in root] == ["message", "request", "method", "format", "parameters"]
    assert root.findtext("message")
    assert root.findtext("format") == "xml"


# -- the signature covers the urlencoded body ------------------------------------------------


@pytest.mark.parametrize("space", ["+", "%20"])
def test_signed_form_post_with_spaces_and_plus(shared_host: Any, alice_tokens: Tokens,
                                               space: str) -> None:
    api = signed_session(shared_host.keys, alice_tokens)
    title = f"Sun + sea & a=b, 100% {uuid.uuid4().hex[:6]}"
    description = "1+1 = 2  (two spaces) / ünïcode"
    body = "&".join(
        f"{k}={quote(v, safe='').replace('%20', space)}"
        for k, v in (("title", title), ("description", description)))
    assert ("+" in body) == (space == "+")  # '+' in the text itself is always %2B
    r = api.post(shared_host.api + "account/albums.json", data=body.encode(),
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200, r.text
    album = r.json()["albums"]
    assert album["title"] == title
    assert album["description"] == description


def test_signed_form_post_body_changed_after_signing_is_401(shared_host: Any,
                                                            alice_tokens: Tokens) -> None:
    api = signed_session(shared_host.keys, alice_tokens)
    title = "signed title " + uuid.uuid4().hex[:6]
    prepared = api.prepare_request(requests.Request(
        "POST", shared_host.api + "account/albums.json", data={"title": title}))
    assert isinstance(prepared.body, (str, bytes))
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    changed = body.replace(b"signed", b"forged")
    assert changed != body
    prepared.body = changed
    prepared.headers["Content-Length"] = str(len(changed))
    with requests.Session() as plain:
        r = plain.send(prepared, timeout=10)
    assert_v2_error(r, 401, method="post")


def test_signed_edit_with_plus_and_spaces_in_title(shared_host: Any,
                                                   alice_tokens: Tokens) -> None:
    from tests.support.images import png

    api = signed_session(shared_host.keys, alice_tokens)
    up = api.post(shared_host.api + "account/images.json", files={"image": ("p.png", png())})
    assert up.status_code == 200, up.text
    hash_ = up.json()["images"]["image"]["hash"]
    title, caption = "C++ is + fun", "a + b  =  c & d"
    r = api.post(shared_host.api + f"account/images/{hash_}.json",
                 data={"title": title, "caption": caption})
    assert r.status_code == 200, r.text
    image = r.json()["images"]["image"]
    assert (image["title"], image["caption"]) == (title, caption)
    again = api.get(shared_host.api + f"account/images/{hash_}.json").json()["images"]["image"]
    assert (again["title"], again["caption"]) == (title, caption)


# -- tokens and timestamps out of place ------------------------------------------------------


@pytest.mark.parametrize("skew", [-3600, 3600])
def test_stale_or_future_timestamp_is_401(shared_host: Any, alice_tokens: Tokens,
                                          skew: int) -> None:
    keys = shared_host.keys
    client = Client(keys.consumer_key, client_secret=keys.consumer_secret,
                    resource_owner_key=alice_tokens.token,
                    resource_owner_secret=alice_tokens.secret,
                    timestamp=str(int(time.time()) + skew))
    uri, headers, _ = client.sign(shared_host.api + "account.json", http_method="GET")
    assert_v2_error(requests.get(uri, headers=headers, timeout=10), 401)

    # the same signing, on time, holds
    client = Client(keys.consumer_key, client_secret=keys.consumer_secret,
                    resource_owner_key=alice_tokens.token,
                    resource_owner_secret=alice_tokens.secret)
    uri, headers, _ = client.sign(shared_host.api + "account.json", http_method="GET")
    assert requests.get(uri, headers=headers, timeout=10).json() == ACCOUNT_ALICE


def test_request_token_is_not_an_access_token(shared_host: Any) -> None:
    session, token = request_token_session(shared_host)
    consent(session.authorization_url(shared_host.url + "oauth/authorize"), *ALICE)
    api = signed_session(shared_host.keys, Tokens(token["oauth_token"],
                                                  token["oauth_token_secret"]))
    assert_v2_error(api.get(shared_host.api + "account.json"), 401)


def test_access_token_is_not_a_request_token(shared_host: Any, alice_tokens: Tokens) -> None:
    page = requests.get(shared_host.url + "oauth/authorize",
                        params={"oauth_token": alice_tokens.token}, timeout=10)
    assert page.status_code == 400
    r = exchange(shared_host, alice_tokens.token, alice_tokens.secret, "12345678")
    assert r.status_code == 401
    assert "oauth_token=" not in r.text


def test_unknown_request_token_has_no_sign_in_page(shared_host: Any) -> None:
    page = requests.get(shared_host.url + "oauth/authorize",
                        params={"oauth_token": "NoSuchRequestToken123"}, timeout=10)
    assert page.status_code == 400
    assert 'name="password"' not in page.text


def test_allowed_request_token_cannot_be_allowed_again(shared_host: Any) -> None:
    session, token = request_token_session(shared_host)
    url = session.authorization_url(shared_host.url + "oauth/authorize")
    verifier = pin_from(consent(url, *ALICE))

    # once allowed, the form is gone, and bob cannot take the token over
    assert requests.get(url, timeout=10).status_code == 400
    again = requests.post(shared_host.url + "oauth/authorize", timeout=10, allow_redirects=False,
                          data={"oauth_token": token["oauth_token"], "username": BOB[0],
                                "password": BOB[1], "allow": "1"})
    assert again.status_code == 400
    assert not has_pin(again)

    access = form(exchange(shared_host, token["oauth_token"], token["oauth_token_secret"],
                           verifier))
    api = signed_session(shared_host.keys, Tokens(access["oauth_token"],
                                                  access["oauth_token_secret"]))
    assert api.get(shared_host.api + "account.json").json() == ACCOUNT_ALICE


def test_signed_query_with_spaces_and_plus(shared_host: Any, alice_tokens: Tokens) -> None:
    api = signed_session(shared_host.keys, alice_tokens)
    r = api.get(shared_host.api + "account", params={"_format": "json", "note": "a b+c & d=e/f"})
    assert r.status_code == 200, r.text
    assert r.json() == ACCOUNT_ALICE
    title = "query + body " + uuid.uuid4().hex[:6]
    r = api.post(shared_host.api + "account/albums", params={"_format": "json"},
                 data={"title": title, "layout": "grid"})
    assert r.status_code == 200, r.text
    assert r.json()["albums"]["title"] == title
    assert r.json()["albums"]["layout"] == "grid"


def test_replayed_request_token_call_is_401(shared_host: Any) -> None:
    auth = OAuth1(shared_host.keys.consumer_key, client_secret=shared_host.keys.consumer_secret,
                  callback_uri="oob")
    prepared = requests.Request("POST", shared_host.url + "oauth/request_token",
                                auth=auth).prepare()
    with requests.Session() as plain:
        first = plain.send(prepared, timeout=10)
        second = plain.send(prepared, timeout=10)
    assert first.status_code == 200, first.text
    assert "oauth_token=" in first.text
    assert second.status_code == 401
    assert "oauth_token=" not in second.text


@pytest.mark.parametrize("callback", ["javascript:alert(1)", "file:///etc/passwd", "oob2"])
def test_request_token_refuses_a_callback_that_is_not_a_web_address(shared_host: Any,
                                                                    callback: str) -> None:
    auth = OAuth1(shared_host.keys.consumer_key, client_secret=shared_host.keys.consumer_secret,
                  callback_uri=callback)
    r = requests.post(shared_host.url + "oauth/request_token", auth=auth, timeout=10)
    assert r.status_code in (400, 401), r.text
    assert "oauth_token=" not in r.text


def test_sign_in_page_escapes_what_was_typed(shared_host: Any) -> None:
    session, _ = request_token_session(shared_host)
    typed = '"><script>alert("x")</script>'
    page = consent(session.authorization_url(shared_host.url + "oauth/authorize"), typed,
                   "whatever")
    assert page.status_code == 401
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;" in page.text or "&#34;&gt;&lt;script" in page.text
