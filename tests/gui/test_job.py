"""The one executor: results and errors come back to the awaiting coroutine, progress is pulled
at ~10 Hz (thousands of worker updates, a handful of signals, the last value exact), cancel
reaches the worker's token, and shutdown joins the thread."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from mergesmith.core.errors import Cancelled
from mergesmith.core.progress import Progress


@pytest.fixture
def job(qloop):
    from mergesmith.gui.job import Job

    j = Job()
    yield j
    j.shutdown()


def run(loop, coro):
    return loop.run_until_complete(coro)


def test_call_returns_on_the_job_thread_and_raises_errors(job, qloop):
    main = threading.get_ident()
    assert run(qloop, job.call(threading.get_ident)) != main
    with pytest.raises(ZeroDivisionError):
        run(qloop, job.call(lambda: 1 / 0))
    assert not job.is_busy


def test_progress_is_pulled_not_pushed(job, qloop):
    seen = []
    published = threading.Event()
    job.progressed.connect(seen.append)
    job.progressed.connect(lambda _p: published.set())

    def work(progress, cancel):
        # 3000 updates as fast as they come; after each thousand, wait for the timer to publish
        # one (the event, not a time), so that several publishes happen during the run.
        for i in range(1, 3001):
            progress(Progress("write", i, 3000))
            if i % 1000 == 0 and i < 3000:
                published.clear()
                assert published.wait(10), "no progress was published while the work ran"
        return "done"

    assert run(qloop, job.run(work)) == "done"
    assert 3 <= len(seen) < 30  # two during the run, the last at the end: a handful, not 3000
    assert [p.done for p in seen[:2]] == [1000, 2000] and seen[-1].done == 3000


REACH_BOUND_S = 0.5


def test_cancel_reaches_the_worker_quickly(job, qloop):
    started = qloop.create_future()

    def work(progress, cancel):
        qloop.call_soon_threadsafe(started.set_result, None)
        for _ in range(2000):  # 10 s of work, checked every 5 ms: a cancel that never arrives fails
            cancel.raise_if_cancelled()
            time.sleep(0.005)
        return "never cancelled"

    async def scenario():
        task = asyncio.ensure_future(job.run(work))
        await asyncio.wait_for(started, 10)  # the worker is running (its event, no polling)
        t0 = time.monotonic()
        job.cancel()
        with pytest.raises(Cancelled):
            await task
        return time.monotonic() - t0

    # The promise is about time (cancel reaches a worker that checks every 5 ms "quickly"): a
    # generous bound, a hundred times the check interval.
    assert run(qloop, scenario()) < REACH_BOUND_S
    assert not job.is_running_long


def test_shutdown_refuses_new_work(job, qloop):
    job.shutdown()
    with pytest.raises(RuntimeError):
        run(qloop, job.call(lambda: None))
