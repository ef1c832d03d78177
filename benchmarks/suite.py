"""What every measure gets: the sizes of this run (full or ``--quick``), a scratch folder, the
shared local image host, and the project's parts wired as ``imgur_desktop/app.py`` wires them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from imgur_desktop.core.api.v2 import V2Client

from .fixtures import MB
from .hosts import Host

HOST_MAX_UPLOAD_MB = 256  # room for measure 2's 200 MB file


@dataclass(frozen=True)
class Sizes:
    batch_files: int  # measure 1: files per batch
    batch_file_bytes: int
    batch_rounds: int  # each runner runs this many times; its best run counts
    big_file_bytes: int  # measure 2
    gui_uploads: int  # measure 3
    startup_reps: int  # measure 4: launches of each program; the median counts
    paste_reps: int  # measure 5
    host_uploads: int  # measure 8: uploads per server
    host_clients: int
    history_rows: int  # measure 7: uploads in the ledger under the History view
    album_images: int  # measure 6: images in the album opened in the grid
    album_reps: int  # measure 6: timed opens (and baseline runs); the best counts


FULL = Sizes(batch_files=200, batch_file_bytes=1 * MB, batch_rounds=2,
             big_file_bytes=200 * MB, gui_uploads=200, startup_reps=11, paste_reps=21,
             host_uploads=400, host_clients=4, history_rows=100_000,
             album_images=1000, album_reps=3)
QUICK = Sizes(batch_files=12, batch_file_bytes=64 * 1024, batch_rounds=1,
              big_file_bytes=8 * MB, gui_uploads=12, startup_reps=2, paste_reps=2,
              host_uploads=40, host_clients=4, history_rows=2_000,
              album_images=150, album_reps=1)


@dataclass(frozen=True)
class Run:
    quick: bool
    sizes: Sizes
    tmp: Path
    host: Host

    def folder(self, name: str) -> Path:
        path = self.tmp / name
        path.mkdir(parents=True, exist_ok=True)
        return path


def app_client(host: Host) -> V2Client:
    """The client the app builds once connected (``Context.client(fmt="json", wait=False)``),
    with a size limit that lets every benchmark file through."""
    return V2Client(host.api, key=host.key, fmt="json", wait_for_credits=False,
                    max_upload_bytes=HOST_MAX_UPLOAD_MB * MB)

