"""Screenshots of the main pages in one language: the demo's preview, a finished merge, a broken folder.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshots.py zh_CN docs/img

Writes ``LANG-preview.png``, ``LANG-merged.png`` and ``LANG-inspect-broken.png`` at the window's
default size. The inputs are the built-in demo, made in a temporary folder that is removed after;
the broken folder is the demo's base model without its tokenizer and generation config. A CJK
font (Debian: fonts-noto-cjk) must be installed for Chinese, or the pictures show boxes.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

SIZE = (1100, 760)


async def _until(test, timeout: float = 120.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not test():
        if loop.time() > deadline:
            raise TimeoutError("the window did not get there in time")
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.4)  # let the views lay out what just arrived


async def shoot(window, language: str, out: Path, work: Path) -> list[Path]:
    c = window.controller
    window.resize(*SIZE)
    window.show()
    window.demo_root = str(work / "demo")
    window.start_demo()
    await _until(lambda: c.plan is not None and c.is_idle)
    files = [out / f"{language}-preview.png"]
    window.grab().save(str(files[-1]))
    c.start()
    await _until(lambda: c.result is not None and c.is_idle and not c.busy)
    files.append(out / f"{language}-merged.png")
    window.grab().save(str(files[-1]))
    broken = work / "broken-model"
    shutil.copytree(work / "demo" / "base-model", broken)
    for name in ("generation_config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        (broken / name).unlink(missing_ok=True)
    window.tabs.setCurrentWidget(window.inspect_page)
    c.report = None
    window.inspect_page.picker.commit(str(broken))
    await _until(lambda: c.report is not None and c.is_idle)
    files.append(out / f"{language}-inspect-broken.png")
    window.grab().save(str(files[-1]))
    return files


def main(argv: list[str]) -> int:
    language, out = argv[0], Path(argv[1])
    from PySide6.QtWidgets import QApplication

    import qasync

    from mergesmith.gui.i18n import install_language
    from mergesmith.gui.main_window import MainWindow
    from mergesmith.gui.settings import Settings
    from mergesmith.gui.theme import apply_theme

    app = QApplication.instance() or QApplication([sys.argv[0]])
    install_language(app, language)
    apply_theme(app, "light")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mergesmith-shots-") as tmp:
        window = MainWindow(Settings.at(str(Path(tmp) / "settings.ini")))
        window.controller.warm_ups = False
        try:
            files = qasync.run(shoot(window, language, out, Path(tmp)))
        finally:
            window.shutdown()
    print("\n".join(map(str, files)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
