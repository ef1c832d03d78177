"""The real app in a real X window: a PNG on the clipboard (xclip), Ctrl+V (xdotool), and the
link comes back on the clipboard while the local host holds the image.

Skips with the reason where Xvfb, xdotool or xclip are missing; CI sets
IMGUR_DESKTOP_REQUIRE_E2E=1, which turns that skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import HostWithKeys
from tests.support import images

TOOLS = ("Xvfb", "xdotool", "xclip")
WAIT = 45.0


def _require_tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if not missing:
        return
    reason = f"needs {', '.join(missing)} (apt install xvfb xdotool xclip)"
    if os.environ.get("IMGUR_DESKTOP_REQUIRE_E2E") == "1":
        pytest.fail(f"IMGUR_DESKTOP_REQUIRE_E2E=1 but the e2e test {reason}")
    pytest.skip(reason)


def _wait_for(what: str, check: object, timeout: float = WAIT) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()  # type: ignore[operator]
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def display() -> Iterator[str]:
    _require_tools()
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24",
                             "-nolisten", "tcp"], pass_fds=(write_fd,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    assert number, "Xvfb did not report its display"
    yield f":{number}"
    xvfb.terminate()
    xvfb.wait(10)


def _x(args: list[str], env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=30,
                          check=False, **kwargs)  # type: ignore[call-overload,no-any-return]


def test_paste_a_screenshot_into_the_real_window(display: str, make_host: object,
                                                 tmp_path: Path) -> None:
    host: HostWithKeys = make_host(users=False)  # type: ignore[operator]
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb",
               IMGUR_DESKTOP_CONFIG_DIR=str(tmp_path / "cfg"),
               IMGUR_DESKTOP_DATA_DIR=str(tmp_path / "data"))
    app = subprocess.Popen([sys.executable, "-m", "imgur_desktop", "--api-url", host.api,
                            "--key", host.keys.key], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    xclip: subprocess.Popen[bytes] | None = None
    try:
        window = _wait_for("the main window", lambda: _x(
            ["xdotool", "search", "--onlyvisible", "--name", "^imgur-desktop$"], env
        ).stdout.split())
        wid = window[0]  # type: ignore[index]
        # The window says where uploads go once it has reached the host.
        _wait_for("the app to reach the host", lambda: _x(
            ["xdotool", "getwindowname", wid], env).returncode == 0)

        shot = tmp_path / "screenshot.png"
        data = images.png((1920, 1080))
        shot.write_bytes(data)
        # xclip stays in the background as the clipboard's owner until another owner comes.
        xclip = subprocess.Popen(["xclip", "-selection", "clipboard", "-t", "image/png", "-i",
                                  str(shot)], env=env)
        _wait_for("xclip to own the clipboard", lambda: "image/png" in _x(
            ["xclip", "-selection", "clipboard", "-t", "TARGETS", "-o"], env).stdout)

        _x(["xdotool", "windowfocus", "--sync", wid], env)
        time.sleep(1.0)  # let the app finish connecting before the key (it queues anyway)
        assert _x(["xdotool", "key", "--clearmodifiers", "ctrl+v"], env).returncode == 0

        stored = host.data_dir / "images"
        files = _wait_for("the image on the local host",
                          lambda: [p for p in stored.iterdir() if p.suffix == ".png"])
        assert len(files) == 1  # type: ignore[arg-type]
        assert files[0].read_bytes() == data  # type: ignore[index]

        def link_on_clipboard() -> str:
            text = _x(["xclip", "-selection", "clipboard", "-o"], env).stdout.strip()
            return text if text.startswith(host.url) and text.endswith(".png") else ""

        link = _wait_for("the link on the clipboard", link_on_clipboard)
        served = requests.get(link, timeout=10)  # type: ignore[arg-type]
        assert served.status_code == 200
        assert served.content == data
    finally:
        if xclip is not None and xclip.poll() is None:
            xclip.terminate()
        app.terminate()
        try:
            out, _ = app.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            app.kill()
            out, _ = app.communicate()
        print(out)
