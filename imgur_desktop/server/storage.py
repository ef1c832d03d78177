"""SQLite storage of the local image host: apps, users, images, albums, OAuth state, stats.

One connection per thread (WAL lets readers and the writer work side by side). An image row is
inserted only after its files are complete on disk, so a crash leaves at most an unreferenced
file, which is never served and is swept at the next start.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import ids

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE apps (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    api_key TEXT NOT NULL UNIQUE,
    consumer_key TEXT NOT NULL UNIQUE,
    consumer_secret TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    is_pro INTEGER NOT NULL DEFAULT 0,
    default_album_privacy TEXT NOT NULL DEFAULT 'public',
    public_images INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE TABLE images (
    hash TEXT PRIMARY KEY,
    deletehash TEXT NOT NULL UNIQUE,
    user_id INTEGER REFERENCES users(id),
    name TEXT,
    title TEXT,
    caption TEXT,
    mime TEXT NOT NULL,
    ext TEXT NOT NULL,
    animated INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    size INTEGER NOT NULL,
    views INTEGER NOT NULL DEFAULT 0,
    bandwidth INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE INDEX images_user ON images(user_id, created);
CREATE INDEX images_created ON images(created);
CREATE TABLE albums (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    title TEXT,
    description TEXT,
    privacy TEXT NOT NULL,
    layout TEXT NOT NULL,
    cover TEXT,
    position INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX albums_user ON albums(user_id, position);
CREATE TABLE album_images (
    album_id TEXT NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
    hash TEXT NOT NULL REFERENCES images(hash) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (album_id, hash)
);
CREATE INDEX album_images_hash ON album_images(hash);
CREATE TABLE request_tokens (
    token TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    consumer_key TEXT NOT NULL,
    callback TEXT NOT NULL,
    verifier TEXT,
    user_id INTEGER,
    created REAL NOT NULL
);
CREATE TABLE access_tokens (
    token TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    consumer_key TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created REAL NOT NULL
);
CREATE TABLE nonces (
    consumer_key TEXT NOT NULL,
    token TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    nonce TEXT NOT NULL,
    PRIMARY KEY (consumer_key, token, timestamp, nonce)
);
CREATE TABLE daily_stats (
    day TEXT PRIMARY KEY,
    views INTEGER NOT NULL DEFAULT 0,
    bandwidth INTEGER NOT NULL DEFAULT 0
);
"""

_GALLERY_WHERE = (
    "SELECT * FROM images WHERE created >= ? AND ("
    " EXISTS (SELECT 1 FROM album_images ai JOIN albums a ON a.id = ai.album_id"
    "         WHERE ai.hash = images.hash AND a.privacy = 'public')"
    " OR user_id IN (SELECT id FROM users WHERE public_images = 1))"
)
_GALLERY_LATEST = _GALLERY_WHERE + " ORDER BY created DESC, rowid DESC LIMIT ? OFFSET ?"
_GALLERY_POPULAR = _GALLERY_WHERE + " ORDER BY views DESC, created DESC LIMIT ? OFFSET ?"

# scrypt: a slow, memory-hard KDF from the standard library.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(candidate.hex(), digest)


@dataclass(frozen=True, slots=True)
class App:
    id: int
    name: str
    api_key: str
    consumer_key: str
    consumer_secret: str


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    is_pro: bool
    default_album_privacy: str
    public_images: bool


@dataclass(frozen=True, slots=True)
class ImageRow:
    hash: str
    deletehash: str
    user_id: int | None
    name: str | None
    title: str | None
    caption: str | None
    mime: str
    ext: str
    animated: bool
    width: int
    height: int
    size: int
    views: int
    bandwidth: int
    created: float


@dataclass(frozen=True, slots=True)
class AlbumRow:
    id: str
    user_id: int
    title: str | None
    description: str | None
    privacy: str
    layout: str
    cover: str | None
    position: int
    created: float


@dataclass(frozen=True, slots=True)
class RequestToken:
    token: str
    secret: str
    consumer_key: str
    callback: str
    verifier: str | None
    user_id: int | None
    created: float


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    secret: str
    consumer_key: str
    user_id: int


class UsernameTaken(Exception):
    pass


def _image(row: sqlite3.Row) -> ImageRow:
    return ImageRow(
        hash=row["hash"],
        deletehash=row["deletehash"],
        user_id=row["user_id"],
        name=row["name"],
        title=row["title"],
        caption=row["caption"],
        mime=row["mime"],
        ext=row["ext"],
        animated=bool(row["animated"]),
        width=row["width"],
        height=row["height"],
        size=row["size"],
        views=row["views"],
        bandwidth=row["bandwidth"],
        created=row["created"],
    )


