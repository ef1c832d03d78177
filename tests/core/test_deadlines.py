"""The one thread that keeps every call's answer deadline: actions run at their time, in
order, a sooner deadline wakes the thread, cancelled ones never run and do not pile up, and
no thread is started per deadline."""

from __future__ import annotations

import threading
import time

from imgur_desktop.core.api.deadlines import Deadlines


def _wait(predicate: object, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


def test_actions_run_at_their_time_in_order_on_one_thread() -> None:
    deadlines = Deadlines("test-deadlines")
    ran: list[tuple[str, float, int]] = []
    start = time.monotonic()

    def note(name: str) -> None:
        ran.append((name, time.monotonic() - start, threading.get_ident()))

    before = threading.active_count()
    for name, delay in (("c", 0.15), ("a", 0.05), ("b", 0.10)):
        deadlines.at(start + delay, lambda name=name: note(name))
    assert threading.active_count() <= before + 1  # one thread, not one per deadline
    _wait(lambda: len(ran) == 3)
    assert [r[0] for r in ran] == ["a", "b", "c"]
    assert all(at >= delay - 0.002 for (_, at, _), delay in zip(ran, (0.05, 0.10, 0.15),
                                                               strict=True))
    assert len({r[2] for r in ran}) == 1
    assert threading.get_ident() not in {r[2] for r in ran}


def test_a_sooner_deadline_wakes_the_thread() -> None:
    deadlines = Deadlines("test-deadlines")
    ran: list[str] = []
    deadlines.at(time.monotonic() + 30, lambda: ran.append("late"))  # the thread sleeps 30 s
    time.sleep(0.02)
    started = time.monotonic()
    deadlines.at(started + 0.05, lambda: ran.append("soon"))
    _wait(lambda: ran == ["soon"], timeout=2.0)
    assert time.monotonic() - started < 1.0


def test_cancelled_deadlines_never_run_and_do_not_pile_up() -> None:
    deadlines = Deadlines("test-deadlines")
    ran: list[int] = []
    now = time.monotonic()
    entries = [deadlines.at(now + 60 + n, lambda n=n: ran.append(n)) for n in range(500)]
    for entry in entries[:499]:
        deadlines.cancel(entry)
    deadlines.cancel(entries[0])  # twice: nothing happens
    assert deadlines.pending() == 1
    assert len(deadlines._heap) < 200  # rebuilt without most of the cancelled ones
    quick = deadlines.at(time.monotonic() + 0.02, lambda: ran.append(-1))
    _wait(lambda: ran == [-1])
    deadlines.cancel(quick)  # already run: harmless
    deadlines.cancel(entries[499])
    assert deadlines.pending() == 0


def test_a_failing_action_does_not_stop_later_deadlines() -> None:
    deadlines = Deadlines("test-deadlines")
    ran: list[str] = []

    def broken() -> None:
        raise OSError("the socket was already gone")

    now = time.monotonic()
    deadlines.at(now + 0.01, broken)
    deadlines.at(now + 0.05, lambda: ran.append("later"))
    _wait(lambda: bool(ran))
    assert ran == ["later"]  # the thread lived on past the failure
    assert deadlines.pending() == 0
