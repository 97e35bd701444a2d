"""The window takes a base by its Hub id, found offline in the local caches (tests/fixtures/hubcache.py):
named by the training config, typed into the base field, or picked from the ids the field offers."""

from __future__ import annotations

import pytest

from fixtures.cli import run_cli
from fixtures.files import tree_digest
from fixtures.gui import wait_plan
from fixtures.hubcache import QWEN_ID, hf_cache, ms_cache
from fixtures.specimens import QWEN_BASE, QWEN_WD


@pytest.fixture
def caches(tmp_path, monkeypatch):
    hf, ms = tmp_path / "hf-hub", tmp_path / "modelscope"
    hf.mkdir()
    ms.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(hf))
    monkeypatch.setenv("MODELSCOPE_CACHE", str(ms))
    return hf, ms


@pytest.fixture
def snapshot(caches):
    return hf_cache(caches[0], QWEN_ID, QWEN_BASE)


def test_the_configs_hub_id_is_found_in_the_cache_and_merges_the_same(snapshot, window, qtbot, tmp_path):
    page = window.merge_page
    assert QWEN_ID in [page.base_picker.combo.itemText(i) for i in range(page.base_picker.combo.count())]
    page.options.out.commit(str(tmp_path / "gui-out"))
    window.open_paths(str(QWEN_WD))
    plan = wait_plan(qtbot, window)
    assert page.base_picker.path() == QWEN_ID and plan.base.folder == snapshot
    hint = page.preview_model.root.find("Base named by the training")
    assert hint.status == "ok" and f"Hugging Face cache, snapshot {snapshot.name[:7]}" in hint.details
    found = page.preview_model.root.find("Base model").find("Found in")
    assert found.details.startswith(f"{QWEN_ID}: Hugging Face cache, snapshot {snapshot.name[:7]}")
    with qtbot.waitSignal(window.controller.merged, timeout=60_000):
        page.start_button.click()
    qtbot.waitUntil(lambda: window.controller.is_idle, timeout=20_000)
    assert run_cli("merge", QWEN_WD, "--base", QWEN_BASE, "--out", tmp_path / "cli-out").code == 0
    assert tree_digest(tmp_path / "gui-out") == tree_digest(tmp_path / "cli-out")


def test_a_typed_hub_id_is_looked_up_and_the_miss_says_where(caches, window, qtbot):
    hf, ms = caches
    page = window.merge_page
    window.open_paths(str(QWEN_WD))
    qtbot.waitUntil(lambda: window.controller.source is not None and window.controller.is_idle, timeout=15_000)
    text = window.banner.text.text()
    assert window.banner.severity == "warning" and QWEN_ID in text and str(hf) in text and str(ms) in text
    assert page.base_picker.path() == ""
    ms_cache(ms, QWEN_ID, QWEN_BASE)
    page.base_picker.commit(QWEN_ID)
    plan = wait_plan(qtbot, window)
    assert plan.base.located.where == "modelscope-cache"
    found = page.preview_model.root.find("Base model").find("Found in")
    assert "ModelScope cache" in found.details and found.status == "ok"
