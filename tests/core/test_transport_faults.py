"""Transport faults the real host cannot produce, played by a fault proxy on 127.0.0.1:
resets, 502/503 bursts, refused connections, stalls, garbage, truncated and oversized answers.
The proxy counts requests, so retries are checked by count, never by the clock."""

from __future__ import annotations

import gc
import threading
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from imgur_desktop.core.api.transport import MAX_RESPONSE_BYTES, RetryPolicy, Transport
from imgur_desktop.core.api.v2 import V2Client
from imgur_desktop.core.cancel import CancelToken
from imgur_desktop.core.errors import (
    ApiError,
    AuthRequired,
    BadResponse,
    Cancelled,
    NetworkError,
    RateLimited,
)
from imgur_desktop.core.models import Image
from tests.conftest import HostWithKeys
from tests.core.conftest import fast_transport, oauth_for
from tests.support import images
from tests.support.browser import Tokens
from tests.support.faults import (
    FaultProxy,
    Forward,
    Huge,
    Reset,
    Respond,
    Stall,
    Truncate,
)

pytestmark = pytest.mark.timeout(60)

HTML_502 = (b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
            b"<body><h1>502 Bad Gateway</h1><hr>nginx</body></html>")
BUSY_PAGE = (b"<html><body><h1>Sorry! We're busy running around with no clothes on.</h1>"
             b"</body></html>")
V2_ERROR_400 = (b'{"error":{"message":"Invalid view: use today, week or month",'
                b'"request":"\\/2\\/stats.json","method":"get","format":"json","parameters":""}}')


class SleepLog:
    """The Transport's sleep: records each backoff and, when asked, acts on the first one."""

    def __init__(self, on_first: Callable[[], None] | None = None) -> None:
        self.delays: list[float] = []
        self._on_first = on_first

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if len(self.delays) == 1 and self._on_first is not None:
            self._on_first()


def client_via(front: FaultProxy, host: HostWithKeys, *, fmt: str = "json",
               read_timeout: float = 10.0, attempts: int = 4,
               sleep: Callable[[float], None] | None = None) -> V2Client:
    retry = RetryPolicy(attempts=attempts, base_delay=0.01, max_delay=0.05)
    transport = (Transport(connect_timeout=2.0, read_timeout=read_timeout, retry=retry,
                           sleep=sleep) if sleep is not None
                 else fast_transport(read_timeout=read_timeout, attempts=attempts))
    return V2Client(front.api, key=host.keys.key, fmt=fmt, transport=transport)


@pytest.fixture(scope="module")
def existing(shared_host: HostWithKeys) -> Image:
    """An image on the host, uploaded directly (not through any proxy)."""
    client = V2Client(shared_host.api, key=shared_host.keys.key, transport=fast_transport())
    return client.upload_bytes(images.png(), "existing.png")


def image_file(tmp_path: Path, name: str = "pic.png") -> Path:
    path = tmp_path / name
    path.write_bytes(images.png((120, 90)))
    return path


def stored_images(host: HostWithKeys) -> set[str]:
    return {p.name for p in (host.data_dir / "images").iterdir()}


# -- the proxy itself is transparent ----------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_forwarding_is_transparent(proxy: FaultProxy, shared_host: HostWithKeys,
                                   existing: Image, tmp_path: Path, fmt: str) -> None:
    client = client_via(proxy, shared_host, fmt=fmt)
    assert client.image(existing.hash).hash == existing.hash
    uploaded = client.upload_file(image_file(tmp_path))
    assert uploaded.size == image_file(tmp_path).stat().st_size
    assert [(s.method, s.path.split("?")[0]) for s in proxy.seen] == [
        ("GET", f"/2/image/{existing.hash}.{fmt}"), ("POST", f"/2/upload.{fmt}")]


# -- resets --------------------------------------------------------------------------------------


def test_reset_on_get_is_retried(proxy: FaultProxy, shared_host: HostWithKeys,
                                 existing: Image) -> None:
    proxy.plan(Reset(), Reset())
    image = client_via(proxy, shared_host).image(existing.hash)
    assert image.hash == existing.hash
    assert proxy.count == 3  # two resets, then the real answer


def test_reset_on_every_try_gives_network_error(proxy: FaultProxy,
                                                shared_host: HostWithKeys,
                                                existing: Image) -> None:
    proxy.default = Reset()
    with pytest.raises(NetworkError, match="broke"):
        client_via(proxy, shared_host, attempts=3).image(existing.hash)
    assert proxy.count == 3


def test_reset_on_upload_is_not_retried(proxy: FaultProxy, shared_host: HostWithKeys,
                                        tmp_path: Path) -> None:
    proxy.plan(Reset())
    before = stored_images(shared_host)
    with pytest.raises(NetworkError) as info:
        client_via(proxy, shared_host).upload_file(image_file(tmp_path))
    assert info.value.sent  # the queue marks a re-send of it as a possible duplicate
    assert proxy.count == 1  # the service may have seen it: sending again could upload twice
    assert stored_images(shared_host) == before


