"""``mergesmith-gui [SOURCE] [--base DIR] [--visual-encoder DIR] [--screenshot FILE]``.

Starts the Qt application on a qasync event loop (``asyncio.run(..., loop_factory=...)`` on
Python 3.12 and later, ``qasync.run`` on 3.11, where ``loop_factory`` does not exist; style.md
4.1). With ``--screenshot`` the window is laid out with the given paths, the preview filled in,
rendered to a PNG and the program exits (offscreen unless a platform is set), which keeps the
README's screenshots current. ``--demo`` opens the built-in demo.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import traceback
from pathlib import Path
from typing import Optional, Sequence

from mergesmith.core import __version__

SCREENSHOT_SIZE = (1100, 760)
SCREENSHOT_TIMEOUT_S = 120.0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mergesmith-gui",
        description="Mergesmith's window: merge a training output into its base model, and inspect folders.")
    p.add_argument("source", metavar="SOURCE", nargs="?", help="the training output (work_dir, .pth, converted folder, adapter)")
    p.add_argument("--base", metavar="DIR", help="the base model folder")
    p.add_argument("--visual-encoder", metavar="DIR", help="the visual encoder folder (LLaVA runs)")
    p.add_argument("--demo", nargs="?", const="lora", choices=["lora", "llava"],
                   help="open the built-in demo (made on the spot): a LoRA run (default) or a LLaVA run")
    p.add_argument("--inspect", metavar="DIR", help="open the Inspect page on DIR")
    p.add_argument("--theme", choices=("auto", "light", "dark"), help="colour theme (default: remembered, else auto)")
    p.add_argument("--language", choices=("auto", "en", "zh_CN"),
                   help="language of the window (default: remembered under View > Language, else the system's)")
    p.add_argument("--screenshot", metavar="FILE", help="render the window to FILE (PNG) and exit")
    p.add_argument("--version", action="version", version=f"mergesmith-gui {__version__}")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from .display import no_display_message

    if no_display_message():  # Qt would abort (exit 134) blaming a library; say what is wrong instead
        print(no_display_message(), file=sys.stderr)
        return 2
    os.environ.setdefault("QT_API", "pyside6")  # qasync must bind PySide6 (style.md 4.2)
    from PySide6.QtWidgets import QApplication

    import qasync

    from .i18n import chosen_language, install_language
    from .icons import app_icon
    from .main_window import MainWindow
    from .settings import Settings
    from .theme import apply_theme

    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        _quiet_offscreen_messages()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("Mergesmith")
    app.setOrganizationName("Mergesmith")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("mergesmith")
    app.setWindowIcon(app_icon())
    settings = Settings()
    install_language(app, chosen_language(args.language or settings.value("language", "auto")))
    apply_theme(app, args.theme or str(settings.value("theme", "auto")))
    window = MainWindow(settings)
    _install_excepthook(window)

    async def amain() -> int:
        closed = asyncio.Event()
        app.aboutToQuit.connect(closed.set)
        if args.screenshot:
            return await _screenshot(window, args)
        _after_first_frame(window)
        window.show()
        _open_from_args(window, args)
        await closed.wait()
        return 0

    try:
        if sys.version_info >= (3, 12):
            return asyncio.run(amain(), loop_factory=qasync.QEventLoop)
        return qasync.run(amain())
    finally:
        window.shutdown()


def _after_first_frame(window) -> None:
    """torch and transformers are imported in the background once the window is on screen."""
    from .first_frame import FirstFrame, StartupProbe, probe_requested

    frame = FirstFrame(window)
    frame.painted.connect(lambda: window.controller.warm_up())
    if probe_requested():  # bench/bench_startup.py: print when the frame came and the warm-up ended
        frame.painted.connect(StartupProbe(window).first_frame)


def _open_from_args(window, args) -> None:
    if args.inspect:
        window.tabs.setCurrentWidget(window.inspect_page)
        window.inspect_page.picker.commit(args.inspect)
    if args.demo == "llava":
        window.start_llava_demo()
    elif args.demo:
        window.start_demo()
    elif args.source or args.base or args.visual_encoder:
        window.open_paths(args.source or "", args.base or "", args.visual_encoder or "")


async def _screenshot(window, args) -> int:
    """Lay the window out with the arguments, wait for the preview, save a PNG."""
    window.resize(*SCREENSHOT_SIZE)
    window.controller.warm_ups = False
    window.show()
    _open_from_args(window, args)
    controller = window.controller
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SCREENSHOT_TIMEOUT_S
    await asyncio.sleep(0.3)
    while not controller.is_idle and loop.time() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.2)  # let the views lay out what just arrived
    out = Path(args.screenshot)
    out.parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(str(out), "PNG")
    print(f"{'Saved' if ok else 'Could not save'} {out}", file=sys.stderr)
    window.close()
    return 0 if ok else 1


def _quiet_offscreen_messages() -> None:
    """The offscreen platform says "does not support propagateSizeHints()" for every window."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(_mode, _context, message: str) -> None:
        if "propagateSizeHints" not in message:
            sys.stderr.write(message + "\n")

    qInstallMessageHandler(handler)


def _install_excepthook(window) -> None:
    """Bugs that escape a slot: a sentence in the window, the traceback in the log."""
    from .controller import ERROR, internal_error_text

    def hook(exc_type, exc, tb) -> None:
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        try:
            window.log.append("error", text)
            window.banner.show_message(ERROR, internal_error_text(exc))
        except RuntimeError:  # the window is gone
            pass
        sys.__stderr__.write(text)

    sys.excepthook = hook


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
