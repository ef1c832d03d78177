"""``imgur-desktop upload``: files, folders, URLs and stdin, with progress and links.

Each upload is written to the ledger (the history) before it is sent and after the answer;
stdin is spooled first. An upload interrupted by a crash, a lost network or used-up credits
stays queued there, and ``--resume`` sends it later."""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from imgur_desktop.core.api.v2 import UploadMeta, V2Client
from imgur_desktop.core.errors import ImgurError, NetworkError, RateLimited
from imgur_desktop.core.ledger import Entry, Ledger, LedgerError, NewUpload
from imgur_desktop.core.links import LinkFormat, format_link
from imgur_desktop.core.messages import describe
from imgur_desktop.core.models import Image
from imgur_desktop.core.validate import DEFAULT_MAX_BYTES, check_file

from .context import Context, UsageError
from .output import ProgressBar, emit_json, error, image_json, say

EXIT_OK, EXIT_FAILED = 0, 1


@dataclass(frozen=True, slots=True)
class Source:
    label: str  # what the person named (path, URL or "-")
    path: Path | None = None
    url: str | None = None
    stdin: bool = False
    data: bytes | None = None  # spooled stdin, or a resumed paste
    ledger_id: int | None = None
    album: str | None = None  # an existing album it was going into (resumed rows)


@dataclass(frozen=True, slots=True)
class Expanded:
    sources: list[Source]
    notes: list[str]  # said on stderr: what was skipped in folders, in words
    skipped: list[tuple[str, str]]  # (entry of a folder, why it is not uploaded)


def _folder(folder: Path, max_bytes: int, out: Expanded, label: str) -> None:
    """Every entry under ``folder``: images become sources, the rest are skipped with the
    reason. Links to files are followed; links to folders are not (no loops)."""
    found = 0
    skipped_before = len(out.skipped)
    for path in sorted(folder.rglob("*")):
        if path.is_dir():
            continue  # a real folder is walked by rglob; a linked one is not followed
        try:
            check_file(path, max_bytes)
        except ImgurError as exc:
            out.skipped.append((str(path), describe(exc)))
            continue
        out.sources.append(Source(str(path), path=path))
        found += 1
    skipped = len(out.skipped) - skipped_before
    if skipped:
        out.notes.append(f"{label}: skipped {skipped} file(s) that cannot be uploaded "
                         "(not supported images, or not readable files)")
    if not found:
        out.notes.append(f"{label}: no supported images in this folder")


def expand(inputs: list[str], max_bytes: int = DEFAULT_MAX_BYTES) -> Expanded:
    """Sources to upload, and what was skipped in folders (and why)."""
    out = Expanded([], [], [])
    for item in inputs:
        if item == "-":
            out.sources.append(Source("-", stdin=True))
        elif item.lower().startswith(("http://", "https://")):
            out.sources.append(Source(item, url=item))
        elif Path(item).is_dir():
            _folder(Path(item), max_bytes, out, item)
        else:
            out.sources.append(Source(item, path=Path(item)))
    return out


def _upload_one(client: V2Client, source: Source, meta: UploadMeta, *,
                account: bool, quiet: bool) -> Image:
    if source.url is not None:
        return client.upload_url(source.url, meta, account=account)
    if source.data is not None:
        name = "stdin" if source.stdin else source.label
        return client.upload_bytes(source.data, name, meta, account=account)
    assert source.path is not None
    bar = ProgressBar(source.path.name)
    bar.enabled = bar.enabled and not quiet
    try:
        return client.upload_file(source.path, meta, account=account, progress=bar)
    finally:
        bar.done()


class _Book:
    """The ledger for one command; a ledger that cannot be written is said once and the
    uploads go on (their links are still printed)."""

    def __init__(self, ctx: Context) -> None:
        self.ledger: Ledger | None = None
        try:
            self.ledger = Ledger.in_dir(ctx.data_dir)
        except LedgerError as exc:
            error(f"{exc}; uploads go on without a history")

    def __call__(self, action: str, *args: object, **kwargs: object) -> object:
        if self.ledger is None:
            return None
        try:
            return getattr(self.ledger, action)(*args, **kwargs)
        except (sqlite3.Error, OSError, LedgerError) as exc:
            error(f"The upload history could not be written ({exc})")
            self.ledger = None
            return None


def _resumed(entries: list[Entry]) -> list[Source]:
    sources = []
    for entry in entries:
        data = None
        if entry.kind == "spooled":
            try:
                data = Path(entry.spool or "").read_bytes()
            except OSError:
                data = b""  # refused as empty, and said so
        sources.append(Source(entry.label, path=Path(entry.source) if entry.kind == "file"
                              and entry.source else None,
                              url=entry.source if entry.kind == "url" else None,
                              data=data, ledger_id=entry.id, album=entry.album))
    return sources


def _record_new(book: _Book, sources: list[Source], ctx: Context, account: str | None,
                album: str | None) -> list[Source]:
    """Write the new sources to the ledger as queued (stdin spooled first)."""
    recorded = []
    for source in sources:
        if source.stdin:
            data = sys.stdin.buffer.read(ctx.settings.max_upload_bytes + 1)
            spool = book("spool", data, ".png")
            source = replace(source, data=data)
            new = NewUpload("stdin", "spooled", spool=str(spool) if spool else None,
                            size=len(data), album=album)
        elif source.url is not None:
            new = NewUpload(source.label, "url", source=source.url, album=album)
        else:
            new = NewUpload(source.label, "file", source=str(source.path), album=album)
        ids = book("add", [new], service=ctx.api_url, account=account)
        recorded.append(replace(source, ledger_id=ids[0]) if isinstance(ids, list)
                        else source)
    return recorded


