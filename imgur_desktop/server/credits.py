"""Hourly API credits, per client IP (anonymous) and per account (OAuth).

Kept in memory: a restart of the local host starts every bucket afresh, which is the only
difference from a persistent quota and harmless for a host on one's own machine.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CreditState:
    limit: int
    remaining: int
    reset: int  # epoch seconds

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


@dataclass(slots=True)
class _Bucket:
    limit: int
    spent: int
    window_start: float


class Credits:
    def __init__(self, window_secs: int, clock: Callable[[], float] = time.time) -> None:
        self._window = window_secs
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def _bucket(self, name: str, limit: int) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.get(name)
        if bucket is None or now >= bucket.window_start + self._window:
            bucket = _Bucket(limit, 0, now)
            self._buckets[name] = bucket
        bucket.limit = limit
        return bucket

    def _state(self, bucket: _Bucket) -> CreditState:
        return CreditState(bucket.limit, max(bucket.limit - bucket.spent, 0),
                           math.ceil(bucket.window_start + self._window))

    def peek(self, name: str, limit: int) -> CreditState:
        with self._lock:
            return self._state(self._bucket(name, limit))

    def spend(self, name: str, limit: int, cost: int) -> tuple[bool, CreditState]:
        """Take ``cost`` credits if all of them are there; nothing is taken otherwise."""
        with self._lock:
            bucket = self._bucket(name, limit)
            if bucket.limit - bucket.spent < cost:
                return False, self._state(bucket)
            bucket.spent += cost
            return True, self._state(bucket)

    def refund(self, name: str, limit: int, cost: int) -> CreditState:
        with self._lock:
            bucket = self._bucket(name, limit)
            bucket.spent = max(bucket.spent - cost, 0)
            return self._state(bucket)
