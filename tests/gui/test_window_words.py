"""What issue 14 found in the window, besides the words: the named base's tick, the demo's temporary
folders, and the language choice under View › Language."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.fixtures.gui import wait_plan


def _plan(source: Path, base: Path, out: Path):
    from mergesmith.core import detect
    from mergesmith.core.plan.base import PlanOptions
    from mergesmith.core.plan.planners import make_plan

    return make_plan(detect(source), str(base), PlanOptions(out=out))


def test_the_named_base_is_ticked_only_when_it_is_the_one_used(demo, tmp_path):
    from mergesmith.gui.preview import preview_tree
    from mergesmith.gui.tree import OK

    source, base = demo  # the demo's training config names ``base`` by its absolute path
    other = tmp_path / "another-base"
    shutil.copytree(base, other)
    for chosen, ticked in ((base, True), (other, False)):
        plan = _plan(source, chosen, tmp_path / f"out-{chosen.name}")
        try:
            row = preview_tree(plan.source, plan).find("Base named by the training")
            assert (row.status == OK) is ticked, (chosen, row)
            if not ticked:
                assert row.icon == "info" and str(other) in row.details and "another base model" in row.details
        finally:
            plan.close()
            plan.base.close()
            plan.source.close()


def test_the_demo_folder_is_removed_when_the_window_shuts_down(window, qtbot):
    assert window.demo_root is None  # the window makes its own temporary folder
    window.start_demo()
    wait_plan(qtbot, window, timeout=60_000)
    folders = list(window.controller.demo_folders)
    assert len(folders) == 1 and Path(folders[0]).is_dir()
    window.shutdown()
    assert not Path(folders[0]).exists()


def test_a_demo_folder_given_by_the_caller_is_kept(window, qtbot, tmp_path):
    window.demo_root = str(tmp_path / "mine")
    window.start_demo()
    wait_plan(qtbot, window, timeout=60_000)
    window.shutdown()
    assert (tmp_path / "mine").is_dir() and window.controller.demo_folders == []


def test_choosing_a_language_is_remembered_and_said(window, settings, qtbot):
    from mergesmith.gui.i18n import installed_language

    assert installed_language() == "en"
    actions = {a.data(): a for a in window.language_actions.actions()}
    assert set(actions) == {"auto", "en", "zh_CN"} and actions["zh_CN"].text() == "简体中文"
    actions["zh_CN"].trigger()
    assert settings.value("language") == "zh_CN"
    qtbot.waitUntil(lambda: window.language_box.isVisible(), timeout=5_000)
    assert "简体中文" in window.language_box.text() and "next time" in window.language_box.text()
    assert window.merge_page.start_button.text() == "&Start merge"  # what the window shows stays
    window.language_box.close()
    actions["en"].trigger()
    assert settings.value("language") == "en"
