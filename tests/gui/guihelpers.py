"""Helpers for the GUI tests (imported by name, not via conftest)."""

import time


def wait_plan(qtbot, window, ok: bool = True, timeout: int = 15_000):
    """Wait until the controller has a plan (an ok one unless ``ok`` is False)."""
    c = window.controller
    qtbot.waitUntil(lambda: c.plan is not None and c.is_idle and (c.plan.ok or not ok), timeout=timeout)
    return c.plan


def slow_down(window, seconds: float):
    """Make each progress report of the running merge take ``seconds`` (so a test can act)."""
    job = window.controller.job
    store = job._store

    def slow(progress):
        store(progress)
        time.sleep(seconds)

    job._store = slow
