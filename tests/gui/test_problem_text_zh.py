"""Problems and refusals in the window: the window's words, and Chinese.

- every text renders in English and in zh_CN with its particulars filled in, without a KeyError,
  and names no command-line flag and no backtick;
- resources/i18n/problems_zh_CN.ts has no unfinished or vanished entry after PySide6's own
  ``pyside6-lupdate`` runs over the window's texts, and the committed .qm is what
  ``pyside6-lrelease`` makes of it;
- a broken folder on the Inspect page, in zh_CN, shows Chinese problems with its file names.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QTranslator

from mergesmith.core import texts
from mergesmith.core.errors import PlanError
from mergesmith.gui import problem_text

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "resources" / "i18n" / "problems_zh_CN.ts"
QM = TS.with_suffix(".qm")
SOURCES = [ROOT / "gui" / "problem_text.py", ROOT / "gui" / "problem_catalogue.py"]
CJK = re.compile(r"[\u4e00-\u9fff]")
FLAG = re.compile(r"(?<![\w-])--[a-z]")


def tool(name: str) -> str:
    """PySide6's own tool, from the environment that runs the tests."""
    path = Path(sys.executable).parent / name
    return str(path) if path.exists() else (shutil.which(name) or pytest.skip(f"{name} not installed"))


@pytest.fixture
def zh(qapp):
    translator = QTranslator()
    assert translator.load(str(QM)), QM
    qapp.installTranslator(translator)
    yield translator
    qapp.removeTranslator(translator)


def _dummy(key: str) -> dict:
    return {name: f"<{name}>" for name in texts.particulars(key)}


def _window_texts():
    for key in texts.SENTENCES:
        params = _dummy(key)
        yield key, params, problem_text.title(key) + " " + problem_text.render(key, params)
        shared = texts.SENTENCES[key].todo[1:] + "-named"
        if texts.SENTENCES[key].todo.startswith("@") and shared in texts.TODOS:  # names the model trained on
            params = {**params, "named": "<named>"}
            yield key, params, problem_text.title(key) + " " + problem_text.render(key, params)


def _check_window_words(key, params, shown):
    assert not FLAG.search(shown) and "`" not in shown, (key, shown)
    for value in params.values():
        assert value in shown, (key, value, shown)


def test_every_text_renders_in_the_window_in_english(qapp):
    for key, params, shown in _window_texts():
        _check_window_words(key, params, shown)
        assert not CJK.search(shown), (key, shown)


def test_every_text_renders_in_the_window_in_chinese(zh):
    for key, params, shown in _window_texts():
        _check_window_words(key, params, shown)
        english = texts.title(key) + " " + texts.render(key, params)
        assert CJK.search(shown) and shown != english, (key, shown)


def test_a_refusal_without_a_key_keeps_its_sentence_with_controls_for_flags(zh):
    exc = PlanError("Cannot read x.pth; pass --base DIR or run `mergesmith fix --from-base`.")
    shown = problem_text.refusal_text(exc)
    assert not FLAG.search(shown) and "`" not in shown and "x.pth" in shown
    assert "\u201c\u57fa\u7840\u6a21\u578b\u201d" in shown  # the Base model field, in Chinese


def test_the_translations_are_complete_and_compiled(tmp_path):
    ts = tmp_path / TS.name
    shutil.copy(TS, ts)
    subprocess.run([tool("pyside6-lupdate"), *map(str, SOURCES), "-ts", str(ts)], check=True,
                   capture_output=True)
    unfinished = [m.findtext("source") for m in ET.parse(ts).iter("message")
                  if m.find("translation").get("type") in ("unfinished", "vanished", "obsolete")]
    assert not unfinished, f"untranslated problem texts in {TS.name}: {unfinished[:5]}"
    wanted = {s.strip() for t, w in texts.CODES.values() for s in (t, w) if s.strip()}
    wanted |= {t.sentence for t in texts.SENTENCES.values()}
    have = {m.findtext("source") for m in ET.parse(ts).iter("message")}
    assert not wanted - have, sorted(wanted - have)[:5]
    qm = tmp_path / QM.name
    subprocess.run([tool("pyside6-lrelease"), str(TS), "-qm", str(qm)], check=True, capture_output=True)
    assert qm.read_bytes() == QM.read_bytes(), f"{QM.name} is stale: run pyside6-lrelease {TS.name}"


def test_a_broken_folder_on_the_inspect_page_in_chinese(window, qtbot, demo, tmp_path, zh):
    _, base = demo
    broken = tmp_path / "broken"
    shutil.copytree(base, broken)
    for name in ("tokenizer.json", "tokenizer_config.json", "generation_config.json"):
        (broken / name).unlink()
    shard = broken / "model.safetensors"
    shard.write_bytes(shard.read_bytes()[:-100])  # truncated
    page = window.inspect_page
    window.tabs.setCurrentWidget(page)
    with qtbot.waitSignal(window.controller.inspected, timeout=15_000) as blocker:
        page.picker.commit(str(broken))
    _, report, _ = blocker.args
    assert {"missing-tokenizer", "corrupt-shard", "missing-generation-config"} <= report.codes
    items = [page.result.problems.item(i).text() for i in range(page.result.problems.count())]
    shown = "\n".join(items)
    assert "\u6a21\u578b.safetensors" not in shown  # file names stay as they are
    truncated = next(t for t in items if "model.safetensors" in t)
    assert "\u88ab\u622a\u65ad" in truncated, truncated  # "is truncated", with the file's sizes filled in
    assert str(shard.stat().st_size) in truncated
    assert any("\u5206\u8bcd\u5668" in t for t in items), items  # the tokenizer, in Chinese
    for t in items:
        first_two = "\n".join(t.splitlines()[:2])  # the problem (the fix line is the fix plan's)
        assert CJK.search(first_two) and not FLAG.search(first_two) and "`" not in first_two, t
    tooltip_rows = [n for n in page.result.model.root.children if n.name == "model.safetensors"]
    assert tooltip_rows and "\u88ab\u622a\u65ad" in tooltip_rows[0].tooltip
