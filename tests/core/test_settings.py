"""The settings file: a TOML round trip, broken files load the defaults, and no secrets."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from imgur_desktop.core import settings
from imgur_desktop.core.settings import SETTINGS_FILE, Settings


def full() -> Settings:
    return Settings(
        api_url="http://127.0.0.1:8750/2/",
        key="0123456789abcdef0123456789abcdef",
        consumer_key="ConsumerKey123",
        link_format="markdown",
        concurrency=5,
        max_upload_mb=2.5,
        accounts={"http://127.0.0.1:8750/2/": "alice", "https://api.example/2/": "bob"},
    )


def test_no_file_loads_the_defaults(tmp_path: Path) -> None:
    assert settings.load(tmp_path / "nowhere") == Settings()
    assert Settings().api_url is None  # the embedded local host


def test_round_trip(tmp_path: Path) -> None:
    settings.save(tmp_path / "cfg", full())
    assert settings.load(tmp_path / "cfg") == full()
    text = (tmp_path / "cfg" / SETTINGS_FILE).read_text(encoding="utf-8")
    parsed = tomllib.loads(text)  # real TOML, readable by anything
    assert parsed["link_format"] == "markdown"
    assert parsed["accounts"] == {"http://127.0.0.1:8750/2/": "alice",
                                  "https://api.example/2/": "bob"}
    assert list((tmp_path / "cfg").iterdir()) == [tmp_path / "cfg" / SETTINGS_FILE]


def test_defaults_round_trip(tmp_path: Path) -> None:
    settings.save(tmp_path, Settings())
    assert settings.load(tmp_path) == Settings()


@pytest.mark.parametrize("text", [
    'quote " and backslash \\ here',
    "ünïcödé ✓ 画像",
    "line one\nline two\ttab\r\x01\x7f",
    "ends with backslash \\",
])
def test_any_string_survives_the_round_trip(tmp_path: Path, text: str) -> None:
    value = Settings(api_url=text, key=text, accounts={text: text, "plain": text})
    settings.save(tmp_path, value)
    assert settings.load(tmp_path) == value


def test_saving_replaces_the_previous_settings(tmp_path: Path) -> None:
    settings.save(tmp_path, full())
    settings.save(tmp_path, dataclasses.replace(full(), accounts={}, api_url=None))
    loaded = settings.load(tmp_path)
    assert loaded.accounts == {}
    assert loaded.api_url is None
    assert loaded.key == full().key


@pytest.mark.parametrize("content", [
    b"this is = = not toml [[[",
    b'api_url = "unterminated\n',
    b"\xff\xfe\x00garbage bytes",
    b"",
])
def test_a_corrupt_file_loads_the_defaults_and_is_kept(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / SETTINGS_FILE
    path.write_bytes(content)
    assert settings.load(tmp_path) == Settings()
    assert path.read_bytes() == content


def test_values_of_the_wrong_type_keep_their_defaults(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_FILE).write_text(
        'api_url = 42\nkey = "k"\nconcurrency = "three"\nmax_upload_mb = "big"\n'
        'link_format = "sideways"\naccounts = "alice"\n', encoding="utf-8")
    loaded = settings.load(tmp_path)
    assert loaded == Settings(key="k")
    assert loaded.max_upload_bytes == 10 * 1024 * 1024  # usable, not a crash later


def test_nonsense_numbers_keep_their_defaults(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_FILE).write_text(
        "concurrency = 0\nmax_upload_mb = -1\n", encoding="utf-8")
    assert settings.load(tmp_path) == Settings()
    (tmp_path / SETTINGS_FILE).write_text(
        "concurrency = true\nmax_upload_mb = nan\n", encoding="utf-8")
    assert settings.load(tmp_path) == Settings()


def test_unknown_keys_and_odd_accounts_are_ignored(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_FILE).write_text(
        'from_a_newer_version = "x"\nconcurrency = 2\n'
        '[accounts]\n"http://a/2/" = "alice"\n"http://b/2/" = 7\n'
        '"http://c/2/" = { nested = "table" }\n', encoding="utf-8")
    loaded = settings.load(tmp_path)
    assert loaded.concurrency == 2
    assert loaded.accounts == {"http://a/2/": "alice"}


def test_no_secret_field() -> None:
    names = {f.name for f in dataclasses.fields(Settings)}
    assert {"api_url", "key", "consumer_key", "accounts"} <= names
    for name in names:
        for word in ("secret", "token", "password", "verifier", "pin"):
            assert word not in name, name
    with pytest.raises(TypeError):
        Settings(consumer_secret="s")  # type: ignore[call-arg]


def test_secret_lookalike_keys_in_the_file_are_not_loaded(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_FILE).write_text(
        'consumer_secret = "s3cr3t"\ntoken = "t0k3n"\nkey = "k"\n', encoding="utf-8")
    loaded = settings.load(tmp_path)
    assert loaded == Settings(key="k")
    settings.save(tmp_path, loaded)
    text = (tmp_path / SETTINGS_FILE).read_text(encoding="utf-8")
    assert "s3cr3t" not in text
    assert "t0k3n" not in text
