"""The GUI never changes its inputs: preview, merge, verify, the Inspect page and Fix, each
followed by a fingerprint of every input folder (tests/fixtures/hostile_inputs.py)."""


import pytest
from PySide6.QtCore import Qt

from fixtures.gui import wait_plan
from fixtures.hostile_inputs import build_inputs, changes, fingerprint


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return build_inputs(tmp_path_factory.mktemp("gui-safety") / "模型 with space")


def test_gui_flows_leave_inputs_unchanged(window, qtbot, inputs, tmp_path):
    names = ("base", "adapter", "vit", "xtuner", "llava", "damaged")
    before = {k: fingerprint(inputs[k]) for k in names}

    def unchanged(step):
        diff = {k: changes(before[k], fingerprint(inputs[k])) for k in names}
        assert not any(diff.values()), (step, diff)

    page = window.merge_page
    for i, (source, extra) in enumerate([("adapter", ()), ("xtuner", ()), ("llava", (str(inputs["vit"]),))]):
        page.options.out.commit(str(tmp_path / f"merged{i}"))
        window.open_paths(str(inputs[source]), str(inputs["base"]), *extra)
        wait_plan(qtbot, window)
        unchanged(f"preview of {source}")
        with qtbot.waitSignal(window.controller.merged, timeout=60_000):
            qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
        assert (tmp_path / f"merged{i}").is_dir()
        unchanged(f"merge of {source}")
    with qtbot.waitSignal(window.controller.verified, timeout=60_000):
        qtbot.mouseClick(page.result.verify_button, Qt.MouseButton.LeftButton)
    unchanged("verify")

    ins = window.inspect_page
    window.tabs.setCurrentWidget(ins)
    ins.base_picker.setPath(str(inputs["base"]))
    with qtbot.waitSignal(window.controller.inspected, timeout=30_000) as blocker:
        ins.picker.commit(str(inputs["damaged"]))
    assert blocker.args[2] is not None and blocker.args[2].actions
    unchanged("inspect")
    with qtbot.waitSignal(window.controller.inspected, timeout=60_000):
        qtbot.mouseClick(ins.result.fix_button, Qt.MouseButton.LeftButton)
    assert (inputs["damaged"].parent / "damaged-fixed" / "tokenizer.json").is_file()
    unchanged("fix")
    for key in ("xtuner", "llava"):
        with qtbot.waitSignal(window.controller.inspected, timeout=30_000):
            ins.picker.commit(str(inputs[key]))
        unchanged(f"inspect {key}")
