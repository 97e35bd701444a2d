"""The log: every step and every error in full (tracebacks of bugs included), newest last."""

from __future__ import annotations

import time
from typing import Optional

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

from .i18n import translate
from .icons import icon

MAX_LINES = 5000


class LogPanel(QWidget):
    """A read-only, monospaced log (its context menu can clear it)."""

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.view = QPlainTextEdit(self)
        self.view.setReadOnly(True)
        self.view.setMaximumBlockCount(MAX_LINES)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.view.setAccessibleName(translate("LogPanel", "Log"))
        self.view.setToolTip(translate("LogPanel", "What Mergesmith did, with the details of any error"))
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)  # sentences, not columns
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._on_view_context_menu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 4)
        layout.addWidget(self.view, 1)

    def append(self, level: str, text: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        tag = {"error": translate("LogPanel", "ERROR "), "warning": translate("LogPanel", "WARN  ")}.get(level, "")
        lines = str(text).rstrip("\n").splitlines() or [""]
        block = f"{stamp}  {tag}{lines[0]}" + "".join(f"\n          {line}" for line in lines[1:])
        self.view.appendPlainText(block)
        self.view.moveCursor(QTextCursor.MoveOperation.End)

    def _on_view_context_menu(self, pos) -> None:
        menu = self.view.createStandardContextMenu()
        menu.addSeparator()
        menu.addAction(icon("cancel"), translate("LogPanel", "Clear the log"), self.view.clear)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.view.mapToGlobal(pos))

    def text(self) -> str:
        return self.view.toPlainText()
