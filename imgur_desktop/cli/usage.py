"""The CLI's own error for a command called the wrong way (exit status 2). Kept apart so the
entry point can catch it without importing the heavier command modules."""

from __future__ import annotations


class UsageError(Exception):
    """A problem with how the command was called (exit status 2)."""
