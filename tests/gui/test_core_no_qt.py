"""The core never imports Qt (style.md 6.1): import every core module in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = r"""
import importlib, pkgutil, sys
import mergesmith.core as core
names = sorted(m.name for m in pkgutil.walk_packages(core.__path__, core.__name__ + "."))
for name in names:
    importlib.import_module(name)
bad = sorted(m for m in sys.modules
             if m.split(".")[0] in ("PySide6", "shiboken6", "qasync", "PyQt5", "PyQt6", "PySide2")
             or m.startswith("mergesmith.gui"))
print(len(names), "modules;", "Qt modules loaded:", bad)
sys.exit(1 if bad or len(names) < 10 else 0)
"""


def test_no_core_module_imports_qt():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Qt modules loaded: []" in done.stdout
