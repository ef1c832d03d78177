"""Logging that never carries a secret, whatever the verbosity."""

from __future__ import annotations

import logging

# Libraries that log tokens and signature base strings at DEBUG (``imgur-desktop -v``).
SECRET_LOGGERS = ("requests_oauthlib", "oauthlib")


def keep_secrets_out_of_logs() -> None:
    for name in SECRET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
