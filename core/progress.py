"""Progress events and the cancel token: plain objects, no threads, no Qt.

The engine calls ``progress(Progress(...))`` as it goes and ``cancel.raise_if_cancelled()``
between tensors. A front end decides what to do with them: the CLI draws a bar, the GUI stores
the latest event and shows it on a timer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Optional

from .errors import Cancelled


@dataclass(frozen=True)
class Progress:
    """One progress event.

    ``done``/``total`` count bytes of the whole job; ``file_done``/``file_total`` the bytes of
    the file being written (``file``, relative to the output folder).
    """

    phase: str
    done: int = 0
    total: int = 0
    file: Optional[str] = None
    file_done: int = 0
    file_total: int = 0
    message: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


ProgressCallback = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    """The default progress callback: ignore."""


class CancelToken:
    """A flag set from any thread and checked by the engine at natural checkpoints."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()
