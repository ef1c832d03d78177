"""``imgur-desktop serve`` and ``imgur-desktop server …``: the local image host."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from imgur_desktop import localservice
from imgur_desktop.core import paths

from .context import ENV, UsageError
from .output import error, say

EXIT_OK, EXIT_FAILED = 0, 1


def host_data_dir(args: argparse.Namespace) -> Path:
    """``--data-dir`` of these commands is the host's own folder."""
    explicit = getattr(args, "data_dir", None)
    if explicit:
        return Path(explicit)
    base = os.environ.get(ENV["data_dir"])
    return paths.local_host_dir(Path(base) if base else None)


def serve(args: argparse.Namespace) -> int:
    from imgur_desktop.server.config import MB, ServerConfig
    from imgur_desktop.server.run import serve as run_server

    if (args.max_upload_mb <= 0 or args.credits_anon < 0 or args.credits_user < 0
            or args.credits_window < 1):
        raise UsageError("limits must be positive")
    config = ServerConfig(
        data_dir=host_data_dir(args),
        public_url=args.public_url,
        max_upload_bytes=int(args.max_upload_mb * MB),
        credits_anon=args.credits_anon,
        credits_user=args.credits_user,
        credits_pro=2 * args.credits_user,
        credits_window_secs=args.credits_window,
    )

    def announce(url: str) -> None:
        print(f"Serving on {url}", flush=True)

    try:
        run_server(config, args.host, args.port, announce)
    except OSError as exc:
        error(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
        return EXIT_FAILED
    return EXIT_OK


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password again: "):
            raise UsageError("the passwords differ")
        return first
    raise UsageError("give --password-stdin to read the password from a pipe")


def server(args: argparse.Namespace) -> int:
    from imgur_desktop.server import admin
    from imgur_desktop.server.storage import UsernameTaken

    data_dir = host_data_dir(args)
    if args.server_command == "stop":
        stopped = localservice.stop_in(data_dir)
        if not stopped and getattr(args, "data_dir", None):
            # The other commands' --data-dir names the folder that holds local-host/: a
            # host they started in the background is stopped with the same option.
            stopped = localservice.stop_in(paths.local_host_dir(Path(args.data_dir)))
        say("Stopped the local image host" if stopped else "The local image host was not "
            "started by imgur-desktop (nothing to stop)")
        if args.json:
            print(json.dumps({"stopped": stopped}), flush=True)
        return EXIT_OK
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
    if not password:
        raise UsageError("the password is empty")
    try:
        user = admin.add_user(data_dir, args.name, password, is_pro=args.pro)
    except UsernameTaken:
        error(f"the user name {args.name!r} is taken")
        return EXIT_FAILED
    if args.json:
        print(json.dumps({"url": user.username, "is_pro": user.is_pro}))
    else:
        print(f"Created {'pro ' if user.is_pro else ''}account {user.username!r} in {data_dir}")
    return EXIT_OK

