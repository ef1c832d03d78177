"""``imgur-desktop history``: what this machine uploaded, read from the ledger in the data dir.

It reads local files only, so it never needs (or starts) an image host: ``cli/__init__.py``
runs it with the data dir alone, before any service is resolved."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from imgur_desktop.core import paths
from imgur_desktop.core.ledger import (
    EXPORT_COLUMNS,
    FILE_NAME,
    Entry,
    Ledger,
    LedgerError,
    Query,
    State,
    export_csv,
    export_json,
)

from .output import error, say
from .usage import UsageError

EXIT_OK, EXIT_FAILED = 0, 1


def states_of(names: Iterable[str]) -> tuple[str, ...]:
    """``pending`` is queued or sending; the rest are the ledger's own states."""
    out: list[str] = []
    for name in names:
        for state in State.PENDING if name == "pending" else (name,):
            if state not in out:
                out.append(state)
    return tuple(out)


def write_export(entries: Iterable[Entry], path: Path) -> int:
    """Write ``entries`` to ``path`` as CSV (a ``.csv`` name) or JSON (anything else); returns
    how many. The file holds delete links, so it is made 0600, and it appears whole or not at
    all (written beside, then renamed)."""
    rows = list(entries)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            if path.suffix.lower() == ".csv":
                export_csv(rows, out)
            else:
                export_json(rows, out)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return len(rows)


def data_dir_of(args: argparse.Namespace) -> Path:
    """The data dir as ``context.resolve`` finds it (flag, then env var, then the platform's
    dir), without resolving a service."""
    given = getattr(args, "data_dir", None)
    return Path(given) if given else paths.data_dir()


def line_of(e: Entry) -> str:
    """date, state, name, link, delete link: tab-separated, one line whatever the name holds."""
    name = " ".join((e.title or e.label).split())
    return "\t".join((e.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"), e.state,
                      name or "-", e.link or "-", e.delete_page or "-"))


def read(args: argparse.Namespace) -> list[Entry]:
    """The uploads the options ask for, newest first. No ledger yet means nothing was uploaded:
    reading creates no file."""
    limit = args.limit
    if limit is not None and limit < 1:
        raise UsageError("--limit must be at least 1")
    query = Query(text=args.search or "", states=states_of(args.state or ()))
    path = data_dir_of(args) / FILE_NAME
    if not path.exists():
        return []
    ledger = Ledger(path)
    try:
        return ledger.query(query, limit=limit or -1)
    finally:
        ledger.close()


def run(args: argparse.Namespace) -> int:
    try:
        rows = read(args)
    except LedgerError as exc:
        error(str(exc))
        return EXIT_FAILED
    if args.export:
        try:
            count = write_export(rows, Path(args.export))
        except OSError as exc:
            error(f"Cannot write {args.export}: {exc.strerror or exc}")
            return EXIT_FAILED
        say(f"Exported {count} uploads to {args.export}")
        return EXIT_OK
    try:
        for e in rows:
            if args.json:
                record = e.as_dict()
                sys.stdout.write(json.dumps({k: record[k] for k in EXPORT_COLUMNS},
                                            ensure_ascii=False) + "\n")
            else:
                sys.stdout.write(line_of(e) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `history | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    if not rows and not args.json:
        say("No uploads match." if args.search or args.state else "Nothing uploaded yet.")
    return EXIT_OK
