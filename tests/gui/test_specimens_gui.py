"""The window's preview of the three real XTuner specimens (tests/specimens/README.md).

Pick the work_dir and the base (and the visual encoder for LLaVA) as a user would: the preview
shows the training output's components, the base and the output, nothing in it is marked as an
error, the banner is not an error, and nothing is written. One offscreen screenshot per specimen
is saved under the session's temporary folder (``specimen-shots/``) to be looked at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from fixtures.gui import wait_plan

from fixtures.files import read_weights, same_bytes, tree_digest
from fixtures.specimens import ROOT, SPECIMENS, expected_merge

# what the preview must show under "Training output", per specimen
COMPONENTS = {
    "qwen2-qlora": {"LLM adapter", "Training config", "Iteration"},
    "zero2": {"LLM adapter", "Training config", "Iteration"},
    "llava-pretrain": {"Projector", "Training config", "Iteration"},
}
SHOT_SIZE = (1100, 760)


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return tmp_path_factory.mktemp("specimen-shots")


@pytest.mark.parametrize("key", list(SPECIMENS))
def test_preview_of_a_real_specimen(window, qtbot, tmp_path, shots, key):
    from mergesmith.gui.tree import ERROR

    spec = SPECIMENS[key]
    before = tree_digest(ROOT)
    page = window.merge_page
    window.resize(*SHOT_SIZE)
    out = tmp_path / "merged"
    page.options.out.commit(str(out))
    window.open_paths(str(spec.work_dir), str(spec.base), str(spec.vit or ""))
    plan = wait_plan(qtbot, window)
    QApplication.processEvents()  # deliver the layout requests of what just arrived (before the shot)

    assert plan.ok and plan.out == out
    assert window.banner.severity != "error", window.banner.text.text()
    assert page.start_button.isEnabled()
    root = page.preview_model.root
    assert [n.name for n in root.children] == ["Training output", "Base model", "Output"]
    shown = {n.name for n in root.find("Training output").children}
    assert COMPONENTS[key] <= shown, shown
    errors = [(n.path(), n.details) for n in root.walk() if n.status == ERROR]
    assert errors == [], errors
    output_names = {n.name for n in root.find("Output").walk()}
    assert "model.safetensors" in output_names and "config.json" in output_names
    if spec.vit is not None:
        assert page.visual_picker.isVisibleTo(page) and page.visual_picker.path() == str(spec.vit)
        assert "projector/" in output_names
    if len(spec.checkpoints) > 1:
        iters = [page.options.iteration.itemData(i) for i in range(page.options.iteration.count())]
        assert iters == list(spec.checkpoints) and page.options.iteration.currentData() == spec.checkpoints[-1]

    png = shots / f"{key}.png"
    assert window.grab().save(str(png), "PNG")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not out.exists() and tree_digest(ROOT) == before


@pytest.mark.parametrize("key", list(SPECIMENS))
def test_merge_and_verify_a_real_specimen_from_the_window(window, qtbot, tmp_path, shots, key):
    """Start, the checked result (no error row, no error banner), then Verify: the merge is right."""
    from PySide6.QtCore import Qt

    from mergesmith.gui.tree import ERROR

    spec = SPECIMENS[key]
    before = tree_digest(ROOT)
    page = window.merge_page
    window.resize(*SHOT_SIZE)
    out = tmp_path / "merged"
    page.options.out.commit(str(out))
    window.open_paths(str(spec.work_dir), str(spec.base), str(spec.vit or ""))
    wait_plan(qtbot, window)
    with qtbot.waitSignal(window.controller.merged, timeout=60_000) as blocker:
        qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    result, report, _fixes = blocker.args
    assert result.out == out and out.is_dir()
    assert window.banner.severity in ("ok", "warning"), window.banner.text.text()
    assert not [p for p in report.problems if p.severity in ("error", "warning")], report.problems
    root = page.result.model.root
    assert [(n.path(), n.details) for n in root.walk() if n.status == ERROR] == []
    assert root.find("model.safetensors").status == "ok"
    if spec.vit is not None:
        assert root.find("projector") is not None or root.find("projector/") is not None
    QApplication.processEvents()  # as above
    assert window.grab().save(str(shots / f"{key}-result.png"), "PNG")
    assert page.result.verify_button.isVisibleTo(page) and page.result.verify_button.isEnabled()
    with qtbot.waitSignal(window.controller.verified, timeout=60_000) as blocker:
        qtbot.mouseClick(page.result.verify_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].ok and "The merge is right" in window.banner.text.text(), window.banner.text.text()
    assert tree_digest(ROOT) == before


def test_iteration_20_of_the_qwen_run_from_the_window(window, qtbot, tmp_path):
    """Pick iter 20 in the window: the preview says so, and the merge is iter_20's, exactly."""
    from PySide6.QtCore import Qt

    spec = SPECIMENS["qwen2-qlora"]
    page = window.merge_page
    out = tmp_path / "merged"
    page.options.out.commit(str(out))
    window.open_paths(str(spec.work_dir), str(spec.base))
    wait_plan(qtbot, window)
    page.options.iteration.setCurrentIndex(0)
    qtbot.waitUntil(lambda: window.controller.plan is not None and window.controller.is_idle
                    and window.controller.plan.source.iteration == 20, timeout=10_000)
    assert page.preview_model.root.find("Iteration").details == "20 (of 20, 40)"
    with qtbot.waitSignal(window.controller.merged, timeout=60_000):
        qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    expected, changed = expected_merge(spec, 20)
    got = read_weights(out)
    assert set(got) == set(expected) and len(changed) == 14
    assert all(same_bytes(got[name], want) for name, want in expected.items())


def test_hub_base_is_an_error_only_until_a_base_is_chosen():
    """The specimens' configs name Hub ids: red while no base is chosen, a plain note once one is."""
    from mergesmith.core import detect
    from mergesmith.core.plan.base import PlanOptions
    from mergesmith.core.plan.planners import make_plan
    from mergesmith.gui.preview import preview_tree
    from mergesmith.gui.tree import ERROR, WARNING

    spec = SPECIMENS["llava-pretrain"]
    source = detect(spec.work_dir)
    try:
        row = preview_tree(source).find("Base named by the training")
        assert row.status == ERROR and row.details == "lmsys/vicuna-7b-v1.5"
        assert preview_tree(source).find("Visual encoder named by the training").status == WARNING
    finally:
        source.close()
    plan = make_plan(detect(spec.work_dir), spec.base,
                     PlanOptions(out=Path("/nonexistent/out"), visual_encoder=spec.vit))
    try:
        root = preview_tree(plan.source, plan)
        for name in ("Base named by the training", "Visual encoder named by the training"):
            row = root.find(name)
            assert row.status is None and "you chose is used" in row.details, (name, row)
    finally:
        plan.close()
