"""The window in Simplified Chinese: every string translated, the language chosen from the locale,
and the layout holding in both languages (issue 15; issue 14's clipped text).

The translations are checked with PySide6's own tools (tools/translations.py check: lupdate finds
no unfinished or obsolete entry, every .qm is compiled from its .ts). The walk reads every text a
person can see (labels, buttons, menus, tooltips, placeholders, combo items, tabs, tree and list
rows, headers, the log) on each page in zh_CN and fails on an English word that is not a path, a
file name or a technical token. The core's own sentences (problems, fix titles, notes) are
rendered elsewhere (gui/problem_text.py) and are left out of this walk.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QCheckBox, QComboBox, QDockWidget,
                               QGroupBox, QLabel, QLineEdit, QListWidget, QMenu, QPlainTextEdit, QTabWidget,
                               QTreeView, QWidget)

from tests.fixtures.gui import wait_plan

ROOT = Path(__file__).resolve().parents[2]

# words that stay as they are in Chinese: names of things, formats, units, keys, code words
TECHNICAL = {
    "mergesmith", "xtuner", "peft", "lora", "llm", "hugging", "face", "llava", "clip", "deepspeed",
    "safetensors", "dtype", "bf16", "bfloat16", "float16", "float32", "gb", "mb", "kb", "tb", "gib", "b",
    "rslora", "dora", "alpha", "sqrt", "r", "ulp", "ctrl", "enter", "esc", "shift", "transformers", "pickle",
    "pth", "iter", "hf", "n", "e", "g", "ok", "english", "supervisedfinetune", "llavamodel", "dropout", "pytorch",
    "hub", "id", "modelscope", "huggingface", "cli", "token",  # the Hugging Face Hub, a Hub id, HF_TOKEN
    "bit",  # 4-bit, 8-bit: a unit, written so in Chinese too
    "main",  # a revision (git branch) of a Hub repo
    "login",  # huggingface-cli login
    "gguf", "ollama", "modelfile", "lm", "studio",  # GGUF output: the format and the programs that run it
}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def english_words(text: str) -> list[str]:
    """Words of ``text`` that are English prose: not a path, file name, identifier or known token."""
    kept = []
    text = re.sub(r"'[^'\n]*'", " ", text)  # quoted values: a config shown as Python writes it
    text = re.sub(r"\[[a-z0-9-]+\]", " ", text)  # problem codes: [missing-tokenizer]
    for token in text.split():
        if "/" in token or "\\" in token or re.search(r"\w\.\w", token):  # a path or a file name
            continue
        for word in WORD.findall(token):
            if "_" in word or any(ch.isdigit() for ch in word) or re.search(r"[a-z][A-Z]", word):
                continue  # work_dir, iter_N, q_proj, LlamaForCausalLM: identifiers
            if word.lower() not in TECHNICAL:
                kept.append(word)
    return kept


def _model_texts(model, parent=None):
    from PySide6.QtCore import QModelIndex

    parent = parent or QModelIndex()
    for row in range(model.rowCount(parent)):
        for col in range(model.columnCount(parent)):
            index = model.index(row, col, parent)
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                value = index.data(role)
                if isinstance(value, str):
                    yield value
        yield from _model_texts(model, model.index(row, 0, parent))


def _menu_texts(menu: QMenu):
    for act in menu.actions():
        yield from (act.text(), act.toolTip(), act.statusTip())
        if act.menu() is not None:
            yield from _menu_texts(act.menu())


def window_texts(window) -> list[str]:
    """Every text of the window a person can read (whether or not it is on screen right now)."""
    texts = [window.windowTitle()]
    for menu in window.menuBar().findChildren(QMenu):
        texts.append(menu.title())
        texts += list(_menu_texts(menu))
    for w in window.findChildren(QWidget):
        if w.objectName().startswith("qt_"):  # Qt's own parts (translated by qtbase_zh_CN)
            continue
        texts += [w.toolTip(), w.accessibleName()]
        if isinstance(w, QLabel):
            texts.append(w.text())
        if isinstance(w, QAbstractButton):
            texts.append(w.text())
        if isinstance(w, QGroupBox):
            texts.append(w.title())
        if isinstance(w, QDockWidget):
            texts.append(w.windowTitle())
        if isinstance(w, QLineEdit):
            texts.append(w.placeholderText())
        if isinstance(w, QComboBox) and not w.isEditable():
            texts += [w.itemText(i) for i in range(w.count())]
        if isinstance(w, QTabWidget):
            for i in range(w.count()):
                texts += [w.tabText(i), w.tabToolTip(i)]
        if isinstance(w, QPlainTextEdit):
            texts.append(w.toPlainText())
        if isinstance(w, QListWidget):
            for i in range(w.count()):
                texts += [w.item(i).text(), w.item(i).toolTip()]
        if isinstance(w, QTreeView) and w.model() is not None:
            model = w.model()
            texts += [model.headerData(c, Qt.Orientation.Horizontal) or "" for c in range(model.columnCount())]
            texts += list(_model_texts(model))
    return [t for t in texts if t]


def core_sentences(window) -> list[str]:
    """The core's own sentences on show: problems (words' problem_text renders them), fix titles,
    reasons a fix cannot run, and the core's free-text notes."""
    from mergesmith.gui.results import problem_text

    found = []
    c = window.controller
    for holder in (c.plan, c.report, window.inspect_page.result.report, window.merge_page.result.report):
        for p in getattr(holder, "problems", None) or []:
            found.append(problem_text(p))
    for view in (window.inspect_page.result, window.merge_page.result):
        fixes = getattr(view, "fixes", None)
        found += [a.title for a in getattr(fixes, "actions", []) or []]
        found += [why for _p, why in getattr(fixes, "unfixed", []) or []]
        found += list(getattr(view.report, "notes", None) or [])
    source = c.source or getattr(c.plan, "source", None)
    found += list(getattr(source, "notes", [])[1:]) if source is not None else []
    return sorted(found, key=len, reverse=True)


