"""Measure 6, album grid: an album of ``sizes.album_images`` images (1,000 in the full run),
owned by a signed-in account on the benchmark's host, opened in the grid layout of the album
browser as the app builds it (``AlbumBrowser`` with a fresh ``ThumbnailLoader`` on an empty
cache folder, offscreen, the browser's own 960x680 size). Each open runs in a fresh child
process (``python -m benchmarks.album_grid open``, told what to open on stdin), so its peak
memory is its own and no earlier row counts.

* 6a, first screen: from the open asked for (the browser built, as the app builds it on first
  use, then ``open_album``) to the end of the first paint of the grid in which every tile on
  screen draws its thumbnail. Thumbnails then fade in for 0.18 s; the time to full opacity is
  in the details. Baseline: what a plain script does to have the same pictures: one
  ``requests.Session`` fetches the album's JSON, then the same number of thumbnails (the tiles
  on screen), one after another. It decodes and draws nothing, so it is a floor, not a rival:
  the ratio is for information (the issue sets no time budget). ``album_reps`` rounds,
  alternating; the best of each counts.
* 6b, requests at open: thumbnail GETs that reached the host, counted by a proxy in front of it
  (``tests/support/faults.FaultProxy``, forwarding), until the browser has nothing left to ask
  for; the loader's own ``requests_made`` must agree. Budget: the tiles on screen (whole
  columns of the viewport, a row cut by its bottom edge counted, as
  ``tests/ui/test_album_browser.py`` counts them) plus the one screen of prefetch the browser
  asks for (``album_views.with_prefetch``). Baseline: the tiles on screen.
* 6c, a second open: a new child, so a new loader with nothing in memory, on the same cache
  folder, through the same proxy (the cache is keyed by URL). Budget: no thumbnail request.
  Baseline: the first open's count.
* 6d, peak memory: the highest VmHWM (peak RSS of the whole process) of the children that
  opened the album on an empty cache. Budget: 300 MB. Baseline: the same measure for a bare
  PySide6 window of the browser's size (``python -m benchmarks.album_grid bare``), what the
  toolkit costs before any album. Qt and the app's modules are imported inside the children's
  functions, so the bare child carries only what both children share.

The host registers nobody over HTTP: an application with consumer keys and the account are
added to the folder the running host serves (its ``--data-dir``, read from its command line)
with ``imgur-desktop server add-app`` and ``add-user``, as its owner would; the account then
signs in through the OAuth PIN flow, the consent form posted with plain ``requests``. Its
images are photo-like 320x240 JPEGs uploaded through the API, four at a time.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from imgur_desktop.core.api.oauth1 import OAuth1SignIn
from imgur_desktop.core.api.v2 import OAuthCredentials, V2Client
from tests.support.faults import FaultProxy

from .fixtures import photo_jpeg
from .hosts import Host, python_module
from .report import ABS_MAX, Budget, Row
from .suite import Run

BUDGET_MB = 300.0
CHILD_TIMEOUT = 180.0
HTTP_TIMEOUT = 30.0
UPLOAD_THREADS = 4
PHOTO_VARIANTS = 8
ACCOUNT, PASSWORD = "albumgrid", "albumgrid-benchmark-password"


@dataclass(frozen=True)
class Spec:
    """What a child opens, sent as JSON on its stdin (the tokens stay out of its argv)."""

    api: str
    key: str
    oauth: tuple[str, str, str, str]  # consumer key, consumer secret, token, token secret
    account: str
    album: str
    images: int
    cache: str


# -- the account and the album -----------------------------------------------------------------

def host_data_dir(host: Host) -> Path:
    """The folder the running host serves: the ``--data-dir`` it was started with."""
    argv = Path(f"/proc/{host.pid}/cmdline").read_bytes().split(b"\0")
    if b"--data-dir" not in argv:
        raise RuntimeError(f"the host (pid {host.pid}) was started without --data-dir")
    return Path(os.fsdecode(argv[argv.index(b"--data-dir") + 1]))


def _server_cli(data_dir: Path, *args: str, stdin: str | None = None) -> str:
    proc = subprocess.run(python_module("imgur_desktop", "server", *args, "--data-dir",
                                        str(data_dir)),
                          input=stdin, capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"server {args[0]} failed: {proc.stderr[-400:]}")
    return proc.stdout


def _pin(authorize_url: str, username: str, password: str) -> str:
    """Allow access on the host's consent page, as a person in a browser; returns the PIN."""
    page = requests.get(authorize_url, timeout=HTTP_TIMEOUT)
    page.raise_for_status()
    token = re.search(r'<input[^>]*name="oauth_token"[^>]*>', page.text)
    value = re.search(r'value="([^"]+)"', token.group(0)) if token else None
    if value is None:
        raise RuntimeError("the consent page has no oauth_token field")
    action = urlsplit(authorize_url)._replace(path="/oauth/authorize", query="").geturl()
    answer = requests.post(action, data={"oauth_token": value.group(1), "username": username,
                                         "password": password, "allow": "1"},
                           allow_redirects=False, timeout=HTTP_TIMEOUT)
    pin = re.search(r'id="pin"[^>]*>\s*([^<\s]+)\s*<', answer.text)
    if pin is None:
        raise RuntimeError(f"no PIN after consent: HTTP {answer.status_code} "
                           f"{answer.text[:200]}")
    return pin.group(1)


