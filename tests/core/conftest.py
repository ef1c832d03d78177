"""Fixtures for the API client tests: clients on the real host, fresh accounts, a fault proxy."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from imgur_desktop.core.api.transport import RetryPolicy, Transport
from imgur_desktop.core.api.v2 import OAuthCredentials, V2Client
from imgur_desktop.server import admin
from tests.conftest import HostWithKeys
from tests.support.browser import Tokens, sign_in
from tests.support.faults import FaultProxy

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "api" / "fixtures"
FMTS = ("json", "xml")

_account_numbers = itertools.count(1)


def fast_transport(*, read_timeout: float = 10.0, attempts: int = 4) -> Transport:
    """Short timeouts and near-instant backoff, so fault tests stay quick."""
    return Transport(connect_timeout=2.0, read_timeout=read_timeout,
                     retry=RetryPolicy(attempts=attempts, base_delay=0.01, max_delay=0.05))


def oauth_for(host: HostWithKeys, tokens: Tokens) -> OAuthCredentials:
    return OAuthCredentials(host.keys.consumer_key, host.keys.consumer_secret,
                            tokens.token, tokens.secret)


@dataclass
class Account:
    username: str
    tokens: Tokens
    oauth: OAuthCredentials


@pytest.fixture(scope="session")
def new_account(shared_host: HostWithKeys) -> Callable[[], Account]:
    """A brand-new account on the shared host (no images, no albums), signed in.

    Added with the host's own admin function (what ``server add-user`` runs), in process: the
    running host reads accounts from its database, and this skips a subprocess per account.
    """

    def make() -> Account:
        name = f"core{next(_account_numbers)}"
        password = f"{name}-password"
        admin.add_user(shared_host.data_dir, name, password, is_pro=False)
        tokens = sign_in(shared_host.url, shared_host.keys, name, password)
        return Account(name, tokens, oauth_for(shared_host, tokens))

    return make


@pytest.fixture(params=FMTS)
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def anon(shared_host: HostWithKeys, fmt: str) -> V2Client:
    """An anonymous client with the shared host's API key, in each format."""
    return V2Client(shared_host.api, key=shared_host.keys.key, fmt=fmt,
                    transport=fast_transport())


@pytest.fixture
def proxy(shared_host: HostWithKeys) -> Iterator[FaultProxy]:
    """A fault proxy in front of the shared host; forwards until told otherwise."""
    with FaultProxy(shared_host.url) as front:
        yield front
