"""Which service the command talks to, with which keys and which account.

Precedence: command-line flag, then environment variable, then the settings file shared with
the app, then the embedded local image host (started in the background if needed)."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from imgur_desktop import localservice
from imgur_desktop.core import paths, settings
from imgur_desktop.core.api.v2 import OAuthCredentials, V2Client
from imgur_desktop.core.settings import Settings
from imgur_desktop.core.tokens import TokenStore

from .usage import UsageError as UsageError  # re-exported for the command modules

ENV = {
    "api_url": "IMGUR_DESKTOP_API_URL",
    "key": "IMGUR_DESKTOP_KEY",
    "consumer_key": "IMGUR_DESKTOP_CONSUMER_KEY",
    "consumer_secret": "IMGUR_DESKTOP_CONSUMER_SECRET",
    "config_dir": "IMGUR_DESKTOP_CONFIG_DIR",
    "data_dir": "IMGUR_DESKTOP_DATA_DIR",
}




def _option(args: argparse.Namespace, name: str) -> str | None:
    value = getattr(args, name, None)
    if value:
        return str(value)
    return os.environ.get(ENV[name]) or None


@dataclass
class Context:
    api_url: str
    key: str | None
    consumer_key: str | None
    consumer_secret: str | None
    config_dir: Path
    data_dir: Path
    settings: Settings
    store: TokenStore
    local: localservice.LocalService | None

    def account(self) -> str | None:
        return self.settings.accounts.get(self.api_url)

    def credentials(self) -> OAuthCredentials | None:
        account = self.account()
        if account is None:
            return None
        stored = self.store.load(self.api_url, account)
        if stored is None:
            return None
        secret = self.consumer_secret
        if stored.consumer_key != self.consumer_key or secret is None:
            secret = self.store.load_consumer_secret(self.api_url, stored.consumer_key)
        if secret is None:
            return None
        return OAuthCredentials(stored.consumer_key, secret, stored.token, stored.secret)

    def client(self, *, fmt: str = "json", wait: bool = False,
               anonymous: bool = False) -> V2Client:
        oauth = None if anonymous else self.credentials()
        return V2Client(self.api_url, key=self.key, oauth=oauth, fmt=fmt,
                        wait_for_credits=wait,
                        max_upload_bytes=self.settings.max_upload_bytes)

    def save_settings(self, new: Settings) -> None:
        settings.save(self.config_dir, new)
        self.settings = new


def resolve(args: argparse.Namespace) -> Context:
    config_dir = Path(_option(args, "config_dir") or paths.config_dir())
    data_dir = Path(_option(args, "data_dir") or paths.data_dir())
    current = settings.load(config_dir)
    api_url = _option(args, "api_url") or current.api_url
    store = TokenStore()
    if api_url:
        if not api_url.endswith("/"):
            api_url += "/"
        consumer_key = _option(args, "consumer_key") or current.consumer_key
        consumer_secret = _option(args, "consumer_secret")
        if consumer_secret is None and consumer_key:
            consumer_secret = store.load_consumer_secret(api_url, consumer_key)
        return Context(api_url, _option(args, "key") or current.key, consumer_key,
                       consumer_secret, config_dir, data_dir, current, store, None)
    try:
        local = localservice.ensure(data_dir)
    except localservice.LocalServiceError as exc:
        raise UsageError(str(exc)) from None
    return Context(local.api_url, _option(args, "key") or local.key,
                   _option(args, "consumer_key") or local.consumer_key,
                   _option(args, "consumer_secret") or local.consumer_secret,
                   config_dir, data_dir, current, store, local)