def sign_in(host: Host) -> tuple[str, str, str, str]:
    """A new account and application on the host, signed in; the four OAuth strings."""
    data_dir = host_data_dir(host)
    keys = json.loads(_server_cli(data_dir, "add-app", "album-grid-benchmark", "--json"))
    _server_cli(data_dir, "add-user", ACCOUNT, "--password-stdin", stdin=PASSWORD + "\n")
    flow = OAuth1SignIn(host.api, keys["consumer_key"], keys["consumer_secret"])
    pending = flow.start()
    creds = flow.finish(pending, _pin(pending.authorize_url, ACCOUNT, PASSWORD))
    return creds.consumer_key, creds.consumer_secret, creds.token, creds.token_secret


def _client(api: str, key: str, oauth: tuple[str, str, str, str]) -> V2Client:
    """The client the app builds for a signed-in account (``Context.client``)."""
    return V2Client(api, key=key, oauth=OAuthCredentials(*oauth), fmt="json",
                    wait_for_credits=False)


def make_album(host: Host, oauth: tuple[str, str, str, str], count: int) -> str:
    """``count`` photo-like JPEGs uploaded to the account, a few at a time, then an album of
    them in grid layout; its id."""
    photos = [photo_jpeg((320, 240), 80 + v) for v in range(PHOTO_VARIANTS)]
    local = threading.local()

    def upload(n: int) -> str:
        if not hasattr(local, "client"):
            local.client = _client(host.api, host.key, oauth)
        image = local.client.upload_bytes(photos[n % PHOTO_VARIANTS], f"photo-{n:04d}.jpg",
                                          account=True)
        return str(image.hash)

    with ThreadPoolExecutor(UPLOAD_THREADS) as pool:
        hashes = list(pool.map(upload, range(count)))
    album = _client(host.api, host.key, oauth).create_album(
        title="Benchmark album", layout="grid", images=hashes)
    return str(album.id)


# -- the baseline ------------------------------------------------------------------------------

def plain_session(api: str, album_id: str, count: int) -> float:
    """Seconds for one requests.Session to fetch the album's JSON and then its first
    ``count`` small squares, one after another."""
    session = requests.Session()
    session.trust_env = False
    try:
        start = time.perf_counter()
        resp = session.get(f"{api}album/{album_id}.json", timeout=HTTP_TIMEOUT)
        resp.raise_for_status()
        images = resp.json()["album"]["images"]
        for item in images[:count]:
            thumb = session.get(item["links"]["small_square"], timeout=HTTP_TIMEOUT)
            if thumb.status_code != 200 or not thumb.content.startswith(b"\xff\xd8"):
                raise RuntimeError(f"the baseline got HTTP {thumb.status_code} for a thumbnail")
        elapsed = time.perf_counter() - start
    finally:
        session.close()
    if len(images) < count:
        raise RuntimeError(f"the album has {len(images)} images, not {count}")
    return elapsed


# -- the children ------------------------------------------------------------------------------

def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _warm_window() -> None:
    """A small window shown and painted first: an album is opened from the running app,
    whose window has already loaded the fonts and the style."""
    from PySide6.QtWidgets import QLabel

    from . import qtapp

    label = QLabel("imgur-desktop")
    label.resize(400, 300)
    label.show()
    qtapp.run_until(lambda: False, 0.2)
    label.close()
    label.deleteLater()


