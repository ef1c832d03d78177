"""Credits as the service last reported them, shared by every thread using one client."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping

from ..cancel import CancelToken
from ..errors import RateLimited
from ..models import Credits


def _header_int(headers: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return int(float(raw))
        except ValueError:
            continue
    return None


class RateLimitState:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._credits: Credits | None = None

    def update(self, headers: Mapping[str, str]) -> None:
        """Read ``X-RateLimit-*`` (v2) or ``X-RateLimit-User*`` (v3) headers when present."""
        limit = _header_int(headers, "X-RateLimit-Limit", "X-RateLimit-UserLimit")
        remaining = _header_int(headers, "X-RateLimit-Remaining", "X-RateLimit-UserRemaining")
        reset = _header_int(headers, "X-RateLimit-Reset", "X-RateLimit-UserReset")
        if limit is None or remaining is None:
            return
        reset_at = None
        if reset is not None:
            # v2 sends an epoch; some v3 answers send seconds from now.
            epoch = reset if reset > 1_000_000_000 else self._clock() + reset
            reset_at = dt.datetime.fromtimestamp(epoch, dt.UTC)
        with self._lock:
            old = self._credits
            if (old is not None and old.limit == limit and old.reset_at == reset_at
                    and remaining > old.remaining):
                return  # within one window credits only go down: this answer was overtaken
            self._credits = Credits(limit, remaining, reset_at)

    def set_exhausted(self) -> None:
        with self._lock:
            if self._credits is not None:
                self._credits = Credits(self._credits.limit, 0, self._credits.reset_at)

    @property
    def credits(self) -> Credits | None:
        with self._lock:
            return self._credits

    def before(self, cost: int, *, wait: bool, cancel: CancelToken | None = None) -> None:
        """Make sure ``cost`` credits are there and set them aside: wait for the reset, or raise
        RateLimited."""
        while True:
            with self._lock:
                credits = self._credits
                if credits is None:
                    return
                if credits.remaining >= cost:
                    # Spoken for now: requests sent at the same time from other threads see
                    # what is left after this one, so none is sent that would be refused.
                    # The answer's headers then say the same number (or less).
                    self._credits = Credits(credits.limit, credits.remaining - cost,
                                            credits.reset_at)
                    return
            reset_at = credits.reset_at
            delay = None if reset_at is None else reset_at.timestamp() - self._clock()
            if delay is not None and delay <= 0:
                with self._lock:  # the window has turned over: the next answer will say
                    self._credits = None
                return
            if not wait or delay is None:
                raise RateLimited(reset_at)
            token = cancel or CancelToken()
            if token.wait(min(delay, 60.0)):
                token.raise_if_cancelled()
