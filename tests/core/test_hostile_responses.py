"""Hostile answers, played by a fault server on 127.0.0.1 to both dialects of ``V2Client``, for
an upload and for a read: XML bombs, external entities, 50 MB bodies (plain and gzipped),
mislabelled, HTML, truncated, stalled, dripping, nested, non-HTTP and redirected answers, and a
port that never answers.

Each must end in the core error a person can act on (the sentence ``describe`` gives is checked
word for word), within the transport's timeouts, with bounded memory, sending nothing twice that
must not be. test_transport_faults.py covers retry counts and backoff; this covers the answers.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from imgur_desktop.core.api.transport import RetryPolicy, Transport
from imgur_desktop.core.api.v2 import V2Client
from imgur_desktop.core.errors import ApiError, BadResponse, ImgurError, NetworkError
from imgur_desktop.core.messages import describe
from tests.conftest import HostWithKeys
from tests.support import images
from tests.support.faults import (
    BlackHole,
    Drip,
    Fault,
    FaultProxy,
    Huge,
    Raw,
    Respond,
    Truncate,
    billion_laughs,
    deep_nesting,
    external_entity,
    gzip_bomb,
)

pytestmark = pytest.mark.timeout(90)

READ_TIMEOUT = 1.0  # each wait for bytes
ANSWER_TIMEOUT = 2.0  # each whole answer
ATTEMPTS = 2  # a read is sent at most twice; an upload once
SLACK = 4.0  # thread start-up and a busy machine
MB = 1024 * 1024
MEMORY_BOUND = 20 * MB

AGAIN = ". Try again; if it keeps happening the service may be having trouble."
LATE = "The service did not answer in time."
BROKE = "The connection to the service broke."
CALLS = ("read", "upload")
FMTS = ("json", "xml")

HTML_PAGE = (b"<!DOCTYPE html><html><head><title>Oops</title></head><body><h1>Something went "
             b"wrong</h1><p>Our engineers have been notified.</p></body></html>")
XHTML_PAGE = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML '
              b'1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html '
              b'xmlns="http://www.w3.org/1999/xhtml"><body><p>Down for maintenance</p></body>'
              b"</html>")
HTML_502 = (b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
            b"Gateway</h1></center><hr><center>nginx</center></body></html>")


def transport() -> Transport:
    return Transport(connect_timeout=1.0, read_timeout=READ_TIMEOUT,
                     answer_timeout=ANSWER_TIMEOUT,
                     retry=RetryPolicy(attempts=ATTEMPTS, base_delay=0.01, max_delay=0.02))


@pytest.fixture
def front(shared_host: HostWithKeys) -> Iterator[FaultProxy]:
    with FaultProxy(shared_host.url) as proxy:
        yield proxy


@pytest.fixture
def listener() -> Iterator[FaultProxy]:
    """A server an answer points at, which must never be contacted."""
    with FaultProxy(None, default=Respond(200, b"you should not be here")) as bystander:
        yield bystander


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    path = tmp_path / "picture.png"
    path.write_bytes(images.png((60, 40)))
    return path


@dataclass
class Outcome:
    error: ImgurError
    seconds: float
    peak: int


def call(client: V2Client, which: str, picture: Path) -> Outcome:
    """Make the call, which must fail with a core error; time it and trace its memory."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        if which == "upload":
            client.upload_file(picture)
        else:
            client.image("AbCdEfG")
    except ImgurError as exc:
        error = exc
    else:
        pytest.fail("the hostile answer was taken as a good one")
    finally:
        seconds = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return Outcome(error, seconds, peak)


@dataclass(frozen=True)
class Hostile:
    id: str
    fault: Callable[[str], Fault]  # given the dialect
    error: type[ImgurError]
    text: Callable[[str], str]  # what describe() says, given the dialect
    transient: bool  # a read is sent again after it (a failure on the way, not a bad answer)
    seconds: float  # the most one attempt may take


