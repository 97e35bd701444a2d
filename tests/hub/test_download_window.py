"""The window's "Download base model" button against the local Hub (pytest-qt, offscreen)."""

from __future__ import annotations

import asyncio
import os

import pytest
from PySide6.QtCore import Qt

from fixtures.adapters import make_adapter
from fixtures.files import edit_json
from fixtures.gui import wait_plan

os.environ.setdefault("QT_API", "pyside6")


@pytest.fixture
def window(qapp, qtbot, tmp_path):
    """The main window with a qasync loop made current (as tests/gui/conftest.py does)."""
    import qasync

    from mergesmith.gui.main_window import MainWindow
    from mergesmith.gui.settings import Settings

    loop = qasync.QEventLoop(qapp)
    asyncio.events._set_running_loop(loop)
    qapp.setQuitOnLastWindowClosed(False)
    w = MainWindow(Settings.at(str(tmp_path / "settings.ini")))
    w.show()
    qtbot.waitExposed(w)
    try:
        yield w
    finally:
        w.controller.cancel()
        qtbot.waitUntil(lambda: w.controller.is_idle and not w.merge_page.downloader.downloading, timeout=10_000)
        w.shutdown()
        w.close()
        with qtbot.waitSignal(w.destroyed, timeout=5_000):
            w.deleteLater()
        asyncio.events._set_running_loop(None)
        loop.close()


@pytest.fixture(scope="module")
def adapter(tmp_path_factory, hub_repos):
    folder = make_adapter(hub_repos["single"], tmp_path_factory.mktemp("adapter") / "lora")
    edit_json(folder / "adapter_config.json", base_model_name_or_path="tiny/llama")  # as when loaded by Hub id
    return folder


def click(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_button_shows_size_then_downloads_and_points_the_base_there(window, qtbot, hub, hub_repos, adapter):
    page = window.merge_page
    d = page.downloader
    window.open_paths(str(adapter))
    qtbot.waitUntil(lambda: page.download_button.isVisible(), timeout=15_000)
    assert d.repo_id == "tiny/llama" and "Download base model" in page.download_button.text()
    assert hub.log == []  # nothing is asked until the click
    with qtbot.waitSignal(d.sized, timeout=15_000) as sized:
        click(qtbot, page.download_button)
    plan = sized.args[0]
    assert [e[1] for e in hub.log] == ["/api/models/tiny/llama/revision/main?blobs=true"]
    qtbot.waitUntil(lambda: page.download_button.isEnabled(), timeout=5_000)
    assert page.download_button.text() == f"Download tiny/llama ({plan_size(plan)})"
    assert "to download" in window.banner.text.text()
    seen = []
    window.controller.progressed.connect(seen.append)
    with qtbot.waitSignal(d.downloaded, timeout=30_000) as done:
        click(qtbot, page.download_button)
    folder = done.args[0]
    assert folder == str(plan.snapshot)
    assert page.base_picker.path() == folder
    new_plan = wait_plan(qtbot, window)
    assert str(new_plan.base.folder) == folder and new_plan.ok
    assert not page.download_button.isVisible()
    assert seen and seen[-1].done == seen[-1].total == plan.total
    assert page.progress.overall_label.text() == "Downloaded tiny/llama"


def plan_size(plan):
    from mergesmith.core.formats import format_size

    return format_size(plan.to_fetch)


def test_cancel_from_the_window(window, qtbot, hub, adapter, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 1000)  # cancel is checked per chunk
    hub.slow(0.05)
    page = window.merge_page
    d = page.downloader
    window.open_paths(str(adapter))
    qtbot.waitUntil(lambda: page.download_button.isVisible(), timeout=15_000)
    with qtbot.waitSignal(d.sized, timeout=15_000):
        click(qtbot, page.download_button)
    qtbot.waitUntil(lambda: page.download_button.isEnabled(), timeout=5_000)
    click(qtbot, page.download_button)
    qtbot.waitUntil(lambda: page.cancel_button.isEnabled() and window.controller.job.latest is not None
                    and window.controller.job.latest.file == "model.safetensors", timeout=15_000)
    with qtbot.waitSignal(d.finished, timeout=10_000) as finished:
        click(qtbot, page.cancel_button)
    assert finished.args == ["Download cancelled"]
    assert "cancelled" in window.banner.text.text()
    assert not list(hub.cache.rglob("*.incomplete"))
    assert not list(hub.cache.rglob("model.safetensors"))
    assert page.download_button.isVisible() and "Download base model" in page.download_button.text()


def test_gated_repo_is_a_sentence_in_the_banner(window, qtbot, hub, hub_repos, adapter):
    hub.add_repo("tiny/llama", hub_repos["single"], gated=True)
    page = window.merge_page
    d = page.downloader
    window.open_paths(str(adapter))
    qtbot.waitUntil(lambda: page.download_button.isVisible(), timeout=15_000)
    with qtbot.waitSignal(d.sized, timeout=15_000):
        click(qtbot, page.download_button)
    qtbot.waitUntil(lambda: page.download_button.isEnabled(), timeout=5_000)
    with qtbot.waitSignal(d.finished, timeout=15_000) as finished:
        click(qtbot, page.download_button)
    assert finished.args == ["Download failed"]
    assert window.banner.severity == "error" and "huggingface-cli login" in window.banner.text.text()


def test_a_hub_id_typed_in_the_base_field_is_offered(window, qtbot, hub, adapter):
    page = window.merge_page
    window.open_paths(str(adapter))
    qtbot.waitUntil(lambda: page.downloader.repo_id == "tiny/llama", timeout=15_000)
    page.base_picker.commit("tiny/llama-sharded")
    qtbot.waitUntil(lambda: page.downloader.repo_id == "tiny/llama-sharded" and window.controller.is_idle,
                    timeout=15_000)
    assert page.download_button.isVisible() and page.download_button.isEnabled()
    assert hub.log == []  # typing an id asks nothing of the network