def open_child(spec: Spec) -> dict[str, Any]:
    """In the child: open the album in a fresh browser and loader; what it took."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    from imgur_desktop.core.thumb_cache import ThumbCache
    from imgur_desktop.ui.album_browser import AlbumBrowser
    from imgur_desktop.ui.album_browser_model import small_url
    from imgur_desktop.ui.album_delegates import TILE
    from imgur_desktop.ui.album_views import visible_rows
    from imgur_desktop.ui.thumbnails import ThumbnailLoader

    from . import qtapp

    qtapp.application()
    _warm_window()
    client = _client(spec.api, spec.key, spec.oauth)

    class FirstScreen(QObject):
        """The grid's paints: when the first one with the album in it has ended (tiles still
        placeholders), the first that draws every tile on screen with its thumbnail, and the
        first with all of those at full opacity."""

        def __init__(self, browser: AlbumBrowser) -> None:
            super().__init__()
            self.browser = browser
            self.laid_out: float | None = None
            self.drawn: float | None = None
            self.full: float | None = None
            browser.grid.viewport().installEventFilter(self)

        def on_screen(self) -> int:
            viewport = self.browser.grid.viewport()
            columns = viewport.width() // TILE
            rows = -(-viewport.height() // TILE)  # a row cut by the bottom edge counts
            return min(self.browser.model.rowCount(), columns * rows)

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            browser = self.browser
            if (event.type() == QEvent.Type.Paint and self.full is None
                    and browser.album() is not None and browser.current_layout() == "grid"):
                urls = [small_url(browser.model.image(r)) for r in range(self.on_screen())]
                loaded = bool(urls) and all(browser.loader.pixmap(u) is not None for u in urls)
                opaque = loaded and all(browser.fades.opacity(u) >= 1.0 for u in urls)
                QTimer.singleShot(0, lambda: self._painted(loaded, opaque))  # after the paint
            return False

        def _painted(self, loaded: bool, opaque: bool) -> None:
            now = time.perf_counter()
            if self.laid_out is None:
                self.laid_out = now
            if loaded and self.drawn is None:
                self.drawn = now
            if opaque and self.full is None:
                self.full = now

    settled: list[float] = []

    def done() -> bool:
        """The first screen fully shown, and nothing left to ask for or loading."""
        if (not settled and browser.requested_rows() and not browser.refresh_pending()
                and loader.pending() == 0):
            settled.append(time.perf_counter())
        return bool(settled) and watch.full is not None

    start = time.perf_counter()
    loader = ThumbnailLoader(ThumbCache(Path(spec.cache)))  # as MainWindow.album_browser()
    browser = AlbumBrowser(loader)
    browser.set_client(client, account=spec.account)
    watch = FirstScreen(browser)
    browser.open_album(spec.album)  # as MainWindow.open_album(): open, then show
    browser.show()
    try:
        if not qtapp.run_until(done, CHILD_TIMEOUT, poll_ms=2):
            raise RuntimeError(f"the first screen never showed: {browser.message_text()!r}")
        album = browser.album()
        shown = 0 if album is None else len(album.images)
        if shown != spec.images or browser.current_layout() != "grid":
            raise RuntimeError(f"opened {shown} images in {browser.current_layout()}, not "
                               f"{spec.images} in grid")
        on_screen = watch.on_screen()
        requested = browser.requested_rows()
        if requested[:on_screen] != list(range(on_screen)):
            raise RuntimeError(f"the first rows asked for were {requested[:on_screen]}")
        viewport = browser.grid.viewport()
        assert watch.laid_out is not None
        assert watch.drawn is not None
        assert watch.full is not None
        result = {
            "first_screen_ms": (watch.drawn - start) * 1000,
            "album_laid_out_ms": (watch.laid_out - start) * 1000,
            "opaque_ms": (watch.full - start) * 1000,
            "settled_ms": (settled[0] - start) * 1000,
            "requests_made": loader.requests_made,
            "on_screen": on_screen,
            "visible_rows_qt": len(visible_rows(browser.grid)),
            "requested_rows": len(requested),
            "viewport": [viewport.width(), viewport.height()],
            "peak_rss_mb": _status_mb("VmHWM"),
            "rss_mb": _status_mb("VmRSS"),
        }
    finally:
        browser.close()
        browser._pool.waitForDone(10_000)
        loader.shutdown()
    return result


def bare_child() -> dict[str, Any]:
    """In the child: a bare PySide6 window of the browser's size, shown and painted."""
    from PySide6.QtWidgets import QWidget

    from . import qtapp

    qtapp.application()
    window = QWidget()
    window.resize(960, 680)
    window.show()
    qtapp.run_until(lambda: False, 0.3)
    return {"peak_rss_mb": _status_mb("VmHWM"), "rss_mb": _status_mb("VmRSS")}


