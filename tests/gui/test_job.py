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
    job.progressed.connect(seen.append)

    def work(progress, cancel):
        for i in range(1, 3001):
            progress(Progress("write", i, 3000))
            if i % 100 == 0:
                time.sleep(0.01)
        return "done"

    assert run(qloop, job.run(work)) == "done"
    assert 1 <= len(seen) < 30
    assert seen[-1].done == 3000


def test_cancel_reaches_the_worker_quickly(job, qloop):
    started = threading.Event()

    def work(progress, cancel):
        started.set()
        while True:
            cancel.raise_if_cancelled()
            time.sleep(0.005)

    async def scenario():
        task = asyncio.ensure_future(job.run(work))
        while not started.is_set():
            await asyncio.sleep(0.005)
        t0 = time.monotonic()
        job.cancel()
        with pytest.raises(Cancelled):
            await task
        return time.monotonic() - t0

    assert run(qloop, scenario()) < 0.5
    assert not job.is_running_long


def test_shutdown_refuses_new_work(job, qloop):
    job.shutdown()
    with pytest.raises(RuntimeError):
        run(qloop, job.call(lambda: None))
