"""Signing in from the app against the real local host: the browser's consent is posted as a
browser posts it, the verifier comes back through the loopback listener or as a typed PIN,
the tokens live in the keyring only (never in the config dir, the data dir or the logs), and
with no usable keyring the sign-in lasts for the session with nothing written to disk."""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import keyring
import pytest
import requests
from keyring.backend import KeyringBackend
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from imgur_desktop.app import Application
from imgur_desktop.cli.parser import build_app
from imgur_desktop.core.api.v2 import OAuthCredentials, V2Client
from imgur_desktop.core.errors import ApiError
from imgur_desktop.core.tokens import SERVICE
from imgur_desktop.ui.sign_in import SignInDialog
from imgur_desktop.ui.upload_model import State
from tests.conftest import ALICE, BOB, HostWithKeys
from tests.support.browser import Tokens, consent, pin_from
from tests.support.testkeyring import MemoryKeyring
from tests.ui.conftest import (
    app_args,
    drop,
    file_mime,
    quiesce,
    unique_png,
    wait_done,
    write,
)

SIGN_IN_TIMEOUT = 30_000  # ms; a sign-in is a few loopback requests


class Browser:
    """Stands in for the system browser that ``open_url`` hands the page to: it records the
    pages it was sent to and does there what the person would, through the real forms."""

    def __init__(self, user: tuple[str, str] = ALICE, *, allow: bool = True,
                 reaches_back: bool = True) -> None:
        self.user = user
        self.allow = allow
        self.reaches_back = reaches_back  # False: the redirect to 127.0.0.1 never loads
        self.opened: list[str] = []
        self.pages: list[requests.Response] = []

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        self.pages.append(consent(url, *self.user, allow=self.allow,
                                  follow=self.reaches_back))
        return True


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[KeyringBackend]:
    """A backend that raises on every call, as keyring's own fallback does on a bare box."""
    previous = keyring.get_keyring()
    ring = fail.Keyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


def launch(qtbot: QtBot, folder: Path, host: HostWithKeys, browser: Callable[[str], object],
           *, consumer_secret: bool = True, api: str | None = None,
           extra: Sequence[str] = ()) -> Application:
    """The app as ``imgur-desktop --api-url … --key … --consumer-key … --consumer-secret …``
    builds it (as tests/ui/conftest.py's start_app does), connected, with ``browser`` in
    place of the system browser."""
    options = ["--consumer-key", host.keys.consumer_key, *extra]
    if consumer_secret:
        options += ["--consumer-secret", host.keys.consumer_secret]
    if api is not None:
        options += ["--api-url", api]  # the last one counts
    args = build_app().parse_args(app_args(host, folder, *options))
    app = Application(args, [], open_url=browser)
    qtbot.addWidget(app.window)
    with qtbot.waitExposed(app.window):
        app.start()
    qtbot.waitUntil(lambda: app.account is not None and app.queue.client is not None,
                    timeout=10_000)
    return app


def stop(app: Application) -> None:
    if app.sign_in_dialog is not None and app.sign_in_dialog.isVisible():
        app.sign_in_dialog.reject()
    quiesce(app.queue)
    app.finish()
    QApplication.processEvents()


@pytest.fixture
def apps() -> Iterator[list[Application]]:
    started: list[Application] = []
    yield started
    for app in started:
        stop(app)


def click(qtbot: QtBot, button: QWidget) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def dialog_of(app: Application) -> SignInDialog:
    assert app.sign_in_dialog is not None, "no sign-in dialog was opened"
    return app.sign_in_dialog


def start_sign_in(qtbot: QtBot, app: Application, phase: str) -> SignInDialog:
    """Press "Sign in…" and wait until the sign-in dialog reaches ``phase``."""
    click(qtbot, app.window.destination.sign_button)
    dialog = dialog_of(app)
    qtbot.waitUntil(lambda: dialog.phase == phase, timeout=SIGN_IN_TIMEOUT)
    return dialog


