"""``imgur-desktop upload`` as a subprocess against the real local host: JSON lines, exit
status, folders, stdin, URLs, link formats, XML, and credits running out."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import HostWithKeys
from tests.support import images

from .conftest import LINK_KEYS, UNSUPPORTED, Cli, Relay, fetch


def anon(host: HostWithKeys) -> list[str]:
    return ["--api-url", host.api, "--key", host.keys.key]


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def assert_serves(url: str, data: bytes) -> None:
    """The link works now, from anywhere, and gives back exactly what was uploaded."""
    resp = fetch(url)
    assert resp.status_code == 200, (url, resp.status_code)
    assert resp.content == data


def test_json_lines_for_a_good_png_and_a_text_file(cli: Cli, shared_host: HostWithKeys,
                                                   tmp_path: Path) -> None:
    png = write(tmp_path / "shot.png", images.png((40, 30)))
    txt = write(tmp_path / "notes.txt", b"just some notes, not an image\n")

    result = cli.run("upload", str(png), str(txt), "--json", *anon(shared_host))

    assert result.rc == 1, result.stderr
    good, bad = result.json_lines()
    assert set(good) == {"file", "ok", "hash", "deletehash", "links"}
    assert good["file"] == str(png)
    assert good["ok"] is True
    assert re.fullmatch(r"[A-Za-z0-9]{5,10}", good["hash"])
    assert re.fullmatch(r"[A-Za-z0-9]{10,}", good["deletehash"])
    links = good["links"]
    assert set(links) == LINK_KEYS
    assert links["original"] == f"{shared_host.url}{good['hash']}.png"
    assert links["imgur_page"] == f"{shared_host.url}{good['hash']}"
    assert links["delete_page"] == f"{shared_host.url}delete/{good['deletehash']}"
    assert_serves(links["original"], png.read_bytes())
    page = fetch(links["imgur_page"])
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    for thumb in ("small_square", "large_thumbnail"):
        resp = fetch(links[thumb])
        assert resp.status_code == 200
        assert resp.headers["Content-Type"].startswith("image/")

    assert bad == {"file": str(txt), "ok": False, "error": UNSUPPORTED}


def test_all_good_exits_0_and_prints_one_direct_link_per_file(
        cli: Cli, shared_host: HostWithKeys, tmp_path: Path) -> None:
    first = write(tmp_path / "a.png", images.png((20, 20)))
    second = write(tmp_path / "b.jpg", images.jpeg((30, 20)))

    result = cli.run(*anon(shared_host), "upload", str(first), str(second))

    assert result.rc == 0, result.stderr
    links = result.stdout.splitlines()
    assert len(links) == 2
    assert re.fullmatch(re.escape(shared_host.url) + r"\w+\.png", links[0])
    assert re.fullmatch(re.escape(shared_host.url) + r"\w+\.jpg", links[1])
    assert_serves(links[0], first.read_bytes())
    assert_serves(links[1], second.read_bytes())
    # the delete links are for the person (stderr), so stdout stays pipeable
    assert result.stderr.count(f"{shared_host.url}delete/") == 2


def test_json_with_every_input_good_exits_0(cli: Cli, shared_host: HostWithKeys,
                                            tmp_path: Path) -> None:
    gif = write(tmp_path / "anim.gif", images.gif(frames=3))
    result = cli.run("upload", str(gif), "--json", *anon(shared_host))
    assert result.rc == 0, result.stderr
    line = result.one_json()
    assert line["ok"] is True
    assert_serves(line["links"]["original"], gif.read_bytes())


def test_a_missing_file_is_a_failed_input_not_a_crash(cli: Cli, shared_host: HostWithKeys,
                                                      tmp_path: Path) -> None:
    good = write(tmp_path / "ok.png", images.png())
    missing = tmp_path / "gone.png"
    result = cli.run("upload", str(missing), str(good), "--json", *anon(shared_host))
    assert result.rc == 1
    gone, ok = result.json_lines()
    assert gone == {"file": str(missing), "ok": False, "error": "gone.png does not exist"}
    assert ok["ok"] is True
    assert "Traceback" not in result.stderr


USAGE_ERRORS = [
    ["upload", "{png}", "--layout", "grid"],
    ["upload", "{png}", "--privacy", "secret"],
    ["upload", "{png}", "--new-album", "Holiday"],  # albums need an account
    ["upload", "{png}", "--album", "abcde"],
    ["upload", "-", "-"],
    ["upload"],
    ["upload", "{png}", "--layout", "diagonal", "--new-album", "x"],
    ["upload", "{png}", "--album", "abcde", "--new-album", "x"],
    ["upload", "{png}", "--format", "tiff"],
    ["frobnicate"],
    ["albums"],
]


def test_usage_errors_exit_2_and_upload_nothing(cli: Cli, shared_host: HostWithKeys,
                                                tmp_path: Path) -> None:
    png = write(tmp_path / "u.png", images.png())
    before = cli.run("credits", "--json", *anon(shared_host)).one_json()["remaining"]

    for args in USAGE_ERRORS:
        argv = [a.replace("{png}", str(png)) for a in args]
        result = cli.run(*argv, "--json", *anon(shared_host)) if argv[0] == "upload" else \
            cli.run(*argv)
        assert result.rc == 2, (argv, result.stdout, result.stderr)
        assert result.stdout == "", argv
        assert result.stderr.strip(), argv
        assert "Traceback" not in result.stderr, argv

    after = cli.run("credits", "--json", *anon(shared_host)).one_json()["remaining"]
    assert before - after <= 1, "an upload was sent despite a usage error"


def test_layout_without_new_album_says_why(cli: Cli, shared_host: HostWithKeys,
                                           tmp_path: Path) -> None:
    png = write(tmp_path / "u.png", images.png())
    result = cli.run("upload", str(png), "--layout", "grid", *anon(shared_host))
    assert result.rc == 2
    assert "--new-album" in result.stderr


def test_a_folder_uploads_only_its_images(cli: Cli, shared_host: HostWithKeys,
                                          tmp_path: Path) -> None:
    folder = tmp_path / "shots"
    a = write(folder / "a.png", images.png((10, 10)))
    b = write(folder / "sub" / "b.jpg", images.jpeg((12, 12)))
    c = write(folder / "sub" / "deeper" / "c.bmp", images.bmp())
    write(folder / "readme.txt", b"not an image")
    write(folder / "sub" / "data.bin", bytes(range(256)) * 4)
    write(folder / "sub" / "looks-like.png", b"plain text pretending to be a png")

    result = cli.run("upload", str(folder), "--json", *anon(shared_host))

    assert result.rc == 0, result.stderr
    every = result.json_lines()
    skipped = [line for line in every if line.get("skipped")]
    assert sorted(line["file"] for line in skipped) == sorted(
        str(folder / n) for n in ("readme.txt", "sub/data.bin", "sub/looks-like.png"))
    assert all(line["ok"] is False and "not supported" in line["error"] for line in skipped)
    lines = [line for line in every if not line.get("skipped")]
    assert [line["file"] for line in lines] == [str(a), str(b), str(c)]
    assert all(line["ok"] for line in lines)
    for line, path in zip(lines, (a, b, c), strict=True):
        assert_serves(line["links"]["original"], path.read_bytes())
    assert "skipped 3" in result.stderr


def test_stdin_dash_uploads_the_piped_bytes(cli: Cli, shared_host: HostWithKeys) -> None:
    data = images.png((33, 22))
    result = cli.run("upload", "-", "--json", *anon(shared_host), stdin=data)
    assert result.rc == 0, result.stderr
    line = result.one_json()
    assert line["file"] == "-"
    assert line["ok"] is True
    assert line["links"]["original"].endswith(".png")
    assert_serves(line["links"]["original"], data)


def test_stdin_that_is_not_an_image_fails_plainly(cli: Cli, shared_host: HostWithKeys) -> None:
    result = cli.run("upload", "-", "--json", *anon(shared_host), stdin=b"hello\n")
    assert result.rc == 1
    assert result.one_json() == {"file": "-", "ok": False, "error": UNSUPPORTED}


def test_a_url_input_is_fetched_by_the_host(cli: Cli, shared_host: HostWithKeys,
                                            tmp_path: Path) -> None:
    source = write(tmp_path / "src.png", images.png((21, 13)))
    first = cli.run("upload", str(source), "--json", *anon(shared_host)).one_json()
    served = first["links"]["original"]

    result = cli.run("upload", served, "--json", *anon(shared_host))

    assert result.rc == 0, result.stderr
    line = result.one_json()
    assert line["file"] == served
    assert line["ok"] is True
    assert line["hash"] != first["hash"]
    assert_serves(line["links"]["original"], source.read_bytes())


def test_a_url_that_is_not_there_fails(cli: Cli, shared_host: HostWithKeys) -> None:
    url = f"{shared_host.url}NoSuchImg.png"
    result = cli.run("upload", url, "--json", *anon(shared_host))
    assert result.rc == 1
    line = result.one_json()
    assert line["file"] == url
    assert line["ok"] is False
    assert line["error"]


@pytest.mark.parametrize(("fmt", "pattern"), [
    ("direct", r"(?P<orig>{base}\w+\.png)"),
    ("page", r"(?P<page>{base}\w+)"),
    ("markdown", r"!\[Sunset \\\[1\\\]\]\((?P<orig>{base}\w+\.png)\)"),
    ("bbcode", r"\[img\](?P<orig>{base}\w+\.png)\[/img\]"),
    ("html", r'<a href="(?P<page>{base}\w+)"><img src="(?P<orig>{base}\w+\.png)" '
             r'alt="Sunset \[1\]"></a>'),
    ("delete", r"(?P<delete>{base}delete/\w+)"),
])
def test_format_prints_the_link_text(cli: Cli, shared_host: HostWithKeys, tmp_path: Path,
                                     fmt: str, pattern: str) -> None:
    png = write(tmp_path / "f.png", images.png((16, 16)))
    result = cli.run("upload", str(png), "--title", "Sunset [1]", "--format", fmt,
                     *anon(shared_host))
    assert result.rc == 0, result.stderr
    printed = result.stdout.rstrip("\n")
    match = re.fullmatch(pattern.format(base=re.escape(shared_host.url)), printed)
    assert match, printed
    found = match.groupdict()
    if "orig" in found:
        assert_serves(found["orig"], png.read_bytes())
    if "page" in found:
        assert fetch(found["page"]).status_code == 200
    if "delete" in found:
        assert fetch(found["delete"]).status_code == 200  # the confirmation page


def test_title_and_caption_reach_the_service(cli: Cli, shared_host: HostWithKeys,
                                             tmp_path: Path) -> None:
    png = write(tmp_path / "t.png", images.png())
    line = cli.run("upload", str(png), "--title", "Ünïcode title", "--caption", "A caption",
                   "--json", *anon(shared_host)).one_json()
    info = cli.run("info", line["hash"], "--json", *anon(shared_host)).one_json()
    assert info["title"] == "Ünïcode title"
    assert info["caption"] == "A caption"


@pytest.mark.parametrize("where", ["before", "after"])
def test_xml_option_speaks_xml_to_the_api(cli: Cli, shared_host: HostWithKeys,
                                          tmp_path: Path, where: str) -> None:
    relay = Relay(shared_host.url)
    try:
        png = write(tmp_path / "x.png", images.png((9, 9)))
        api = ["--api-url", relay.url + "2/", "--key", shared_host.keys.key]
        if where == "before":
            result = cli.run("--xml", *api, "upload", str(png), "--json")
        else:
            result = cli.run("upload", str(png), "--json", "--xml", *api)
        plain = cli.run("upload", str(png), "--json", *api)
    finally:
        relay.close()

    assert result.rc == 0, result.stderr
    line = result.one_json()
    assert set(line) == {"file", "ok", "hash", "deletehash", "links"}
    assert set(line["links"]) == LINK_KEYS
    assert_serves(line["links"]["original"], png.read_bytes())
    assert plain.rc == 0
    posts = [path for method, path in relay.seen if method == "POST"]
    assert posts == ["/2/upload.xml", "/2/upload.json"]


def test_json_mode_prints_only_json_on_stdout(cli: Cli, shared_host: HostWithKeys,
                                              tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    write(folder / "one.png", images.png())
    write(folder / "two.txt", b"text")
    result = cli.run("upload", str(folder), str(tmp_path / "missing.gif"), "-", "--json",
                     *anon(shared_host), stdin=images.gif())
    assert result.rc == 1
    lines = result.json_lines()  # fails on any non-JSON line
    # two.txt (skipped in the folder, said first), one.png, the missing file, stdin.
    assert [line["ok"] for line in lines] == [False, True, False, True]
    assert lines[0]["skipped"] is True
    assert "skipped 1" in result.stderr


def test_env_vars_choose_the_service_and_key(cli: Cli, shared_host: HostWithKeys,
                                             tmp_path: Path) -> None:
    png = write(tmp_path / "e.png", images.png())
    env = {"IMGUR_DESKTOP_API_URL": shared_host.api, "IMGUR_DESKTOP_KEY": shared_host.keys.key}
    result = cli.run("upload", str(png), "--json", env=env)
    assert result.rc == 0, result.stderr
    assert_serves(result.one_json()["links"]["original"], png.read_bytes())
    assert not (cli.data_dir / "local-host").exists(), "the local default host was used"


def test_flags_override_env_and_settings(cli: Cli, shared_host: HostWithKeys,
                                         tmp_path: Path) -> None:
    png = write(tmp_path / "o.png", images.png())
    cli.config_dir.mkdir(parents=True)
    (cli.config_dir / "settings.toml").write_text(
        'api_url = "http://127.0.0.1:9/2/"\nkey = "wrong-key-from-settings"\n')
    env = {"IMGUR_DESKTOP_API_URL": "http://127.0.0.1:9/2/",
           "IMGUR_DESKTOP_KEY": "wrong-key-from-env"}

    result = cli.run("upload", str(png), "--json", *anon(shared_host), env=env)

    assert result.rc == 0, result.stderr
    assert result.one_json()["links"]["original"].startswith(shared_host.url)


def test_settings_file_is_used_when_nothing_else_is_given(
        cli: Cli, shared_host: HostWithKeys, tmp_path: Path) -> None:
    png = write(tmp_path / "s.png", images.png())
    elsewhere = tmp_path / "other-config"
    elsewhere.mkdir()
    (elsewhere / "settings.toml").write_text(
        f'api_url = "{shared_host.api}"\nkey = "{shared_host.keys.key}"\n')

    result = cli.run("upload", str(png), "--json", "--config-dir", str(elsewhere))

    assert result.rc == 0, result.stderr
    assert_serves(result.one_json()["links"]["original"], png.read_bytes())


def test_a_wrong_key_is_a_plain_failure(cli: Cli, shared_host: HostWithKeys,
                                        tmp_path: Path) -> None:
    png = write(tmp_path / "k.png", images.png())
    result = cli.run("upload", str(png), "--json", "--api-url", shared_host.api,
                     "--key", "0" * 32)
    assert result.rc == 1
    line = result.one_json()
    assert line["ok"] is False
    assert line["error"]
    assert "Traceback" not in result.stderr


def test_credits_running_out_stops_with_the_reset_time(
        cli: Cli, make_host: Callable[..., HostWithKeys], tmp_path: Path) -> None:
    host = make_host("--credits-anon", "25", users=False)
    files = [write(tmp_path / f"c{i}.png", images.png((8 + i, 8))) for i in range(3)]

    result = cli.run("upload", *map(str, files), "--json", *anon(host))

    assert result.rc == 1
    first, second, third = result.json_lines()
    assert first["ok"] is True
    assert second["ok"] is True
    assert_serves(second["links"]["original"], files[1].read_bytes())
    assert set(third) == {"file", "ok", "error"}
    assert third["file"] == str(files[2])
    assert third["ok"] is False
    match = re.search(r"resume at (\d\d:\d\d)", third["error"])
    assert match, third["error"]
    credits = cli.run("credits", "--json", *anon(host)).one_json()
    assert set(credits) == {"limit", "remaining", "reset", "uploads_left"}
    assert credits["limit"] == 25
    assert credits["remaining"] < 10
    assert credits["uploads_left"] == 0
    reset = dt.datetime.fromtimestamp(credits["reset"]).strftime("%H:%M")
    assert match.group(1) == reset


def test_credits_running_out_in_text_mode_suggests_wait(
        cli: Cli, make_host: Callable[..., HostWithKeys], tmp_path: Path) -> None:
    host = make_host("--credits-anon", "15", users=False)
    files = [write(tmp_path / f"w{i}.png", images.png((8, 8 + i))) for i in range(3)]
    result = cli.run("upload", *map(str, files), *anon(host))
    assert result.rc == 1
    assert len(result.stdout.splitlines()) == 1  # only the first made it
    assert "resume at" in result.stderr
    assert "--wait" in result.stderr
    assert result.stderr.count(str(files[1])) == 1
    assert result.stderr.count(str(files[2])) == 1
