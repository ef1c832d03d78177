"""Fixtures shared by every test: the real local image host over loopback HTTP."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.browser import Tokens, sign_in
from tests.support.localhost import AppKeys, LocalHost, add_app, add_user

# Never let a proxy from the environment see loopback traffic.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"
# Thumbnails cached by a test run never land in (or come from) the real user cache.
os.environ["IMGUR_DESKTOP_CACHE_DIR"] = tempfile.mkdtemp(prefix="imgur-desktop-test-cache-")

ALICE = ("alice", "alice-password-1")
BOB = ("bob", "bob-password-2")


class HostWithKeys:
    def __init__(self, host: LocalHost, keys: AppKeys) -> None:
        self.host = host
        self.keys = keys
        self.url = host.url
        self.api = host.api
        self.data_dir = host.data_dir


@pytest.fixture(scope="session")
def shared_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostWithKeys]:
    """One host for the whole run (tests that need their own limits use ``make_host``)."""
    data_dir = tmp_path_factory.mktemp("host")
    keys = add_app(data_dir)
    add_user(data_dir, *ALICE)
    add_user(data_dir, *BOB, pro=True)
    host = LocalHost(data_dir, extra_args=["--credits-anon", "100000",
                                           "--credits-user", "100000"]).start()
    yield HostWithKeys(host, keys)
    assert host.stop() == 0


@pytest.fixture
def make_host(tmp_path: Path) -> Iterator[Callable[..., HostWithKeys]]:
    """Start a fresh host with its own data dir and options; stopped after the test."""
    started: list[LocalHost] = []

    def start(*extra_args: str, users: bool = True) -> HostWithKeys:
        data_dir = tmp_path / f"host{len(started)}"
        data_dir.mkdir()
        keys = add_app(data_dir)
        if users:
            add_user(data_dir, *ALICE)
            add_user(data_dir, *BOB, pro=True)
        host = LocalHost(data_dir, extra_args=list(extra_args)).start()
        started.append(host)
        return HostWithKeys(host, keys)

    yield start
    for host in started:
        host.stop()


@pytest.fixture(scope="session")
def alice_tokens(shared_host: HostWithKeys) -> Tokens:
    return sign_in(shared_host.url, shared_host.keys, *ALICE)


@pytest.fixture(scope="session")
def bob_tokens(shared_host: HostWithKeys) -> Tokens:
    return sign_in(shared_host.url, shared_host.keys, *BOB)
