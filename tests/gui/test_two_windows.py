"""Two windows of the app pointed at one output: the one that starts first holds it; the other says
who holds it, in words, keeps Start disabled, and enables it by itself once the output is free."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt

from fixtures.gui import hold_until_cancel, wait_plan
from fixtures.processes import leftovers


@pytest.fixture
def second_window(qloop, qtbot, qapp, settings):
    from mergesmith.gui.main_window import MainWindow

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


def test_two_windows_one_output(window, second_window, qtbot, demo, tmp_path):
    source, base = demo
    out = tmp_path / "merged"
    first, second = window, second_window
    for w in (first, second):
        w.merge_page.options.out.commit(str(out))
        w.open_paths(str(source), str(base))
        wait_plan(qtbot, w)
        assert w.merge_page.start_button.isEnabled()

    # The first window starts and is held mid-merge: it holds the output.
    released = hold_until_cancel(first)
    seen = []
    first.controller.progressed.connect(seen.append)
    qtbot.mouseClick(first.merge_page.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(p.done > 0 for p in seen), timeout=15_000)
    assert not released.is_set()

    # The second window's Start (its plan was made before) is refused with the sentence, in words.
    qtbot.mouseClick(second.merge_page.start_button, Qt.MouseButton.LeftButton)
    assert not second.controller.merging
    wait_plan(qtbot, second, ok=False)
    text = second.banner.text.text()
    assert text.startswith(f"Nothing can start until this is fixed: {out} is being written by another Mergesmith "
                           f"merge in the Mergesmith window (process {os.getpid()} on this machine, since "), text
    assert text.endswith("; wait for it to finish, or choose another output folder.") and "--" not in text
    assert [p.code for p in second.controller.plan.problems if p.is_error] == ["output-held"]
    assert not second.merge_page.start_button.isEnabled()

    # The first one is cancelled: the output is free, and the second window sees it by itself.
    with qtbot.waitSignal(first.controller.cancelled, timeout=10_000):
        qtbot.mouseClick(first.merge_page.cancel_button, Qt.MouseButton.LeftButton)
    assert not out.exists()
    qtbot.waitUntil(lambda: second.merge_page.start_button.isEnabled(), timeout=10_000)
    with qtbot.waitSignal(second.controller.merged, timeout=60_000) as blocker:
        qtbot.mouseClick(second.merge_page.start_button, Qt.MouseButton.LeftButton)
    result = blocker.args[0]
    assert result.out == out and sorted(p.name for p in out.iterdir()) == sorted(p for p, _ in result.files)
    assert leftovers(tmp_path) == [] and not (tmp_path / ".merged.mergesmith-hold").exists()
