"""Settings of one running local image host."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ServerConfig:
    data_dir: Path
    public_url: str | None = None  # links use this base, else the request's own host
    max_upload_bytes: int = 10 * MB
    credits_anon: int = 500  # per client IP per hour
    credits_user: int = 1000  # per account per hour
    credits_pro: int = 2000
    credits_window_secs: int = 3600
    upload_cost: int = 10
    call_cost: int = 1
    url_fetch_timeout: float = 10.0
    max_image_pixels: int = 64_000_000  # above this an image is treated as a decompression bomb
    oauth_timestamp_lifetime: int = 600
    # Past the size limit the rest of a body is read and thrown away (so the client can read
    # the 400), up to this many bytes more; then the connection is dropped.
    drain_limit_bytes: int = 64 * MB

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"

    @property
    def thumbs_dir(self) -> Path:
        return self.data_dir / "thumbs"

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "imgur-host.sqlite3"
