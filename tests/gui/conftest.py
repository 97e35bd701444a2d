"""Fixtures for the GUI tests: a qasync loop made current, the window, the demo inputs.

The loop fixture follows style.md section 5: create ``qasync.QEventLoop(qapp)``, make it the
running loop with ``asyncio.events._set_running_loop`` (what qasync's ``already_running=True``
does), and never call ``QApplication.quit()``/``loop.stop()`` in a test session (that sets Qt's
quitNow flag and every later ``qtbot.wait*`` would return at once).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time

import pytest

os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def qloop(qapp):
    import qasync

    loop = qasync.QEventLoop(qapp)
    asyncio.events._set_running_loop(loop)
    try:
        yield loop
    finally:
        asyncio.events._set_running_loop(None)
        loop.close()


@pytest.fixture
def settings(tmp_path):
    from mergesmith.gui.settings import Settings

    return Settings.at(str(tmp_path / "settings.ini"))


@pytest.fixture(autouse=True)
def no_dangling_job_threads():
    """Every test ends with the job thread (and the engine's writer) stopped (napari-style)."""
    import threading

    yield
    deadline = time.monotonic() + 5  # a hang guard, not a timing promise
    for t in [t for t in threading.enumerate() if t.name.startswith("mergesmith-")]:
        t.join(max(0.0, deadline - time.monotonic()))
    alive = [t.name for t in threading.enumerate() if t.name.startswith("mergesmith-")]
    if alive:
        pytest.fail(f"threads left running after the test: {alive}")


@pytest.fixture
def window(qloop, qtbot, qapp, settings):
    from mergesmith.gui.main_window import MainWindow

    qapp.setQuitOnLastWindowClosed(False)  # closing a window must never quit the test's app
    w = MainWindow(settings)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.controller.cancel()
    qtbot.waitUntil(lambda: w.controller.is_idle, timeout=10_000)
    w.shutdown()
    w.close()
    with qtbot.waitSignal(w.destroyed, timeout=5_000):
        w.deleteLater()


@pytest.fixture(scope="session")
def demo_inputs(tmp_path_factory):
    """(training output, base) of the built-in demo, built once per session."""
    from mergesmith.core.demo.lora import make_demo

    return make_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def demo(demo_inputs, tmp_path):
    """The demo inputs, copied so that a test's output (beside them) stays its own."""
    source, base = demo_inputs
    root = tmp_path / "inputs"
    root.mkdir()
    shutil.copytree(source, root / source.name)
    shutil.copytree(base, root / base.name)
    # the XTuner config names the base by absolute path: keep the session's base (same files)
    return root / source.name, base
