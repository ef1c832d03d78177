"""The app's token store against a real Secret Service: a private D-Bus session with an
unlocked gnome-keyring-daemon, keyring's SecretService backend, and a child process that
saves, reads back and deletes tokens through ``imgur_desktop.core.tokens.TokenStore``.

Skips with the reason where dbus-run-session or gnome-keyring-daemon are missing; CI sets
IMGUR_DESKTOP_REQUIRE_E2E=1, which turns that skip into a failure.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("dbus-run-session", "gnome-keyring-daemon")
BACKEND = "keyring.backends.SecretService.Keyring"

# Runs inside the D-Bus session. It reports what it saw as one JSON line; the parent asserts.
CHILD = r'''
import json, sys
import keyring
import secretstorage
from imgur_desktop.core.tokens import SERVICE, StoredTokens, TokenStore

api_url, token, secret, consumer_secret = sys.argv[1:5]
store = TokenStore()
store.check()
tokens = StoredTokens("alice", token, secret, "consumer-key-1")
store.save(api_url, tokens)
store.save_consumer_secret(api_url, "consumer-key-1", consumer_secret)

# Straight from the Secret Service, not through keyring: where the entries really are.
bus = secretstorage.dbus_init()
collection = secretstorage.get_default_collection(bus)
held = sorted(item.get_attributes()["username"]
              for item in collection.search_items({"service": SERVICE}))
raw = next(item.get_secret().decode() for item in collection.search_items(
    {"service": SERVICE, "username": f"oauth1|{api_url}|alice"}))

loaded = store.load(api_url, "alice")
loaded_secret = store.load_consumer_secret(api_url, "consumer-key-1")
store.delete(api_url, "alice")
after_delete = store.load(api_url, "alice")
left = sorted(item.get_attributes()["username"]
              for item in collection.search_items({"service": SERVICE}))
print(json.dumps({
    "backend": f"{type(keyring.get_keyring()).__module__}.{type(keyring.get_keyring()).__name__}",
    "collection": collection.get_label(),
    "locked": collection.is_locked(),
    "held": held,
    "raw": json.loads(raw),
    "loaded": None if loaded is None else [loaded.account, loaded.token, loaded.secret,
                                           loaded.consumer_key],
    "loaded_secret": loaded_secret,
    "after_delete": after_delete,
    "left": left,
}))
'''


def _require_tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if not missing:
        return
    reason = (f"needs {', '.join(missing)} (apt install gnome-keyring dbus-x11) for a real "
              "Secret Service")
    if os.environ.get("IMGUR_DESKTOP_REQUIRE_E2E") == "1":
        pytest.fail(f"IMGUR_DESKTOP_REQUIRE_E2E=1 but the e2e test {reason}")
    pytest.skip(reason)


def test_tokens_kept_in_a_real_secret_service(tmp_path: Path) -> None:
    _require_tools()
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    child = tmp_path / "child.py"
    child.write_text(CHILD, encoding="utf-8")
    # The person's own keyring, session bus and test keyring stay out of it.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("IMGUR_DESKTOP_", "PYTHON_KEYRING", "DBUS_", "GNOME_KEYRING"))}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"),
               XDG_CONFIG_HOME=str(home / ".config"), XDG_RUNTIME_DIR=str(runtime),
               PYTHONPATH=str(ROOT), PYTHON_KEYRING_BACKEND=BACKEND)
    api_url = "http://127.0.0.1:8750/2/"
    token, secret, consumer_secret = (secrets.token_urlsafe(24) for _ in range(3))
    # Without --unlock the daemon waits for a password prompt that never comes: hence the
    # password on stdin, and a timeout all the same.
    script = ('echo -n test-password | gnome-keyring-daemon --unlock --components=secrets '
              '>/dev/null && exec "$0" "$@"')
    proc = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", script, sys.executable, str(child), api_url,
         token, secret, consumer_secret],
        env=env, capture_output=True, text=True, timeout=60, check=False)

    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["backend"] == BACKEND
    assert report["locked"] is False
    assert report["held"] == sorted([f"oauth1|{api_url}|alice",
                                     f"consumer|{api_url}|consumer-key-1"])
    assert report["raw"] == {"token": token, "secret": secret,
                             "consumer_key": "consumer-key-1"}
    assert report["loaded"] == ["alice", token, secret, "consumer-key-1"]
    assert report["loaded_secret"] == consumer_secret
    assert report["after_delete"] is None
    assert report["left"] == [f"consumer|{api_url}|consumer-key-1"]
    # gnome-keyring keeps its own encrypted file: the secret still held is not in clear.
    keyrings = [p for p in (home / ".local" / "share" / "keyrings").iterdir() if p.is_file()]
    assert keyrings, "gnome-keyring kept nothing on disk: was it the real daemon?"
    for path in home.rglob("*"):
        if path.is_file():
            assert consumer_secret.encode() not in path.read_bytes(), path