def run_child(mode: str, spec: Spec | None = None) -> dict[str, Any]:
    proc = subprocess.run(python_module("benchmarks.album_grid", mode),
                          input=json.dumps(asdict(spec)) if spec else "", capture_output=True,
                          text=True, timeout=CHILD_TIMEOUT + 60, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"the {mode} child failed ({proc.returncode}): {proc.stderr[-800:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# -- the measure -------------------------------------------------------------------------------

def thumbnail_gets(proxy: FaultProxy) -> list[str]:
    """The thumbnail GETs the proxy relayed to the host (small squares and large ones)."""
    return [s.path for s in list(proxy.seen)
            if s.method == "GET" and s.path.endswith(("s.jpg", "l.jpg"))]


def measure(run: Run) -> list[Row]:
    count = run.sizes.album_images
    folder = run.folder("album-grid")
    t0 = time.perf_counter()
    oauth = sign_in(run.host)
    album_id = make_album(run.host, oauth, count)
    setup_s = time.perf_counter() - t0

    def spec(api: str, cache: Path) -> Spec:
        return Spec(api, run.host.key, oauth, ACCOUNT, album_id, count, str(cache))

    with FaultProxy(run.host.url) as proxy:
        counted = folder / "cache-counted"
        first = run_child("open", spec(proxy.api, counted))
        first_gets = thumbnail_gets(proxy)
        second = run_child("open", spec(proxy.api, counted))
        second_gets = thumbnail_gets(proxy)[len(first_gets):]
    if first["requests_made"] != len(first_gets) or second["requests_made"] != len(second_gets):
        raise RuntimeError(f"the loader counted {first['requests_made']} and "
                           f"{second['requests_made']} requests, the host saw "
                           f"{len(first_gets)} and {len(second_gets)}")
    if len(set(first_gets)) != len(first_gets):
        raise RuntimeError("a thumbnail was fetched twice in one open")

    on_screen = first["on_screen"]
    prefetch = min(on_screen, count - on_screen)  # one screen ahead, as far as the album goes
    timed: list[dict[str, Any]] = []
    plain_s: list[float] = []
    for n in range(run.sizes.album_reps):
        timed.append(run_child("open", spec(run.host.api, folder / f"cache-{n}")))
        plain_s.append(plain_session(run.host.api, album_id, on_screen))
    bare = run_child("bare")

    best = min(timed, key=lambda t: float(t["first_screen_ms"]))
    cold = [first, *timed]
    title = f"Album grid of {count:,}"
    return [
        Row("6a", f"{title}: first screen of thumbnails", "ms", best["first_screen_ms"],
            min(plain_s) * 1000, f"requests.Session: album + {on_screen} thumbnails in turn",
            note="for information: the issue sets no time budget",
            details={"images": count, "setup_s": round(setup_s, 1),
                     "on_screen": on_screen, "viewport": first["viewport"],
                     **{name: [round(t[name], 1) for t in timed]
                        for name in ("first_screen_ms", "album_laid_out_ms", "opaque_ms",
                                     "settled_ms")},
                     "plain_session_ms": [round(s * 1000, 1) for s in plain_s],
                     "requests_made": [t["requests_made"] for t in timed]}),
        Row("6b", f"{title}: thumbnail requests at open", "requests", len(first_gets),
            on_screen, "tiles on screen", Budget(ABS_MAX, on_screen + prefetch),
            note=f"budget: {on_screen} on screen + {prefetch} prefetch",
            details={"at_host": len(first_gets), "open": first}),
        Row("6c", f"{title}: thumbnail requests at a second open", "requests",
            len(second_gets), len(first_gets), "the first open", Budget(ABS_MAX, 0),
            details={"at_host": len(second_gets), "open": second}),
        Row("6d", f"{title}: peak RSS of the process", "MB",
            max(c["peak_rss_mb"] for c in cold), bare["peak_rss_mb"], "bare PySide6 window",
            Budget(ABS_MAX, BUDGET_MB),
            details={"cold_opens_mb": [round(c["peak_rss_mb"], 1) for c in cold],
                     "second_open_mb": round(second["peak_rss_mb"], 1),
                     "bare_window_mb": round(bare["peak_rss_mb"], 1)}),
    ]


if __name__ == "__main__":
    if sys.argv[1:] == ["bare"]:
        print(json.dumps(bare_child()))
    elif sys.argv[1:] == ["open"]:
        fields = json.loads(sys.stdin.read())
        fields["oauth"] = tuple(fields["oauth"])
        print(json.dumps(open_child(Spec(**fields))))
    else:
        sys.exit("usage: python -m benchmarks.album_grid open|bare (open reads a Spec as JSON)")
