"""One thread that keeps every call's answer deadline.

A deadline per call used to be a ``threading.Timer``: a thread started (and waited for) before
every answer and woken to end after it. Under a batch of uploads that was a thread start and
several hand-offs of the interpreter lock per request, taken from the window and the uploads.
Here a deadline is an entry in a heap; the one thread sleeps until the earliest live one and
is woken only when a new deadline comes before everything it waits for.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

# Past this many cancelled entries (and more than half the heap), the heap is rebuilt without
# them, so deadlines that were met do not pile up until their time.
_REBUILD_AFTER = 64


class Deadline:
    """A pending action; ``Deadlines.cancel`` it once it is no longer wanted."""

    __slots__ = ("action", "live", "when")

    def __init__(self, when: float, action: Callable[[], None]) -> None:
        self.when = when
        self.action = action
        self.live = True


class Deadlines:
    def __init__(self, name: str = "deadlines") -> None:
        self._name = name
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()  # ties keep their order, and entries never compare
        self._cancelled = 0  # cancelled entries still in the heap
        self._thread: threading.Thread | None = None

    def at(self, when: float, action: Callable[[], None]) -> Deadline:
        """Run ``action`` on the deadlines thread at ``time.monotonic()`` ``when``."""
        entry = Deadline(when, action)
        with self._cond:
            heapq.heappush(self._heap, (when, next(self._order), entry))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            elif self._heap[0][2] is entry:
                self._cond.notify()  # sooner than what the thread sleeps towards
        return entry

    def cancel(self, entry: Deadline) -> None:
        with self._cond:
            if not entry.live:
                return
            entry.live = False
            self._cancelled += 1
            if self._cancelled > _REBUILD_AFTER and self._cancelled * 2 > len(self._heap):
                self._heap = [item for item in self._heap if item[2].live]
                heapq.heapify(self._heap)
                self._cancelled = 0

    def pending(self) -> int:
        """Live deadlines (for tests)."""
        with self._cond:
            return sum(1 for item in self._heap if item[2].live)

    def _run(self) -> None:
        while True:
            with self._cond:
                entry = self._next_due()
            try:
                entry.action()  # outside the lock: it may take its own
            except Exception:  # one failing action must not end every later deadline
                logger.exception("a deadline's action failed")

    def _next_due(self) -> Deadline:
        """Wait (holding the condition) for the earliest live deadline to come; take it."""
        while True:
            while self._heap and not self._heap[0][2].live:
                heapq.heappop(self._heap)
                self._cancelled -= 1
            if not self._heap:
                self._cond.wait()
                continue
            when, _, entry = self._heap[0]
            delay = when - time.monotonic()
            if delay > 0:
                self._cond.wait(delay)
                continue
            heapq.heappop(self._heap)
            entry.live = False
            return entry


#: The process's answer deadlines (``transport._AnswerWatch``).
ANSWERS = Deadlines("answer-deadlines")