def wait_signed_in(qtbot: QtBot, app: Application, name: str) -> None:
    bar = app.window.destination
    qtbot.waitUntil(lambda: bar.account.text() == f"Signed in as {name}"
                    or (app.sign_in_dialog is not None and app.sign_in_dialog.error.isVisible()),
                    timeout=SIGN_IN_TIMEOUT)
    assert bar.account.text() == f"Signed in as {name}", dialog_of(app).error.text()


def tokens_in(ring: MemoryKeyring, host: HostWithKeys, user: str) -> dict[str, str]:
    raw = ring.entries.get(SERVICE, {}).get(f"oauth1|{host.api}|{user}")
    assert raw is not None, f"no keyring entry for {user}: {ring.entries}"
    value: dict[str, str] = json.loads(raw)
    return value


def account_client(host: HostWithKeys, token: str, secret: str) -> V2Client:
    keys = host.keys
    return V2Client(host.api, oauth=OAuthCredentials(keys.consumer_key, keys.consumer_secret,
                                                     token, secret))


def files_under(*folders: Path) -> dict[Path, bytes]:
    found: dict[Path, bytes] = {}
    for folder in folders:
        if folder.is_file():
            found[folder] = folder.read_bytes()
            continue
        for root, _dirs, names in os.walk(folder):
            for name in names:
                path = Path(root) / name
                found[path] = path.read_bytes()
    return found


def assert_secrets_nowhere(app: Application, secrets: list[str],
                           caplog: pytest.LogCaptureFixture) -> None:
    """Not in any file of the config dir, the data dir, the thumbnail cache or the window
    state, and not in anything logged."""
    assert all(len(s) >= 16 for s in secrets), secrets
    folder = app.config_dir.parent
    written = files_under(folder, Path(os.environ["IMGUR_DESKTOP_CACHE_DIR"]),
                          *([Path(app.qsettings.fileName())]
                            if Path(app.qsettings.fileName()).exists() else []))
    for path, data in written.items():
        for secret in secrets:
            assert secret.encode() not in data, f"a secret was written to {path}"
    assert caplog.records, "nothing was logged: the log check would prove nothing"
    for secret in secrets:
        assert secret not in caplog.text


