"""The ``imgur-desktop`` command line, over the same core as the app."""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from imgur_desktop.core.logsafe import keep_secrets_out_of_logs

from .parser import build, build_app
from .usage import UsageError

if TYPE_CHECKING:
    from .context import Context

# The command modules (and requests, keyring, oauthlib behind them) are imported when their
# command runs, and so are the printing helpers and the errors' words: the app opens its
# window without them (docs/performance.md, row 4).

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

Command = Callable[["Context", argparse.Namespace], int]
COMMANDS: dict[str, str] = {  # command -> "module.function" in this package
    "upload": "upload.run",
    "login": "account.login",
    "logout": "account.logout",
    "whoami": "account.whoami",
    "credits": "account.credits",
    "info": "account.info",
    "stats": "account.stats",
    "images": "account.images",
    "albums": "account.albums",
    "delete": "account.delete",
    "history": "history.run",
}
# Commands that read only this machine's files: they are called with the arguments alone,
# before any service is resolved, so they never start the local image host.
LOCAL_COMMANDS = frozenset({"history"})


def command(name: str) -> Command:
    module, function = COMMANDS[name].split(".")
    found: Command = getattr(importlib.import_module(f"{__name__}.{module}"), function)
    return found


def local_command(name: str) -> Callable[[argparse.Namespace], int]:
    module, function = COMMANDS[name].split(".")
    found: Callable[[argparse.Namespace], int] = getattr(
        importlib.import_module(f"{__name__}.{module}"), function)
    return found


def _open_app(args: argparse.Namespace) -> int:
    # What is built before the window's first paint (Qt's types, the modules, the window) is
    # never garbage: the cyclic collector would only walk it, some forty times (~8 ms of the
    # start-up). It is off until that paint, then on again with all of it set aside for good
    # (``app.started``), so later collections, during uploads too, do not walk it either.
    gc.disable()
    from imgur_desktop.app import run

    return run(args, list(getattr(args, "inputs", []) or []))


_VALUE_OPTIONS = ("--api-url", "--key", "--consumer-key", "--consumer-secret", "--config-dir",
                  "--data-dir")


def _wants_app(argv: Sequence[str]) -> bool:
    """No command among the words: the app, with any paths or URLs given queued at start."""
    if any(word in COMMANDS or word in ("serve", "server") for word in argv) or any(
            word in ("-h", "--help", "--version") for word in argv):
        return False
    # A word that is neither a file nor a link is a mistyped command: the command parser
    # says so (exit 2) rather than the app opening on it.
    words = iter(argv)
    for word in words:
        if word in _VALUE_OPTIONS:
            next(words, None)
        elif not word.startswith("-") and not (
                word.lower().startswith(("http://", "https://")) or Path(word).exists()):
            return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_app() if _wants_app(words) else build()
    try:
        args = parser.parse_args(words)
    except SystemExit as exc:  # argparse's own usage errors exit 2
        return int(exc.code or 0)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    keep_secrets_out_of_logs()
    try:
        if getattr(args, "command", None) is None:
            return _open_app(args)
        from . import server_cmds
        from .context import resolve

        if args.command == "serve":
            return server_cmds.serve(args)
        if args.command == "server":
            return server_cmds.server(args)
        if args.command in LOCAL_COMMANDS:
            return local_command(args.command)(args)
        ctx = resolve(args)
        return command(args.command)(ctx, args)
    except UsageError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except Exception as exc:
        from imgur_desktop.core.errors import ImgurError

        if not isinstance(exc, ImgurError):
            raise
        from imgur_desktop.core.messages import describe

        _error(describe(exc))
        return EXIT_FAILED


def _error(text: str) -> None:
    from .output import error

    error(text)


if __name__ == "__main__":
    sys.exit(main())
