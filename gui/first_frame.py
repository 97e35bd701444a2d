"""The window's first frame: what starts after it, and the start-up probe that times it.

The window is built and shown without torch or transformers (importing them takes a second or
two); :class:`FirstFrame` emits ``painted`` once the window has drawn its first frame, and the
app then starts the background imports (``MergeController.warm_up``, on the job thread) while
the user picks paths. Anything that needs those libraries runs on the same job thread after the
warm-up, so it waits for it without the window freezing.

With ``MERGESMITH_STARTUP_PROBE=1`` in the environment (``bench/bench_startup.py``), the app
prints ``first-frame <unix time> cpu <seconds>`` when the first frame is drawn (and the CPU time
the process used until then), then, once the warm-up has
ended, ``warm <unix time> stall <ms>`` (the longest the event loop went without turning while
the imports ran) and quits.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Optional

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

PROBE_ENV = "MERGESMITH_STARTUP_PROBE"
PROBE_TICK_MS = 10


class FirstFrame(QObject):
    """Emits ``painted`` once, after the watched window has painted (and flushed) its first frame.

    Qt paints a top-level window on its first expose, synchronously, starting with the window
    itself; a zero-delay timer started from that first paint event fires once the whole frame is
    drawn and handed to the platform.
    """

    painted = Signal()

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._seen = False
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if not self._seen and watched is self._window and event.type() == QEvent.Type.Paint:
            self._seen = True
            self._window.removeEventFilter(self)
            QTimer.singleShot(0, self.painted.emit)
        return False


def probe_requested() -> bool:
    return os.environ.get(PROBE_ENV, "") not in ("", "0")


class StartupProbe(QObject):
    """Prints when the first frame came and when the warm-up ended, then quits (the benchmark)."""

    def __init__(self, window, stream=None) -> None:
        super().__init__(window)
        self._controller = window.controller
        self._stream = stream or sys.stdout
        self._clock = QElapsedTimer()
        self._last_ms = 0
        self._stall_ms = 0
        self._timer = QTimer(self)
        self._timer.setInterval(PROBE_TICK_MS)
        self._timer.timeout.connect(self._on_timer_tick)
        self._warm_started: Optional[float] = None

    def first_frame(self) -> None:
        """The first frame is on screen: say so, then watch the warm-up (started right after)."""
        self._print(f"first-frame {time.time():.4f} cpu {time.process_time():.3f}")
        self._warm_started = time.time()
        self._clock.start()
        self._timer.start()

    def _on_timer_tick(self) -> None:
        now = self._clock.elapsed()
        self._stall_ms = max(self._stall_ms, now - self._last_ms)
        self._last_ms = now
        if self._controller.is_idle and now > PROBE_TICK_MS:
            self._timer.stop()
            self._print(f"warm {time.time():.4f} stall {self._stall_ms}")
            QApplication.quit()

    def _print(self, line: str) -> None:
        print(line, file=self._stream, flush=True)