def _album(row: sqlite3.Row) -> AlbumRow:
    return AlbumRow(
        id=row["id"],
        user_id=row["user_id"],
        title=row["title"],
        description=row["description"],
        privacy=row["privacy"],
        layout=row["layout"],
        cover=row["cover"],
        position=row["position"],
        created=row["created"],
    )


def _user(row: sqlite3.Row) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        is_pro=bool(row["is_pro"]),
        default_album_privacy=row["default_album_privacy"],
        public_images=bool(row["public_images"]),
    )


# The event loop's connection (insert_image_from_loop): how long it may wait for another
# process's write, and how many of its rows between two checkpoints (about SQLite's own
# thousand-page autocheckpoint, for rows of this size).
LOOP_BUSY_MS = 1000
LOOP_ROWS_PER_CHECKPOINT = 2000


class Storage:
    """All SQL of the host. Thread-safe: each thread gets its own connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        # One writer at a time inside the process. SQLite would serialise them anyway, but a
        # connection that finds the database locked sleeps in its busy handler (a millisecond
        # and more) instead of waiting exactly as long as the other write takes.
        self._writing = threading.RLock()
        self._loop_rows = 0  # rows written by insert_image_from_loop
        self._checkpoint_due = False
        self._migrate()

    # -- connections -----------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        with self._writing:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def _migrate(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Password hashes, consumer secrets and delete hashes: owner-only, like the -wal/-shm
        # files SQLite derives from it.
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        conn = self._conn()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.path} was written by a newer imgur-desktop (schema {version})"
            )
        with self._tx() as tx:
            if version == 0:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        tx.execute(statement)
            tx.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    # -- apps ------------------------------------------------------------------------------

    def add_app(self, name: str) -> App:
        app = App(0, name, ids.api_key(), ids.consumer_key(), ids.consumer_secret())
        with self._tx() as tx:
            cur = tx.execute(
                "INSERT INTO apps(name, api_key, consumer_key, consumer_secret, created)"
                " VALUES (?, ?, ?, ?, ?)",
                (name, app.api_key, app.consumer_key, app.consumer_secret, time.time()),
            )
        return App(int(cur.lastrowid or 0), name, app.api_key, app.consumer_key,
                   app.consumer_secret)

    def app_by_api_key(self, key: str) -> App | None:
        row = self._conn().execute("SELECT * FROM apps WHERE api_key = ?", (key,)).fetchone()
        return None if row is None else App(row["id"], row["name"], row["api_key"],
                                            row["consumer_key"], row["consumer_secret"])

    def app_by_consumer_key(self, key: str) -> App | None:
        row = self._conn().execute(
            "SELECT * FROM apps WHERE consumer_key = ?", (key,)
        ).fetchone()
        return None if row is None else App(row["id"], row["name"], row["api_key"],
                                            row["consumer_key"], row["consumer_secret"])

    # -- users -----------------------------------------------------------------------------

    def add_user(self, username: str, password: str, *, is_pro: bool = False) -> User:
        pw_hash = hash_password(password)
        try:
            with self._tx() as tx:
                cur = tx.execute(
                    "INSERT INTO users(username, password_hash, is_pro, created)"
                    " VALUES (?, ?, ?, ?)",
                    (username, pw_hash, int(is_pro), time.time()),
                )
        except sqlite3.IntegrityError as exc:
            raise UsernameTaken(username) from exc
        return User(int(cur.lastrowid or 0), username, is_pro, "public", False)

    def user(self, user_id: int) -> User | None:
        row = self._conn().execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        return None if row is None else _user(row)

    def authenticate(self, username: str, password: str) -> User | None:
        row = self._conn().execute(
            "SELECT * FROM users WHERE username = ?", (username,)
        ).fetchone()
        if row is None:
            verify_password(password, hash_password("x"))  # same cost whether or not it exists
            return None
        return _user(row) if verify_password(password, row["password_hash"]) else None

    # -- images ----------------------------------------------------------------------------

    def insert_image(self, image: ImageRow) -> None:
        # One statement is its own transaction (the connection is in autocommit mode): no
        # BEGIN and COMMIT round trips on the upload path.
        conn = self._conn()
        with self._writing:
            conn.execute(
                "INSERT INTO images(hash, deletehash, user_id, name, title, caption, mime, ext,"
                " animated, width, height, size, views, bandwidth, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?)",
                (image.hash, image.deletehash, image.user_id, image.name, image.title,
                 image.caption, image.mime, image.ext, int(image.animated), image.width,
                 image.height, image.size, image.created),
            )

    def insert_image_from_loop(self, image: ImageRow) -> None:
        """``insert_image`` for the server's event loop, which must not stall: its connection
        never checkpoints the write-ahead log itself (a checkpoint copies pages into the
        database and syncs it) and waits at most LOOP_BUSY_MS for another process's write.
        Every LOOP_ROWS_PER_CHECKPOINT rows a checkpoint falls due (``checkpoint_if_due``)."""
        if not getattr(self._local, "loop", False):
            conn = self._conn()
            conn.execute("PRAGMA wal_autocheckpoint=0")
            conn.execute(f"PRAGMA busy_timeout={LOOP_BUSY_MS}")
            self._local.loop = True
        self.insert_image(image)
        with self._lock:
            self._loop_rows += 1
            if self._loop_rows % LOOP_ROWS_PER_CHECKPOINT == 0:
                self._checkpoint_due = True

    def checkpoint_if_due(self) -> bool:
        """On a worker thread: the checkpoint the loop's rows put off, if one is due."""
        with self._lock:
            due, self._checkpoint_due = self._checkpoint_due, False
        if due:
            self._conn().execute("PRAGMA wal_checkpoint(PASSIVE)")
        return due

    def image(self, hash_: str) -> ImageRow | None:
        row = self._conn().execute("SELECT * FROM images WHERE hash = ?", (hash_,)).fetchone()
        return None if row is None else _image(row)

    def image_by_deletehash(self, deletehash: str) -> ImageRow | None:
        row = self._conn().execute(
            "SELECT * FROM images WHERE deletehash = ?", (deletehash,)
        ).fetchone()
        return None if row is None else _image(row)

    def image_exists(self, hash_: str) -> bool:
        row = self._conn().execute("SELECT 1 FROM images WHERE hash = ?", (hash_,)).fetchone()
        return row is not None

    def all_image_hashes(self) -> set[str]:
        return {r[0] for r in self._conn().execute("SELECT hash FROM images")}

    def update_image(self, hash_: str, *, title: str | None, caption: str | None) -> None:
        with self._tx() as tx:
            tx.execute("UPDATE images SET title = ?, caption = ? WHERE hash = ?",
                       (title, caption, hash_))

    def delete_image(self, hash_: str) -> bool:
        with self._tx() as tx:
            tx.execute("UPDATE albums SET cover = NULL WHERE cover = ?", (hash_,))
            cur = tx.execute("DELETE FROM images WHERE hash = ?", (hash_,))
        return cur.rowcount > 0

    def record_view(self, hash_: str, size: int, *, day: str) -> None:
        with self._tx() as tx:
            tx.execute(
                "UPDATE images SET views = views + 1, bandwidth = bandwidth + ? WHERE hash = ?",
                (size, hash_),
            )
            tx.execute(
                "INSERT INTO daily_stats(day, views, bandwidth) VALUES (?, 1, ?)"
                " ON CONFLICT(day) DO UPDATE SET views = views + 1,"
                " bandwidth = bandwidth + excluded.bandwidth",
                (day, size),
            )

    def user_images(self, user_id: int, *, offset: int, limit: int,
                    noalbum: bool = False) -> list[ImageRow]:
        extra = (" AND NOT EXISTS (SELECT 1 FROM album_images ai WHERE ai.hash = images.hash)"
                 if noalbum else "")
        rows = self._conn().execute(
            "SELECT * FROM images WHERE user_id = ?" + extra  # noqa: S608 (constant SQL)
            + " ORDER BY created DESC, rowid DESC LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        ).fetchall()
        return [_image(r) for r in rows]

    def count_user_images(self, user_id: int, *, noalbum: bool = False) -> int:
        extra = (" AND NOT EXISTS (SELECT 1 FROM album_images ai WHERE ai.hash = images.hash)"
                 if noalbum else "")
        row = self._conn().execute(
            "SELECT COUNT(*) FROM images WHERE user_id = ?" + extra,  # noqa: S608 (constant SQL)
            (user_id,)
        ).fetchone()
        return int(row[0])

    def gallery_images(self, *, since: float, popular: bool, offset: int,
                       limit: int) -> list[ImageRow]:
        """Images anyone may browse: in a public album, or of an account with public images."""
        query = _GALLERY_POPULAR if popular else _GALLERY_LATEST
        rows = self._conn().execute(query, (since, limit, offset)).fetchall()
        return [_image(r) for r in rows]

    # -- stats -----------------------------------------------------------------------------

    def upload_stats(self, since: float) -> tuple[int, int]:
        """Number of images uploaded since ``since`` and their total size."""
        row = self._conn().execute(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM images WHERE created >= ?", (since,)
        ).fetchone()
        return int(row[0]), int(row[1])

    def view_stats(self, since_day: str) -> tuple[int, int]:
        row = self._conn().execute(
            "SELECT COALESCE(SUM(views), 0), COALESCE(SUM(bandwidth), 0)"
            " FROM daily_stats WHERE day >= ?", (since_day,)
        ).fetchone()
        return int(row[0]), int(row[1])

    def most_popular(self, since: float, limit: int = 5) -> list[str]:
        rows = self._conn().execute(
            "SELECT hash FROM images WHERE created >= ? AND views > 0"
            # an image in a hidden or secret album is never listed anywhere public
            " AND NOT EXISTS (SELECT 1 FROM album_images ai JOIN albums a ON a.id = ai.album_id"
            "                 WHERE ai.hash = images.hash AND a.privacy != 'public')"
            " ORDER BY views DESC, created DESC LIMIT ?", (since, limit)
        ).fetchall()
        return [r[0] for r in rows]

    # -- albums ----------------------------------------------------------------------------

    def create_album(self, user_id: int, *, title: str | None, description: str | None,
                     privacy: str, layout: str) -> AlbumRow:
        album_id = ids.album_id()
        now = time.time()
        with self._tx() as tx:
            pos = tx.execute(
                "SELECT COALESCE(MAX(position), -1) + 1 FROM albums WHERE user_id = ?",
                (user_id,),
            ).fetchone()[0]
            tx.execute(
                "INSERT INTO albums(id, user_id, title, description, privacy, layout, cover,"
                " position, created) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)",
                (album_id, user_id, title, description, privacy, layout, pos, now),
            )
        return AlbumRow(album_id, user_id, title, description, privacy, layout, None, pos, now)

    def album(self, album_id: str) -> AlbumRow | None:
        row = self._conn().execute("SELECT * FROM albums WHERE id = ?", (album_id,)).fetchone()
        return None if row is None else _album(row)

    def user_albums(self, user_id: int, *, offset: int, limit: int) -> list[AlbumRow]:
        rows = self._conn().execute(
            "SELECT * FROM albums WHERE user_id = ? ORDER BY position, created"
            " LIMIT ? OFFSET ?", (user_id, limit, offset)
        ).fetchall()
        return [_album(r) for r in rows]

    def count_albums(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM albums").fetchone()[0])

    def count_user_albums(self, user_id: int) -> int:
        row = self._conn().execute(
            "SELECT COUNT(*) FROM albums WHERE user_id = ?", (user_id,)
        ).fetchone()
        return int(row[0])

    def album_images(self, album_id: str, *, offset: int = 0,
                     limit: int = -1) -> list[ImageRow]:
        rows = self._conn().execute(
            "SELECT images.* FROM album_images JOIN images ON images.hash = album_images.hash"
            " WHERE album_id = ? ORDER BY album_images.position LIMIT ? OFFSET ?",
            (album_id, limit, offset),
        ).fetchall()
        return [_image(r) for r in rows]

    def count_album_images(self, album_id: str) -> int:
        row = self._conn().execute(
            "SELECT COUNT(*) FROM album_images WHERE album_id = ?", (album_id,)
        ).fetchone()
        return int(row[0])

    def update_album(self, album_id: str, *, fields: dict[str, str | None],
                     replace_images: Sequence[str] | None = None,
                     add_images: Sequence[str] = (), del_images: Sequence[str] = ()) -> None:
        allowed = {"title", "description", "privacy", "layout", "cover"}
        with self._tx() as tx:
            for column, value in fields.items():
                if column not in allowed:
                    raise ValueError(column)
                tx.execute(f"UPDATE albums SET {column} = ? WHERE id = ?",  # noqa: S608
                           (value, album_id))
            if replace_images is not None:
                tx.execute("DELETE FROM album_images WHERE album_id = ?", (album_id,))
                add_images = list(replace_images) + [h for h in add_images
                                                     if h not in replace_images]
            for hash_ in del_images:
                tx.execute("DELETE FROM album_images WHERE album_id = ? AND hash = ?",
                           (album_id, hash_))
            for hash_ in add_images:
                pos = tx.execute(
                    "SELECT COALESCE(MAX(position), -1) + 1 FROM album_images"
                    " WHERE album_id = ?", (album_id,)
                ).fetchone()[0]
                tx.execute(
                    "INSERT OR IGNORE INTO album_images(album_id, hash, position)"
                    " VALUES (?, ?, ?)", (album_id, hash_, pos)
                )
            # A cover that is no longer in the album falls back to the first image.
            tx.execute(
                "UPDATE albums SET cover = NULL WHERE id = ? AND cover IS NOT NULL AND cover"
                " NOT IN (SELECT hash FROM album_images WHERE album_id = ?)",
                (album_id, album_id),
            )

    def delete_album(self, album_id: str) -> bool:
        with self._tx() as tx:
            cur = tx.execute("DELETE FROM albums WHERE id = ?", (album_id,))
        return cur.rowcount > 0

    def order_albums(self, user_id: int, album_ids: Sequence[str]) -> None:
        """Put the given albums first, in the given order; the others keep their order after."""
        with self._tx() as tx:
            rest = [r[0] for r in tx.execute(
                "SELECT id FROM albums WHERE user_id = ? ORDER BY position, created", (user_id,)
            ) if r[0] not in album_ids]
            for pos, album_id in enumerate([*album_ids, *rest]):
                tx.execute("UPDATE albums SET position = ? WHERE id = ? AND user_id = ?",
                           (pos, album_id, user_id))

    def order_album_images(self, album_id: str, hashes: Sequence[str]) -> None:
        with self._tx() as tx:
            rest = [r[0] for r in tx.execute(
                "SELECT hash FROM album_images WHERE album_id = ? ORDER BY position",
                (album_id,),
            ) if r[0] not in hashes]
            for pos, hash_ in enumerate([*hashes, *rest]):
                tx.execute("UPDATE album_images SET position = ? WHERE album_id = ? AND hash = ?",
                           (pos, album_id, hash_))

    def albums_of_image(self, hash_: str) -> list[str]:
        rows = self._conn().execute(
            "SELECT album_id FROM album_images WHERE hash = ?", (hash_,)
        ).fetchall()
        return [r[0] for r in rows]

    # -- OAuth -----------------------------------------------------------------------------

    def save_request_token(self, token: str, secret: str, consumer_key: str,
                           callback: str) -> None:
        with self._tx() as tx:
            tx.execute(
                "INSERT INTO request_tokens(token, secret, consumer_key, callback, created)"
                " VALUES (?, ?, ?, ?, ?)", (token, secret, consumer_key, callback, time.time())
            )

    def request_token(self, token: str) -> RequestToken | None:
        row = self._conn().execute(
            "SELECT * FROM request_tokens WHERE token = ?", (token,)
        ).fetchone()
        if row is None:
            return None
        return RequestToken(row["token"], row["secret"], row["consumer_key"], row["callback"],
                            row["verifier"], row["user_id"], row["created"])

    def authorize_request_token(self, token: str, verifier: str, user_id: int) -> None:
        with self._tx() as tx:
            tx.execute("UPDATE request_tokens SET verifier = ?, user_id = ? WHERE token = ?",
                       (verifier, user_id, token))

    def delete_request_token(self, token: str) -> None:
        with self._tx() as tx:
            tx.execute("DELETE FROM request_tokens WHERE token = ?", (token,))

    def save_access_token(self, token: str, secret: str, consumer_key: str,
                          user_id: int) -> None:
        with self._tx() as tx:
            tx.execute(
                "INSERT INTO access_tokens(token, secret, consumer_key, user_id, created)"
                " VALUES (?, ?, ?, ?, ?)", (token, secret, consumer_key, user_id, time.time())
            )

    def access_token(self, token: str) -> AccessToken | None:
        row = self._conn().execute(
            "SELECT * FROM access_tokens WHERE token = ?", (token,)
        ).fetchone()
        if row is None:
            return None
        return AccessToken(row["token"], row["secret"], row["consumer_key"], row["user_id"])

    def use_nonce(self, consumer_key: str, token: str, timestamp: int, nonce: str,
                  *, forget_before: int) -> bool:
        """Record a nonce; False when the same one was seen before (a replay)."""
        try:
            with self._tx() as tx:
                tx.execute("DELETE FROM nonces WHERE timestamp < ?", (forget_before,))
                tx.execute(
                    "INSERT INTO nonces(consumer_key, token, timestamp, nonce)"
                    " VALUES (?, ?, ?, ?)", (consumer_key, token, timestamp, nonce)
                )
        except sqlite3.IntegrityError:
            return False
        return True
