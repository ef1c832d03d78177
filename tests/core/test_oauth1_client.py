"""``OAuth1SignIn`` and ``LoopbackReceiver`` in process, against the real host over HTTP."""

from __future__ import annotations

import socket
import threading

import pytest
import requests

from imgur_desktop.core.api.oauth1 import LoopbackReceiver, OAuth1SignIn
from imgur_desktop.core.api.v2 import V2Client, oauth_base
from imgur_desktop.core.cancel import CancelToken
from imgur_desktop.core.errors import ApiError, AuthRequired, Cancelled, NetworkError
from tests.conftest import ALICE, BOB, HostWithKeys
from tests.support.browser import consent, pin_from


def sign_in_flow(host: HostWithKeys) -> OAuth1SignIn:
    return OAuth1SignIn(host.api, host.keys.consumer_key, host.keys.consumer_secret)


def test_oauth_base_drops_the_version() -> None:
    assert oauth_base("http://127.0.0.1:8750/2/") == "http://127.0.0.1:8750/"
    assert oauth_base("http://127.0.0.1:8750/2") == "http://127.0.0.1:8750/"
    assert oauth_base("https://api.example/") == "https://api.example/"


def test_loopback_sign_in_end_to_end(shared_host: HostWithKeys) -> None:
    flow = sign_in_flow(shared_host)
    receiver = LoopbackReceiver()
    try:
        pending = flow.start(callback=receiver.callback_url)
        assert pending.authorize_url.startswith(f"{shared_host.url}oauth/authorize?oauth_token=")

        page = consent(pending.authorize_url, *ALICE, follow=True)

        assert page.status_code == 200
        assert "You can close this tab" in page.text
        assert page.url.startswith(receiver.callback_url + "?")
        verifier = receiver.wait(30)
    finally:
        receiver.close()
    assert verifier

    credentials = flow.finish(pending, verifier)

    assert credentials.consumer_key == shared_host.keys.consumer_key
    assert credentials.consumer_secret == shared_host.keys.consumer_secret
    account = V2Client(shared_host.api, oauth=credentials).account()
    assert account.username == "alice"
    assert account.is_pro is False


def test_loopback_wait_ends_at_once_when_access_is_denied(shared_host: HostWithKeys) -> None:
    flow = sign_in_flow(shared_host)
    receiver = LoopbackReceiver()
    try:
        pending = flow.start(callback=receiver.callback_url)
        page = consent(pending.authorize_url, *ALICE, allow=False, follow=True)
        assert page.status_code == 200
        assert "denied access" in page.text
        with pytest.raises(AuthRequired, match="denied"):
            receiver.wait(30)  # returns on the redirect, long before the 30 s
    finally:
        receiver.close()


def test_pin_sign_in_end_to_end(shared_host: HostWithKeys) -> None:
    flow = sign_in_flow(shared_host)
    pending = flow.start()  # "oob": the page shows a PIN
    pin = pin_from(consent(pending.authorize_url, *BOB))

    credentials = flow.finish(pending, f"  {pin}\n")  # as typed, with stray whitespace

    account = V2Client(shared_host.api, oauth=credentials).account()
    assert account.username == "bob"
    assert account.is_pro is True


def test_a_wrong_pin_is_auth_required(shared_host: HostWithKeys) -> None:
    flow = sign_in_flow(shared_host)
    pending = flow.start()
    real = pin_from(consent(pending.authorize_url, *ALICE))
    wrong = "0" * len(real) if real != "0" * len(real) else "1" * len(real)

    with pytest.raises(AuthRequired, match="PIN was not accepted"):
        flow.finish(pending, wrong)


def test_a_pin_that_was_never_granted_is_auth_required(shared_host: HostWithKeys) -> None:
    flow = sign_in_flow(shared_host)
    pending = flow.start()  # nobody opened the page
    with pytest.raises(AuthRequired):
        flow.finish(pending, "123456")


def test_wrong_consumer_secret_is_refused_with_a_plain_message(
        shared_host: HostWithKeys) -> None:
    flow = OAuth1SignIn(shared_host.api, shared_host.keys.consumer_key, "not-the-secret")
    with pytest.raises(ApiError, match="consumer key and secret") as info:
        flow.start()
    assert info.value.status == 401


def test_an_unreachable_service_is_a_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    flow = OAuth1SignIn(f"http://127.0.0.1:{port}/2/", "key", "secret")
    with pytest.raises(NetworkError, match="cannot be reached"):
        flow.start()


def test_receiver_ignores_requests_without_a_verifier() -> None:
    receiver = LoopbackReceiver()
    try:
        stray = requests.get(receiver.callback_url + "?oauth_token=abc", timeout=5)
        assert stray.status_code == 400
        favicon = requests.get(receiver.callback_url.replace("/callback", "/favicon.ico"),
                               timeout=5)
        assert favicon.status_code == 400
        with pytest.raises(AuthRequired, match="not finished"):
            receiver.wait(0.5)
        ok = requests.get(receiver.callback_url + "?oauth_token=abc&oauth_verifier=v123",
                          timeout=5)
        assert ok.status_code == 200
        assert receiver.wait(5) == "v123"
    finally:
        receiver.close()


def test_receiver_listens_on_loopback_only() -> None:
    receiver = LoopbackReceiver()
    try:
        assert receiver.callback_url.startswith("http://127.0.0.1:")
        assert receiver._server.server_address[0] == "127.0.0.1"
    finally:
        receiver.close()
    with pytest.raises(requests.ConnectionError):
        requests.get(receiver.callback_url, timeout=5)


def test_receiver_wait_can_be_cancelled() -> None:
    receiver = LoopbackReceiver()
    cancel = CancelToken()
    try:
        timer = threading.Timer(0.3, cancel.cancel)
        timer.start()
        with pytest.raises(Cancelled):
            receiver.wait(60, cancel)
        timer.join()
    finally:
        receiver.close()
