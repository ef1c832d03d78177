"""OAuth 1.0a sign-in against the local host, posting the consent form as a browser would."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import requests
from requests_oauthlib import OAuth1Session

from .localhost import AppKeys

_PIN = re.compile(r'id="pin"[^>]*>\s*([^<\s]+)\s*<')


@dataclass
class Tokens:
    token: str
    secret: str


def consent(authorize_url: str, username: str, password: str, *, allow: bool = True,
            follow: bool = False) -> requests.Response:
    """Open the authorize page and submit its form, like a person in a browser."""
    page = requests.get(authorize_url, timeout=10)
    page.raise_for_status()
    token = re.search(r'name="oauth_token"[^>]*value="([^"]+)"', page.text)
    if token is None:
        token = re.search(r'value="([^"]+)"[^>]*name="oauth_token"', page.text)
    assert token is not None, "the authorize page has no oauth_token field"
    action = urlsplit(authorize_url)._replace(path="/oauth/authorize", query="").geturl()
    form = {"oauth_token": token.group(1), "username": username, "password": password}
    form["allow" if allow else "deny"] = "1"
    return requests.post(action, data=form, allow_redirects=follow, timeout=10)


def pin_from(page: requests.Response) -> str:
    match = _PIN.search(page.text)
    assert match is not None, f"no PIN on the page: {page.text[:300]}"
    return match.group(1)


def sign_in(base_url: str, keys: AppKeys, username: str, password: str) -> Tokens:
    """The PIN (oob) flow end to end; returns the access token."""
    session = OAuth1Session(keys.consumer_key, client_secret=keys.consumer_secret,
                            callback_uri="oob")
    session.fetch_request_token(base_url + "oauth/request_token")
    url = session.authorization_url(base_url + "oauth/authorize")
    verifier = pin_from(consent(url, username, password))
    tokens = session.fetch_access_token(base_url + "oauth/access_token", verifier=verifier)
    return Tokens(tokens["oauth_token"], tokens["oauth_token_secret"])


def signed_session(keys: AppKeys, tokens: Tokens) -> OAuth1Session:
    return OAuth1Session(keys.consumer_key, client_secret=keys.consumer_secret,
                         resource_owner_key=tokens.token,
                         resource_owner_secret=tokens.secret)


def callback_params(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
