"""The app's signed-in state: which account uploads go into, its tokens (kept in the OS keyring,
or in memory only when there is no usable keyring), and the API client built from them.

``changed(client, account)`` is the one place the rest of the app learns of a new client: at
start, after a sign-in, after a sign-out. The plain functions here run on workers; the keyring
may be slow (D-Bus) or ask to be unlocked, so the GUI thread never calls it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThreadPool, Signal

from imgur_desktop.core.cancel import CancelToken
from imgur_desktop.core.errors import ApiError
from imgur_desktop.core.messages import describe
from imgur_desktop.core.models import Album
from imgur_desktop.core.settings import Settings

from .workers import Worker

if TYPE_CHECKING:  # imported where used: the window opens before requests and keyring load
    from imgur_desktop.cli.context import Context
    from imgur_desktop.core.api.oauth1 import LoopbackReceiver, OAuth1SignIn, PendingSignIn
    from imgur_desktop.core.api.v2 import OAuthCredentials, V2Client

logger = logging.getLogger(__name__)

ALBUM_PAGE = 100  # the most a page holds
ALBUM_PAGES = 10  # enough for the album picker; more belongs in the Albums view
# -- plain functions, run on workers ---------------------------------------------------------


@dataclass(frozen=True)
class SavedSignIn:
    """What the keyring holds for the service, read at start."""

    credentials: OAuthCredentials | None
    keyring_usable: bool
    unreadable: str | None = None  # the settings name this account, the keyring lacks it


def read_saved_sign_in(ctx: Context) -> SavedSignIn:
    from imgur_desktop.core.tokens import KeyringUnavailable

    account = ctx.account()
    if account is None:
        return SavedSignIn(None, True)
    credentials = ctx.credentials()
    if credentials is not None:
        return SavedSignIn(credentials, True)
    try:
        ctx.store.check()
    except KeyringUnavailable:
        return SavedSignIn(None, False, account)
    return SavedSignIn(None, True, account)


@dataclass
class Began:
    flow: OAuth1SignIn
    pending: PendingSignIn
    receiver: LoopbackReceiver | None  # None: the PIN (oob) flow
    keyring_usable: bool


def begin_sign_in(ctx: Context, *, pin: bool) -> Began:
    """Check the keyring (before the browser, so the person knows whether the sign-in will
    last), then get a request token for the loopback callback or for a PIN."""
    from imgur_desktop.core.api.oauth1 import LoopbackReceiver, OAuth1SignIn
    from imgur_desktop.core.tokens import KeyringUnavailable

    if not ctx.consumer_key or not ctx.consumer_secret:
        raise ValueError("Signing in needs the application's consumer key and secret "
                         "(--consumer-key and --consumer-secret).")
    try:
        ctx.store.check()
        usable = True
    except KeyringUnavailable:
        usable = False
    flow = OAuth1SignIn(ctx.api_url, ctx.consumer_key, ctx.consumer_secret)
    receiver = None if pin else LoopbackReceiver()
    try:
        pending = flow.start(callback=receiver.callback_url if receiver else "oob")
    except BaseException:
        if receiver is not None:
            receiver.close()
        raise
    return Began(flow, pending, receiver, usable)


@dataclass(frozen=True)
class Completed:
    credentials: OAuthCredentials
    account: str
    kept: bool  # in the keyring; False: for this session only


def complete_sign_in(ctx: Context, began: Began, verifier: str) -> Completed:
    """Trade the verifier for tokens, ask the account route who signed in, keep the tokens
    in the keyring (as ``imgur-desktop login`` does) when there is one."""
    from imgur_desktop.core.api.v2 import V2Client

    credentials = began.flow.finish(began.pending, verifier)
    client = V2Client(ctx.api_url, key=ctx.key, oauth=credentials, fmt="json",
                      wait_for_credits=False)
    account = client.account().username
    return Completed(credentials, account, _keep(ctx, credentials, account))


def _keep(ctx: Context, credentials: OAuthCredentials, account: str) -> bool:
    from imgur_desktop.core.tokens import KeyringUnavailable, StoredTokens

    store = ctx.store
    try:
        store.save(ctx.api_url, StoredTokens(account, credentials.token,
                                             credentials.token_secret,
                                             credentials.consumer_key))
        store.save_consumer_secret(ctx.api_url, credentials.consumer_key,
                                   credentials.consumer_secret)
    except KeyringUnavailable:
        logger.warning("no usable keyring: the sign-in lasts for this session only")
        with contextlib.suppress(KeyringUnavailable):
            store.delete(ctx.api_url, account)  # half a stored sign-in is of no use
        return False
    replaced = ctx.account()
    if replaced is not None and replaced != account:
        # One account per service: the one signed in before is forgotten.
        with contextlib.suppress(KeyringUnavailable):
            store.delete(ctx.api_url, replaced)
    return True


def list_albums(client: V2Client, cancel: CancelToken) -> list[Album]:
    albums: list[Album] = []
    for number in range(1, ALBUM_PAGES + 1):
        cancel.raise_if_cancelled()
        try:
            page = client.albums(page=number, count=ALBUM_PAGE)
        except ApiError as exc:
            if exc.status == 404 and number > 1:
                break  # the last page was exactly full
            raise
        albums += page.items
        if not page.may_have_more:
            break
    return albums


# -- the session ------------------------------------------------------------------------------


class AccountSession(QObject):
    changed = Signal(object, object)  # V2Client, the account name or None
    albumsChanged = Signal(object)  # list[Album] of the signed-in account ([] when none)
    message = Signal(str)  # news for the status bar

    def __init__(self, ctx: Context, saved: SavedSignIn, *, settings: Callable[[], Settings],
                 save_settings: Callable[[Settings], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._settings = settings
        self._save_settings = save_settings
        self.credentials = saved.credentials
        self.account_name = ctx.account() if saved.credentials is not None else None
        self.keyring_usable = saved.keyring_usable
        self.session_only = False  # signed in, but the tokens live in memory only
        self._unreadable = saved.unreadable
        # Network work of a sign-in; the wait for the browser holds a thread for minutes.
        self.pool = QThreadPool(self)
        # Keyring work in order: a sign-out's delete runs before a later sign-in's save.
        self.keyring_pool = QThreadPool(self)
        self.keyring_pool.setMaxThreadCount(1)
        self.client = self._build(self.credentials)

    @property
    def can_sign_in(self) -> bool:
        return bool(self.ctx.consumer_key and self.ctx.consumer_secret)

    @property
    def signed_in(self) -> bool:
        return self.credentials is not None

    def _build(self, credentials: OAuthCredentials | None) -> V2Client:
        from imgur_desktop.core.api.v2 import V2Client

        return V2Client(self.ctx.api_url, key=self.ctx.key, oauth=credentials, fmt="json",
                        wait_for_credits=False,
                        max_upload_bytes=self._settings().max_upload_bytes)

    def announce(self) -> None:
        """Tell the listeners (connected by now) the client the app starts with."""
        self._switch()
        if self._unreadable is not None:
            where = "the keyring" if self.keyring_usable else "a keyring (none is usable)"
            self.message.emit(f"Not signed in: the sign-in of {self._unreadable} could not "
                              f"be read from {where}. Sign in again to upload into the "
                              "account.")

    def _switch(self) -> None:
        self.client = self._build(self.credentials)
        self.changed.emit(self.client, self.account_name)
        self.refresh_albums()

    # -- signing in and out ----------------------------------------------------------------

    def sign_in_completed(self, done: Completed) -> None:
        self.credentials = done.credentials
        self.account_name = done.account
        self.session_only = not done.kept
        self.keyring_usable = done.kept
        self._unreadable = None
        if done.kept:
            current = self._settings()
            accounts = {**current.accounts, self.ctx.api_url: done.account}
            # A service of one's own needs the consumer key next time (its secret is in the
            # keyring); the local host hands out its own.
            consumer = current.consumer_key or (
                done.credentials.consumer_key if self.ctx.local is None else None)
            self._remember(replace(current, accounts=accounts, consumer_key=consumer),
                           f"Signed in as {done.account}, but")
        self._switch()

    def sign_out(self) -> None:
        """Forget the tokens (keyring and settings) and upload anonymously from now on."""
        name, stored = self.account_name, self.ctx.account()
        self.credentials = None
        self.account_name = None
        self.session_only = False
        if stored is not None:
            current = self._settings()
            accounts = {k: v for k, v in current.accounts.items() if k != self.ctx.api_url}
            self._remember(replace(current, accounts=accounts), "Signed out, but")
            self._delete_tokens(stored)
        self._switch()
        if name is not None:
            self.message.emit(f"Signed out {name}: uploads are anonymous")

    def _remember(self, new: Settings, failure_prefix: str) -> None:
        try:
            self._save_settings(new)
        except OSError as exc:
            self.message.emit(f"{failure_prefix} the settings could not be saved: "
                              f"{describe(exc)}")
        self.ctx.settings = new

    def _delete_tokens(self, account: str) -> None:
        store, api_url = self.ctx.store, self.ctx.api_url
        worker = Worker(lambda _p, _c: store.delete(api_url, account), parent=self)
        worker.signals.failed.connect(lambda exc: self.message.emit(
            f"The sign-in of {account} could not be removed from the keyring: "
            f"{describe(exc) if isinstance(exc, BaseException) else exc}"))
        self.keyring_pool.start(worker)

    # -- the account's albums, for the album picker ----------------------------------------

    def refresh_albums(self) -> None:
        client = self.client
        if not client.signed_in:
            self.albumsChanged.emit([])
            return
        worker = Worker(lambda _p, cancel: list_albums(client, cancel), parent=self)
        worker.signals.finished.connect(lambda albums: self._albums_listed(client, albums))
        worker.signals.failed.connect(lambda exc: self._albums_failed(client, exc))
        self.pool.start(worker)

    def _albums_listed(self, client: V2Client, albums: object) -> None:
        if client is self.client and isinstance(albums, list):
            self.albumsChanged.emit(albums)

    def _albums_failed(self, client: V2Client, exc: object) -> None:
        if client is self.client:
            text = describe(exc) if isinstance(exc, BaseException) else str(exc)
            self.message.emit(f"Your albums could not be listed: {text}")

    def wait_for_workers(self, msecs: int) -> None:
        self.pool.waitForDone(msecs)
        self.keyring_pool.waitForDone(msecs)
