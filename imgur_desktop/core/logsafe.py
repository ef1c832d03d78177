"""Logging that never carries a secret, whatever the verbosity."""

from __future__ import annotations

import logging

# Libraries that log secrets at DEBUG (``imgur-desktop -v``): OAuth tokens and signature base
# strings; and every request line, delete hashes in URLs among them.
SECRET_LOGGERS = ("requests_oauthlib", "oauthlib", "urllib3.connectionpool")


def keep_secrets_out_of_logs() -> None:
    for name in SECRET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
