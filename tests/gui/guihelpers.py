"""Helpers for the GUI tests (imported by name, not via conftest)."""

import threading


def wait_plan(qtbot, window, ok: bool = True, timeout: int = 15_000):
    """Wait until the controller has a plan (an ok one unless ``ok`` is False)."""
    c = window.controller
    qtbot.waitUntil(lambda: c.plan is not None and c.is_idle and (c.plan.ok or not ok), timeout=timeout)
    return c.plan


def hold_until_cancel(window, timeout: float = 30.0) -> threading.Event:
    """Hold the next merge at its first progress report with work done, until a cancel is asked.

    The merge is then surely running when the test acts (no race with a fast machine), and it
    resumes the moment ``job.cancel()`` is called, to meet its next cancel checkpoint. Returns
    the event that releases it (set by the cancel; a test may set it itself)."""
    job = window.controller.job
    store, cancel = job._store, job.cancel
    released = threading.Event()

    def held(progress):
        store(progress)
        if progress.done > 0 and not released.is_set():
            assert released.wait(timeout), "the held merge was never cancelled"

    def cancel_and_release():
        cancel()
        released.set()

    job._store = held
    job.cancel = cancel_and_release
    return released