# -- 5xx bursts ------------------------------------------------------------------------------------


def test_502_503_burst_on_get_is_retried_with_backoff(proxy: FaultProxy,
                                                      shared_host: HostWithKeys,
                                                      existing: Image) -> None:
    proxy.plan(Respond(502, HTML_502), Respond(503, BUSY_PAGE), Respond(502, HTML_502))
    sleeps = SleepLog()
    image = client_via(proxy, shared_host, sleep=sleeps).image(existing.hash)
    assert image.hash == existing.hash
    assert proxy.count == 4
    # One backoff per failure, each within its exponential bound (base 0.01, full jitter).
    assert len(sleeps.delays) == 3
    for attempt, delay in enumerate(sleeps.delays):
        bound = min(0.05, 0.01 * 2 ** attempt)
        assert bound / 2 <= delay <= bound


def test_persistent_503_on_get_gives_api_error_after_all_attempts(
        proxy: FaultProxy, shared_host: HostWithKeys, existing: Image) -> None:
    proxy.default = Respond(503, BUSY_PAGE)
    with pytest.raises(ApiError) as info:
        client_via(proxy, shared_host, attempts=3).image(existing.hash)
    assert info.value.status == 503
    assert info.value.message == "The service is temporarily down"
    assert proxy.count == 3


def test_503_on_upload_is_not_retried(proxy: FaultProxy, shared_host: HostWithKeys,
                                      tmp_path: Path) -> None:
    proxy.plan(Respond(503, BUSY_PAGE))
    sleeps = SleepLog()
    with pytest.raises(ApiError) as info:
        client_via(proxy, shared_host, sleep=sleeps).upload_file(image_file(tmp_path))
    assert info.value.status == 503
    assert not isinstance(info.value, (RateLimited, AuthRequired))
    assert proxy.count == 1
    assert sleeps.delays == []


def test_502_on_a_signed_edit_post_is_not_retried(proxy: FaultProxy, shared_host: HostWithKeys,
                                                  alice_tokens: Tokens) -> None:
    # Non-upload POSTs change things too; only GET and DELETE are sent again.
    client = V2Client(proxy.api, oauth=oauth_for(shared_host, alice_tokens),
                      transport=fast_transport())
    proxy.default = Respond(502, HTML_502)
    with pytest.raises(ApiError) as info:
        client.edit_image("AbCdEfG", title="new title")
    assert info.value.status == 502
    assert proxy.count == 1


def test_502_on_a_url_upload_is_not_retried(proxy: FaultProxy, shared_host: HostWithKeys,
                                            existing: Image) -> None:
    proxy.default = Respond(502, HTML_502)
    with pytest.raises(ApiError) as info:
        client_via(proxy, shared_host).upload_url(existing.links.original)
    assert info.value.status == 502
    assert proxy.count == 1


# -- refused connections -------------------------------------------------------------------------


def test_refused_upload_is_retried_then_network_error(shared_host: HostWithKeys,
                                                      tmp_path: Path) -> None:
    with FaultProxy(shared_host.url, listening=False) as closed:
        sleeps = SleepLog()
        client = client_via(closed, shared_host, attempts=4, sleep=sleeps)
        with pytest.raises(NetworkError, match="cannot be reached") as info:
            client.upload_file(image_file(tmp_path))
        assert not info.value.sent  # never left this machine: not a possible duplicate
        assert len(sleeps.delays) == 3  # three retries after the first refusal
        assert closed.count == 0


def test_refused_get_is_retried_then_network_error(shared_host: HostWithKeys) -> None:
    with FaultProxy(shared_host.url, listening=False) as closed:
        sleeps = SleepLog()
        with pytest.raises(NetworkError, match="cannot be reached"):
            client_via(closed, shared_host, attempts=3, sleep=sleeps).credits()
        assert len(sleeps.delays) == 2


def test_refused_upload_file_succeeds_once_the_host_is_up(shared_host: HostWithKeys,
                                                          tmp_path: Path) -> None:
    """The retry sends the whole file again from a reopened handle, which it closes."""
    path = tmp_path / "big.png"
    path.write_bytes(images.png((400, 300)))
    with FaultProxy(shared_host.url, listening=False) as late:
        sleeps = SleepLog(on_first=late.start)
        client = client_via(late, shared_host, sleep=sleeps)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            image = client.upload_file(path)
            gc.collect()
        assert image.size == path.stat().st_size
        assert len(sleeps.delays) == 1
        assert late.count == 1
        leaked = [w for w in caught if str(path) in str(w.message)]
        assert leaked == [], "the reopened file was left open"


