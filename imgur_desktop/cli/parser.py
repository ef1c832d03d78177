"""The argument parser. Global options are accepted before or after the command.

The app's parser (``build_app``) needs nothing of the core: the commands' choices (layouts,
privacies, link formats) are imported when the command parser is built, so the window opens
without the models behind them."""

from __future__ import annotations

import argparse

from imgur_desktop import __version__

S = argparse.SUPPRESS


def _global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    default = None if top else S
    group = parser.add_argument_group("service options")
    group.add_argument("--api-url", metavar="URL", default=default,
                       help="API base, e.g. http://127.0.0.1:8750/2/ (default: the local host)")
    group.add_argument("--key", metavar="KEY", default=default, help="anonymous API key")
    group.add_argument("--consumer-key", metavar="KEY", default=default,
                       help="OAuth 1.0a application key")
    group.add_argument("--consumer-secret", metavar="SECRET", default=default,
                       help="OAuth 1.0a application secret")
    group.add_argument("--config-dir", metavar="DIR", default=default)
    group.add_argument("--data-dir", metavar="DIR", default=default)
    group.add_argument("--xml", dest="api_format", action="store_const", const="xml",
                       default="json" if top else S, help="speak XML to the API (default JSON)")
    group.add_argument("--json", action="store_true", default=False if top else S,
                       help="print machine-readable JSON only")


