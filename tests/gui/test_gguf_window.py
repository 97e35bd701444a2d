"""GGUF from the window: the output choice, the preview's size, Start writes what the CLI writes, Cancel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from fixtures.cli import run_cli
from fixtures.gui import hold_until_cancel, wait_plan
from fixtures.processes import leftovers


def choose_gguf(page, qtype: str = "q8_0") -> None:
    opts = page.options
    opts.output.setCurrentIndex(opts.output.findData("gguf"))
    opts.gguf_type.setCurrentIndex(opts.gguf_type.findData(qtype))


def test_choosing_gguf_changes_the_output_and_the_preview_shows_the_size(window, qtbot, demo, tmp_path, settings):
    source, base = demo
    page, opts = window.merge_page, window.merge_page.options
    window.open_paths(str(source), str(base))
    wait_plan(qtbot, window)
    folder = opts.out.path()
    assert not opts.gguf_type.isVisibleTo(opts) and opts.shard.isEnabled()
    choose_gguf(page)
    assert opts.out.path() == folder + ".gguf" and opts.gguf_type.isVisibleTo(opts)
    assert not opts.shard.isEnabled() and not opts.format.isVisibleTo(opts)
    assert opts._label_out.text() == "&Output file:"
    plan = wait_plan(qtbot, window)
    assert plan.gguf is not None and str(plan.out) == folder + ".gguf" and plan.gguf.qtype == "q8_0"
    node = page.preview_model.root.find("Output")
    assert node.size == plan.gguf.data_bytes > 0 and "q8_0" in node.details
    rows = {n.name: n.details for n in node.children}
    assert rows["File"] == folder + ".gguf" and rows["GGUF type"] == "q8_0" and rows["Architecture"] == "llama"
    assert rows["Tokenizer"].startswith("gpt2 (gpt-2)") and "tensors" in rows["Tensors"]
    assert "free" in rows["Disk space"] and Path(folder).name + ".Modelfile" in rows
    assert "GGUF" in window.banner.text.text() and page.start_button.isEnabled()
    assert settings.value("merge/output") == "gguf" and settings.value("merge/gguf-type") == "q8_0"
    opts.output.setCurrentIndex(opts.output.findData("folder"))  # back: the folder again
    assert opts.out.path() == folder and opts.shard.isEnabled()
    assert not hasattr(wait_plan(qtbot, window), "gguf")


def test_start_writes_the_file_the_cli_writes(window, qtbot, demo, tmp_path):
    source, base = demo
    page = window.merge_page
    choose_gguf(page)
    out = tmp_path / "gui" / "demo.gguf"
    page.options.out.commit(str(out))
    window.open_paths(str(source), str(base))
    wait_plan(qtbot, window)
    logged = []
    window.controller.logged.connect(lambda _level, text: logged.append(text))
    with qtbot.waitSignal(window.controller.merged, timeout=60_000) as blocker:
        qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    result, report, fixes = blocker.args
    assert result.out == out and report.kind == "gguf" and not [p for p in report.problems if p.is_error]
    assert sorted(p.name for p in out.parent.iterdir()) == ["demo.Modelfile", "demo.gguf"]
    assert page.tabs.currentIndex() == 1 and not page.result.verify_button.isVisibleTo(page)
    assert [n.name for n in page.result.model.root.children] == ["demo.gguf", "demo.Modelfile"]
    assert any("ollama create demo -f demo.Modelfile" in line for line in logged)
    assert any(f"llama-cli -m {out}" in line for line in logged)

    cli = tmp_path / "cli" / "demo.gguf"
    r = run_cli("merge", source, "--base", base, "--format", "gguf", "--type", "q8_0", "--out", cli)
    assert r.code == 0, r.err
    assert cli.read_bytes() == out.read_bytes()
    assert cli.with_suffix(".Modelfile").read_bytes() == out.with_suffix(".Modelfile").read_bytes()

    window.tabs.setCurrentWidget(window.inspect_page)  # the Inspect page checks a .gguf as a whole model
    with qtbot.waitSignal(window.controller.inspected, timeout=30_000) as blocker:
        window.inspect_page.picker.commit(str(cli))
    assert blocker.args[0] == "inspect" and blocker.args[1].kind == "gguf"
    assert [n.name for n in window.inspect_page.result.model.root.children] == ["demo.gguf", "demo.Modelfile"]


def test_cancel_leaves_nothing(window, qtbot, demo, tmp_path):
    source, base = demo
    page = window.merge_page
    choose_gguf(page, "f16")
    out = tmp_path / "out" / "demo.gguf"
    page.options.out.commit(str(out))
    window.open_paths(str(source), str(base))
    wait_plan(qtbot, window)
    released = hold_until_cancel(window)
    seen = []
    window.controller.progressed.connect(seen.append)
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(p.done > 0 for p in seen), timeout=30_000)
    assert not released.is_set()
    with qtbot.waitSignal(window.controller.cancelled, timeout=5_000):
        qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.controller.is_idle, timeout=10_000)
    assert not out.exists() and not out.with_suffix(".Modelfile").exists()
    assert leftovers(tmp_path) == [] and (not out.parent.exists() or list(out.parent.iterdir()) == [])


def test_llava_says_gguf_is_not_available(qloop, qapp, qtbot, tmp_path, settings):
    from mergesmith.gui.main_window import MainWindow

    settings.set_value("merge/output", "gguf")  # remembered from last time
    qapp.setQuitOnLastWindowClosed(False)
    w = MainWindow(settings)
    w.show()
    try:
        assert w.merge_page.options.is_gguf()
        w.controller.load_demo(str(tmp_path / "demo"), kind="llava")
        qtbot.waitUntil(lambda: w.controller.source is not None and w.controller.is_idle
                        and "GGUF" in w.banner.text.text(), timeout=120_000)
        assert "LLaVA" in w.banner.text.text() and not w.merge_page.start_button.isEnabled()
        assert w.controller.plan is None
    finally:
        qtbot.waitUntil(lambda: w.controller.is_idle, timeout=10_000)
        w.shutdown()
        w.close()
        with qtbot.waitSignal(w.destroyed, timeout=5_000):
            w.deleteLater()
