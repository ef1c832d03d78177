"""OAuth 1.0a sign-in for desktop apps: the PIN (oob) flow, and a loopback callback that
receives the verifier on 127.0.0.1 so nobody has to type it."""

from __future__ import annotations

import http.server
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import requests
from requests_oauthlib import OAuth1Session
from requests_oauthlib.oauth1_session import TokenMissing, TokenRequestDenied

from ..cancel import CancelToken
from ..errors import ApiError, AuthRequired, Cancelled, NetworkError
from .v2 import OAuthCredentials, oauth_base

DONE_PAGE = (b"<!doctype html><meta charset=utf-8><title>Signed in</title>"
             b"<body style='font-family:sans-serif;margin:3em'>"
             b"<h1>Signed in</h1><p>You can close this tab and go back to imgur-desktop.</p>")


DENIED_PAGE = (b"<!doctype html><meta charset=utf-8><title>Not signed in</title>"
               b"<body style='font-family:sans-serif;margin:3em'><h1>Not signed in</h1>"
               b"<p>You denied access. You can close this tab.</p>")


@dataclass
class PendingSignIn:
    authorize_url: str
    session: OAuth1Session


class OAuth1SignIn:
    def __init__(self, api_url: str, consumer_key: str, consumer_secret: str) -> None:
        self.base = oauth_base(api_url)
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret

    def start(self, callback: str = "oob") -> PendingSignIn:
        """Get a request token; returns the page the person must open to allow access."""
        session = OAuth1Session(self.consumer_key, client_secret=self.consumer_secret,
                                callback_uri=callback, signature_method="HMAC-SHA1",
                                signature_type="AUTH_HEADER")
        session.trust_env = False
        try:
            session.fetch_request_token(self.base + "oauth/request_token", timeout=30)
        except TokenRequestDenied as exc:
            raise ApiError(exc.status_code, "The service refused this application's keys "
                           "(check the consumer key and secret)") from None
        except requests.RequestException as exc:
            raise NetworkError(f"The service cannot be reached to sign in ({exc})") from None
        return PendingSignIn(session.authorization_url(self.base + "oauth/authorize"), session)

    def finish(self, pending: PendingSignIn, verifier: str) -> OAuthCredentials:
        """Trade the verifier (PIN) for the long-lived access token."""
        try:
            tokens = pending.session.fetch_access_token(
                self.base + "oauth/access_token", verifier=verifier.strip(), timeout=30)
        except (TokenRequestDenied, TokenMissing, ValueError):
            raise AuthRequired("That PIN was not accepted; start the sign-in again") from None
        except requests.RequestException as exc:
            raise NetworkError(f"The service cannot be reached to sign in ({exc})") from None
        return OAuthCredentials(self.consumer_key, self.consumer_secret,
                                tokens["oauth_token"], tokens["oauth_token_secret"])




class LoopbackReceiver:
    """A one-shot HTTP listener on 127.0.0.1 that catches ``?oauth_verifier=`` from the
    browser's redirect and answers with a "you can close this tab" page."""

    def __init__(self) -> None:
        self._verifier: str | None = None
        self._token: str | None = None
        self._denied = False
        self._got = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                verifier = query.get("oauth_verifier", [None])[0]
                denied = query.get("denied", [None])[0]
                if verifier:
                    receiver._verifier = verifier
                    receiver._token = query.get("oauth_token", [None])[0]
                    body = DONE_PAGE
                    self.send_response(200)
                elif denied:
                    receiver._denied = True
                    body = DENIED_PAGE
                    self.send_response(200)
                else:
                    body = b"<!doctype html><title>Waiting</title><p>Waiting for sign-in."
                    self.send_response(400)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                if verifier or denied:
                    receiver._got.set()

            def log_message(self, format: str, *args: object) -> None:
                return  # nothing about the request (it holds the verifier) goes to logs

        self._server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def callback_url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/callback"

    def wait(self, timeout: float, cancel: CancelToken | None = None) -> str:
        """The verifier, once the browser comes back; Cancelled or AuthRequired otherwise."""
        waited = 0.0
        while waited < timeout:
            if self._got.wait(0.2):
                if self._denied or self._verifier is None:
                    raise AuthRequired("Access was denied in the browser, so you are not "
                                       "signed in")
                return self._verifier
            waited += 0.2
            if cancel is not None and cancel.cancelled:
                raise Cancelled
        raise AuthRequired("The sign-in was not finished in the browser in time")

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
