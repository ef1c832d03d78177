"""Credits: refusing an upload before it is sent when the host said there is not enough, the
host's own 403 "API limits exceeded", waiting for the reset (and cancelling the wait), and one
RateLimitState shared by many threads."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from imgur_desktop.core.api.ratelimit import RateLimitState
from imgur_desktop.core.api.v2 import V2Client
from imgur_desktop.core.cancel import CancelToken
from imgur_desktop.core.errors import ApiError, Cancelled, RateLimited
from imgur_desktop.core.models import Credits
from tests.conftest import HostWithKeys
from tests.core.conftest import fast_transport
from tests.support import images
from tests.support.faults import FaultProxy, Respond

MakeHost = Callable[..., HostWithKeys]

pytestmark = pytest.mark.timeout(60)


def stored(host: HostWithKeys) -> int:
    return sum(1 for _ in (host.data_dir / "images").iterdir())


def server_remaining(host: HostWithKeys) -> int:
    """What the host says is left, read with a plain request (which itself costs 1)."""
    resp = requests.get(host.api + "credits.json", timeout=10)
    resp.raise_for_status()
    return int(resp.headers["X-RateLimit-Remaining"])


def png_file(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(images.png())
    return path


@pytest.fixture
def tight(make_host: MakeHost) -> Iterator[tuple[HostWithKeys, FaultProxy]]:
    """A host with 25 anonymous credits (two uploads and a little), behind a counting proxy."""
    host = make_host("--credits-anon", "25", users=False)
    with FaultProxy(host.url) as front:
        yield host, front


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_upload_refused_before_sending_when_credits_are_short(
        tight: tuple[HostWithKeys, FaultProxy], tmp_path: Path, fmt: str) -> None:
    host, front = tight
    client = V2Client(front.api, key=host.keys.key, fmt=fmt, wait_for_credits=False,
                      transport=fast_transport())
    client.upload_file(png_file(tmp_path, "1.png"))
    client.upload_file(png_file(tmp_path, "2.png"))
    credits = client.anonymous_rate.credits
    assert credits is not None
    assert (credits.limit, credits.remaining) == (25, 5)
    assert front.count == 2

    now = dt.datetime.now(dt.UTC)
    with pytest.raises(RateLimited) as info:
        client.upload_file(png_file(tmp_path, "3.png"))
    assert info.value.status == 403
    reset_at = info.value.reset_at
    assert reset_at is not None
    assert reset_at.tzinfo is not None
    assert dt.timedelta(minutes=55) < reset_at - now <= dt.timedelta(hours=1, seconds=5)
    assert front.count == 2  # never sent
    assert stored(host) == 2
    # A call that costs 1 is still allowed with 5 left.
    assert client.credits().remaining == 4


def test_hosts_own_403_maps_to_rate_limited(tight: tuple[HostWithKeys, FaultProxy],
                                            tmp_path: Path) -> None:
    host, front = tight
    first = V2Client(front.api, key=host.keys.key, wait_for_credits=False,
                     transport=fast_transport())
    first.upload_file(png_file(tmp_path, "1.png"))
    first.upload_file(png_file(tmp_path, "2.png"))
    # A second client from the same address knows nothing yet, so it sends; the host refuses.
    second = V2Client(front.api, key=host.keys.key, wait_for_credits=False,
                      transport=fast_transport())
    assert second.anonymous_rate.credits is None
    with pytest.raises(RateLimited) as info:
        second.upload_bytes(images.png(), "3.png")
    assert front.count == 3
    assert info.value.status == 403
    assert info.value.message == "API limits exceeded"
    assert info.value.reset_at is not None
    assert info.value.reset_at > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=55)
    assert stored(host) == 2
    # Now it knows: the next try is refused without a request.
    with pytest.raises(RateLimited):
        second.upload_bytes(images.png(), "4.png")
    assert front.count == 3
    # But the host said 5 are left, and a call that costs 1 still goes through.
    assert second.credits().remaining == 4
    assert front.count == 4


LIMITS_BODY = (b'{"error":{"message":"API limits exceeded","request":"\\/2\\/credits.json",'
               b'"method":"get","format":"json","parameters":""}}')


def test_403_limits_without_rate_headers_means_none_left(proxy: FaultProxy,
                                                         shared_host: HostWithKeys) -> None:
    """A 403 "API limits exceeded" that does not say what is left: assume nothing until the
    reset the client last heard of, and send nothing more until then."""
    client = V2Client(proxy.api, key=shared_host.keys.key, wait_for_credits=False,
                      transport=fast_transport())
    known = client.credits()
    proxy.plan(Respond(403, LIMITS_BODY, "application/json"))
    with pytest.raises(RateLimited) as info:
        client.credits()
    assert info.value.message == "API limits exceeded"
    assert info.value.reset_at == known.reset_at
    state = client.anonymous_rate.credits
    assert state is not None
    assert state.remaining == 0
    with pytest.raises(RateLimited):
        client.stats()
    assert proxy.count == 2


def test_403_that_is_not_about_limits_is_a_plain_api_error(proxy: FaultProxy,
                                                          shared_host: HostWithKeys) -> None:
    body = (b'{"error":{"message":"Forbidden for this app","request":"","method":"get",'
            b'"format":"json","parameters":""}}')
    client = V2Client(proxy.api, key=shared_host.keys.key, transport=fast_transport())
    proxy.plan(Respond(403, body, "application/json"))
    with pytest.raises(ApiError) as info:
        client.credits()
    assert type(info.value) is ApiError
    assert info.value.status == 403
    assert client.credits().remaining > 0  # nothing was marked as used up


def test_waiting_for_credits_ends_when_cancelled(tight: tuple[HostWithKeys, FaultProxy],
                                                 tmp_path: Path) -> None:
    host, front = tight
    client = V2Client(front.api, key=host.keys.key, wait_for_credits=True,
                      transport=fast_transport())
    client.upload_file(png_file(tmp_path, "1.png"))
    client.upload_file(png_file(tmp_path, "2.png"))
    token = CancelToken()
    timer = threading.Timer(0.2, token.cancel)
    timer.start()
    try:
        with pytest.raises(Cancelled):
            client.upload_file(png_file(tmp_path, "3.png"), cancel=token)  # waits ~1 h
    finally:
        timer.cancel()
    assert token.cancelled
    assert front.count == 2
    assert stored(host) == 2


def test_threads_sharing_one_client(make_host: MakeHost) -> None:
    host = make_host("--credits-anon", "1000", users=False)
    client = V2Client(host.api, key=host.keys.key, transport=fast_transport())
    data = [images.png((20 + i, 20)) for i in range(24)]
    start = threading.Barrier(8)

    def worker(n: int) -> list[str]:
        start.wait(10)
        return [client.upload_bytes(data[n * 3 + k], f"{n}-{k}.png").hash for k in range(3)]

    with ThreadPoolExecutor(8) as pool:
        hashes = [h for batch in pool.map(worker, range(8)) for h in batch]
    assert len(set(hashes)) == 24
    assert stored(host) == 24
    credits = client.anonymous_rate.credits
    assert credits is not None
    assert credits.limit == 1000
    # 24 uploads at 10 credits: whatever order the answers came back in, the shared state
    # shows the host's final count, not an older answer that arrived late.
    assert credits.remaining == 1000 - 240
    assert server_remaining(host) == credits.remaining - 1


# -- RateLimitState on its own (header dictionaries, no HTTP) -------------------------------------


def headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset)}


EPOCH = 1_800_000_000


def test_state_reads_v2_headers() -> None:
    state = RateLimitState()
    state.update(headers(500, 480, EPOCH))
    assert state.credits == Credits(500, 480, dt.datetime.fromtimestamp(EPOCH, dt.UTC))
    assert state.credits.uploads_left == 48


def test_state_reads_v3_user_headers_with_relative_reset() -> None:
    state = RateLimitState(clock=lambda: float(EPOCH))
    state.update({"X-RateLimit-UserLimit": "1250", "X-RateLimit-UserRemaining": "1249",
                  "X-RateLimit-UserReset": "3600"})
    assert state.credits == Credits(1250, 1249, dt.datetime.fromtimestamp(EPOCH + 3600, dt.UTC))


def test_state_ignores_answers_without_rate_headers() -> None:
    state = RateLimitState()
    state.update(headers(500, 480, EPOCH))
    state.update({"Content-Type": "application/json"})
    state.update({"X-RateLimit-Limit": "500", "X-RateLimit-Remaining": "n/a"})
    assert state.credits is not None
    assert state.credits.remaining == 480


def test_a_late_answer_does_not_raise_remaining_within_a_window() -> None:
    state = RateLimitState()
    state.update(headers(500, 470, EPOCH))
    state.update(headers(500, 480, EPOCH))  # older answer, overtaken on another thread
    assert state.credits is not None
    assert state.credits.remaining == 470
    state.update(headers(500, 500, EPOCH + 3600))  # a new window starts afresh
    assert state.credits.remaining == 500


def test_before_raises_or_passes() -> None:
    state = RateLimitState(clock=lambda: float(EPOCH))
    state.before(10, wait=False)  # nothing known yet: go ahead
    state.update(headers(500, 19, EPOCH + 600))
    state.before(10, wait=False)
    state.update(headers(500, 9, EPOCH + 600))
    state.before(1, wait=False)
    with pytest.raises(RateLimited) as info:
        state.before(10, wait=False)
    assert info.value.reset_at == dt.datetime.fromtimestamp(EPOCH + 600, dt.UTC)


def test_before_sets_credits_aside_for_requests_in_flight() -> None:
    """Three uploads started together with credits for two: the third is refused here, not
    sent to be refused by the service."""
    state = RateLimitState(clock=lambda: float(EPOCH))
    state.update(headers(500, 20, EPOCH + 600))
    state.before(10, wait=False)
    state.before(10, wait=False)
    with pytest.raises(RateLimited):
        state.before(10, wait=False)
    state.update(headers(500, 10, EPOCH + 600))  # the first answer, overtaken: still none
    credits = state.credits
    assert credits is not None
    assert credits.remaining == 0


def test_before_after_the_reset_lets_the_next_answer_decide() -> None:
    now = [float(EPOCH)]
    state = RateLimitState(clock=lambda: now[0])
    state.update(headers(500, 0, EPOCH + 60))
    with pytest.raises(RateLimited):
        state.before(10, wait=False)
    now[0] = EPOCH + 61.0
    state.before(10, wait=True)  # the window has turned over: no waiting
    assert state.credits is None


def test_exhausted_with_no_reset_known_raises_even_when_waiting() -> None:
    state = RateLimitState()
    state.update({"X-RateLimit-Limit": "500", "X-RateLimit-Remaining": "0"})
    with pytest.raises(RateLimited) as info:
        state.before(1, wait=True)
    assert info.value.reset_at is None


def test_set_exhausted_keeps_limit_and_reset() -> None:
    state = RateLimitState()
    state.set_exhausted()
    assert state.credits is None
    state.update(headers(500, 300, EPOCH))
    state.set_exhausted()
    assert state.credits == Credits(500, 0, dt.datetime.fromtimestamp(EPOCH, dt.UTC))
