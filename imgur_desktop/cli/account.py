"""Sign-in and the commands that read or change what is on the service."""

from __future__ import annotations

import argparse
import sys
import webbrowser
from dataclasses import replace
from urllib.parse import urlsplit

from imgur_desktop.core.api.oauth1 import LoopbackReceiver, OAuth1SignIn
from imgur_desktop.core.api.v2 import V2Client
from imgur_desktop.core.errors import AuthRequired
from imgur_desktop.core.tokens import KeyringUnavailable, StoredTokens

from .context import Context, UsageError
from .output import (
    account_json,
    album_json,
    credits_json,
    emit_json,
    error,
    image_json,
    say,
    stats_json,
)

EXIT_OK, EXIT_FAILED = 0, 1


def login(ctx: Context, args: argparse.Namespace) -> int:
    if not ctx.consumer_key or not ctx.consumer_secret:
        raise UsageError("signing in needs the application's --consumer-key and "
                         "--consumer-secret (or IMGUR_DESKTOP_CONSUMER_KEY/_SECRET)")
    try:
        ctx.store.check()  # before the browser: a sign-in that cannot be kept is no use
    except KeyringUnavailable as exc:
        error(f"Cannot sign in: {exc}")
        return EXIT_FAILED
    flow = OAuth1SignIn(ctx.api_url, ctx.consumer_key, ctx.consumer_secret)
    receiver = None if args.pin else LoopbackReceiver()
    try:
        pending = flow.start(callback=receiver.callback_url if receiver else "oob")
        say("Open this page to sign in and allow imgur-desktop:")
        say(pending.authorize_url)
        if not args.no_browser:
            webbrowser.open(pending.authorize_url)
        if receiver is not None:
            say("Waiting for the browser to come back…")
            verifier = receiver.wait(args.timeout)
        else:
            say("Then type the PIN it shows:")
            verifier = sys.stdin.readline().strip()
            if not verifier:
                raise UsageError("no PIN was typed")
    finally:
        if receiver is not None:
            receiver.close()
    credentials = flow.finish(pending, verifier)
    client = V2Client(ctx.api_url, oauth=credentials, fmt=args.api_format)
    account = client.account()
    try:
        ctx.store.save(ctx.api_url, StoredTokens(account.username, credentials.token,
                                                 credentials.token_secret,
                                                 credentials.consumer_key))
        ctx.store.save_consumer_secret(ctx.api_url, credentials.consumer_key,
                                       credentials.consumer_secret)
    except KeyringUnavailable as exc:
        error(f"Signed in as {account.username}, but {exc}")
        return EXIT_FAILED
    accounts = dict(ctx.settings.accounts)
    accounts[ctx.api_url] = account.username
    ctx.save_settings(replace(ctx.settings, accounts=accounts,
                              consumer_key=ctx.settings.consumer_key or
                              (credentials.consumer_key if ctx.local is None else None)))
    if args.json:
        emit_json(account_json(account))
    else:
        say(f"Signed in as {account.username}")
    return EXIT_OK


def logout(ctx: Context, args: argparse.Namespace) -> int:
    account = ctx.account()
    if account is None:
        say("Not signed in")
        if args.json:
            emit_json({"signed_out": None})
        return EXIT_OK
    try:
        ctx.store.delete(ctx.api_url, account)
    except KeyringUnavailable as exc:
        error(str(exc))
        return EXIT_FAILED
    accounts = {k: v for k, v in ctx.settings.accounts.items() if k != ctx.api_url}
    ctx.save_settings(replace(ctx.settings, accounts=accounts))
    if args.json:
        emit_json({"signed_out": account})
    else:
        say(f"Signed out {account}")
    return EXIT_OK


def whoami(ctx: Context, args: argparse.Namespace) -> int:
    client = ctx.client(fmt=args.api_format)
    if not client.signed_in:
        if args.json:
            emit_json({"url": None, "api_url": ctx.api_url})
        else:
            print(f"Not signed in (anonymous uploads to {ctx.api_url})")
        return EXIT_OK
    try:
        account = client.account()
    except AuthRequired:
        error("The saved sign-in is no longer valid. Sign in again with 'imgur-desktop login'.")
        return EXIT_FAILED
    if args.json:
        emit_json({**account_json(account), "api_url": ctx.api_url})
    else:
        print(f"{account.username}{' (pro)' if account.is_pro else ''} on {ctx.api_url}")
    return EXIT_OK


