"""The one throttle behind a row's progress bar, a batch's link copies and the credits: the
first news at once, then at most one per interval per key, and the newest when its time comes."""

from __future__ import annotations

import time
from collections.abc import Hashable

from pytestqt.qtbot import QtBot

from imgur_desktop.ui.throttle import Throttle

INTERVAL = 0.2


def _throttle() -> tuple[Throttle, list[tuple[Hashable, float]]]:
    shown: list[tuple[Hashable, float]] = []
    return Throttle(INTERVAL, lambda key: shown.append((key, time.monotonic()))), shown


def test_a_burst_shows_the_first_at_once_and_the_rest_once_later(qtbot: QtBot) -> None:
    throttle, shown = _throttle()
    start = time.monotonic()
    for _ in range(50):
        throttle.news("bar")
    assert [key for key, _ in shown] == ["bar"]  # the first, at once
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=2_000)
    assert shown[1][1] - start >= INTERVAL * 0.95  # the held news, when its time came
    qtbot.wait(int(INTERVAL * 1500))
    assert len(shown) == 2  # nothing more was held


def test_keys_are_throttled_apart_and_now_shows_at_once(qtbot: QtBot) -> None:
    throttle, shown = _throttle()
    throttle.news("a")
    throttle.news("b")
    throttle.news("a", now=True)  # the last piece of an upload, say
    assert [key for key, _ in shown] == ["a", "b", "a"]
    asked: list[bool] = []

    def finished() -> bool:
        asked.append(True)
        return False

    throttle.news("a", now=finished)  # asked only because the interval has not passed
    assert asked == [True]
    qtbot.waitUntil(lambda: len(shown) == 4, timeout=2_000)
    throttle.news("c", now=finished)  # a first news shows without asking
    assert asked == [True]
    assert [key for key, _ in shown] == ["a", "b", "a", "a", "c"]


def test_a_forgotten_key_shows_nothing_held(qtbot: QtBot) -> None:
    throttle, shown = _throttle()
    throttle.news("row")
    throttle.news("row")
    throttle.forget("row")  # the row finished meanwhile
    qtbot.wait(int(INTERVAL * 2000))
    assert [key for key, _ in shown] == ["row"]
    throttle.news("row")  # news after forgetting is a first news again
    assert len(shown) == 2
