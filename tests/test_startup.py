"""The start-up budget (issue 14): what a fresh process imports before it answers.

``mergesmith --help``, ``mergesmith inspect DIR`` on a model folder and the window up to its first
frame must not import torch, transformers, peft or huggingface_hub (together 1-3 s): headers and
JSON need none of them, and the window imports them in the background after its first frame.
Each case runs in a fresh interpreter and lists the heavy modules found in ``sys.modules``;
a failure names the module, so ``python -X importtime`` (or the chain below) finds who imports it.
bench/bench_startup.py measures the times themselves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("torch", "transformers", "peft", "huggingface_hub")
SPECIMENS = Path(__file__).resolve().parent / "specimens"

# Runs the command line in this interpreter, then prints which heavy modules it imported.
CLI_CHILD = """
import json, sys
from mergesmith.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:  # --help
    code = exc.code
sys.stdout.flush()
print(json.dumps({"code": code, "heavy": [m for m in %r if m in sys.modules]}), file=sys.stderr)
""" % (HEAVY,)

# Builds the window as the app does, shows it and waits for its first frame (offscreen).
GUI_CHILD = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import mergesmith.gui.app  # noqa: F401 - the entry point's own imports
from mergesmith.gui.first_frame import FirstFrame
from mergesmith.gui.main_window import MainWindow
from mergesmith.gui.settings import Settings

app = QApplication([])
window = MainWindow(Settings.at(sys.argv[1]))
frames = []
FirstFrame(window).painted.connect(lambda: (frames.append(1), app.quit()))
QTimer.singleShot(60000, app.quit)
window.show()
app.exec()
print(json.dumps({"frames": len(frames), "heavy": [m for m in %r if m in sys.modules]}), file=sys.stderr)
window.close()
""" % (HEAVY,)


def _child(code: str, *args, env=None) -> dict:
    proc = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stderr.strip().splitlines()[-1])


def _offscreen() -> dict:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_LOGGING_RULES": "*.debug=false;qt.qpa.*=false"}


def test_help_imports_no_heavy_library():
    found = _child(CLI_CHILD, "--help")
    assert found["code"] == 0
    assert found["heavy"] == [], f"`mergesmith --help` imported {found['heavy']}"


@pytest.mark.parametrize("folder", [
    SPECIMENS / "qwen2_qlora_workdir" / "models" / "Qwen1.5-0.5B-Chat-tiny",  # a model made by transformers
    SPECIMENS / "qwen2_qlora_workdir" / "ref_merged",                         # XTuner's merge of it
    SPECIMENS / "qwen2_qlora_workdir" / "ref_hf",                             # XTuner's converted adapter
], ids=["model", "merged", "converted-adapter"])
def test_inspect_imports_no_heavy_library(folder):
    found = _child(CLI_CHILD, "inspect", folder)
    assert found["code"] in (0, 1)
    assert found["heavy"] == [], f"`mergesmith inspect {folder.name}` imported {found['heavy']}"


def test_inspect_of_fixture_models_imports_no_heavy_library(model_cache, tmp_path):
    """Tiny models made by transformers (one file, and sharded with an index) and a PEFT adapter."""
    from fixtures.adapters import make_adapter

    base = model_cache()
    adapter = make_adapter(base, tmp_path / "adapter")
    for folder in (base, model_cache(sharded=True), adapter):
        found = _child(CLI_CHILD, "inspect", folder)
        assert found["code"] == 0
        assert found["heavy"] == [], f"`mergesmith inspect {folder.name}` imported {found['heavy']}"


def test_inspect_full_still_uses_transformers(model_cache):
    """--full is where the checks that need transformers went: they still run there."""
    found = _child(CLI_CHILD, "inspect", "--full", model_cache())
    assert found["code"] == 0
    assert "transformers" in found["heavy"]


def test_window_first_frame_imports_no_heavy_library(tmp_path):
    found = _child(GUI_CHILD, tmp_path / "settings.ini", env=_offscreen())
    assert found["frames"] == 1
    assert found["heavy"] == [], f"the window imported {found['heavy']} before its first frame"


def test_startup_probe_reports_first_frame_then_warm_imports(tmp_path):
    """MERGESMITH_STARTUP_PROBE (the benchmark's hook): the first frame, then the background
    imports ending, in that order, and the app quits by itself."""
    env = {**_offscreen(), "MERGESMITH_STARTUP_PROBE": "1", "XDG_CONFIG_HOME": str(tmp_path),
           "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "mergesmith.gui.app"], capture_output=True, text=True,
                          timeout=180, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [line.split() for line in proc.stdout.splitlines() if line.startswith(("first-frame", "warm"))]
    assert [words[0] for words in lines] == ["first-frame", "warm"], proc.stdout
    first, warm = float(lines[0][1]), float(lines[1][1])
    assert warm >= first
    assert int(lines[1][3]) >= 0  # the longest stall of the event loop, in ms