def credits(ctx: Context, args: argparse.Namespace) -> int:
    value = ctx.client(fmt=args.api_format).credits()
    if args.json:
        emit_json(credits_json(value))
    else:
        reset = value.reset_at.astimezone().strftime("%H:%M") if value.reset_at else "?"
        print(f"{value.remaining} of {value.limit} credits left ({value.uploads_left} uploads); "
              f"resets at {reset}")
    return EXIT_OK


def info(ctx: Context, args: argparse.Namespace) -> int:
    client = ctx.client(fmt=args.api_format)
    image = client.account_image(args.hash) if client.signed_in and args.mine else \
        client.image(args.hash)
    if args.json:
        emit_json(image_json(image))
    else:
        print(f"{image.hash}  {image.width}x{image.height}  {image.mime}  {image.size} bytes  "
              f"{image.views} views")
        print(f"  {image.links.original}")
        if image.title:
            print(f"  title: {image.title}")
    return EXIT_OK


def stats(ctx: Context, args: argparse.Namespace) -> int:
    value = ctx.client(fmt=args.api_format).stats(args.view)
    if args.json:
        emit_json(stats_json(value))
    else:
        print(f"{value.images_uploaded} uploaded, {value.images_viewed} views, "
              f"{value.bandwidth_used} served, average {value.average_image_size}")
    return EXIT_OK


def _signed_client(ctx: Context, args: argparse.Namespace) -> V2Client:
    client = ctx.client(fmt=args.api_format)
    if not client.signed_in:
        raise UsageError("this needs an account: sign in with 'imgur-desktop login' first")
    return client


def images(ctx: Context, args: argparse.Namespace) -> int:
    page = _signed_client(ctx, args).account_images(page=args.page, count=args.count,
                                                    noalbum=args.noalbum)
    if args.json:
        emit_json([image_json(i) for i in page.items])
    else:
        for image in page.items:
            print(f"{image.hash}  {image.links.original}  {image.title or ''}".rstrip())
    return EXIT_OK


def _ids(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        out += [v for v in value.replace(",", " ").split() if v]
    return out


def albums(ctx: Context, args: argparse.Namespace) -> int:
    client = _signed_client(ctx, args)
    action = args.album_command
    if action == "list":
        page = client.albums(page=args.page, count=args.count)
        if args.json:
            emit_json([album_json(a, with_images=False) for a in page.items])
        else:
            for album in page.items:
                print(f"{album.id}  {album.layout:<10} {album.privacy:<7} {album.title or ''}")
        return EXIT_OK
    if action == "create":
        album = client.create_album(title=args.title, description=args.description,
                                    privacy=args.privacy, layout=args.layout,
                                    images=_ids(args.images))
    elif action == "edit":
        album = client.edit_album(args.id, title=args.title, description=args.description,
                                  privacy=args.privacy, layout=args.layout, cover=args.cover)
    elif action == "add":
        album = client.edit_album(args.id, add_images=_ids(args.hashes))
    elif action == "remove":
        album = client.edit_album(args.id, del_images=_ids(args.hashes))
    elif action == "order":
        if args.id:
            client.order_album_images(args.id, _ids(args.ids))
        else:
            client.order_albums(_ids(args.ids))
        if args.json:
            emit_json({"ok": True})
        return EXIT_OK
    else:  # delete
        client.delete_album(args.id)
        if args.json:
            emit_json({"id": args.id, "deleted": True})
        else:
            say(f"Deleted album {args.id} (its images stay in the account)")
        return EXIT_OK
    if args.json:
        emit_json(album_json(album))
    else:
        print(album.link or album.id)
    return EXIT_OK


def delete(ctx: Context, args: argparse.Namespace) -> int:
    """A delete hash (15 characters, or a delete link) works anonymously; an image hash
    needs the owner's sign-in."""
    target = urlsplit(args.target).path.rstrip("/").rsplit("/", 1)[-1] or args.target
    client = ctx.client(fmt=args.api_format)
    if len(target) >= 10:
        client.delete(target)
    else:
        if not client.signed_in:
            raise UsageError("deleting by image hash needs the owner's sign-in; "
                             "a delete link or delete hash works without one")
        client.delete_image(target)
    if args.json:
        emit_json({"deleted": target})
    else:
        say(f"Deleted {target}")
    return EXIT_OK
