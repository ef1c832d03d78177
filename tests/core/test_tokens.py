"""``TokenStore`` over ``keyring``: an in-memory backend for the round trips, and the real
``keyring.backends.fail.Keyring`` for "no usable keyring"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from imgur_desktop.core.tokens import SERVICE, KeyringUnavailable, StoredTokens, TokenStore
from tests.support.testkeyring import MemoryKeyring

API_A = "http://127.0.0.1:8750/2/"
API_B = "http://127.0.0.1:9999/2/"


def use(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    for active in use(backend):
        assert active is backend
        yield backend


@pytest.fixture
def no_keyring() -> Iterator[KeyringBackend]:
    yield from use(fail.Keyring())


def tokens(account: str = "alice", n: int = 1) -> StoredTokens:
    return StoredTokens(account, f"token-{account}-{n}", f"secret-{account}-{n}", "ckey")


def test_service_name() -> None:
    assert SERVICE == "imgur-desktop"


def test_save_load_delete_round_trip(memory: MemoryKeyring) -> None:
    store = TokenStore()
    assert store.load(API_A, "alice") is None

    store.save(API_A, tokens())

    assert store.load(API_A, "alice") == tokens()
    assert list(memory.entries) == [SERVICE]
    (entry,) = memory.entries[SERVICE].values()
    assert json.loads(entry) == {"token": "token-alice-1", "secret": "secret-alice-1",
                                 "consumer_key": "ckey"}
    store.delete(API_A, "alice")
    assert store.load(API_A, "alice") is None
    assert memory.entries[SERVICE] == {}
    store.delete(API_A, "alice")  # already gone: not an error


def test_saving_again_replaces(memory: MemoryKeyring) -> None:
    store = TokenStore()
    store.save(API_A, tokens(n=1))
    store.save(API_A, tokens(n=2))
    assert store.load(API_A, "alice") == tokens(n=2)
    assert len(memory.entries[SERVICE]) == 1


def test_one_entry_per_api_url_and_account(memory: MemoryKeyring) -> None:
    store = TokenStore()
    store.save(API_A, tokens("alice", 1))
    store.save(API_B, tokens("alice", 2))
    store.save(API_A, tokens("bob", 3))

    assert len(memory.entries[SERVICE]) == 3
    assert store.load(API_A, "alice") == tokens("alice", 1)
    assert store.load(API_B, "alice") == tokens("alice", 2)
    assert store.load(API_A, "bob") == tokens("bob", 3)
    assert store.load(API_B, "bob") is None

    store.delete(API_B, "alice")
    assert store.load(API_A, "alice") == tokens("alice", 1)
    assert store.load(API_B, "alice") is None


def test_consumer_secret_round_trip(memory: MemoryKeyring) -> None:
    store = TokenStore()
    assert store.load_consumer_secret(API_A, "ckey") is None
    store.save_consumer_secret(API_A, "ckey", "the-consumer-secret")
    assert store.load_consumer_secret(API_A, "ckey") == "the-consumer-secret"
    assert store.load_consumer_secret(API_B, "ckey") is None
    assert store.load_consumer_secret(API_A, "other") is None
    assert "the-consumer-secret" in memory.entries[SERVICE].values()


def test_an_unreadable_entry_loads_as_none(memory: MemoryKeyring) -> None:
    store = TokenStore()
    store.save(API_A, tokens())
    (name,) = memory.entries[SERVICE]
    for garbage in ("not json", json.dumps({"token": "t"}), json.dumps(["a", "b"])):
        memory.entries[SERVICE][name] = garbage
        assert store.load(API_A, "alice") is None


def test_check_passes_with_a_usable_keyring(memory: MemoryKeyring) -> None:
    TokenStore().check()


def test_no_usable_keyring(no_keyring: KeyringBackend, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = TokenStore()

    with pytest.raises(KeyringUnavailable) as info:
        store.save(API_A, tokens())
    text = str(info.value)
    assert "keyring" in text.lower()
    assert "Secret Service" in text  # says what to do about it
    assert "secret-alice-1" not in text
    with pytest.raises(KeyringUnavailable):
        store.save_consumer_secret(API_A, "ckey", "the-consumer-secret")
    with pytest.raises(KeyringUnavailable):
        store.delete(API_A, "alice")
    with pytest.raises(KeyringUnavailable):
        store.check()
    assert store.load(API_A, "alice") is None
    assert store.load_consumer_secret(API_A, "ckey") is None
    assert list(tmp_path.iterdir()) == []  # and it did not fall back to a file
