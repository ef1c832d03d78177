"""One typed settings object, kept as TOML in the platform config dir. No secrets here: the
consumer secret and tokens live in the keyring (see tokens.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .links import LinkFormat

SETTINGS_FILE = "settings.toml"


@dataclass(frozen=True, slots=True)
class Settings:
    api_url: str | None = None  # None: the embedded local image host
    key: str | None = None  # the anonymous API key (not a secret: it rides in every upload)
    consumer_key: str | None = None
    link_format: str = LinkFormat.DIRECT.value
    concurrency: int = 3
    auto_copy: bool = True  # copy the link the moment an upload finishes
    confirm_upload: bool = False  # ask before each upload
    max_upload_mb: float = 10.0
    # api_url -> the account signed in there (its tokens are in the keyring)
    accounts: dict[str, str] = field(default_factory=dict)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


_TOML_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n",
                 "\f": "\\f", "\r": "\\r"}


def _toml_string(text: str) -> str:
    """A TOML basic string: control characters must be escaped, or the file will not load."""
    out = []
    for ch in text:
        if ch in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return _toml_string(str(value))


def _valid(name: str, value: object) -> bool:
    """Whether a value read from the file has the field's type (hand edits can be anything)."""
    if name in ("api_url", "key", "consumer_key"):
        return isinstance(value, str)
    if name in ("auto_copy", "confirm_upload"):
        return isinstance(value, bool)
    if name == "link_format":
        return value in {f.value for f in LinkFormat}
    if name == "concurrency":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 1
    if name == "max_upload_mb":
        return (isinstance(value, (int, float)) and not isinstance(value, bool)
                and 0 < value < float("inf"))
    return False


def load(config_dir: Path) -> Settings:
    path = config_dir / SETTINGS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError):
        return Settings()  # an unreadable settings file must not stop the app either
    import tomllib  # here, not at the top: the app's start need not pay for it without a file

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        # A broken settings file must not stop the app: start from defaults, keep the file.
        return Settings()
    known = {f.name for f in fields(Settings)}
    # A value of the wrong type keeps that field's default rather than breaking later.
    values = {k: v for k, v in data.items()
              if k in known and k != "accounts" and _valid(k, v)}
    accounts = data.get("accounts", {})
    settings = Settings(**values)
    if isinstance(accounts, dict):
        settings = replace(settings, accounts={str(k): v for k, v in accounts.items()
                                               if isinstance(v, str)})
    return settings


def save(config_dir: Path, settings: Settings) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    lines = []
    for f in fields(Settings):
        value = getattr(settings, f.name)
        if f.name == "accounts" or value is None:
            continue
        lines.append(f"{f.name} = {_toml_value(value)}")
    if settings.accounts:
        lines.append("\n[accounts]")
        lines += [f"{_toml_value(k)} = {_toml_value(v)}" for k, v in settings.accounts.items()]
    path = config_dir / SETTINGS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)