def untranslated(window) -> list[str]:
    sentences = core_sentences(window)
    bad = []
    for text in window_texts(window):
        for sentence in sentences:
            text = text.replace(sentence, " ")
        words = english_words(re.sub(r"\(&?[A-Za-z]\)", "", text).replace("&", ""))
        if words:
            bad.append(f"{words}: {text[:160]!r}")
    return sorted(set(bad))


@pytest.fixture
def chinese(qapp):
    from mergesmith.gui.i18n import ENGLISH, install_language

    assert install_language(qapp, "zh_CN") == "zh_CN"
    yield
    install_language(qapp, ENGLISH)


def _open_window(qtbot, qapp, settings):
    from mergesmith.gui.main_window import MainWindow

    qapp.setQuitOnLastWindowClosed(False)
    w = MainWindow(settings)
    w.show()
    qtbot.waitExposed(w)
    return w


def _close_window(qtbot, w):
    w.controller.cancel()
    qtbot.waitUntil(lambda: w.controller.is_idle, timeout=10_000)
    w.shutdown()
    w.close()
    with qtbot.waitSignal(w.destroyed, timeout=5_000):
        w.deleteLater()


@pytest.fixture
def zh_window(chinese, qloop, qtbot, qapp, settings):
    w = _open_window(qtbot, qapp, settings)
    yield w
    _close_window(qtbot, w)


def _broken_copy(base: Path, tmp_path: Path) -> Path:
    broken = tmp_path / "broken"
    shutil.copytree(base, broken)
    for name in ("generation_config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        (broken / name).unlink(missing_ok=True)
    return broken


# -- the catalogue -------------------------------------------------------------------------------

def test_translations_are_current():
    """lupdate over gui/ finds no unfinished or obsolete entry, and each .qm is compiled from its .ts."""
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "translations.py"), "check"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_catalogues_ship_as_package_data():
    text = (ROOT / "pyproject.toml").read_text()
    assert '"i18n/*.qm"' in text and '"i18n/*.ts"' in text
    from mergesmith.gui.i18n import translation_files

    assert [p.name for p in translation_files("zh_CN")][:1] and \
        "mergesmith_zh_CN.qm" in [p.name for p in translation_files("zh_CN")]


