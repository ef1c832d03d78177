"""The ``imgur-desktop`` command line, over the same core as the app."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from imgur_desktop.core.errors import ImgurError
from imgur_desktop.core.messages import describe

from . import account, server_cmds, upload
from .context import Context, UsageError, resolve
from .output import error
from .parser import build

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

Command = Callable[[Context, argparse.Namespace], int]
COMMANDS: dict[str, Command] = {
    "upload": upload.run,
    "login": account.login,
    "logout": account.logout,
    "whoami": account.whoami,
    "credits": account.credits,
    "info": account.info,
    "stats": account.stats,
    "images": account.images,
    "albums": account.albums,
    "delete": account.delete,
}


def _open_app(args: argparse.Namespace) -> int:
    error("the desktop app is not built yet; see 'imgur-desktop --help' for the commands")
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    parser = build()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse's own usage errors exit 2
        return int(exc.code or 0)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        if args.command is None:
            return _open_app(args)
        if args.command == "serve":
            return server_cmds.serve(args)
        if args.command == "server":
            return server_cmds.server(args)
        ctx = resolve(args)
        return COMMANDS[args.command](ctx, args)
    except UsageError as exc:
        error(str(exc))
        return EXIT_USAGE
    except ImgurError as exc:
        error(describe(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        error("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