def listener_gone(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            requests.get(url, timeout=2)
        except requests.ConnectionError:
            return True
        return False
    return check


def test_sign_in_through_the_browser_and_out_again(
        qtbot: QtBot, apps: list[Application], shared_host: HostWithKeys,
        memory_keyring: MemoryKeyring, alice_tokens: Tokens, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    browser = Browser(ALICE)
    app = launch(qtbot, tmp_path / "one", shared_host, browser)
    apps.append(app)
    bar = app.window.destination
    assert bar.account.text() == "Not signed in"
    assert bar.sign_button.text() == "Sign in"
    assert bar.sign_button.isEnabled()

    click(qtbot, bar.sign_button)
    wait_signed_in(qtbot, app, "alice")

    assert len(browser.opened) == 1
    assert browser.opened[0].startswith(shared_host.url + "oauth/authorize?oauth_token=")
    landed = browser.pages[0]
    assert landed.status_code == 200
    assert "You can close this tab" in landed.text  # the app's listener answered
    assert landed.url.startswith("http://127.0.0.1:")
    assert "oauth_verifier=" in landed.url
    qtbot.waitUntil(listener_gone(landed.url), timeout=10_000)  # one-shot: closed after
    where = shared_host.api.split("/")[2]
    assert bar.where.text() == f"Uploading to: {where} · alice"
    assert bar.sign_button.text() == "Sign out"
    assert not dialog_of(app).isVisible()
    assert not bar.keyring_banner.isVisible()

    # The tokens are in the keyring, and they are alice's.
    stored = tokens_in(memory_keyring, shared_host, "alice")
    assert stored["consumer_key"] == shared_host.keys.consumer_key
    consumer_entry = f"consumer|{shared_host.api}|{shared_host.keys.consumer_key}"
    assert memory_keyring.entries[SERVICE][consumer_entry] == shared_host.keys.consumer_secret
    mine = account_client(shared_host, stored["token"], stored["secret"])
    assert mine.account().username == "alice"
    settings = (app.config_dir / "settings.toml").read_text()
    assert f'"{shared_host.api}" = "alice"' in settings

    # Uploads now go into the account.
    assert app.queue.client is not None
    assert app.queue.client.signed_in
    drop(app.window.drop_zone, file_mime(write(tmp_path, "mine.png", unique_png())))
    (item,) = wait_done(qtbot, app.model, 1)
    assert item.image is not None
    assert mine.account_image(item.image.hash).hash == item.image.hash

    # The next start finds the sign-in in the keyring (the consumer secret too: it is not
    # given this time).
    again = launch(qtbot, tmp_path / "one", shared_host, Browser(), consumer_secret=False)
    apps.append(again)
    assert again.window.destination.account.text() == "Signed in as alice"
    assert again.queue.client is not None
    assert again.queue.client.signed_in
    assert again.account is not None
    assert again.account.can_sign_in
    stop(again)

    secrets = [stored["token"], stored["secret"], shared_host.keys.consumer_secret]
    assert_secrets_nowhere(app, secrets, caplog)

    click(qtbot, bar.sign_button)  # Sign out: asks nothing
    qtbot.waitUntil(lambda: not any(k.startswith("oauth1|")
                                    for k in memory_keyring.entries.get(SERVICE, {})),
                    timeout=10_000)
    assert bar.account.text() == "Not signed in"
    assert bar.where.text() == f"Uploading to: {where} · Anonymous"
    assert not app.queue.client.signed_in
    assert "alice" not in (app.config_dir / "settings.toml").read_text()
    assert app.window.status_text.text() == "Signed out alice: uploads are anonymous"
    drop(app.window.drop_zone, file_mime(write(tmp_path, "anon.png", unique_png())))
    items = wait_done(qtbot, app.model, 2)
    anonymous = items[1].image
    assert anonymous is not None
    with pytest.raises(ApiError):
        account_client(shared_host, alice_tokens.token, alice_tokens.secret).account_image(
            anonymous.hash)
    assert_secrets_nowhere(app, secrets, caplog)


def test_signed_in_the_album_picker_offers_the_accounts_albums(
        qtbot: QtBot, apps: list[Application], shared_host: HostWithKeys,
        memory_keyring: MemoryKeyring, bob_tokens: Tokens, tmp_path: Path) -> None:
    bob = account_client(shared_host, bob_tokens.token, bob_tokens.secret)
    album = bob.create_album(title=f"Bob's picks {tmp_path.name}")
    app = launch(qtbot, tmp_path, shared_host, Browser(BOB))
    apps.append(app)
    combo = app.window.destination.album
    assert combo.findData(album.id) == -1  # anonymous: no account, no albums

    click(qtbot, app.window.destination.sign_button)
    wait_signed_in(qtbot, app, "bob")
    qtbot.waitUntil(lambda: combo.findData(album.id) >= 0, timeout=10_000)
    entry = combo.model().index(combo.findData(album.id), 0)
    assert entry.data(Qt.ItemDataRole.DisplayRole) == album.title
    assert entry.flags() & Qt.ItemFlag.ItemIsEnabled
    combo.setCurrentIndex(combo.findData(album.id))
    assert app.queue.album_target.kind == "existing"
    assert app.queue.album_target.album_id == album.id

    drop(app.window.drop_zone, file_mime(write(tmp_path, "pick.png", unique_png())))
    (item,) = wait_done(qtbot, app.model, 1)
    assert item.image is not None
    image_hash = item.image.hash
    qtbot.waitUntil(lambda: image_hash in [i.hash for i in bob.album_images(album.id).items],
                    timeout=10_000)

    click(qtbot, app.window.destination.sign_button)  # sign out: bob's albums are gone
    qtbot.waitUntil(lambda: combo.findData(album.id) == -1, timeout=10_000)
    assert combo.currentData() == "none"


def test_a_pin_when_the_browser_cannot_come_back(
        qtbot: QtBot, apps: list[Application], shared_host: HostWithKeys,
        memory_keyring: MemoryKeyring, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    browser = Browser(BOB, reaches_back=False)
    app = launch(qtbot, tmp_path, shared_host, browser)
    apps.append(app)
    dialog = start_sign_in(qtbot, app, "waiting")
    assert dialog.isVisible()
    assert dialog.note.text() == "Finish signing in in your browser."
    assert len(browser.opened) == 1
    assert browser.pages[0].status_code == 302  # the redirect that never loaded
    listener = dialog.listening_on
    assert listener is not None
    assert dialog.pin_instead.isVisible()

    click(qtbot, dialog.pin_instead)
    qtbot.waitUntil(lambda: dialog.phase == "waiting" and len(browser.opened) == 2,
                    timeout=SIGN_IN_TIMEOUT)
    qtbot.waitUntil(listener_gone(listener), timeout=10_000)  # the first listener is closed
    assert dialog.listening_on is None
    assert dialog.note.text() == ("Finish signing in in your browser, then type the PIN the "
                                  "page shows.")
    pin = pin_from(browser.pages[1])

    # A wrong PIN first: refused in words, nothing kept.
    qtbot.keyClicks(dialog.pin, "not-the-pin")
    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.phase == "failed", timeout=SIGN_IN_TIMEOUT)
    assert dialog.error.isVisible()
    assert dialog.error.text().startswith("That PIN was not accepted")
    assert app.window.destination.account.text() == "Not signed in"
    assert not memory_keyring.entries.get(SERVICE)

    click(qtbot, dialog.start_button)  # Start again, still with a PIN
    qtbot.waitUntil(lambda: dialog.phase == "waiting" and len(browser.opened) == 3,
                    timeout=SIGN_IN_TIMEOUT)
    pin = pin_from(browser.pages[2])
    dialog.pin.clear()
    qtbot.keyClicks(dialog.pin, pin)
    click(qtbot, dialog.use_pin_button)
    wait_signed_in(qtbot, app, "bob")
    assert not dialog.isVisible()
    stored = tokens_in(memory_keyring, shared_host, "bob")
    assert account_client(shared_host, stored["token"], stored["secret"]).account().username \
        == "bob"
    assert_secrets_nowhere(app, [stored["token"], stored["secret"],
                                 shared_host.keys.consumer_secret], caplog)


def test_access_denied_in_the_browser_is_said_and_keeps_nothing(
        qtbot: QtBot, apps: list[Application], shared_host: HostWithKeys,
        memory_keyring: MemoryKeyring, tmp_path: Path) -> None:
    browser = Browser(ALICE, allow=False)
    app = launch(qtbot, tmp_path, shared_host, browser)
    apps.append(app)
    dialog = start_sign_in(qtbot, app, "failed")

    assert "Not signed in" in browser.pages[0].text  # the app's listener told the browser
    assert dialog.isVisible()
    assert dialog.error.text().startswith("Access was denied in the browser")
    assert dialog.start_button.text() == "Start again"
    assert app.window.destination.account.text() == "Not signed in"
    assert app.queue.client is not None
    assert not app.queue.client.signed_in
    assert not memory_keyring.entries.get(SERVICE)
    assert not (app.config_dir / "settings.toml").exists()

    click(qtbot, dialog.cancel_button)
    assert not dialog.isVisible()


def test_cancel_while_waiting_for_the_browser_closes_the_listener(
        qtbot: QtBot, apps: list[Application], shared_host: HostWithKeys,
        memory_keyring: MemoryKeyring, tmp_path: Path) -> None:
    opened: list[str] = []
    app = launch(qtbot, tmp_path, shared_host, opened.append)  # a browser that does nothing
    apps.append(app)
    dialog = start_sign_in(qtbot, app, "waiting")
    listener = dialog.listening_on
    assert listener is not None
    assert len(opened) == 1

    click(qtbot, dialog.cancel_button)

    assert not dialog.isVisible()
    qtbot.waitUntil(listener_gone(listener), timeout=10_000)
    assert app.window.destination.account.text() == "Not signed in"
    assert not memory_keyring.entries.get(SERVICE)


def test_without_a_keyring_the_sign_in_lasts_the_session_and_nothing_is_written(
        qtbot: QtBot, apps: list[Application], shared_host: HostWithKeys,
        no_keyring: KeyringBackend, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    folder = tmp_path / "nokeyring"
    app = launch(qtbot, folder, shared_host, Browser(ALICE))
    apps.append(app)
    bar = app.window.destination
    assert not bar.keyring_banner.isVisible()

    click(qtbot, bar.sign_button)
    wait_signed_in(qtbot, app, "alice")

    assert bar.keyring_banner.isVisible()
    assert bar.keyring_text.text().startswith("Signed in for this session only: no keyring")
    assert app.account is not None
    assert app.account.session_only
    assert not app.account.keyring_usable
    credentials = app.account.credentials
    assert credentials is not None
    mine = account_client(shared_host, credentials.token, credentials.token_secret)
    assert mine.account().username == "alice"
    drop(app.window.drop_zone, file_mime(write(tmp_path, "session.png", unique_png())))
    (item,) = wait_done(qtbot, app.model, 1)
    assert item.image is not None
    assert mine.account_image(item.image.hash).hash == item.image.hash
    # Nothing of the sign-in reached the disk: not even which account it was.
    assert not (app.config_dir / "settings.toml").exists()
    assert_secrets_nowhere(app, [credentials.token, credentials.token_secret,
                                 shared_host.keys.consumer_secret], caplog)

    click(qtbot, bar.sign_button)
    assert bar.account.text() == "Not signed in"
    assert not bar.keyring_banner.isVisible()
    assert app.queue.client is not None
    assert not app.queue.client.signed_in
    assert app.account.credentials is None
    assert not (app.config_dir / "settings.toml").exists()
    # the tokens are still valid on the host: signing out only forgets them here
    assert mine.account().username == "alice"
    assert item.state is State.DONE


def sign_in_fails(qtbot: QtBot, app: Application) -> str:
    dialog = start_sign_in(qtbot, app, "failed")
    assert dialog.isVisible()
    assert dialog.error.isVisible()
    assert app.window.destination.account.text() == "Not signed in"
    return dialog.error.text()


def test_wrong_application_keys_are_refused_in_words(
        qtbot: QtBot, apps: list[Application], shared_host: HostWithKeys,
        memory_keyring: MemoryKeyring, tmp_path: Path) -> None:
    browser = Browser(ALICE)
    apps.append(launch(qtbot, tmp_path, shared_host, browser, consumer_secret=False,
                       extra=["--consumer-secret", "x" * 40]))
    text = sign_in_fails(qtbot, apps[0])
    assert text == ("The service refused this application's keys (check the consumer key and "
                    "secret)")
    assert browser.opened == []  # nobody was sent to a page that could not work
    assert not memory_keyring.entries.get(SERVICE)


def test_an_unreachable_service_is_said_in_words(
        qtbot: QtBot, apps: list[Application], shared_host: HostWithKeys,
        memory_keyring: MemoryKeyring, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    browser = Browser(ALICE)
    apps.append(launch(qtbot, tmp_path, shared_host, browser,
                       api=f"http://127.0.0.1:{port}/2/"))
    text = sign_in_fails(qtbot, apps[0])
    assert text.startswith("The service cannot be reached to sign in")
    assert "Traceback" not in text
    assert browser.opened == []


def test_sign_in_needs_the_application_keys(
        qtbot: QtBot, start_app: Callable[..., Application]) -> None:
    app = start_app()  # --api-url and --key only: no consumer key
    qtbot.waitUntil(lambda: app.account is not None, timeout=10_000)
    bar = app.window.destination
    assert not bar.sign_button.isEnabled()
    assert "consumer key and secret" in bar.sign_button.toolTip()
