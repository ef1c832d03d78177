"""``imgur-desktop login/logout/whoami`` as subprocesses: the PIN and loopback flows against
the real host, tokens kept only in the keyring, and a clear failure without a keyring."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlsplit

import requests
from requests_oauthlib import OAuth1

from tests.conftest import ALICE, BOB, HostWithKeys
from tests.support.browser import consent

from .conftest import SERVICE, Cli, Result, files_bytes

FAIL_BACKEND = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def stored_tokens(cli: Cli, host: HostWithKeys, user: str) -> dict[str, str]:
    entries = cli.keyring()
    raw = entries.get(f"oauth1|{host.api}|{user}")
    assert raw is not None, f"no keyring entry for {user}: {sorted(entries)}"
    value: dict[str, str] = json.loads(raw)
    return value


def assert_secrets_nowhere(cli: Cli, secrets: list[str], *outputs: Result) -> None:
    """Not in any file the CLI wrote (except the keyring itself), nor in what it printed."""
    assert all(len(s) >= 16 for s in secrets), secrets
    written = files_bytes(cli.config_dir, cli.data_dir, cli.root, skip=cli.keyring_file)
    for path, data in written.items():
        for secret in secrets:
            assert secret.encode() not in data, f"a secret was written to {path}"
    for result in outputs:
        for secret in secrets:
            assert secret not in result.stdout
            assert secret not in result.stderr


def test_pin_login_keeps_the_tokens_in_the_keyring_only(cli: Cli,
                                                        shared_host: HostWithKeys) -> None:
    result = cli.login(shared_host, ALICE, "--json")

    assert result.rc == 0, result.stderr
    assert result.one_json() == {"url": "alice", "is_pro": False,
                                 "default_album_privacy": "public", "public_images": False}
    assert "Then type the PIN" in result.stderr

    assert list(json.loads(cli.keyring_file.read_text())) == [SERVICE]
    tokens = stored_tokens(cli, shared_host, "alice")
    assert set(tokens) == {"token", "secret", "consumer_key"}
    assert tokens["consumer_key"] == shared_host.keys.consumer_key
    secret_key = f"consumer|{shared_host.api}|{shared_host.keys.consumer_key}"
    assert cli.keyring()[secret_key] == shared_host.keys.consumer_secret
    # the stored token is a real, working access token for alice
    auth = OAuth1(shared_host.keys.consumer_key, shared_host.keys.consumer_secret,
                  tokens["token"], tokens["secret"])
    resp = requests.get(shared_host.api + "account.json", auth=auth, timeout=10)
    assert resp.status_code == 200
    assert resp.json()["account"]["url"] == "alice"

    # later commands find the sign-in without being given the consumer secret again
    whoami = cli.run("whoami", "--json", "--api-url", shared_host.api)
    assert whoami.rc == 0, whoami.stderr
    assert whoami.one_json() == {"url": "alice", "is_pro": False,
                                 "default_album_privacy": "public", "public_images": False,
                                 "api_url": shared_host.api}
    assert_secrets_nowhere(cli, [tokens["token"], tokens["secret"],
                                 shared_host.keys.consumer_secret], result, whoami)
    settings = (cli.config_dir / "settings.toml").read_text()
    assert "alice" in settings  # which account is signed in there: not a secret


def test_loopback_login_catches_the_browser_redirect(cli: Cli,
                                                     shared_host: HostWithKeys) -> None:
    running = cli.popen("login", "--no-browser", "--timeout", "60",
                        "--api-url", shared_host.api,
                        "--consumer-key", shared_host.keys.consumer_key,
                        "--consumer-secret", shared_host.keys.consumer_secret)
    url = running.authorize_url()

    page = consent(url, *BOB, follow=True)

    assert page.status_code == 200
    assert "You can close this tab" in page.text
    landed = urlsplit(page.url)
    assert landed.hostname == "127.0.0.1"
    assert landed.port != urlsplit(shared_host.url).port  # the CLI's own listener
    assert "oauth_verifier=" in landed.query
    result = running.finish()
    assert result.rc == 0, result.stderr
    assert "Signed in as bob" in result.stderr
    assert result.stdout == ""

    whoami = cli.run("whoami", "--api-url", shared_host.api)
    assert whoami.rc == 0
    assert whoami.stdout.strip() == f"bob (pro) on {shared_host.api}"
    tokens = stored_tokens(cli, shared_host, "bob")
    assert_secrets_nowhere(cli, [tokens["token"], tokens["secret"],
                                 shared_host.keys.consumer_secret], result, whoami)
    # the listener was one-shot: it is gone once the command ended
    try:
        requests.get(page.url, timeout=5)
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError("the loopback listener outlived the login command")


def test_wrong_pin_fails_and_keeps_nothing(cli: Cli, shared_host: HostWithKeys) -> None:
    running = cli.popen("login", "--pin", "--no-browser", "--api-url", shared_host.api,
                        "--consumer-key", shared_host.keys.consumer_key,
                        "--consumer-secret", shared_host.keys.consumer_secret)
    url = running.authorize_url()
    consent(url, *ALICE)  # the page shows a PIN; the person types another one
    result = running.finish("not-the-pin\n")
    assert result.rc == 1
    assert "PIN was not accepted" in result.stderr
    assert "Traceback" not in result.stderr
    assert not any(k.startswith("oauth1|") for k in cli.keyring())


def test_login_needs_the_application_keys(cli: Cli, shared_host: HostWithKeys) -> None:
    result = cli.run("login", "--pin", "--no-browser", "--api-url", shared_host.api)
    assert result.rc == 2
    assert "--consumer-key" in result.stderr


def test_login_with_wrong_consumer_secret_is_refused_plainly(
        cli: Cli, shared_host: HostWithKeys) -> None:
    result = cli.run("login", "--pin", "--no-browser", "--api-url", shared_host.api,
                     "--consumer-key", shared_host.keys.consumer_key,
                     "--consumer-secret", "x" * 40)
    assert result.rc == 1
    assert "consumer key and secret" in result.stderr
    assert "Traceback" not in result.stderr


def test_logout_removes_the_keyring_entry(cli: Cli, shared_host: HostWithKeys) -> None:
    assert cli.login(shared_host, ALICE).rc == 0
    assert f"oauth1|{shared_host.api}|alice" in cli.keyring()

    result = cli.run("logout", "--json", "--api-url", shared_host.api)

    assert result.rc == 0, result.stderr
    assert result.one_json() == {"signed_out": "alice"}
    assert f"oauth1|{shared_host.api}|alice" not in cli.keyring()
    whoami = cli.run("whoami", "--api-url", shared_host.api)
    assert whoami.rc == 0
    assert whoami.stdout.startswith("Not signed in")
    whoami_json = cli.run("whoami", "--json", "--api-url", shared_host.api)
    assert whoami_json.one_json() == {"url": None, "api_url": shared_host.api}
    images = cli.run("images", "--api-url", shared_host.api)
    assert images.rc == 2
    assert "sign in" in images.stderr
    again = cli.run("logout", "--api-url", shared_host.api)
    assert again.rc == 0
    assert "Not signed in" in again.stderr


def test_sign_ins_are_per_service(cli: Cli, shared_host: HostWithKeys,
                                  make_host: Callable[..., HostWithKeys]) -> None:
    other = make_host()
    assert cli.login(shared_host, ALICE).rc == 0
    assert cli.login(other, BOB).rc == 0

    first = cli.run("whoami", "--json", "--api-url", shared_host.api).one_json()
    second = cli.run("whoami", "--json", "--api-url", other.api).one_json()

    assert first["url"] == "alice"
    assert second["url"] == "bob"
    assert {f"oauth1|{shared_host.api}|alice", f"oauth1|{other.api}|bob"} <= set(cli.keyring())
    assert cli.run("logout", "--api-url", other.api).rc == 0
    assert cli.run("whoami", "--json", "--api-url", shared_host.api).one_json()["url"] == \
        "alice"


def test_no_usable_keyring_is_a_clear_failure(cli: Cli, shared_host: HostWithKeys) -> None:
    running = cli.popen("login", "--pin", "--no-browser", "--api-url", shared_host.api,
                        "--consumer-key", shared_host.keys.consumer_key,
                        "--consumer-secret", shared_host.keys.consumer_secret,
                        env=FAIL_BACKEND)
    result = running.finish("")

    assert result.rc == 1
    assert "keyring" in result.stderr.lower()
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    # it said so before sending anyone to the browser for a sign-in it could not keep
    assert "/oauth/authorize" not in result.stderr
    assert_secrets_nowhere(cli, [shared_host.keys.consumer_secret], result)
    assert not (cli.config_dir / "settings.toml").exists()

    whoami = cli.run("whoami", "--api-url", shared_host.api, env=FAIL_BACKEND)
    assert whoami.rc == 0
    assert whoami.stdout.startswith("Not signed in")
