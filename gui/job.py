"""The one owner of background work: a single-thread executor, a cancel token, pulled progress.

Everything slow the window asks of the core (detect, plan, merge, inspect, fix, the demo) runs
here, one call at a time, on ``ThreadPoolExecutor(max_workers=1)`` through qasync's
``run_in_executor`` (style.md section 4.4: never qasync's default executor, whose shutdown
blocks the app). Long calls get a :class:`CancelToken` and a progress callback; the worker only
stores the latest :class:`Progress`, and a 10 Hz QTimer on the GUI thread publishes it as a
signal (style.md section 4.5: pull, do not push one Qt event per update).

Cancelling sets the token; the core notices between tensors and raises ``Cancelled``, which
reaches the awaiting coroutine like any other result.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Callable, Optional, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from mergesmith.core.progress import CancelToken, Progress

T = TypeVar("T")
PUBLISH_MS = 100


class Job(QObject):
    """Runs core calls off the GUI thread, one at a time; publishes progress at ~10 Hz.

    Signals
    -------
    progressed(Progress)
        The latest progress of the running long call, on the GUI thread.
    busyChanged(bool)
        True when the first call starts, False when the last one ends.
    """

    progressed = Signal(object)
    busyChanged = Signal(bool)

    def __init__(self, parent: Optional[QObject] = None, publish_ms: int = PUBLISH_MS) -> None:
        super().__init__(parent)
        self._executor: Optional[ThreadPoolExecutor] = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="mergesmith-job")
        self._token: Optional[CancelToken] = None
        self._latest: Optional[Progress] = None  # written by the worker, read by the timer
        self._published: Optional[Progress] = None
        self._running = 0
        self._timer = QTimer(self)
        self._timer.setInterval(publish_ms)
        self._timer.timeout.connect(self._publish)

    # -- state
    @property
    def is_busy(self) -> bool:
        return self._running > 0

    @property
    def is_running_long(self) -> bool:
        """Whether a cancellable call (a merge, a fix) is running."""
        return self._token is not None

    @property
    def latest(self) -> Optional[Progress]:
        return self._latest

    # -- calls
    async def call(self, fn: Callable[..., T], *args, **kwargs) -> T:
        """Run ``fn(*args, **kwargs)`` on the job thread and return (or raise) its result."""
        if self._executor is None:
            raise RuntimeError("the job has been shut down")
        loop = asyncio.get_running_loop()
        self._enter()
        try:
            return await loop.run_in_executor(self._executor, partial(fn, *args, **kwargs))
        finally:
            self._leave()

    async def run(self, fn: Callable[..., T], *args, **kwargs) -> T:
        """Run a long core call that takes ``progress=`` and ``cancel=`` keyword arguments."""
        token = CancelToken()
        self._token = token
        self._latest = self._published = None
        self._timer.start()
        try:
            return await self.call(fn, *args, progress=self._store, cancel=token, **kwargs)
        finally:
            self._timer.stop()
            self._publish()
            if self._token is token:
                self._token = None

    def submit(self, fn: Callable[..., object], *args) -> None:
        """Queue ``fn(*args)`` after whatever runs now, not awaited (used to release files:
        closing a memory map on the GUI thread while the job thread reads it would crash)."""
        if self._executor is None:
            fn(*args)
        else:
            self._executor.submit(fn, *args)

    def cancel(self) -> None:
        """Ask the running long call to stop at its next checkpoint (any thread)."""
        token = self._token
        if token is not None:
            token.cancel()

    def shutdown(self, wait: bool = True) -> None:
        """Cancel, stop accepting calls, and (by default) wait for the thread to finish."""
        self.cancel()
        self._timer.stop()
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)

    # -- internals
    def _store(self, progress: Progress) -> None:
        # Called on the worker thread: keep the latest event only (an atomic attribute store).
        self._latest = progress

    def _publish(self) -> None:
        latest = self._latest
        if latest is not None and latest is not self._published:
            self._published = latest
            self.progressed.emit(latest)

    def _enter(self) -> None:
        self._running += 1
        if self._running == 1:
            self.busyChanged.emit(True)

    def _leave(self) -> None:
        self._running -= 1
        if self._running == 0:
            self.busyChanged.emit(False)
