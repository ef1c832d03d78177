"""Admin actions on a host's data dir, without a running server."""

from __future__ import annotations

from pathlib import Path

from .config import ServerConfig
from .storage import App, Storage, User


def add_app(data_dir: Path, name: str) -> App:
    storage = Storage(ServerConfig(data_dir).db_path)
    try:
        return storage.add_app(name)
    finally:
        storage.close()


def add_user(data_dir: Path, name: str, password: str, *, is_pro: bool) -> User:
    storage = Storage(ServerConfig(data_dir).db_path)
    try:
        return storage.add_user(name, password, is_pro=is_pro)
    finally:
        storage.close()
