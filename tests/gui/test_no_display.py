"""`mergesmith-gui` (and `make run`) on a machine without a display: one sentence, exit status 2,
never Qt's abort (exit 134, blaming xcb-cursor0)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mergesmith.gui.display import no_display_message

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY/WAYLAND_DISPLAY are Linux's")


def _headless_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(extra)
    return env


@pytest.mark.parametrize("platform", [None, "xcb", "wayland;xcb"])
def test_no_display_is_a_sentence_and_status_2(platform):
    env = _headless_env(**({"QT_QPA_PLATFORM": platform} if platform else {}))
    done = subprocess.run([sys.executable, "-m", "mergesmith.gui.app"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for words in ("no display", "desktop session", "--screenshot FILE", "`mergesmith` command line"):
        assert words in lines[0]
    assert "xcb-cursor" not in done.stderr and "Traceback" not in done.stderr and done.stdout == ""


def test_screenshot_needs_no_display(tmp_path):
    """--screenshot renders offscreen: it runs where there is no display."""
    out = tmp_path / "shot.png"
    done = subprocess.run([sys.executable, "-m", "mergesmith.gui.app", "--screenshot", str(out)],
                          env=_headless_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("env, shown", [
    ({}, False),
    ({"DISPLAY": ":0"}, True),
    ({"WAYLAND_DISPLAY": "wayland-0"}, True),
    ({"QT_QPA_PLATFORM": "offscreen"}, True),
    ({"QT_QPA_PLATFORM": "minimal"}, True),
    ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, True),
    ({"QT_QPA_PLATFORM": "xcb;offscreen"}, True),
    ({"QT_QPA_PLATFORM": "xcb"}, False),
    ({"DISPLAY": ""}, False),
])
def test_which_environments_can_show_the_window(env, shown):
    assert (no_display_message(env, "linux") is None) is shown
    assert no_display_message(env, "win32") is None and no_display_message(env, "darwin") is None