@pytest.mark.parametrize("how", ["bytes", "base64", "url"])
def test_refused_upload_without_a_file_is_retried_too(shared_host: HostWithKeys,
                                                      existing: Image, how: str) -> None:
    data = images.gif()
    with FaultProxy(shared_host.url, listening=False) as late:
        sleeps = SleepLog(on_first=late.start)
        client = client_via(late, shared_host, sleep=sleeps)
        if how == "bytes":
            image = client.upload_bytes(data, "a.gif")
        elif how == "base64":
            image = client.upload_base64(data)
        else:
            image = client.upload_url(existing.links.original)
        assert late.count == 1
        assert len(sleeps.delays) == 1
    assert image.size == (existing.size if how == "url" else len(data))


def test_cancel_during_backoff(shared_host: HostWithKeys, tmp_path: Path) -> None:
    with FaultProxy(shared_host.url, listening=False) as closed:
        transport = Transport(connect_timeout=2.0, read_timeout=5.0,
                              retry=RetryPolicy(attempts=4, base_delay=60.0, max_delay=60.0))
        client = V2Client(closed.api, key=shared_host.keys.key, transport=transport)
        token = CancelToken()
        timer = threading.Timer(0.2, token.cancel)
        timer.start()
        try:
            with pytest.raises(Cancelled):
                client.upload_file(image_file(tmp_path), cancel=token)
        finally:
            timer.cancel()


# -- stalls --------------------------------------------------------------------------------------


def test_stalled_get_times_out_and_is_retried(proxy: FaultProxy, shared_host: HostWithKeys,
                                              existing: Image) -> None:
    proxy.plan(Stall(30))
    image = client_via(proxy, shared_host, read_timeout=1).image(existing.hash)
    assert image.hash == existing.hash
    assert proxy.count == 2


def test_stall_longer_than_read_timeout_gives_network_error(
        proxy: FaultProxy, shared_host: HostWithKeys, existing: Image) -> None:
    proxy.default = Stall(30)
    with pytest.raises(NetworkError, match="did not answer in time"):
        client_via(proxy, shared_host, read_timeout=1, attempts=2).image(existing.hash)
    assert proxy.count == 2


def test_stalled_upload_gives_network_error_without_retry(
        proxy: FaultProxy, shared_host: HostWithKeys, tmp_path: Path) -> None:
    proxy.default = Stall(30)
    with pytest.raises(NetworkError, match="did not answer in time"):
        client_via(proxy, shared_host, read_timeout=1).upload_file(image_file(tmp_path))
    assert proxy.count == 1
    assert proxy.seen[0].content_length > image_file(tmp_path).stat().st_size


def test_stall_in_the_middle_of_the_answer(proxy: FaultProxy, shared_host: HostWithKeys,
                                           existing: Image) -> None:
    proxy.default = Truncate(b'{"image":{"image":{"hash":"', declared=4000, stall=30)
    with pytest.raises(NetworkError, match="did not answer in time"):
        client_via(proxy, shared_host, read_timeout=1, attempts=2).image(existing.hash)
    assert proxy.count == 2  # a GET that broke off mid-answer is sent again


def test_host_that_stops_reading_an_upload(proxy: FaultProxy, shared_host: HostWithKeys,
                                           tmp_path: Path) -> None:
    path = tmp_path / "large.pdf"
    with path.open("wb") as fh:
        fh.write(b"%PDF-1.4\n" + bytes(32 * 1024 * 1024) + b"\n%%EOF\n")
    proxy.default = Stall(30, read_body=False)
    client = V2Client(proxy.api, key=shared_host.keys.key, max_upload_bytes=64 * 1024 * 1024,
                      transport=fast_transport(read_timeout=1))
    with pytest.raises(NetworkError, match="did not answer in time"):
        client.upload_file(path)
    assert proxy.count == 1


# -- answers that are not v2 bodies ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("body", "kind"), [
    (b"\x00\x17garbage\xff\xfe not an answer", "garbage"),
    (b"<!DOCTYPE html><html><body><h1>Over capacity</h1></body></html>", "web page"),
    (b"", "empty"),
])
def test_200_with_a_non_api_body_is_bad_response(proxy: FaultProxy, shared_host: HostWithKeys,
                                                 existing: Image, fmt: str, body: bytes,
                                                 kind: str) -> None:
    proxy.plan(Respond(200, body, "text/html"))
    with pytest.raises(BadResponse) as info:
        client_via(proxy, shared_host, fmt=fmt).image(existing.hash)
    assert proxy.count == 1  # a bad answer is not a transient failure
    if fmt == "json" and kind != "empty":
        assert kind in info.value.message
    assert info.value.url is not None
    assert info.value.url.endswith(f"/2/image/{existing.hash}.{fmt}")