@pytest.mark.parametrize("name, expected", [
    ("zh_CN", "zh_CN"), ("zh_SG", "zh_CN"), ("zh_Hans", "zh_CN"), ("zh_Hans_HK", "zh_CN"), ("zh", "zh_CN"),
    ("zh_TW", "en"), ("zh_HK", "en"), ("zh_Hant", "en"), ("en_US", "en"), ("de_DE", "en"), ("C", "en"),
])
def test_the_system_locale_chooses_the_language(name, expected):
    from mergesmith.gui.i18n import system_language

    assert system_language(QLocale(name)) == expected


def test_remembered_choice_wins_over_the_system():
    from mergesmith.gui.i18n import chosen_language, system_language

    assert chosen_language("zh_CN") == "zh_CN" and chosen_language("en") == "en"
    assert chosen_language("auto") == chosen_language(None) == chosen_language("klingon") == system_language()


def test_started_under_a_chinese_locale_the_window_is_chinese_from_the_first_frame(tmp_path):
    """A fresh process with LANG=zh_CN.UTF-8 and no remembered choice: Chinese menus at once."""
    code = ("import sys; from PySide6.QtWidgets import QApplication; app = QApplication([]);"
            "from mergesmith.gui.i18n import chosen_language, install_language;"
            "from mergesmith.gui.settings import Settings; from mergesmith.gui.main_window import MainWindow;"
            f"s = Settings.at({str(tmp_path / 's.ini')!r});"
            "install_language(app, chosen_language(s.value('language', 'auto')));"
            "w = MainWindow(s); print([m.title() for m in w.menuBar().findChildren(__import__('PySide6.QtWidgets',"
            " fromlist=['QMenu']).QMenu)][:3]); w.shutdown()")
    env = {"LANG": "zh_CN.UTF-8", "LC_ALL": "", "QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "文件(&F)" in run.stdout, run.stdout


# -- the walk ------------------------------------------------------------------------------------

def test_every_page_in_chinese_has_no_english_left(zh_window, qtbot, demo, tmp_path):
    from PySide6.QtCore import Qt as _Qt

    w = zh_window
    assert w.merge_page.start_button.text() == "开始合并(&S)"
    assert "\n".join(untranslated(w)) == ""  # the empty window, the banner offering the demo
    source, base = demo
    # a folder name with an underscore, which the walk knows for a name (a plain word would look English)
    w.merge_page.options.out.commit(str(tmp_path / "merged_model"))
    w.open_paths(str(source), str(base))
    wait_plan(qtbot, w)
    w.merge_page.preview.expandAll()
    assert "\n".join(untranslated(w)) == ""  # the preview
    with qtbot.waitSignal(w.controller.merged, timeout=60_000):
        qtbot.mouseClick(w.merge_page.start_button, _Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.controller.is_idle, timeout=10_000)
    assert "\n".join(untranslated(w)) == ""  # a finished merge, checked
    w.tabs.setCurrentWidget(w.inspect_page)
    with qtbot.waitSignal(w.controller.inspected, timeout=30_000):
        w.inspect_page.picker.commit(str(_broken_copy(base, tmp_path)))
    assert w.inspect_page.result.problems.count() >= 2
    assert "\n".join(untranslated(w)) == ""  # a broken folder on the Inspect page


@pytest.fixture
def hub_caches(tmp_path, monkeypatch):
    """Empty Hugging Face and ModelScope caches (set before the window is made: it lists their ids)."""
    hf, ms = tmp_path / "hf-hub", tmp_path / "modelscope"
    hf.mkdir()
    ms.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(hf))
    monkeypatch.setenv("MODELSCOPE_CACHE", str(ms))
    return hf, ms


