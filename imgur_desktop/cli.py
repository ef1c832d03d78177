"""The ``imgur-desktop`` command line."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from imgur_desktop import __version__
from imgur_desktop.core import paths

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _host_data_dir(args: argparse.Namespace) -> Path:
    if args.data_dir:
        return Path(args.data_dir)
    return paths.local_host_dir()


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", metavar="DIR",
                        help="the host's data folder (default: the platform's user data dir)")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imgur-desktop",
        description="Upload images to Imgur-style hosts, or run a local Imgur-compatible host.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the local image host (Imgur API v2)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8750, help="port (0 picks a free one)")
    _add_data_dir(serve)
    serve.add_argument("--public-url", metavar="URL",
                       help="base of the links in responses (default: the request's host)")
    serve.add_argument("--max-upload-mb", type=float, default=10.0, metavar="MB",
                       help="largest image accepted (default 10)")
    serve.add_argument("--credits-anon", type=int, default=500, metavar="N",
                       help="hourly credits per anonymous client IP (default 500)")
    serve.add_argument("--credits-user", type=int, default=1000, metavar="N",
                       help="hourly credits per account (default 1000; pro accounts get twice)")

    server = sub.add_parser("server", help="manage a local image host's apps and users")
    server_sub = server.add_subparsers(dest="server_command", metavar="ACTION", required=True)
    add_app = server_sub.add_parser("add-app", help="register an application (API key and "
                                                    "OAuth 1.0a consumer)")
    add_app.add_argument("name")
    _add_data_dir(add_app)
    add_app.add_argument("--json", action="store_true", help="print the keys as JSON")
    add_user = server_sub.add_parser("add-user", help="create an account")
    add_user.add_argument("name")
    add_user.add_argument("--pro", action="store_true", help="a pro account (2000 credits/h)")
    add_user.add_argument("--password-stdin", action="store_true",
                          help="read the password from standard input")
    _add_data_dir(add_user)
    add_user.add_argument("--json", action="store_true", help="print the account as JSON")
    return parser


def _cmd_serve(args: argparse.Namespace) -> int:
    from imgur_desktop.server.config import MB, ServerConfig
    from imgur_desktop.server.run import serve

    if args.max_upload_mb <= 0 or args.credits_anon < 0 or args.credits_user < 0:
        print("imgur-desktop: limits must be positive", file=sys.stderr)
        return EXIT_USAGE
    config = ServerConfig(
        data_dir=_host_data_dir(args),
        public_url=args.public_url,
        max_upload_bytes=int(args.max_upload_mb * MB),
        credits_anon=args.credits_anon,
        credits_user=args.credits_user,
        credits_pro=2 * args.credits_user,
    )

    def announce(url: str) -> None:
        print(f"Serving on {url}", flush=True)

    try:
        serve(config, args.host, args.port, announce)
    except OSError as exc:
        print(f"imgur-desktop: cannot listen on {args.host}:{args.port}: {exc.strerror}",
              file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _read_password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password again: "):
            print("imgur-desktop: the passwords differ", file=sys.stderr)
            return None
        return first
    print("imgur-desktop: give --password-stdin to read the password from a pipe",
          file=sys.stderr)
    return None


def _cmd_server(args: argparse.Namespace) -> int:
    from imgur_desktop.server import admin
    from imgur_desktop.server.storage import UsernameTaken

    data_dir = _host_data_dir(args)
    if args.server_command == "add-app":
        app = admin.add_app(data_dir, args.name)
        keys = {"key": app.api_key, "consumer_key": app.consumer_key,
                "consumer_secret": app.consumer_secret}
        if args.json:
            print(json.dumps(keys))
        else:
            print(f"Registered {app.name!r} in {data_dir}")
            for label, value in keys.items():
                print(f"  {label}: {value}")
        return EXIT_OK

    password = _read_password(args)
    if password is None:
        return EXIT_USAGE
    if not password:
        print("imgur-desktop: the password is empty", file=sys.stderr)
        return EXIT_USAGE
    try:
        user = admin.add_user(data_dir, args.name, password, is_pro=args.pro)
    except UsernameTaken:
        print(f"imgur-desktop: the user name {args.name!r} is taken", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps({"url": user.username, "is_pro": user.is_pro}))
    else:
        print(f"Created {'pro ' if user.is_pro else ''}account {user.username!r} in {data_dir}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.command == "serve":
        return _cmd_serve(args)
    if args.command == "server":
        return _cmd_server(args)
    parser.print_help()
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
