"""A sign-in revoked on the host while uploads run: the queue holds the rows (none fails),
the app asks the person to sign in again, and the rows go once they have; or, when the person
declines, they wait until the person chooses to upload them anonymously."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from pytestqt.qtbot import QtBot

from imgur_desktop.app import HELD
from imgur_desktop.core import settings as settings_file
from imgur_desktop.core.errors import ApiError
from imgur_desktop.core.settings import Settings
from imgur_desktop.core.tokens import SERVICE, StoredTokens, TokenStore
from imgur_desktop.ui.sign_in import EXPIRED, SignInDialog
from imgur_desktop.ui.upload_model import State
from tests.conftest import ALICE, HostWithKeys
from tests.support.browser import Tokens, sign_in
from tests.support.testkeyring import MemoryKeyring
from tests.ui import test_sign_in
from tests.ui.conftest import (
    UPLOAD_TIMEOUT,
    drop,
    file_mime,
    unique_png,
    wait_done,
    when_modal,
    write,
)
from tests.ui.test_sign_in import Browser, account_client, click, launch, stop

FILES = 6
PROMPT_TRIES = 1500  # x 20 ms: the prompt comes after a few uploads, even on a busy machine

memory_keyring = test_sign_in.memory_keyring  # the same fixture: pytest finds it by this name


def signed_in_before(host: HostWithKeys, folder: Path, concurrency: int) -> Tokens:
    """A sign-in of alice's kept as the app keeps one (keyring + settings), made for this
    test alone so that revoking it touches no other test."""
    tokens = sign_in(host.url, host.keys, *ALICE)
    store = TokenStore()
    store.save(host.api, StoredTokens("alice", tokens.token, tokens.secret,
                                      host.keys.consumer_key))
    store.save_consumer_secret(host.api, host.keys.consumer_key, host.keys.consumer_secret)
    settings_file.save(folder / "cfg", Settings(concurrency=concurrency,
                                                accounts={host.api: "alice"}))
    return tokens


def revoke(host: HostWithKeys, token: str) -> None:
    """Revoke the access token in the host's own database, as an admin would."""
    con = sqlite3.connect(Path(host.data_dir) / "imgur-host.sqlite3", timeout=30)
    try:
        with con:
            gone = con.execute("DELETE FROM access_tokens WHERE token = ?", (token,)).rowcount
    finally:
        con.close()
    assert gone == 1


def in_account(host: HostWithKeys, tokens: Tokens, image_hash: str) -> bool:
    try:
        account_client(host, tokens.token, tokens.secret).account_image(image_hash)
    except ApiError:
        return False
    return True


def test_a_revoked_sign_in_mid_queue_asks_again_and_the_queue_resumes(
        qtbot: QtBot, shared_host: HostWithKeys, memory_keyring: MemoryKeyring,
        alice_tokens: Tokens, tmp_path: Path) -> None:
    old = signed_in_before(shared_host, tmp_path, concurrency=2)
    app = launch(qtbot, tmp_path, shared_host, Browser(ALICE))
    try:
        assert app.window.destination.account.text() == "Signed in as alice"
        # Revoke the moment the second upload is done: the rest meet a dead token.
        revoked: list[int] = []

        def revoke_after_two(*_args: object) -> None:
            done = sum(i.state is State.DONE for i in app.model.items)
            if done >= 2 and not revoked:
                revoke(shared_host, old.token)
                revoked.append(done)

        app.model.dataChanged.connect(revoke_after_two)
        prompts: list[tuple[str, bool, list[State]]] = []

        def sign_in_again(dialog: SignInDialog) -> None:
            prompts.append((dialog.reason.text(), app.queue.held_for_sign_in,
                            [i.state for i in app.model.items]))
            click(qtbot, dialog.start_button)

        handled = when_modal(SignInDialog, sign_in_again, tries=PROMPT_TRIES)
        files = [write(tmp_path, f"q{n}.png", unique_png()) for n in range(FILES)]
        drop(app.window.drop_zone, file_mime(*files))

        items = wait_done(qtbot, app.model, FILES)  # every one DONE, none FAILED

        assert revoked, "the token was never revoked"
        assert len(handled) == 1
        ((reason, held, states),) = prompts
        assert reason == EXPIRED
        assert held
        assert State.FAILED not in states
        assert State.QUEUED in states  # rows waited for the sign-in instead of failing
        assert app.window.destination.account.text() == "Signed in as alice"
        assert not app.window.destination.held_banner.isVisible()
        # A new sign-in replaced the revoked one in the keyring.
        stored = json.loads(memory_keyring.entries[SERVICE][f"oauth1|{shared_host.api}|alice"])
        assert stored["token"] != old.token
        assert app.queue.client is not None
        assert app.queue.client.signed_in
        # Every upload is in alice's account, the ones after the revocation included.
        hashes = [i.image.hash for i in items if i.image is not None]
        assert len(set(hashes)) == FILES
        assert all(in_account(shared_host, alice_tokens, h) for h in hashes)
        assert not in_account(shared_host, old, hashes[0])  # the old token is dead indeed
    finally:
        stop(app)


def test_declining_to_sign_in_again_holds_the_queue_until_anonymous_is_chosen(
        qtbot: QtBot, shared_host: HostWithKeys, memory_keyring: MemoryKeyring,
        alice_tokens: Tokens, tmp_path: Path) -> None:
    old = signed_in_before(shared_host, tmp_path, concurrency=2)
    app = launch(qtbot, tmp_path, shared_host, Browser(ALICE))
    try:
        revoke(shared_host, old.token)
        handled = when_modal(SignInDialog, lambda d: click(qtbot, d.cancel_button),
                             tries=PROMPT_TRIES)
        files = [write(tmp_path, f"w{n}.png", unique_png()) for n in range(3)]
        drop(app.window.drop_zone, file_mime(*files))
        qtbot.waitUntil(lambda: len(handled) == 1 and not handled[0].isVisible(),
                        timeout=UPLOAD_TIMEOUT)

        bar = app.window.destination
        assert app.queue.held_for_sign_in
        assert [i.state for i in app.model.items] == [State.QUEUED] * 3
        assert app.window.status_text.text() == HELD
        assert bar.held_banner.isVisible()
        assert bar.held_text.text() == HELD
        # Held means held: nothing starts while the person has not chosen.
        qtbot.wait(500)
        assert [i.state for i in app.model.items] == [State.QUEUED] * 3

        click(qtbot, bar.held_anonymous)
        items = wait_done(qtbot, app.model, 3)

        assert not bar.held_banner.isVisible()
        assert bar.account.text() == "Not signed in"
        qtbot.waitUntil(lambda: not any(k.startswith("oauth1|")
                                        for k in memory_keyring.entries[SERVICE]),
                        timeout=10_000)  # the dead sign-in is forgotten
        hashes = [i.image.hash for i in items if i.image is not None]
        assert len(hashes) == 3
        assert not any(in_account(shared_host, alice_tokens, h) for h in hashes)
    finally:
        stop(app)
