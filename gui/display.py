"""Is there a display to open the window on? Asked before Qt is imported, so that a machine
without one gets a sentence and exit status 2 instead of Qt's abort (which blames xcb-cursor0).

Linux and the other X11/Wayland systems need ``DISPLAY`` or ``WAYLAND_DISPLAY``, unless
``QT_QPA_PLATFORM`` names a platform that needs neither (offscreen, minimal, vnc, eglfs, ...).
Windows and macOS always have one.
"""

from __future__ import annotations

import os
import sys
from typing import Mapping, Optional

# Qt platform plugins that draw without a window system (QT_QPA_PLATFORM may list several,
# separated by ';', each with ':options'; the first that loads is used).
HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal", "minimalegl", "vnc", "eglfs", "linuxfb",
                                "vkkhrdisplay", "directfb"})

NO_DISPLAY = ("mergesmith-gui: there is no display to open the window on (DISPLAY and WAYLAND_DISPLAY "
              "are not set); run it in a desktop session, or use `mergesmith-gui --screenshot FILE` "
              "for a picture of the window, or the `mergesmith` command line (`mergesmith demo` to try it).")


def no_display_message(environ: Optional[Mapping[str, str]] = None, platform: str = sys.platform) -> Optional[str]:
    """The sentence to print when the window cannot be shown here, else None."""
    env = os.environ if environ is None else environ
    if platform.startswith(("win", "darwin", "cygwin")):
        return None
    wanted = [p.split(":", 1)[0].strip() for p in env.get("QT_QPA_PLATFORM", "").split(";")]
    if any(p in HEADLESS_PLATFORMS for p in wanted):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return NO_DISPLAY
