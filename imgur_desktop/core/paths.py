"""Where imgur-desktop keeps its files: platform directories, overridable by env vars."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "imgur-desktop"


def data_dir() -> Path:
    override = os.environ.get("IMGUR_DESKTOP_DATA_DIR")
    return Path(override) if override else platformdirs.user_data_path(APP_NAME)


def config_dir() -> Path:
    override = os.environ.get("IMGUR_DESKTOP_CONFIG_DIR")
    return Path(override) if override else platformdirs.user_config_path(APP_NAME)


def local_host_dir(base: Path | None = None) -> Path:
    """The local image host's own data (database, images) inside the data dir."""
    return (base or data_dir()) / "local-host"


def cache_dir() -> Path:
    """Things that can be fetched again (thumbnails): safe to delete at any time."""
    override = os.environ.get("IMGUR_DESKTOP_CACHE_DIR")
    return Path(override) if override else platformdirs.user_cache_path(APP_NAME)
