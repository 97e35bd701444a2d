"""Two progress bars (the whole job by bytes, the current file or phase), throughput, time left."""

from __future__ import annotations

import time
from typing import Optional

from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QWidget

from mergesmith.core.progress import Progress

from .i18n import phase_word, seconds_text, size_text, translate

SCALE = 1000  # bars count in thousandths: byte counts overflow a 32-bit int



class ProgressPanel(QWidget):
    """Shows :class:`Progress` events; call :meth:`begin` when a run starts."""

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.overall = QProgressBar(self)
        self.overall.setRange(0, SCALE)
        self.overall.setAccessibleName(translate("ProgressPanel", "Overall progress"))
        self.overall.setToolTip(translate("ProgressPanel", "The whole merge, by bytes written"))
        self.file_bar = QProgressBar(self)
        self.file_bar.setRange(0, SCALE)
        self.file_bar.setAccessibleName(translate("ProgressPanel", "Current file progress"))
        self.file_bar.setToolTip(translate("ProgressPanel", "The file being written, or the current phase"))
        self.overall_label = QLabel("", self)
        self.file_label = QLabel("", self)
        for label in (self.overall_label, self.file_label):
            label.setMinimumWidth(260)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.overall, 0, 0)
        layout.addWidget(self.overall_label, 0, 1)
        layout.addWidget(self.file_bar, 1, 0)
        layout.addWidget(self.file_label, 1, 1)
        layout.setColumnStretch(0, 3)
        layout.setColumnStretch(1, 2)
        self._t0: Optional[float] = None
        self.last: Optional[Progress] = None
        self.reset()

    def _show_text(self, shown: bool) -> None:
        self.overall.setTextVisible(shown)
        self.file_bar.setTextVisible(shown)

    def begin(self) -> None:
        self._show_text(True)
        self._t0 = time.monotonic()
        self.last = None
        self.overall.setValue(0)
        self.file_bar.setValue(0)
        self.overall_label.setText(translate("ProgressPanel", "Starting\u2026"))
        self.file_label.setText("")

    def reset(self) -> None:
        self._show_text(False)
        self._t0 = None
        self.overall.setValue(0)
        self.file_bar.setValue(0)
        self.overall_label.setText(translate("ProgressPanel", "Idle"))
        self.file_label.setText("")

    def finish(self, text: str) -> None:
        self.overall.setValue(SCALE)
        self.file_bar.setValue(SCALE)
        self.overall_label.setText(text)
        self.file_label.setText("")

    def update_progress(self, p: Progress) -> None:
        self.last = p
        self.overall.setValue(int(SCALE * p.done / p.total) if p.total else 0)
        text = translate("ProgressPanel", "{0} of {1}").format(size_text(p.done), size_text(p.total))
        if self._t0 is not None and p.done:
            elapsed = max(time.monotonic() - self._t0, 1e-3)
            rate = p.done / elapsed
            text += " \u00b7 " + translate("ProgressPanel", "{0}/s").format(size_text(rate))
            if p.total > p.done and rate > 0:
                text += " \u00b7 " + translate("ProgressPanel", "about {0} left").format(
                    seconds_text((p.total - p.done) / rate, whole=True))
        self.overall_label.setText(text)
        if p.file:
            self.file_bar.setValue(int(SCALE * p.file_done / p.file_total) if p.file_total else 0)
            self.file_label.setText(f"{p.file} (" + translate("ProgressPanel", "{0} of {1}").format(
                size_text(p.file_done), size_text(p.file_total)) + ")")
        else:
            self.file_bar.setValue(SCALE if p.phase in ("done", "check", "finalize") else 0)
            self.file_label.setText(p.message or phase_word(p.phase))
