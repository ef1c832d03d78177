"""With no service configured, the CLI starts the local image host in the background (on
``IMGUR_DESKTOP_LOCAL_PORT`` for tests), registers this machine's app once, and the links it
prints keep working after the command exits; ``server stop`` ends the host."""

from __future__ import annotations

import json
import os
import socket
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support import images
from tests.support.browser import consent, pin_from

from .conftest import Cli, fetch


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped) counts as gone
        return Path(f"/proc/{pid}/cmdline").read_bytes() != b""
    except FileNotFoundError:
        return False


def health(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/health", timeout=5).ok
    except requests.ConnectionError:
        return False


@dataclass
class Machine(Cli):
    """A machine with nothing configured; its local host's port is free and unusual."""

    port: int = 0


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[Machine]:
    port = free_port()
    cli = Machine(tmp_path / "machine", {"IMGUR_DESKTOP_LOCAL_PORT": str(port)}, port)
    cli.root.mkdir()
    try:
        yield cli
    finally:
        cli.stop_local_host()  # never leave the background host running


def test_upload_with_nothing_configured_uses_a_background_local_host(
        machine: Machine, tmp_path: Path) -> None:
    port = machine.port
    base = f"http://127.0.0.1:{port}/"
    first_png = tmp_path / "first.png"
    first_png.write_bytes(images.png((25, 25)))
    assert not health(port)

    first = machine.run("upload", str(first_png))

    assert first.rc == 0, first.stderr
    link = first.stdout.strip()
    assert link.startswith(base)
    assert link.endswith(".png")
    # the command has exited; the link still works because the host runs on its own
    resp = fetch(link)
    assert resp.status_code == 200
    assert resp.content == first_png.read_bytes()

    host_dir = machine.data_dir / "local-host"
    keys_file = host_dir / "default-app.json"
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    keys = json.loads(keys_file.read_text())
    assert set(keys) == {"key", "consumer_key", "consumer_secret"}
    keys_bytes = keys_file.read_bytes()
    pid = int((host_dir / "serve.pid").read_text())
    assert alive(pid)
    assert os.getpgid(pid) != os.getpgid(0)  # its own session: a terminal's ^C spares it

    second_png = tmp_path / "second.png"
    second_png.write_bytes(images.jpeg((30, 20)))
    second = machine.run("upload", str(second_png), "--json")

    assert second.rc == 0, second.stderr
    line = second.one_json()
    assert line["links"]["original"].startswith(base)
    assert fetch(line["links"]["original"]).content == second_png.read_bytes()
    assert keys_file.read_bytes() == keys_bytes  # no second registration
    assert int((host_dir / "serve.pid").read_text()) == pid  # the same host, reused
    assert fetch(link).status_code == 200  # the first link too

    whoami = machine.run("whoami", "--json").one_json()
    assert whoami == {"url": None, "api_url": base + "2/"}

    stopped = machine.run("server", "stop", "--json")
    assert stopped.rc == 0, stopped.stderr
    assert stopped.one_json() == {"stopped": True}
    assert not health(port)
    assert not alive(pid)
    assert not (host_dir / "serve.pid").exists()
    again = machine.run("server", "stop", "--json")
    assert again.rc == 0
    assert again.one_json() == {"stopped": False}


def test_the_local_host_takes_sign_ins_with_its_own_app(machine: Machine, tmp_path: Path) -> None:
    """The default app's consumer keys work: a user of the local host can sign in."""
    port = machine.port
    png = tmp_path / "p.png"
    png.write_bytes(images.png())
    assert machine.run("upload", str(png)).rc == 0  # starts the host
    add = machine.run("server", "add-user", "carol", "--password-stdin",
                      stdin="carol-password-3\n")
    assert add.rc == 0, add.stderr

    running = machine.popen("login", "--pin", "--no-browser")
    url = running.authorize_url()
    assert url.startswith(f"http://127.0.0.1:{port}/oauth/authorize?")
    pin = pin_from(consent(url, "carol", "carol-password-3"))
    result = running.finish(pin + "\n")
    assert result.rc == 0, result.stderr
    assert machine.run("whoami", "--json").one_json()["url"] == "carol"
    line = machine.run("upload", str(png), "--json").one_json()
    assert line["hash"] in [i["hash"] for i in machine.run("images", "--json").one_json()]


def test_a_port_held_by_something_else_is_a_clear_error(machine: Machine, tmp_path: Path) -> None:
    port = machine.port
    png = tmp_path / "b.png"
    png.write_bytes(images.png())
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        result = machine.run("upload", str(png), timeout=60)
    assert result.rc == 2
    assert "did not start" in result.stderr
    assert not (machine.data_dir / "local-host" / "serve.pid").exists()


def test_data_dir_option_picks_the_hosts_folder(machine: Machine, tmp_path: Path) -> None:
    """``--data-dir D`` (not the env var) holds the host; ``server stop --data-dir D`` ends it."""
    other = tmp_path / "other-data"
    png = tmp_path / "d.png"
    png.write_bytes(images.png())
    try:
        result = machine.run("--data-dir", str(other), "upload", str(png))
        assert result.rc == 0, result.stderr
        assert fetch(result.stdout.strip()).content == png.read_bytes()
        assert (other / "local-host" / "default-app.json").exists()
        assert not (machine.data_dir / "local-host").exists()

        elsewhere = machine.run("server", "stop", "--json")  # the env's folder: not there
        assert elsewhere.one_json() == {"stopped": False}
        assert health(machine.port)
        stopped = machine.run("server", "stop", "--data-dir", str(other), "--json")
        assert stopped.one_json() == {"stopped": True}
        assert not health(machine.port)
    finally:
        machine.stop_local_host(other)


def test_server_stop_with_nothing_started(cli: Cli) -> None:
    result = cli.run("server", "stop")
    assert result.rc == 0
    assert "nothing to stop" in result.stderr