def _settled(qtbot, w, severity: str) -> None:
    qtbot.waitUntil(lambda: w.controller.is_idle and w.banner.severity == severity, timeout=30_000)


def test_a_hub_id_base_and_the_download_button_in_chinese(hub_caches, zh_window, qtbot, tmp_path):
    """The training names a Hub id: in no cache (the warning, the Download button, the refusal for a typed
    id, all saying where they looked), then found in the Hugging Face cache (the preview's rows)."""
    from tests.fixtures.hubcache import QWEN_ID, hf_cache
    from tests.fixtures.specimens import QWEN_BASE, QWEN_WD

    hf, ms = hub_caches
    w, page = zh_window, zh_window.merge_page
    page.options.out.commit(str(tmp_path / "merged_model"))
    w.open_paths(str(QWEN_WD))
    _settled(qtbot, w, "warning")
    assert page.download_button.isVisible() and page.download_button.text() == "下载基础模型\u2026"
    assert QWEN_ID in w.banner.text.text() and str(hf) in w.banner.text.text() and "下载基础模型" in w.banner.text.text()
    w.merge_page.preview.expandAll()
    assert "\n".join(untranslated(w)) == ""  # the named base in no cache, the button offered
    nowhere = "someorg/not-cached-model"
    page.base_picker.commit(nowhere)
    _settled(qtbot, w, "error")
    text = w.banner.text.text()
    assert nowhere in text and str(ms) in text and "“基础模型”栏" in text and "“下载基础模型”" in text, text
    assert page.downloader.repo_id == nowhere and page.download_button.isVisible()
    assert "\n".join(untranslated(w)) == ""  # a typed id in no cache: the refusal, the button for it
    snapshot = hf_cache(hf, QWEN_ID, QWEN_BASE, dangling=("generation_config.json",))  # its blob gone
    page.base_picker.commit(QWEN_ID)
    plan = wait_plan(qtbot, w)
    assert plan.base.folder == snapshot
    w.merge_page.preview.expandAll()
    found = page.preview_model.root.find("所在位置")  # under the base model
    assert found.details == f"{QWEN_ID}：Hugging Face 缓存，快照 {snapshot.name[:7]}（main），13 个文件中缺少 1 个"
    assert "\n".join(untranslated(w)) == ""  # a Hub id found in the cache, a file of it missing
    from mergesmith.gui.problem_text import problem_text

    said = [problem_text(p) for p in plan.problems if p.code == "base-incomplete"]
    assert said == [f"Hugging Face 缓存中的基础模型 {QWEN_ID}（快照 {snapshot.name[:7]}）缺少 generation_config.json；"
                    "输出将不包含缺少的文件。请完成下载，以便包含缺少的文件。"]


def test_the_download_words_in_chinese(chinese, tmp_path):
    """What the Download button says once the Hub answered, and a failure of the download, in Chinese
    (the window test with the local Hub, tests/hub/test_download_window.py, runs in English)."""
    from mergesmith.core.hub.download import DownloadError, DownloadPlan, HubFile
    from mergesmith.gui.download import plan_text
    from mergesmith.gui.problem_text import refusal_text

    plan = DownloadPlan("tiny/llama", "main", "0123456789abcdef", tmp_path / "hub",
                        [HubFile("config.json", 700, cached=True), HubFile("model.safetensors", 2_000_000)], gated=True)
    text = plan_text(plan)
    assert text.startswith("tiny/llama（main，提交 0123456）：2 个文件") and "需要授权" in text, text
    assert english_words(text) == [], text
    refused = refusal_text(DownloadError(key="refusal/download-no-file", params={
        "repo_id": "tiny/llama", "name": "tokenizer.json", "revision": "'main'"}))
    assert "“基础模型”栏" in refused and english_words(refused) == [], refused


