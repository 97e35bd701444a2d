"""The sentence in the window: what just happened, or what to do next, with a severity icon.

Errors are shown here, in words, never in a traceback dialog; the log panel has the details.
"""

from __future__ import annotations

from typing import Callable, Optional

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from .i18n import translate
from .icons import icon

TINTS = {"error": "#d64541", "warning": "#e8a317", "ok": "#2e9d4f", "info": "#3b7dd8"}
ICONS = {"error": "error", "warning": "warning", "ok": "ok", "info": "info"}


class Banner(QFrame):
    """An icon, a sentence (selectable, wrapped) and an optional action button."""

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.severity = "info"
        self.icon = QLabel(self)
        self.icon.setFixedSize(22, 22)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.text.setAccessibleName(translate("Banner", "Status message"))
        self.action = QPushButton(self)
        self.action.hide()
        self._callback: Optional[Callable[[], None]] = None
        self.action.clicked.connect(self._on_action_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.action, 0, Qt.AlignmentFlag.AlignVCenter)
        self.show_message("info", "")

    def show_message(self, severity: str, text: str, action: str = "",
                     callback: Optional[Callable[[], None]] = None, action_icon: str = "",
                     action_tip: str = "") -> None:
        """Show ``text``; ``action``/``callback`` add a button (e.g. "Try the demo")."""
        self.severity = severity if severity in TINTS else "info"
        self.text.setText(text)
        self.setToolTip(text)
        pm = icon(ICONS[self.severity]).pixmap(20, 20)
        self.icon.setPixmap(pm)
        self._callback = callback
        self.action.setVisible(bool(action and callback))
        self.action.setText(action)
        self.action.setToolTip(action_tip or action.replace("&", ""))
        if action_icon:
            self.action.setIcon(icon(action_icon))
        self.setVisible(bool(text))
        self._restyle()

    def _restyle(self) -> None:
        # the application's palette, not ours: our style sheet changes our own palette
        base = QApplication.palette().color(QPalette.ColorRole.Window)
        tint = QColor(TINTS[self.severity])
        dark = base.lightness() < 128
        mix = 0.22 if dark else 0.13
        bg = QColor(int(base.red() * (1 - mix) + tint.red() * mix),
                    int(base.green() * (1 - mix) + tint.green() * mix),
                    int(base.blue() * (1 - mix) + tint.blue() * mix))
        sheet = (f"QFrame#banner {{ background: {bg.name()}; border: 1px solid {tint.name()};"
                 " border-radius: 6px; }")
        if sheet != self.styleSheet():
            self.setStyleSheet(sheet)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange:
            self._restyle()

    def _on_action_clicked(self) -> None:
        if self._callback is not None:
            self._callback()
