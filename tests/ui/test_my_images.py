"""My images against the real local host: pages load as the list scrolls and stop after a short
page (requests counted at a proxy), the "Not in an album" filter, editing a title and caption,
deleting after a confirmation, copying and opening links, dragging hashes out, and failures
that leave the rows where they were."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from PySide6.QtCore import QModelIndex, Qt, QUrl
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from imgur_desktop.core.api.transport import RetryPolicy, Transport
from imgur_desktop.core.api.v2 import OAuthCredentials, V2Client
from imgur_desktop.core.errors import ApiError
from imgur_desktop.core.models import UploadMeta
from imgur_desktop.core.thumb_cache import ThumbCache
from imgur_desktop.ui.image_mime import MIME_TYPE, hashes_from, to_mime
from imgur_desktop.ui.my_images import SIGN_IN_TEXT, ImageEditDialog, MyImagesView
from imgur_desktop.ui.thumbnails import ThumbnailLoader
from tests.conftest import HostWithKeys
from tests.support.browser import Tokens, sign_in
from tests.support.faults import FaultProxy, Forward, Respond
from tests.support.localhost import add_user
from tests.ui.conftest import clear_clipboard, clipboard_text, unique_png, when_modal

WAIT = 20_000  # ms: generous, the machine is shared


@dataclass
class Account:
    """A user made for one test, signed in as a person would (the consent form posted)."""

    host: HostWithKeys
    name: str
    tokens: Tokens

    def client(self, api: str | None = None, *, retries: bool = True) -> V2Client:
        """A client for this account; through ``api`` (a proxy) when given. Without retries a
        5xx is final at once, so failure tests do not wait out the back-off."""
        keys = self.host.keys
        transport = None if retries else Transport(retry=RetryPolicy(attempts=1))
        return V2Client(api or self.host.api, transport=transport, oauth=OAuthCredentials(
            keys.consumer_key, keys.consumer_secret, self.tokens.token, self.tokens.secret))


def new_account(host: HostWithKeys) -> Account:
    name = f"user{uuid.uuid4().hex[:12]}"  # unique however often this module is imported
    password = f"pw-{name}-secret"
    add_user(Path(host.data_dir), name, password)
    return Account(host, name, sign_in(host.url, host.keys, name, password))


def upload(client: V2Client, count: int, *, prefix: str = "img") -> list[str]:
    """``count`` small images into the account; their hashes in upload order."""
    return [client.upload_bytes(unique_png((8, 8)), f"{prefix}{n}.png",
                                UploadMeta(title=f"{prefix} {n}"), account=True).hash
            for n in range(count)]


def account_hashes(client: V2Client, *, noalbum: bool = False) -> list[str]:
    return [i.hash for i in client.account_images(count=100, noalbum=noalbum).items]


def list_requests(proxy: FaultProxy) -> list[dict[str, list[str]]]:
    """The query of every ``GET account/images`` the proxy saw."""
    out = []
    for seen in list(proxy.seen):
        parts = urlsplit(seen.path)
        if seen.method == "GET" and parts.path.startswith("/2/account/images."):
            out.append(parse_qs(parts.query))
    return out


@pytest.fixture
def loader(tmp_path: Path) -> Iterator[ThumbnailLoader]:
    thumbs = ThumbnailLoader(ThumbCache(tmp_path / "thumbs"))
    yield thumbs
    thumbs.shutdown()


@pytest.fixture
def make_view(qtbot: QtBot,
              loader: ThumbnailLoader) -> Iterator[Callable[[V2Client | None], MyImagesView]]:
    made: list[MyImagesView] = []

    def make(client: V2Client | None, page_size: int = 30) -> MyImagesView:
        view = MyImagesView(loader)
        made.append(view)
        qtbot.addWidget(view)
        view.resize(640, 420)  # a few rows show: the first page never fills the view
        view.set_page_size(page_size)
        with qtbot.waitExposed(view):
            view.show()
        view.set_client(client)
        if client is not None:
            idle(qtbot, view)
        return view

    yield make
    for view in made:
        view.shutdown()


def idle(qtbot: QtBot, view: MyImagesView) -> None:
    qtbot.waitUntil(lambda: view.jobs.pending() == 0, timeout=WAIT)


def shown(view: MyImagesView) -> list[str]:
    return [i.hash for i in view.model.images]


def click_row(qtbot: QtBot, view: MyImagesView, hash_: str,
              modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    index = view.model.index(view.model.row_of(hash_))
    view.list.scrollTo(index)
    qtbot.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, modifier,
                     view.list.visualRect(index).center())


def scroll_to_end(qtbot: QtBot, view: MyImagesView) -> None:
    """As a person would: into the list (a click on its first row), then the End key."""
    if not view.list.currentIndex().isValid():
        click_row(qtbot, view, view.model.image_at(0).hash)
    qtbot.keyClick(view.list, Qt.Key.Key_End)


def press(button: QMessageBox.StandardButton,
          said: list[str] | None = None) -> Callable[[QMessageBox], None]:
    """Answer a message box with ``button``, noting what it said (it is gone afterwards)."""
    def act(box: QMessageBox) -> None:
        if said is not None:
            said.append(box.text())
        box.button(button).click()
    return act


# -- paging ------------------------------------------------------------------------------------

def test_pages_load_as_the_list_scrolls_and_stop_after_a_short_page(
        qtbot: QtBot, make_host: Callable[..., HostWithKeys],
        make_view: Callable[..., MyImagesView]) -> None:
    host = make_host("--credits-user", "100000", users=False)
    account = new_account(host)
    uploaded = upload(account.client(), 65)
    newest_first = list(reversed(uploaded))
    with FaultProxy(host.url) as proxy:
        view = make_view(account.client(proxy.api))
        assert view.model.rowCount() == 30
        assert shown(view) == newest_first[:30]
        assert len(list_requests(proxy)) == 1

        scroll_to_end(qtbot, view)
        qtbot.waitUntil(lambda: view.model.rowCount() == 60, timeout=WAIT)
        idle(qtbot, view)
        assert len(list_requests(proxy)) == 2
        scroll_to_end(qtbot, view)
        qtbot.waitUntil(lambda: view.model.rowCount() == 65, timeout=WAIT)
        idle(qtbot, view)

        # The third page came back short: that was the last, however far one scrolls.
        qtbot.keyClick(view.list, Qt.Key.Key_Home)
        scroll_to_end(qtbot, view)
        QApplication.processEvents()
        assert not view.model.canFetchMore(QModelIndex())
        assert view.jobs.pending() == 0
        assert shown(view) == newest_first
        queries = list_requests(proxy)
        assert [(q["page"], q["count"]) for q in queries] == [
            (["1"], ["30"]), (["2"], ["30"]), (["3"], ["30"])]
        assert view.summary.text() == "65 images"


def test_the_page_size_is_a_setting_up_to_the_api_limit(
        qtbot: QtBot, shared_host: HostWithKeys,
        make_view: Callable[..., MyImagesView]) -> None:
    account = new_account(shared_host)
    newest_first = list(reversed(upload(account.client(), 5)))
    with FaultProxy(shared_host.url) as proxy:
        # Pages of 2 do not fill the view: it asks for more until they do or the list ends.
        view = make_view(account.client(proxy.api), page_size=2)
        qtbot.waitUntil(lambda: view.model.exhausted and view.jobs.pending() == 0,
                        timeout=WAIT)
        assert shown(view) == newest_first
        assert [(q["page"], q["count"]) for q in list_requests(proxy)] == [
            (["1"], ["2"]), (["2"], ["2"]), (["3"], ["2"])]

        view.set_page_size(500)  # more than the API allows: held to 100
        assert view.model.page_size == 100
        idle(qtbot, view)
        assert shown(view) == newest_first
        assert [(q["page"], q["count"]) for q in list_requests(proxy)[3:]] == [
            (["1"], ["100"])]


def test_signed_out_the_view_says_to_sign_in(qtbot: QtBot, shared_host: HostWithKeys,
                                             make_view: Callable[..., MyImagesView]) -> None:
    view = make_view(None)
    assert view.stack.currentWidget() is view.signed_out
    assert view.signed_out.text() == SIGN_IN_TEXT
    view.set_client(V2Client(shared_host.api, key=shared_host.keys.key))  # anonymous
    assert view.stack.currentWidget() is view.signed_out
    assert view.model.rowCount() == 0
    assert view.jobs.pending() == 0  # nothing was asked of the service


# -- the filter --------------------------------------------------------------------------------

def test_not_in_an_album_reloads_with_only_those_images(
        qtbot: QtBot, shared_host: HostWithKeys,
        make_view: Callable[..., MyImagesView]) -> None:
    account = new_account(shared_host)
    client = account.client()
    first, second, third = upload(client, 3)
    client.create_album(title="has one", images=[second])
    view = make_view(client)
    assert shown(view) == [third, second, first]

    qtbot.mouseClick(view.noalbum, Qt.MouseButton.LeftButton)
    assert view.noalbum.isChecked()
    qtbot.waitUntil(lambda: shown(view) == [third, first], timeout=WAIT)
    assert shown(view) == account_hashes(client, noalbum=True)

    qtbot.mouseClick(view.noalbum, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown(view) == [third, second, first], timeout=WAIT)


# -- editing -----------------------------------------------------------------------------------

def test_editing_the_title_and_caption_reaches_the_server(
        qtbot: QtBot, shared_host: HostWithKeys,
        make_view: Callable[..., MyImagesView]) -> None:
    account = new_account(shared_host)
    client = account.client()
    first, second = upload(client, 2)
    view = make_view(client)
    click_row(qtbot, view, first)
    assert view.edit_button.isEnabled()

    def fill(dialog: ImageEditDialog) -> None:
        assert dialog.title.text() == "img 0"  # the dialog starts from what the row shows
        dialog.title.selectAll()
        qtbot.keyClicks(dialog.title, "Harbour at dusk")
        qtbot.keyClicks(dialog.caption, "Taken from the pier")
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()

    handled = when_modal(ImageEditDialog, fill)
    qtbot.mouseClick(view.edit_button, Qt.MouseButton.LeftButton)
    assert handled, "the edit dialog never came up"
    qtbot.waitUntil(lambda: view.model.image_at(view.model.row_of(first)).title
                    == "Harbour at dusk", timeout=WAIT)
    stored = client.account_image(first)
    assert (stored.title, stored.caption) == ("Harbour at dusk", "Taken from the pier")
    row = view.model.image_at(view.model.row_of(first))
    assert row.caption == "Taken from the pier"  # the row shows the service's answer
    assert client.account_image(second).title == "img 1"  # the other one is untouched
    assert view.status.text() == "Saved"


def test_a_failed_edit_is_shown_and_the_row_keeps_what_it_had(
        qtbot: QtBot, shared_host: HostWithKeys,
        make_view: Callable[..., MyImagesView]) -> None:
    account = new_account(shared_host)
    (only,) = upload(account.client(), 1)
    with FaultProxy(shared_host.url) as proxy:
        view = make_view(account.client(proxy.api, retries=False))
        proxy.default = Respond(500, b"<h1>down</h1>")
        click_row(qtbot, view, only)

        def fill(dialog: ImageEditDialog) -> None:
            dialog.title.setText("Never stored")
            dialog.buttons.button(dialog.buttons.StandardButton.Save).click()

        when_modal(ImageEditDialog, fill)
        view.edit_selected()
        idle(qtbot, view)
    assert view.status.text().startswith("The changes were not saved: The service had a "
                                         "problem")
    assert view.model.image_at(0).title == "img 0"
    assert account.client().account_image(only).title == "img 0"


# -- deleting ----------------------------------------------------------------------------------

def test_deleting_many_asks_first_and_rows_leave_once_the_server_confirms(
        qtbot: QtBot, shared_host: HostWithKeys,
        make_view: Callable[..., MyImagesView]) -> None:
    account = new_account(shared_host)
    client = account.client()
    first, second, third = upload(client, 3)
    view = make_view(client)
    click_row(qtbot, view, first)
    click_row(qtbot, view, third, Qt.KeyboardModifier.ControlModifier)
    assert [i.hash for i in view.selected_images()] == [third, first]

    said: list[str] = []
    asked = when_modal(QMessageBox, press(QMessageBox.StandardButton.No, said))
    qtbot.keyClick(view.list, Qt.Key.Key_Delete)
    assert len(asked) == 1
    assert said == ["Delete these 2 images from your account? This cannot be undone: links "
                    "to them stop working."]
    assert view.jobs.pending() == 0
    assert shown(view) == [third, second, first]
    assert client.images_count() == 3

    asked = when_modal(QMessageBox, press(QMessageBox.StandardButton.Yes))
    qtbot.mouseClick(view.delete_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1
    qtbot.waitUntil(lambda: shown(view) == [second], timeout=WAIT)
    assert account_hashes(client) == [second]
    for gone in (first, third):
        with pytest.raises(ApiError) as info:
            client.account_image(gone)
        assert info.value.status == 404
    assert view.status.text() == "Deleted 2 images"


def test_a_failed_delete_is_shown_and_its_row_stays(
        qtbot: QtBot, shared_host: HostWithKeys, loader: ThumbnailLoader,
        make_view: Callable[..., MyImagesView]) -> None:
    account = new_account(shared_host)
    first, second = upload(account.client(), 2)
    with FaultProxy(shared_host.url) as proxy:
        view = make_view(account.client(proxy.api, retries=False))
        # The thumbnails come through the proxy too: let them arrive before planning faults.
        qtbot.waitUntil(lambda: all(loader.pixmap(i.links.small_square or "") is not None
                                    for i in view.model.images), timeout=WAIT)
        click_row(qtbot, view, first)
        click_row(qtbot, view, second, Qt.KeyboardModifier.ControlModifier)
        # The first delete to arrive goes through; every later one meets a broken service.
        proxy.default = Respond(500, b"<h1>down</h1>")
        proxy.plan(Forward())
        when_modal(QMessageBox, press(QMessageBox.StandardButton.Yes))
        view.delete_selected()
        idle(qtbot, view)
    left = account_hashes(account.client())
    assert len(left) == 1
    assert shown(view) == left  # exactly the one the service still has
    assert view.model.flags(view.model.index(0)) & Qt.ItemFlag.ItemIsDragEnabled
    assert view.status.text().startswith("1 of 2 images were not deleted: The service had a "
                                         "problem")


# -- links and dragging ------------------------------------------------------------------------

def test_copy_link_and_open_in_browser(qtbot: QtBot, shared_host: HostWithKeys,
                                       make_view: Callable[..., MyImagesView]) -> None:
    from imgur_desktop.core.links import LinkFormat

    account = new_account(shared_host)
    client = account.client()
    first, second = upload(client, 2)
    view = make_view(client)
    opened: list[QUrl] = []
    view.open_url = opened.append
    stored = {h: client.account_image(h) for h in (first, second)}

    clear_clipboard()
    click_row(qtbot, view, second)
    qtbot.mouseClick(view.copy_button, Qt.MouseButton.LeftButton)
    assert clipboard_text() == stored[second].links.original
    assert clipboard_text().endswith(f"/{second}.png")
    assert view.status.text() == "Link copied"

    view.set_link_format(LinkFormat.MARKDOWN)
    click_row(qtbot, view, first, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view.list, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard_text() == (f"![img 1]({stored[second].links.original})\n"
                                f"![img 0]({stored[first].links.original})")

    qtbot.mouseClick(view.open_button, Qt.MouseButton.LeftButton)
    assert [u.toString() for u in opened] == [stored[second].links.imgur_page,
                                              stored[first].links.imgur_page]


def test_selected_images_drag_out_as_hashes(qtbot: QtBot, shared_host: HostWithKeys,
                                            make_view: Callable[..., MyImagesView]) -> None:
    account = new_account(shared_host)
    first, _second, third = upload(account.client(), 3)
    view = make_view(account.client())
    click_row(qtbot, view, first)
    click_row(qtbot, view, third, Qt.KeyboardModifier.ControlModifier)
    # What the view hands to QDrag when a person starts dragging the selection.
    mime = view.model.mimeData(view.list.selectedIndexes())
    assert mime.formats() == [MIME_TYPE]
    assert hashes_from(mime) == [third, first]
    assert view.model.supportedDragActions() == Qt.DropAction.CopyAction
    assert view.list.dragEnabled()


def test_hash_mime_round_trip_skips_what_is_not_a_hash(qtbot: QtBot) -> None:
    mime = to_mime(["abc123", "XyZ9"])
    assert hashes_from(mime) == ["abc123", "XyZ9"]
    mime.setData(MIME_TYPE, b"abc123\n../etc/passwd\n\nabc123\nQ1w2\n")
    assert hashes_from(mime) == ["abc123", "Q1w2"]
    assert hashes_from(None) == []


# -- failures while loading --------------------------------------------------------------------

def test_a_page_that_fails_is_shown_the_rows_stay_and_try_again_resumes(
        qtbot: QtBot, shared_host: HostWithKeys,
        make_view: Callable[..., MyImagesView]) -> None:
    account = new_account(shared_host)
    uploaded = list(reversed(upload(account.client(), 10)))
    with FaultProxy(shared_host.url) as proxy:
        view = make_view(account.client(proxy.api, retries=False), page_size=8)
        assert shown(view) == uploaded[:8]
        proxy.default = Respond(500, b"<h1>down</h1>")
        scroll_to_end(qtbot, view)
        qtbot.waitUntil(lambda: view.retry_button.isVisible(), timeout=WAIT)
        assert view.status.text().startswith("The images could not be loaded: The service "
                                             "had a problem")
        assert shown(view) == uploaded[:8]
        asked = len(list_requests(proxy))
        qtbot.keyClick(view.list, Qt.Key.Key_Home)
        scroll_to_end(qtbot, view)
        QApplication.processEvents()
        assert len(list_requests(proxy)) == asked  # no asking again on every scroll

        proxy.default = Forward()
        qtbot.mouseClick(view.retry_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: shown(view) == uploaded, timeout=WAIT)
        assert not view.retry_button.isVisible()
        assert not view.status.isVisible()


def test_a_stopped_host_is_shown_in_words_and_the_rows_stay(
        qtbot: QtBot, make_host: Callable[..., HostWithKeys],
        make_view: Callable[..., MyImagesView]) -> None:
    host = make_host()
    account = new_account(host)
    uploaded = list(reversed(upload(account.client(), 9)))
    view = make_view(account.client(retries=False), page_size=8)
    assert shown(view) == uploaded[:8]
    host.host.stop()
    scroll_to_end(qtbot, view)
    qtbot.waitUntil(lambda: view.retry_button.isVisible(), timeout=WAIT)
    assert view.status.text() == ("The images could not be loaded: The service cannot be "
                                  "reached (is it running, and is the network up?).")
    assert shown(view) == uploaded[:8]
