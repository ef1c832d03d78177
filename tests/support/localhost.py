"""The real local image host, run as a subprocess on a free port, for tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

STARTUP_TIMEOUT = 30.0


@dataclass
class AppKeys:
    key: str
    consumer_key: str
    consumer_secret: str


def cli(*args: str, data_dir: Path, stdin: str | None = None,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``imgur-desktop ARGS --data-dir DIR`` as a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "imgur_desktop", *args, "--data-dir", str(data_dir)],
        input=stdin, capture_output=True, text=True, timeout=60, check=check,
    )


def add_app(data_dir: Path, name: str = "tests") -> AppKeys:
    out = cli("server", "add-app", name, "--json", data_dir=data_dir).stdout
    return AppKeys(**json.loads(out))


def add_user(data_dir: Path, name: str, password: str, *, pro: bool = False) -> None:
    args = ["server", "add-user", name, "--password-stdin"] + (["--pro"] if pro else [])
    cli(*args, data_dir=data_dir, stdin=password + "\n")


@dataclass
class LocalHost:
    """A running ``imgur-desktop serve``; ``url`` ends with a slash."""

    data_dir: Path
    extra_args: Sequence[str] = ()
    proc: subprocess.Popen[str] | None = None
    url: str = ""
    stderr_lines: list[str] = field(default_factory=list)

    @property
    def api(self) -> str:
        return self.url + "2/"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> LocalHost:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "imgur_desktop", "serve", "--port", "0",
             "--data-dir", str(self.data_dir), *self.extra_args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        first: list[str] = []
        reader = threading.Thread(target=lambda: first.append(self.proc.stdout.readline()),  # type: ignore[union-attr]
                                  daemon=True)
        reader.start()
        reader.join(STARTUP_TIMEOUT)
        line = first[0] if first else ""
        if not line.startswith("Serving on http://"):
            self.proc.kill()
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"the host did not start: {line!r} {err}")
        self.url = line.split()[-1]
        threading.Thread(target=self._collect_stderr, daemon=True).start()
        return self

    def _collect_stderr(self) -> None:
        assert self.proc is not None
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_lines.append(line)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Stop the host and return its exit code."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout)

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, as in a crash."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(15)
