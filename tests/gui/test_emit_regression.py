"""PySide6 6.12.0 on Python 3.11 aborts after some thousands of Signal.emit() calls once torch is
imported ("Fatal Python error: bool_dealloc", style.md section 0). Our pin must not: emit 20,000
signals in a fresh process that imported torch, and expect a clean exit."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = r"""
import torch  # the crash needs torch loaded
from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot
import PySide6

class Emitter(QObject):
    ping = Signal(int)
    flag = Signal(bool)

class Receiver(QObject):
    def __init__(self):
        super().__init__()
        self.count = 0

    @Slot(int)
    def on_ping(self, n):
        self.count += 1

    @Slot(bool)
    def on_flag(self, b):
        self.count += 1

app = QCoreApplication([])
e, r = Emitter(), Receiver()
e.ping.connect(r.on_ping)
e.flag.connect(r.on_flag)
for i in range(10_000):
    e.ping.emit(i)
    e.flag.emit(bool(i & 1))
assert r.count == 20_000, r.count
print("ok", PySide6.__version__, r.count)
"""


def test_twenty_thousand_emits_after_importing_torch():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr[-2000:]}"
    assert done.stdout.startswith("ok")
