"""``mergesmith-gui --screenshot``: lay the window out with paths, render a PNG, exit."""

from __future__ import annotations

import os
import subprocess
import sys


def test_screenshot_renders_the_filled_preview(demo_inputs, tmp_path):
    source, base = demo_inputs
    png = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               QT_LOGGING_RULES="qt.qpa.*=false")
    done = subprocess.run([sys.executable, "-m", "mergesmith.gui.app", str(source), "--base", str(base),
                           "--theme", "dark", "--screenshot", str(png)],
                          capture_output=True, text=True, timeout=180, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and 10_000 < len(data) < 300_000
    from PySide6.QtGui import QImage

    image = QImage(str(png))
    assert (image.width(), image.height()) == (1100, 760)


def test_help_names_the_contract():
    from mergesmith.gui.app import build_parser

    text = build_parser().format_help()
    for flag in ("SOURCE", "--base", "--visual-encoder", "--screenshot"):
        assert flag.lower() in text.lower()