def test_200_with_an_html_page_on_upload_is_bad_response(proxy: FaultProxy,
                                                         shared_host: HostWithKeys,
                                                         tmp_path: Path) -> None:
    proxy.plan(Respond(200, BUSY_PAGE))
    with pytest.raises(BadResponse, match="web page"):
        client_via(proxy, shared_host).upload_file(image_file(tmp_path))
    assert proxy.count == 1


def test_502_html_page_after_all_retries_is_api_error_with_plain_text(
        proxy: FaultProxy, shared_host: HostWithKeys, existing: Image) -> None:
    proxy.default = Respond(502, HTML_502)
    with pytest.raises(ApiError) as info:
        client_via(proxy, shared_host, attempts=2).image(existing.hash)
    assert info.value.status == 502
    assert "gateway" in info.value.message
    assert info.value.body == HTML_502  # kept for "Copy details"


def test_truncated_answer_on_get_is_retried(proxy: FaultProxy, shared_host: HostWithKeys,
                                            existing: Image) -> None:
    proxy.plan(Truncate(b'{"image":{"image":{"hash":"', declared=4000))
    image = client_via(proxy, shared_host).image(existing.hash)
    assert image.hash == existing.hash
    assert proxy.count == 2


def test_truncated_answer_every_time_gives_network_error(
        proxy: FaultProxy, shared_host: HostWithKeys, existing: Image) -> None:
    proxy.default = Truncate(b'{"image":{"image":{"hash":"', declared=4000)
    with pytest.raises(NetworkError, match="broke"):
        client_via(proxy, shared_host, attempts=3).image(existing.hash)
    assert proxy.count == 3


def test_truncated_answer_on_upload_is_network_error_not_retried(
        proxy: FaultProxy, shared_host: HostWithKeys, tmp_path: Path) -> None:
    proxy.plan(Truncate(b'{"upload":{"ima', declared=900))
    with pytest.raises(NetworkError, match="broke"):
        client_via(proxy, shared_host).upload_file(image_file(tmp_path))
    assert proxy.count == 1


@pytest.mark.parametrize("declare_length", [True, False])
def test_answer_over_8_mb_is_bad_response(proxy: FaultProxy, shared_host: HostWithKeys,
                                          existing: Image, declare_length: bool) -> None:
    proxy.plan(Huge(MAX_RESPONSE_BYTES + 1024 * 1024, declare_length=declare_length))
    with pytest.raises(BadResponse, match="too large"):
        client_via(proxy, shared_host).image(existing.hash)
    assert proxy.count == 1


def test_answer_just_under_the_cap_is_read_whole(proxy: FaultProxy,
                                                 shared_host: HostWithKeys,
                                                 existing: Image) -> None:
    # Not too large, so the cap does not trip; the body is junk JSON so it is a BadResponse
    # about the content, not the size.
    proxy.plan(Huge(MAX_RESPONSE_BYTES - 1024, declare_length=False))
    with pytest.raises(BadResponse) as info:
        client_via(proxy, shared_host).image(existing.hash)
    assert "too large" not in info.value.message


# -- 4xx are final ---------------------------------------------------------------------------------


def test_404_from_the_host_is_not_retried(proxy: FaultProxy, shared_host: HostWithKeys) -> None:
    with pytest.raises(ApiError) as info:
        client_via(proxy, shared_host).image("NoSuchImg")
    assert info.value.status == 404
    assert proxy.count == 1


def test_injected_400_on_get_is_not_retried(proxy: FaultProxy,
                                            shared_host: HostWithKeys) -> None:
    proxy.plan(Respond(400, V2_ERROR_400, "application/json"))
    with pytest.raises(ApiError) as info:
        client_via(proxy, shared_host).stats("year")
    assert info.value.status == 400
    assert info.value.message == "Invalid view: use today, week or month"
    assert proxy.count == 1


def test_401_bad_key_upload_is_not_retried(proxy: FaultProxy, shared_host: HostWithKeys,
                                           tmp_path: Path) -> None:
    client = V2Client(proxy.api, key="not-a-real-key", transport=fast_transport())
    with pytest.raises(ApiError) as info:
        client.upload_file(image_file(tmp_path))
    assert info.value.status == 401
    assert info.value.message == "Invalid API Key"
    assert proxy.count == 1


def test_forward_after_faults_keeps_counting(proxy: FaultProxy, shared_host: HostWithKeys,
                                             existing: Image) -> None:
    proxy.plan(Respond(503, BUSY_PAGE), Forward(), Reset())
    client = client_via(proxy, shared_host)
    assert client.image(existing.hash).hash == existing.hash  # 503, then forwarded
    assert client.image(existing.hash).hash == existing.hash  # reset, then forwarded
    assert proxy.count == 4
