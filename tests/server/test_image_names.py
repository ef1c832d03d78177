"""Where a small upload's bytes go: straight to their final file, created exclusively under a
fresh hash. A hash already holding a file (a leftover the start-up sweep has not reached) or a
row (whose file went missing) is never reused: another hash is drawn, and nothing that was
there is touched."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from imgur_desktop.server import ids, uploads
from imgur_desktop.server.config import ServerConfig
from imgur_desktop.server.forms import UploadBody
from imgur_desktop.server.host import Call, Host
from imgur_desktop.server.storage import ImageRow
from imgur_desktop.server.wire import Fmt
from tests.support import images


def _row(hash_: str) -> ImageRow:
    return ImageRow(hash=hash_, deletehash="d" * 15, user_id=None, name=None, title=None,
                    caption=None, mime="image/png", ext="png", animated=False, width=1,
                    height=1, size=1, views=0, bandwidth=0, created=time.time())


def test_taken_hashes_are_skipped_and_left_as_they_were(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    host = Host(ServerConfig(data_dir=tmp_path))
    try:
        leftover = Path(host.image_file("LeftOvr", "png"))
        leftover.write_bytes(b"an old file with no row")
        host.storage.insert_image(_row("RowOnly"))  # a row whose file is gone
        # The random source is the one thing replaced: it offers the two taken hashes first.
        draws = iter([("LeftOvr", "a" * 15), ("RowOnly", "b" * 15), ("Fresh01", "c" * 15)])
        monkeypatch.setattr(ids, "image_and_delete_hash", lambda: next(draws))
        png = images.png((20, 10))
        body = UploadBody(image_data=png, image_size=len(png), image_is_file=True)
        call = Call(request=None, fmt=Fmt.JSON, params={}, base="http://host")  # type: ignore[arg-type]
        row = uploads._store(host, call, body, [])
        assert (row.hash, row.deletehash) == ("Fresh01", "c" * 15)
        assert Path(host.image_file("Fresh01", "png")).read_bytes() == png
        assert leftover.read_bytes() == b"an old file with no row"
        assert not Path(host.image_file("RowOnly", "png")).exists()
        kept = host.storage.image("RowOnly")
        assert kept is not None
        assert kept.deletehash == "d" * 15
        assert (Path(host.image_file("Fresh01", "png")).stat().st_mode & 0o777) == 0o600
        assert sorted(p.name for p in Path(host.config.tmp_dir).iterdir()) == []
    finally:
        host.close()