def build() -> argparse.ArgumentParser:
    from imgur_desktop.core.layouts import LAYOUTS as LAYOUT_TEXTS
    from imgur_desktop.core.links import LinkFormat
    from imgur_desktop.core.models import PRIVACIES

    layouts = tuple(LAYOUT_TEXTS)
    parser = argparse.ArgumentParser(
        prog="imgur-desktop",
        description="Upload images to Imgur-style hosts and manage what you uploaded; or run "
                    "a local Imgur-compatible image host. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    _global_options(parser, top=True)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, top=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, parents=[common])

    up = command("upload", "upload files, folders, URLs or stdin (-)")
    up.add_argument("inputs", nargs="*", metavar="PATH|URL|-")
    up.add_argument("--resume", action="store_true",
                    help="first send what an earlier run left unsent (from the history)")
    up.add_argument("--title")
    up.add_argument("--caption")
    target = up.add_mutually_exclusive_group()
    target.add_argument("--album", metavar="ID", help="add the uploads to this album")
    target.add_argument("--new-album", metavar="TITLE", help="make a new album of the uploads")
    up.add_argument("--layout", choices=layouts, help="layout of the new album")
    up.add_argument("--privacy", choices=PRIVACIES, help="privacy of the new album")
    up.add_argument("--anonymous", action="store_true", help="upload without the account")
    up.add_argument("--format", choices=[f.value for f in LinkFormat],
                    default=LinkFormat.DIRECT.value, help="how to print each link")
    up.add_argument("--wait", action="store_true",
                    help="when credits run out, wait for the reset instead of stopping")

    login = command("login", "sign in (OAuth 1.0a) and keep the tokens in the OS keyring")
    login.add_argument("--pin", action="store_true",
                       help="type the PIN from the page instead of the browser coming back")
    login.add_argument("--no-browser", action="store_true", help="only print the address")
    login.add_argument("--timeout", type=float, default=300.0, help="seconds to wait")
    command("logout", "forget the signed-in account's tokens")
    command("whoami", "the signed-in account")
    command("credits", "API credits left and when they reset")
    info = command("info", "an image's details")
    info.add_argument("hash")
    info.add_argument("--mine", action="store_true", help="the owner's view (signed in)")
    stats = command("stats", "the service's statistics")
    stats.add_argument("--view", choices=["today", "week", "month"], default="month")
    images = command("images", "the account's images")
    images.add_argument("--page", type=int, default=1)
    images.add_argument("--count", type=int, default=30)
    images.add_argument("--noalbum", action="store_true", help="only images in no album")

    albums = command("albums", "list and manage the account's albums")
    album_sub = albums.add_subparsers(dest="album_command", metavar="ACTION", required=True)
    a_list = album_sub.add_parser("list", parents=[common])
    a_list.add_argument("--page", type=int, default=1)
    a_list.add_argument("--count", type=int, default=30)
    for name in ("create", "edit"):
        a = album_sub.add_parser(name, parents=[common])
        if name == "edit":
            a.add_argument("id")
            a.add_argument("--cover", metavar="HASH")
        a.add_argument("--title")
        a.add_argument("--description")
        a.add_argument("--privacy", choices=PRIVACIES)
        a.add_argument("--layout", choices=layouts)
        if name == "create":
            a.add_argument("--images", nargs="*", default=[], metavar="HASH")
    for name in ("add", "remove"):
        a = album_sub.add_parser(name, parents=[common])
        a.add_argument("id")
        a.add_argument("hashes", nargs="+", metavar="HASH")
    order = album_sub.add_parser("order", parents=[common],
                                 help="order albums (ids) or, with --album, an album's images")
    order.add_argument("ids", nargs="+", metavar="ID")
    order.add_argument("--album", dest="id", metavar="ID")
    a_del = album_sub.add_parser("delete", parents=[common])
    a_del.add_argument("id")

    delete = command("delete", "delete an image by delete hash/link, or by hash (owner)")
    delete.add_argument("target", metavar="HASH-or-DELETEHASH")

    history = command("history", "what this machine uploaded, with links and delete links "
                                 "(from the local upload history; needs no service)")
    history.add_argument("--state", action="append", metavar="STATE",
                         choices=("done", "failed", "pending", "queued", "sending", "cancelled",
                                  "deleted"),
                         help="only uploads in this state (repeatable; pending = queued or "
                              "sending)")
    history.add_argument("--search", metavar="TEXT",
                         help="only uploads whose name, source, link, title or album has TEXT")
    history.add_argument("--limit", type=int, metavar="N", help="only the N newest")
    history.add_argument("--export", metavar="FILE",
                         help="write the uploads to FILE.json or FILE.csv instead of printing")

    serve = sub.add_parser("serve", help="run the local image host (Imgur API v2)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8750, help="port (0 picks a free one)")
    serve.add_argument("--data-dir", metavar="DIR",
                       help="the host's folder (default: the platform's user data dir)")
    serve.add_argument("--public-url", metavar="URL",
                       help="base of the links in responses (default: the request's host)")
    serve.add_argument("--max-upload-mb", type=float, default=10.0, metavar="MB")
    serve.add_argument("--credits-anon", type=int, default=500, metavar="N",
                       help="hourly credits per anonymous client IP")
    serve.add_argument("--credits-user", type=int, default=1000, metavar="N",
                       help="hourly credits per account (pro accounts get twice)")
    serve.add_argument("--credits-window", type=int, default=3600, metavar="SECS",
                       help="how long a credit window lasts (default an hour)")

    server = sub.add_parser("server", help="manage a local image host's apps and users")
    server_sub = server.add_subparsers(dest="server_command", metavar="ACTION", required=True)
    add_app = server_sub.add_parser("add-app", help="register an application")
    add_app.add_argument("name")
    add_user = server_sub.add_parser("add-user", help="create an account")
    add_user.add_argument("name")
    add_user.add_argument("--pro", action="store_true")
    add_user.add_argument("--password-stdin", action="store_true")
    stop = server_sub.add_parser("stop", help="stop the host the app started in the background")
    for p in (add_app, add_user, stop):
        p.add_argument("--data-dir", metavar="DIR", help="the host's folder")
        p.add_argument("--json", action="store_true")
    return parser


def build_app() -> argparse.ArgumentParser:
    """``imgur-desktop [options] [PATH|URL …]``: open the app, queueing what was named."""
    parser = argparse.ArgumentParser(prog="imgur-desktop",
                                     description="Open the desktop app.")
    parser.add_argument("-v", "--verbose", action="store_true")
    _global_options(parser, top=True)
    parser.add_argument("inputs", nargs="*", metavar="PATH|URL",
                        help="images, folders or links to upload at start")
    parser.set_defaults(command=None)
    return parser
