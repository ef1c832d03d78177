"""``imgur-desktop upload``: files, folders, URLs and stdin, with progress and links."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from imgur_desktop.core.api.v2 import UploadMeta, V2Client
from imgur_desktop.core.errors import ImgurError, RateLimited
from imgur_desktop.core.formats import SNIFF_BYTES, sniff_bytes
from imgur_desktop.core.links import LinkFormat, format_link
from imgur_desktop.core.messages import describe
from imgur_desktop.core.models import Image

from .context import Context, UsageError
from .output import ProgressBar, emit_json, error, image_json, say

EXIT_OK, EXIT_FAILED = 0, 1


@dataclass(frozen=True, slots=True)
class Source:
    label: str  # what the person named (path, URL or "-")
    path: Path | None = None
    url: str | None = None
    stdin: bool = False


def _is_supported(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return sniff_bytes(fh.read(SNIFF_BYTES)) is not None
    except OSError:
        return False


def expand(inputs: list[str]) -> tuple[list[Source], list[str]]:
    """Sources to upload, and notes about what was skipped in folders."""
    sources: list[Source] = []
    notes: list[str] = []
    for item in inputs:
        if item == "-":
            sources.append(Source("-", stdin=True))
        elif item.lower().startswith(("http://", "https://")):
            sources.append(Source(item, url=item))
        elif Path(item).is_dir():
            found = skipped = 0
            for path in sorted(Path(item).rglob("*")):
                if path.is_file() and not path.is_symlink():
                    if _is_supported(path):
                        sources.append(Source(str(path), path=path))
                        found += 1
                    else:
                        skipped += 1
            if skipped:
                notes.append(f"{item}: skipped {skipped} file(s) that are not supported images")
            if not found:
                notes.append(f"{item}: no supported images in this folder")
        else:
            sources.append(Source(item, path=Path(item)))
    return sources, notes


def _upload_one(client: V2Client, source: Source, meta: UploadMeta, *,
                account: bool, quiet: bool) -> Image:
    if source.url is not None:
        return client.upload_url(source.url, meta, account=account)
    if source.stdin:
        data = sys.stdin.buffer.read(client.max_upload_bytes + 1)
        return client.upload_bytes(data, "stdin", meta, account=account)
    assert source.path is not None
    bar = ProgressBar(source.path.name)
    bar.enabled = bar.enabled and not quiet
    try:
        return client.upload_file(source.path, meta, account=account, progress=bar)
    finally:
        bar.done()


def run(ctx: Context, args: argparse.Namespace) -> int:
    wants_album = bool(args.album or args.new_album)
    client = ctx.client(fmt=args.api_format, wait=args.wait, anonymous=args.anonymous)
    if wants_album and not client.signed_in:
        raise UsageError("Albums need an account: sign in with 'imgur-desktop login' first"
                         + (" (or drop --anonymous)" if args.anonymous else ""))
    if (args.layout or args.privacy) and not args.new_album:
        raise UsageError("--layout and --privacy go with --new-album")
    sources, notes = expand(args.inputs)
    for note in notes:
        say(note)
    if not sources:
        raise UsageError("nothing to upload")
    if sum(s.stdin for s in sources) > 1:
        raise UsageError("'-' (standard input) can be given once")

    fmt = LinkFormat(args.format)
    meta = UploadMeta(title=args.title, caption=args.caption)
    account = client.signed_in
    uploaded: list[Image] = []
    failed = 0
    stop_reason: str | None = None
    for source in sources:
        if stop_reason is not None:
            failed += 1
            _report_failure(args, source, stop_reason)
            continue
        try:
            image = _upload_one(client, source, meta, account=account, quiet=args.json)
        except RateLimited as exc:
            failed += 1
            stop_reason = describe(exc)  # the next files would be refused the same way
            _report_failure(args, source, stop_reason)
            continue
        except (ImgurError, OSError) as exc:
            failed += 1
            _report_failure(args, source, describe(exc))
            continue
        uploaded.append(image)
        if args.json:
            record = image_json(image)
            emit_json({"file": source.label, "ok": True, "hash": image.hash,
                       "deletehash": image.deletehash, "links": record["links"]})
        else:
            print(format_link(image, fmt), flush=True)
            if image.links.delete_page:
                say(f"{source.label}: uploaded; delete link {image.links.delete_page}")
    if uploaded and wants_album:
        failed += _into_album(client, args, uploaded)
    if stop_reason is not None and not args.json:
        error(f"{stop_reason} Use --wait to wait for the reset instead.")
    return EXIT_OK if failed == 0 else EXIT_FAILED


def _report_failure(args: argparse.Namespace, source: Source, message: str) -> None:
    if args.json:
        emit_json({"file": source.label, "ok": False, "error": message})
    else:
        error(f"{source.label}: {message}")


def _into_album(client: V2Client, args: argparse.Namespace, images: list[Image]) -> int:
    hashes = [i.hash for i in images]
    try:
        if args.new_album:
            album = client.create_album(title=args.new_album, layout=args.layout,
                                        privacy=args.privacy, images=hashes)
        else:
            album = client.edit_album(args.album, add_images=hashes)
    except ImgurError as exc:
        if args.json:
            emit_json({"album": args.album or args.new_album, "ok": False,
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
