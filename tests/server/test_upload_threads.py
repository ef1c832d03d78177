"""The host's upload threads: jobs run off the event loop, answers and errors come back to
the awaiting task, no more threads than asked for, and stopping lets queued jobs finish."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from imgur_desktop.core.priority import BACKGROUND_NICE
from imgur_desktop.server.host import UPLOAD_THREADS, UploadThreads
from tests.conftest import HostWithKeys
from tests.support import images


def test_results_and_errors_come_back_from_other_threads() -> None:
    threads = UploadThreads(2)
    loop_thread: list[int] = []

    def where(n: int) -> tuple[int, int]:
        return n * n, threading.get_ident()

    def fails() -> None:
        raise ValueError("a bad image")

    async def main() -> None:
        loop_thread.append(threading.get_ident())
        squares = await asyncio.gather(*(threads.run(where, n) for n in range(20)))
        assert [s for s, _ in squares] == [n * n for n in range(20)]
        assert loop_thread[0] not in {t for _, t in squares}  # never on the event loop
        with pytest.raises(ValueError, match="a bad image"):
            await threads.run(fails)

    asyncio.run(main())
    threads.stop()


def test_no_more_threads_than_the_size_and_they_run_at_once() -> None:
    threads = UploadThreads(3)
    running = 0
    most = 0
    lock = threading.Lock()

    def busy() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    async def main() -> None:
        await asyncio.gather(*(threads.run(busy) for _ in range(12)))

    started = time.monotonic()
    asyncio.run(main())
    assert most == 3
    assert len(threads._threads) == 3
    assert time.monotonic() - started < 12 * 0.05  # they overlapped
    threads.stop()
    assert not any(t.is_alive() for t in threads._threads)


def test_a_cancelled_request_waits_for_its_job_and_the_thread_serves_on() -> None:
    """The request's cleanup removes the files its job works on: a cancel (the server
    stopping) lets the job end first, as Starlette's thread pool did."""
    threads = UploadThreads(1)
    release = threading.Event()
    ended: list[float] = []

    def job() -> None:
        release.wait(5)
        time.sleep(0.05)
        ended.append(time.monotonic())

    async def main() -> int:
        slow = asyncio.ensure_future(threads.run(job))
        await asyncio.sleep(0.01)
        slow.cancel()
        await asyncio.sleep(0.01)
        assert not slow.done()  # still waiting for its job
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await slow
        assert ended  # the job had ended when the cancel came through
        return await threads.run(lambda: 42)  # the same thread serves the next one

    assert asyncio.run(main()) == 42
    threads.stop()


def test_stopped_threads_take_no_more_jobs() -> None:
    threads = UploadThreads(2)

    async def one() -> int:
        return await threads.run(lambda: 1)

    assert asyncio.run(one()) == 1
    threads.stop()
    with pytest.raises(RuntimeError, match="stopped"):
        asyncio.run(one())


def _nice_of(pid: int, tid: int) -> int:
    stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2:].split()[16])  # field 19: nice


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a nice value per thread is "
                    "Linux's; elsewhere the threads keep the usual priority")
def test_checking_threads_run_behind_the_event_loop(make_host: Callable[..., HostWithKeys],
                                                    ) -> None:
    """The host shares the desktop with the app: its image checks yield the CPU to the
    window and to its own event loop, which keeps its priority."""
    host = make_host(users=False)
    for n in range(3):
        resp = requests.post(host.api + "upload.json", data={"key": host.keys.key},
                             files={"image": (f"{n}.png", images.png())}, timeout=30)
        assert resp.status_code == 200, resp.text
    pid = host.host.pid
    # Python 3.11 does not name threads for the system; the upload threads are the ones
    # that ran the uploads, and the only ones that lower their priority.
    tids = [int(task.name) for task in Path(f"/proc/{pid}/task").iterdir()]
    behind = [tid for tid in tids if _nice_of(pid, tid) >= BACKGROUND_NICE]
    assert 1 <= len(behind) <= UPLOAD_THREADS, (len(behind), len(tids))
    assert _nice_of(pid, pid) < BACKGROUND_NICE  # the event loop's thread