def many_parts(size: int, fmt: str) -> bytes:
    if fmt == "xml":
        return b"<?xml version='1.0'?><upload>" + b"<a/>" * (size // 4) + b"</upload>"
    return b'{"upload":[' + b"{}," * (size // 3) + b"{}]}"


def _same(text: str) -> Callable[[str], str]:
    return lambda fmt: text


FORBIDDEN = ("The service sent XML that cannot be read (Forbidden: it declares entities, "
             "which are refused for safety)" + AGAIN)
TOO_LARGE = "The service sent an answer far too large to be real" + AGAIN
WEB_PAGE = "The service sent a web page instead of an API answer" + AGAIN

CASES = [
    Hostile("billion-laughs", lambda fmt: Respond(200, billion_laughs(), "application/xml"),
            BadResponse, _same(FORBIDDEN), False, 1.0),
    Hostile("xml-bomb-labelled-json", lambda fmt: Respond(200, billion_laughs(),
                                                          "application/json"),
            BadResponse, _same(FORBIDDEN), False, 1.0),
    Hostile("entity-file-passwd",
            lambda fmt: Respond(200, external_entity("file:///etc/passwd"), "text/xml"),
            BadResponse, _same(FORBIDDEN), False, 1.0),
    Hostile("body-50mb-with-length", lambda fmt: Huge(50 * MB, declare_length=True),
            BadResponse, _same(TOO_LARGE), False, 1.0),
    Hostile("body-50mb-without-length", lambda fmt: Huge(50 * MB, declare_length=False),
            BadResponse, _same(TOO_LARGE), False, 3.0),
    Hostile("body-50mb-gzip-bomb",
            lambda fmt: Respond(200, gzip_bomb(50 * MB), "application/json",
                                headers=(("Content-Encoding", "gzip"),)),
            BadResponse, _same(TOO_LARGE), False, 3.0),
    Hostile("html-page-200", lambda fmt: Respond(200, HTML_PAGE, "text/html"),
            BadResponse, _same(WEB_PAGE), False, 1.0),
    Hostile("xhtml-page-200", lambda fmt: Respond(200, XHTML_PAGE, "application/xhtml+xml"),
            BadResponse, _same(WEB_PAGE), False, 1.0),
    Hostile("html-page-502", lambda fmt: Respond(502, HTML_502, "text/html"),
            ApiError, _same("The service had a problem (The service is unreachable behind its "
                            "gateway). Try again in a moment."), True, 1.0),
    Hostile("truncated-with-length",
            lambda fmt: Truncate(b'{"image":{"image":{"hash":"Ab', declared=4000),
            NetworkError, _same(BROKE), True, 1.0),
    Hostile("truncated-without-length",
            lambda fmt: Respond(200, b'{"upload":{"image":{"hash":"Ab' if fmt == "json" else
                                b"<?xml version='1.0'?><upload><image><hash>Ab",
                                "application/json", declare_length=False),
            BadResponse,
            lambda fmt: ("The service sent an incomplete answer (it ends too early)" if
                         fmt == "json" else
                         "The service sent XML that cannot be read (it ends too early)") + AGAIN,
            False, 1.0),
    Hostile("stall-mid-body", lambda fmt: Truncate(b'{"image":', declared=4000, stall=60),
            NetworkError, _same(LATE), True, READ_TIMEOUT),
    Hostile("drip-body", lambda fmt: Drip(every=0.2),
            NetworkError, _same(LATE), True, ANSWER_TIMEOUT),
    Hostile("drip-head", lambda fmt: Drip(every=0.2, in_head=True),
            NetworkError, _same(LATE), True, ANSWER_TIMEOUT),
    Hostile("nested-too-deep",
            lambda fmt: Respond(200, deep_nesting(5_000, fmt), "application/" + fmt),
            BadResponse, _same("The service sent an answer nested too deeply to read" + AGAIN),
            False, 1.0),
    # 4 MB of empty objects or elements: under the size cap, but 100 MB once parsed.
    Hostile("many-tiny-parts",
            lambda fmt: Respond(200, many_parts(4 * MB, fmt), "application/" + fmt),
            BadResponse, _same("The service sent an answer of far too many parts to be real"
                               + AGAIN), False, 2.0),
    Hostile("not-http", lambda fmt: Raw(b"SSH-2.0-OpenSSH_9.6\r\n"),
            BadResponse, _same("The service sent an answer that is not valid HTTP" + AGAIN),
            True, 1.0),
    Hostile("too-many-headers",
            lambda fmt: Raw(b"HTTP/1.1 200 OK\r\n" + b"".join(
                b"X-Filler-%d: x\r\n" % i for i in range(500)) + b"\r\n{}"),
            BadResponse, _same("The service sent an answer that is not valid HTTP" + AGAIN),
            True, 1.0),
]


@pytest.mark.parametrize("which", CALLS)
@pytest.mark.parametrize("fmt", FMTS)
@pytest.mark.parametrize("hostile", CASES, ids=[c.id for c in CASES])
def test_hostile_answer(hostile: Hostile, fmt: str, which: str, front: FaultProxy,
                        shared_host: HostWithKeys, picture: Path) -> None:
    front.default = hostile.fault(fmt)
    client = V2Client(front.api, key=shared_host.keys.key, fmt=fmt, transport=transport())

    outcome = call(client, which, picture)

    assert type(outcome.error) is hostile.error
    assert describe(outcome.error) == hostile.text(fmt)
    sends = ATTEMPTS if hostile.transient and which == "read" else 1
    assert front.count == sends  # an upload is never sent twice: it may have arrived
    assert outcome.seconds < sends * hostile.seconds + SLACK
    assert outcome.peak < MEMORY_BOUND, f"{outcome.peak / MB:.1f} MB"
    assert outcome.error.url is not None
    assert outcome.error.url.startswith(front.api)


@pytest.mark.parametrize("which", CALLS)
@pytest.mark.parametrize("fmt", FMTS)
def test_external_entity_to_a_listener_is_never_fetched(fmt: str, which: str,
                                                        front: FaultProxy, listener: FaultProxy,
                                                        shared_host: HostWithKeys,
                                                        picture: Path) -> None:
    front.default = Respond(200, external_entity(listener.url + "steal?what=token"),
                            "application/xml")
    client = V2Client(front.api, key=shared_host.keys.key, fmt=fmt, transport=transport())
    outcome = call(client, which, picture)
    assert type(outcome.error) is BadResponse
    assert describe(outcome.error) == FORBIDDEN
    assert listener.connections == 0


def test_entity_from_a_file_is_not_read_into_the_error(front: FaultProxy,
                                                       shared_host: HostWithKeys,
                                                       picture: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the-secret-text-42\n")
    front.default = Respond(200, external_entity(secret.as_uri()), "application/xml")
    client = V2Client(front.api, key=shared_host.keys.key, fmt="xml", transport=transport())
    outcome = call(client, "read", picture)
    assert type(outcome.error) is BadResponse
    assert "the-secret-text-42" not in outcome.error.details()  # "Copy details" shows no file


@pytest.mark.parametrize("which", CALLS)
@pytest.mark.parametrize("fmt", FMTS)
def test_port_that_accepts_and_never_answers(fmt: str, which: str, shared_host: HostWithKeys,
                                             picture: Path) -> None:
    with BlackHole() as hole:
        client = V2Client(hole.api, key=shared_host.keys.key, fmt=fmt, transport=transport())
        outcome = call(client, which, picture)
    assert type(outcome.error) is NetworkError
    assert describe(outcome.error) == LATE
    sends = ATTEMPTS if which == "read" else 1
    assert outcome.seconds < sends * READ_TIMEOUT + SLACK


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("which", CALLS)
def test_redirect_is_not_followed(status: int, which: str, front: FaultProxy,
                                  listener: FaultProxy, shared_host: HostWithKeys,
                                  picture: Path) -> None:
    """A 307 would send the upload and its key on to wherever the answer points."""
    front.default = Respond(status, b"", headers=(("Location", listener.api + "upload.json"),))
    client = V2Client(front.api, key=shared_host.keys.key, transport=transport())
    outcome = call(client, which, picture)
    assert type(outcome.error) is BadResponse
    port = listener.port
    assert describe(outcome.error) == (
        f"The service sent the request elsewhere (HTTP {status} to http://127.0.0.1:{port}); "
        f"check the service address{AGAIN}")
    assert front.count == 1
    assert listener.connections == 0


def test_redirect_loop_ends_at_once(front: FaultProxy, shared_host: HostWithKeys,
                                    picture: Path) -> None:
    front.default = Respond(302, b"", headers=(("Location", front.api + "image/AbCdEfG.json"),))
    client = V2Client(front.api, key=shared_host.keys.key, transport=transport())
    outcome = call(client, "read", picture)
    assert type(outcome.error) is BadResponse
    assert front.count == 1


# -- mislabelled answers: the body decides, not the Content-Type ------------------------------


def v2_answer(fmt: str, root: str, hash_: str) -> bytes:
    if fmt == "json":
        return (b'{"%s":{"image":{"hash":"%s","type":"image/png","width":"60","height":"40"},'
                b'"links":{"original":"http://x.invalid/%s.png"}}}'
                % (root.encode(), hash_.encode(), hash_.encode()))
    return (b"<?xml version='1.0' encoding='utf-8'?><%s><image><hash>%s</hash>"
            b"<type>image/png</type><width>60</width><height>40</height></image><links>"
            b"<original>http://x.invalid/%s.png</original></links></%s>"
            % (root.encode(), hash_.encode(), hash_.encode(), root.encode()))


@pytest.mark.parametrize("which", CALLS)
@pytest.mark.parametrize("label", ["text/html; charset=UTF-8", "application/xml",
                                   "application/octet-stream"])
def test_a_json_answer_under_any_label_is_read_by_the_json_dialect(
        label: str, which: str, front: FaultProxy, shared_host: HostWithKeys,
        picture: Path) -> None:
    # Real servers label loosely (PHP's text/html, imgur's application/vnd.imgur.v1+json).
    root = "upload" if which == "upload" else "image"
    front.default = Respond(200, v2_answer("json", root, "MsLbLd1"), label)
    client = V2Client(front.api, key=shared_host.keys.key, fmt="json", transport=transport())
    image = client.upload_file(picture) if which == "upload" else client.image("MsLbLd1")
    assert (image.hash, image.width, image.height) == ("MsLbLd1", 60, 40)


@pytest.mark.parametrize("which", CALLS)
@pytest.mark.parametrize("label", ["application/xml", "text/html", "application/json"])
def test_a_json_answer_to_the_xml_dialect_is_refused(label: str, which: str,
                                                     front: FaultProxy,
                                                     shared_host: HostWithKeys,
                                                     picture: Path) -> None:
    root = "upload" if which == "upload" else "image"
    front.default = Respond(200, v2_answer("json", root, "MsLbLd2"), label)
    client = V2Client(front.api, key=shared_host.keys.key, fmt="xml", transport=transport())
    outcome = call(client, which, picture)
    assert type(outcome.error) is BadResponse
    assert describe(outcome.error) == (
        "The service sent JSON instead of the XML asked for" + AGAIN)
    assert front.count == 1


@pytest.mark.parametrize("fmt", FMTS)
def test_an_xml_answer_labelled_json_is_read_by_both_dialects(fmt: str, front: FaultProxy,
                                                              shared_host: HostWithKeys) -> None:
    front.default = Respond(200, v2_answer("xml", "image", "MsLbLd3"), "application/json")
    client = V2Client(front.api, key=shared_host.keys.key, fmt=fmt, transport=transport())
    assert client.image("MsLbLd3").hash == "MsLbLd3"


def test_a_json_answer_of_the_wrong_shape_under_html_label(front: FaultProxy,
                                                           shared_host: HostWithKeys,
                                                           picture: Path) -> None:
    front.default = Respond(200, b'{"status":"ok","items":[1,2,3]}', "text/html")
    client = V2Client(front.api, key=shared_host.keys.key, transport=transport())
    outcome = call(client, "upload", picture)
    assert type(outcome.error) is BadResponse
    assert describe(outcome.error) == "The service's answer has no 'images'" + AGAIN


# -- after all that, the same client still works --------------------------------------------------


def test_the_client_is_fine_after_every_hostile_answer(front: FaultProxy,
                                                       shared_host: HostWithKeys,
                                                       picture: Path) -> None:
    client = V2Client(front.api, key=shared_host.keys.key, transport=transport())
    for hostile in CASES:
        if hostile.error is NetworkError:
            continue  # the waits are the matrix's business; this is about what is left over
        front.plan(*[hostile.fault("json")] * ATTEMPTS)
        call(client, "read", picture)
    front.plan()  # forward to the real host again
    image = client.upload_file(picture)
    assert client.image(image.hash).size == picture.stat().st_size