def run(ctx: Context, args: argparse.Namespace) -> int:
    wants_album = bool(args.album or args.new_album)
    client = ctx.client(fmt=args.api_format, wait=args.wait, anonymous=args.anonymous)
    if wants_album and not client.signed_in:
        raise UsageError("Albums need an account: sign in with 'imgur-desktop login' first"
                         + (" (or drop --anonymous)" if args.anonymous else ""))
    if (args.layout or args.privacy) and not args.new_album:
        raise UsageError("--layout and --privacy go with --new-album")
    if not args.inputs and not args.resume:
        raise UsageError("name files, folders or links to upload (or --resume)")
    expanded = expand(args.inputs, ctx.settings.max_upload_bytes)
    sources = expanded.sources
    for note in expanded.notes:
        say(note)
    if args.json:  # a line for every entry, so a script learns what happened to each
        for entry, reason in expanded.skipped:
            emit_json({"file": entry, "ok": False, "skipped": True, "error": reason})
    if sum(s.stdin for s in sources) > 1:
        raise UsageError("'-' (standard input) can be given once")
    book = _Book(ctx)
    account = ctx.account() if client.signed_in else None
    resumed: list[Source] = []
    book("hold_queue")  # while this runs, no other process resumes its rows
    if args.resume:
        entries = book("resume", ctx.api_url)
        if entries is None and book.ledger is not None:
            raise UsageError("another imgur-desktop is sending uploads right now; run "
                             "--resume again once it is done")
        resumed = _resumed(entries if isinstance(entries, list) else [])
        again = sum(1 for e in (entries if isinstance(entries, list) else [])
                    if e.interrupted)
        say(f"Resuming {len(resumed)} upload(s) from the history"
            + (f"; {again} were being sent when the last run stopped and are sent again"
               if again else ""))
    if not sources and not resumed:
        if args.resume:
            return EXIT_OK
        raise UsageError("nothing to upload")
    if args.album:
        sources = [replace(s, album=args.album) for s in sources]
    sources = resumed + _record_new(book, sources, ctx, account, args.album)

    fmt = LinkFormat(args.format)
    meta = UploadMeta(title=args.title, caption=args.caption)
    signed = client.signed_in
    placed: list[tuple[Source, Image]] = []
    failed = 0
    stop_reason: str | None = None
    for source in sources:
        if stop_reason is not None:
            failed += 1
            _report_failure(args, source, stop_reason)
            continue  # it stays queued in the history, for --resume
        if source.ledger_id is not None:
            book("sending", source.ledger_id, account=account)
        try:
            image = _upload_one(client, source, meta, account=signed, quiet=args.json)
        except (RateLimited, NetworkError) as exc:
            failed += 1
            # The next files would meet the same; they all wait in the history.
            stop_reason = describe(exc)
            if source.ledger_id is not None:
                if isinstance(exc, RateLimited) and exc.method is None:
                    book("not_sent", source.ledger_id)  # held back here: never sent
                else:
                    book("waiting", source.ledger_id, stop_reason)
            _report_failure(args, source, stop_reason)
            continue
        except (ImgurError, OSError) as exc:
            failed += 1
            if source.ledger_id is not None:
                book("failed", source.ledger_id, describe(exc))
            _report_failure(args, source, describe(exc))
            continue
        if source.ledger_id is not None:
            book("done", source.ledger_id, image)
        placed.append((source, image))
        if args.json:
            record = image_json(image)
            emit_json({"file": source.label, "ok": True, "hash": image.hash,
                       "deletehash": image.deletehash, "links": record["links"]})
        else:
            print(format_link(image, fmt), flush=True)
            if image.links.delete_page:
                say(f"{source.label}: uploaded; delete link {image.links.delete_page}")
    if args.new_album and placed:
        failed += _into_album(client, args, [image for _s, image in placed], None)
    else:  # existing albums: the one named, or the one a resumed upload was going into
        albums: dict[str, list[Image]] = {}
        for source, image in placed:
            if source.album:
                albums.setdefault(source.album, []).append(image)
        for album_id, images in albums.items():
            failed += _into_album(client, args, images, album_id)
    if stop_reason is not None and not args.json:
        error(f"{stop_reason} The uploads not sent wait in the history: run "
              "'imgur-desktop upload --resume' to send them"
              + (" (or use --wait to wait for the reset)." if "limit" in stop_reason
                 else "."))
    if book.ledger is not None:
        with contextlib.suppress(sqlite3.Error):
            book.ledger.close()
    return EXIT_OK if failed == 0 else EXIT_FAILED


def _report_failure(args: argparse.Namespace, source: Source, message: str) -> None:
    if args.json:
        emit_json({"file": source.label, "ok": False, "error": message})
    else:
        error(f"{source.label}: {message}")


def _into_album(client: V2Client, args: argparse.Namespace, images: list[Image],
                album_id: str | None) -> int:
    """Put the uploads in a new album (``album_id`` None) or an existing one."""
    hashes = [i.hash for i in images]
    try:
        if album_id is None:
            album = client.create_album(title=args.new_album, layout=args.layout,
                                        privacy=args.privacy, images=hashes)
        else:
            album = client.edit_album(album_id, add_images=hashes)
    except ImgurError as exc:
        if args.json:
            emit_json({"album": album_id or args.new_album, "ok": False,
                       "error": describe(exc)})
        else:
            error(f"album: {describe(exc)} (the images were uploaded)")
        return 1
    if args.json:
        emit_json({"album": album.id, "ok": True, "link": album.link,
                   "layout": album.layout, "privacy": album.privacy})
    else:
        say(f"Album: {album.link}")
    return 0
