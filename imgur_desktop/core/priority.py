"""Running a thread behind the others: work that must not hold up a window or a request."""

from __future__ import annotations

import logging
import os
import sys
import threading

logger = logging.getLogger(__name__)

# The nice value of threads whose work can wait a moment: previews in the app, image checks
# in the local host (which shares the desktop with the app).
BACKGROUND_NICE = 10


def lower_thread_priority(nice: int = BACKGROUND_NICE) -> bool:
    """Raise the calling thread's nice value to ``nice`` (never lower it); Linux only, where
    a nice value belongs to a thread. Returns whether it is done. Not SCHED_IDLE: a thread
    that may hold the interpreter lock must still get the CPU now and then."""
    if not sys.platform.startswith("linux"):
        return False
    tid = threading.get_native_id()
    try:
        if os.getpriority(os.PRIO_PROCESS, tid) < nice:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
    except OSError:  # not allowed here (a sandbox): run at the usual priority
        logger.debug("could not lower the priority of thread %s", tid)
        return False
    return True
