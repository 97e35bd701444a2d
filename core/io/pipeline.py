"""A one-thread write pipeline and a small pool of output blocks.

The engine computes block after block on its own thread and hands each finished block to the
writer thread, which writes blocks in the order they were submitted. Writing (a system call
that copies into the page cache, or waits for the disk) thus overlaps computing the next block.
Memory stays bounded: the pool holds a few fixed-size blocks, and the engine waits for a block
to come back once all are in flight.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Optional

import torch

BLOCK_BYTES = 4 << 20  # 4 MiB per output block: fits a core's cache with room to spare
POOL_BLOCKS = 4


class BlockPool:
    """A fixed number of reusable byte blocks."""

    def __init__(self, nbytes: int = BLOCK_BYTES, count: int = POOL_BLOCKS) -> None:
        self.nbytes = nbytes
        self._free: queue.Queue = queue.Queue()
        for _ in range(count):
            self._free.put(torch.empty(nbytes, dtype=torch.uint8))

    def get(self) -> torch.Tensor:
        return self._free.get()

    def put(self, block: torch.Tensor) -> None:
        self._free.put(block)


class BackgroundWriter:
    """Runs write jobs in submission order on one thread; re-raises its first error."""

    def __init__(self, depth: int = POOL_BLOCKS * 2) -> None:
        self._jobs: queue.Queue = queue.Queue(maxsize=depth)
        self._error: Optional[BaseException] = None
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="mergesmith-writer", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            job, after = item
            try:
                if self._error is None and not self._stopping:
                    job()
            except BaseException as exc:  # handed to the producer at its next call
                self._error = exc
            finally:
                if after is not None:
                    after()

    def _check(self) -> None:
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    def submit(self, job: Callable[[], object], after: Optional[Callable[[], None]] = None) -> None:
        """Queue ``job``; ``after`` runs once it is done (or skipped after an error)."""
        self._check()
        self._jobs.put((job, after))

    def wait(self) -> None:
        """Block until every job so far has run; raise the writer's error, if any."""
        done = threading.Event()
        self._jobs.put((lambda: None, done.set))
        done.wait()
        self._check()

    def discard(self) -> None:
        """Skip every queued job (their ``after`` still runs) and wait until none is running."""
        self._stopping = True
        done = threading.Event()
        self._jobs.put((lambda: None, done.set))
        done.wait()

    def close(self) -> None:
        """Stop the thread: jobs still queued are skipped, their ``after`` still runs.

        After :meth:`wait` nothing is queued; on an error or a cancel, skipping what is queued
        (up to a few whole-tensor copies) is what lets a cancel stop within a second.
        """
        self._stopping = True
        self._jobs.put(None)
        self._thread.join()
