"""A test-only keyring backend kept in a JSON file, for CLI subprocesses.

Select it in a child process with ``PYTHON_KEYRING_BACKEND=tests.support.testkeyring.FileKeyring``
and ``IMGUR_DESKTOP_TEST_KEYRING=/path/to/keyring.json`` (and the repository root on
``PYTHONPATH``). The file is the "OS keyring" the tests can inspect; it is never used outside
tests. ``MemoryKeyring`` is the in-process equivalent for ``keyring.set_keyring``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

ENV = "IMGUR_DESKTOP_TEST_KEYRING"


class MemoryKeyring(KeyringBackend):
    """Passwords in a dict: ``{service: {username: password}}``."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[str, dict[str, str]] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries.setdefault(service, {})[username] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.entries[service][username]
        except KeyError:
            raise PasswordDeleteError("no such password") from None


class FileKeyring(KeyringBackend):
    """Passwords in the JSON file named by ``$IMGUR_DESKTOP_TEST_KEYRING``."""

    priority = 1

    @property
    def path(self) -> Path:
        value = os.environ.get(ENV)
        if not value:
            raise RuntimeError(f"{ENV} is not set")
        return Path(value)

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            data: dict[str, dict[str, str]] = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return data

    def _write(self, data: dict[str, dict[str, str]]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._read()
        data.setdefault(service, {})[username] = password
        self._write(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._read()
        try:
            del data[service][username]
        except KeyError:
            raise PasswordDeleteError("no such password") from None
        self._write(data)
