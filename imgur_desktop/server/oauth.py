"""OAuth 1.0a provider (HMAC-SHA1), on oauthlib's endpoints and the host's SQLite storage.

Imgur's v2 clients often left ``oauth_callback`` out of the request-token call and expected the
PIN page; oauthlib insists on a callback, so a missing one is read as ``oob``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from oauthlib.common import Request
from oauthlib.oauth1 import (
    AccessTokenEndpoint,
    RequestTokenEndpoint,
    RequestValidator,
    ResourceEndpoint,
)
from oauthlib.oauth1.rfc5849 import SIGNATURE_HMAC_SHA1

from . import ids
from .storage import Storage

OOB = "oob"
_DUMMY_SECRET = "dummy-secret-for-constant-time"  # noqa: S105 (signs nothing real)


class Validator(RequestValidator):  # type: ignore[misc]
    def __init__(self, storage: Storage, timestamp_lifetime: int) -> None:
        super().__init__()
        self._storage = storage
        self._lifetime = timestamp_lifetime

    # Formats and policy ------------------------------------------------------------------

    @property
    def enforce_ssl(self) -> bool:
        return False  # the local host speaks plain HTTP on loopback

    @property
    def allowed_signature_methods(self) -> tuple[str, ...]:
        return (SIGNATURE_HMAC_SHA1,)

    @property
    def timestamp_lifetime(self) -> int:
        return self._lifetime

    @property
    def client_key_length(self) -> tuple[int, int]:
        return 10, 64

    @property
    def request_token_length(self) -> tuple[int, int]:
        return 10, 64

    @property
    def access_token_length(self) -> tuple[int, int]:
        return 10, 64

    @property
    def nonce_length(self) -> tuple[int, int]:
        return 8, 64

    @property
    def verifier_length(self) -> tuple[int, int]:
        return 6, 64

    @property
    def dummy_client(self) -> str:
        return "dummyclientkey0000000"

    @property
    def dummy_request_token(self) -> str:
        return "dummyrequesttoken00000"

    @property
    def dummy_access_token(self) -> str:
        return "dummyaccesstoken000000"

    # Clients -----------------------------------------------------------------------------

    def validate_client_key(self, client_key: str, request: Request) -> bool:
        return self._storage.app_by_consumer_key(client_key) is not None

    def get_client_secret(self, client_key: str, request: Request) -> str:
        app = self._storage.app_by_consumer_key(client_key)
        return _DUMMY_SECRET if app is None else app.consumer_secret

    def validate_timestamp_and_nonce(self, client_key: str, timestamp: str, nonce: str,
                                     request: Request, request_token: str | None = None,
                                     access_token: str | None = None) -> bool:
        token = request_token or access_token or ""
        return self._storage.use_nonce(
            client_key, token, int(timestamp), nonce,
            forget_before=int(time.time()) - 2 * self._lifetime,
        )

    def get_default_realms(self, client_key: str, request: Request) -> list[str]:
        return []

    def validate_requested_realms(self, client_key: str, realms: list[str],
                                  request: Request) -> bool:
        return True

    def get_realms(self, token: str, request: Request) -> list[str]:
        return []

    def validate_realms(self, client_key: str, token: str, request: Request,
                        uri: str | None = None, realms: list[str] | None = None) -> bool:
        return True

    def validate_redirect_uri(self, client_key: str, redirect_uri: str,
                              request: Request) -> bool:
        return redirect_uri == OOB or redirect_uri.startswith(("http://", "https://"))

    # Request tokens ----------------------------------------------------------------------

    def save_request_token(self, token: Mapping[str, str], request: Request) -> None:
        self._storage.save_request_token(
            token["oauth_token"], token["oauth_token_secret"], request.client_key,
            request.redirect_uri or OOB,
        )

    def validate_request_token(self, client_key: str, token: str, request: Request) -> bool:
        row = self._storage.request_token(token)
        return row is not None and row.consumer_key == client_key

    def get_request_token_secret(self, client_key: str, token: str, request: Request) -> str:
        row = self._storage.request_token(token)
        if row is None or row.consumer_key != client_key:
            return _DUMMY_SECRET
        return row.secret

    def validate_verifier(self, client_key: str, token: str, verifier: str,
                          request: Request) -> bool:
        row = self._storage.request_token(token)
        if row is None or row.verifier is None or row.user_id is None:
            return False
        request.user_id = row.user_id
        return row.consumer_key == client_key and row.verifier == verifier

    def invalidate_request_token(self, client_key: str, request_token: str,
                                 request: Request) -> None:
        self._storage.delete_request_token(request_token)

    def get_redirect_uri(self, token: str, request: Request) -> str:
        row = self._storage.request_token(token)
        return OOB if row is None else row.callback

    def verify_request_token(self, token: str, request: Request) -> bool:
        return self._storage.request_token(token) is not None

    def save_verifier(self, token: str, verifier: Mapping[str, str], request: Request) -> None:
        raise NotImplementedError  # the consent page stores verifiers itself

    # Access tokens -----------------------------------------------------------------------

    def save_access_token(self, token: Mapping[str, str], request: Request) -> None:
        self._storage.save_access_token(
            token["oauth_token"], token["oauth_token_secret"], request.client_key,
            request.user_id,
        )

    def validate_access_token(self, client_key: str, token: str, request: Request) -> bool:
        row = self._storage.access_token(token)
        if row is None or row.consumer_key != client_key:
            return False
        request.user_id = row.user_id
        return True

    def get_access_token_secret(self, client_key: str, token: str, request: Request) -> str:
        row = self._storage.access_token(token)
        if row is None or row.consumer_key != client_key:
            return _DUMMY_SECRET
        return row.secret


class _RequestTokens(RequestTokenEndpoint):  # type: ignore[misc]
    def validate_request_token_request(self, request: Request) -> Any:
        if not request.redirect_uri:
            request.redirect_uri = OOB  # v2 clients that sent no callback expect the PIN page
        return super().validate_request_token_request(request)


def _token_generator() -> str:
    return ids.oauth_token()


@dataclass(frozen=True, slots=True)
class OAuthAnswer:
    status: int
    body: str
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class SignedCaller:
    user_id: int
    consumer_key: str


class OAuthProvider:
    def __init__(self, storage: Storage, timestamp_lifetime: int) -> None:
        self.storage = storage
        validator = Validator(storage, timestamp_lifetime)
        self._request_tokens = _RequestTokens(validator, token_generator=_token_generator)
        self._access_tokens = AccessTokenEndpoint(validator, token_generator=_token_generator)
        self._resources = ResourceEndpoint(validator)

    def request_token(self, uri: str, method: str, body: str,
                      headers: Mapping[str, str]) -> OAuthAnswer:
        h, b, s = self._request_tokens.create_request_token_response(
            uri, http_method=method, body=body, headers=dict(headers))
        return OAuthAnswer(s, b or "", dict(h or {}))

    def access_token(self, uri: str, method: str, body: str,
                     headers: Mapping[str, str]) -> OAuthAnswer:
        h, b, s = self._access_tokens.create_access_token_response(
            uri, http_method=method, body=body, headers=dict(headers))
        return OAuthAnswer(s, b or "", dict(h or {}))

    def verify(self, uri: str, method: str, body: str,
               headers: Mapping[str, str]) -> SignedCaller | None:
        """The caller of a signed API request, or None when the signature does not hold."""
        try:
            valid, request = self._resources.validate_protected_resource_request(
                uri, http_method=method, body=body, headers=dict(headers))
        except ValueError:
            return None
        if not valid:
            return None
        return SignedCaller(int(request.user_id), str(request.client_key))

    def authorize(self, token: str, user_id: int) -> tuple[str, str]:
        """Mark a request token as allowed; returns (verifier, callback)."""
        row = self.storage.request_token(token)
        if row is None:
            raise KeyError(token)
        verifier = ids.verifier()
        self.storage.authorize_request_token(token, verifier, user_id)
        return verifier, row.callback