def test_problems_name_the_controls_as_the_window_labels_them(zh_window):
    """A problem's “基础模型”栏 or “修复” is the label or button the window shows (without its mnemonic)."""
    from mergesmith.gui.hub_words import refusal  # noqa: F401 - its texts name the Download button
    from mergesmith.gui.i18n import translate
    from mergesmith.gui.problem_text import controls

    shown = set()
    for wid in zh_window.findChildren(QWidget):
        if isinstance(wid, (QLabel, QAbstractButton)):
            shown.add(re.sub(r"\(&.\)|&|[：:\u2026]+$", "", wid.text()).strip())
    names = list(controls().values()) + [translate("Hub", "Choose its folder ({0}), or download it (Download base "
                                                          "model)."),
                                         translate("Controller", "Or download it (Download base model).")]
    quoted = {q for name in names for q in re.findall("\u201c([^\u201d]+)\u201d", name)}
    assert len(quoted) >= 8
    assert sorted(quoted - shown) == [], sorted(shown)


def test_the_walk_sees_english(window, demo):
    """The detector itself: in English the same window is full of words it flags."""
    assert untranslated(window)
    assert english_words("/tmp/a_b/work_dir config.json LoRA r=8, alpha=16 5GB bfloat16 LlamaForCausalLM") == []
    assert english_words("Choose the base model") == ["Choose", "the", "base", "model"]


# -- the layout ----------------------------------------------------------------------------------

def clipped(window) -> list[str]:
    """Visible labels, buttons and check boxes narrower (or shorter) than their text needs."""
    bad = []
    for w in window.findChildren(QWidget):
        if not w.isVisible() or w.objectName().startswith("qt_"):
            continue
        if isinstance(w, QLabel) and w.text() and w.pixmap().isNull():
            if w.wordWrap():
                if w.height() < w.heightForWidth(w.width()):
                    bad.append(f"label {w.text()[:60]!r}: {w.height()} < {w.heightForWidth(w.width())} px high")
            elif w.width() < w.sizeHint().width():
                bad.append(f"label {w.text()[:60]!r}: {w.width()} < {w.sizeHint().width()} px wide")
        elif isinstance(w, (QAbstractButton, QCheckBox)) and w.text() and not isinstance(w.parent(), QAbstractItemView):
            if w.width() < w.minimumSizeHint().width():
                bad.append(f"button {w.text()!r}: {w.width()} < {w.minimumSizeHint().width()} px wide")
        elif isinstance(w, QComboBox) and not w.isEditable() and w.count():
            if w.width() < w.minimumSizeHint().width():
                bad.append(f"combo {w.currentText()!r}: {w.width()} < {w.minimumSizeHint().width()} px wide")
    return bad


def _layout_problems(qtbot, w, demo, tmp_path) -> list[str]:
    source, base = demo
    w.merge_page.options.out.commit(str(tmp_path / "merged"))
    w.open_paths(str(source), str(base))
    wait_plan(qtbot, w)
    found = []
    for size in ("default", "minimum"):
        if size == "default":
            w.resize(1100, 760)
        else:
            w.resize(1, 1)  # Qt keeps the window at the smallest size its layout allows
        for page in (w.merge_page, w.inspect_page):
            w.tabs.setCurrentWidget(page)
            qtbot.wait(50)
            found += [f"{size}, {page.__class__.__name__}: {c}" for c in clipped(w)]
    return found


def test_layout_holds_in_english(window, qtbot, demo, tmp_path):
    assert _layout_problems(qtbot, window, demo, tmp_path) == []


def test_layout_holds_in_chinese(zh_window, qtbot, demo, tmp_path):
    assert _layout_problems(qtbot, zh_window, demo, tmp_path) == []


def test_the_layout_check_sees_a_cut_label(window, qtbot):
    """The check itself: a label squeezed below its text's width is reported; the window's minimum is real."""
    window.resize(1, 1)
    qtbot.wait(50)
    smallest = window.size()
    assert smallest.width() > 300 and smallest.height() > 300, smallest
    label = window.merge_page._labels[window.merge_page.base_picker]
    label.setFixedWidth(10)
    assert any("基础模型" in c or "Base model" in c for c in clipped(window))
