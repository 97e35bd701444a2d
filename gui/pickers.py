"""Path pickers: an editable path with recent entries, a Browse button, and folder drops.

A :class:`PathPicker` emits ``pathCommitted(str)`` only for what the user does (Enter, leaving
the field after an edit, picking a recent entry, Browse, a drop); :meth:`PathPicker.setPath`
from code is silent, so the window can fill in suggestions without starting a loop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QMenu, QSizePolicy, QToolButton,
                               QWidget)

from .i18n import translate
from .icons import icon
from .settings import Settings


def dropped_path(event) -> Optional[str]:
    """The first local file or folder in a drag's data, if any."""
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile():
            return url.toLocalFile()
    return None


def _lower(title: str) -> str:
    """"Base model" -> "base model" inside a sentence (Chinese has no case: unchanged)."""
    return title[:1].lower() + title[1:]


class PathPicker(QWidget):
    """One path field. ``file_filter`` also allows choosing a file (e.g. an XTuner ``.pth``)."""

    pathCommitted = Signal(str)

    def __init__(self, kind: str, title: str, settings: Optional[Settings] = None, *,
                 tooltip: str = "", placeholder: str = "", file_filter: str = "",
                 parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.title = title
        self._settings = settings
        self._file_filter = file_filter
        self._save_filter = ""  # set: Browse asks for a new file to write (set_save_file)
        self._committed = ""
        self._suggestions: list[str] = []  # offered after the recent paths (the base: Hub ids in the caches)
        self.combo = QComboBox(self)
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.combo.setMinimumContentsLength(30)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        edit = self.combo.lineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setClearButtonEnabled(True)
        # drops go to this widget (a path), not into the text as a file:// URL
        edit.setAcceptDrops(False)
        self.combo.setAcceptDrops(False)
        self.setAcceptDrops(True)
        self.combo.setToolTip(tooltip + ("\n" + translate("PathPicker", "Drop a folder here, or type a path and "
                                                                         "press Enter.") if tooltip else ""))
        self.combo.setAccessibleName(title)
        self.button = QToolButton(self)
        self.button.setText(translate("PathPicker", "Browse\u2026"))
        self.button.setIcon(icon("folder-open"))
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.setToolTip(translate("PathPicker", "Choose the {0} in a dialog").format(_lower(title)))
        self.button.setAccessibleName(translate("PathPicker", "Browse for the {0}").format(_lower(title)))
        self.button.setMinimumWidth(130)  # the same for every picker, with or without a menu
        if file_filter:
            menu = QMenu(self.button)
            menu.addAction(icon("folder"), translate("PathPicker", "Choose a folder\u2026"), self._browse_folder)
            menu.addAction(icon("file"), translate("PathPicker", "Choose a checkpoint file\u2026"), self._browse_file)
            self.button.setMenu(menu)
            self.button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.button.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.button)
        self.setFocusProxy(self.combo)
        edit.returnPressed.connect(self._commit_text)
        edit.editingFinished.connect(self._commit_text)
        self.combo.activated.connect(lambda _i: self._commit(self.combo.currentText()))
        self._load_recent()

    # -- public API
    def path(self) -> str:
        return self.combo.currentText().strip()

    def setPath(self, path: str) -> None:
        """Show ``path`` without emitting ``pathCommitted``."""
        self._committed = str(path)
        self.combo.setEditText(str(path))

    def setSuggestions(self, items) -> None:
        """Offer ``items`` in the list too, after the recent paths."""
        self._suggestions = [str(i) for i in items]
        self._load_recent()

    def commit(self, path: str) -> None:
        """Set ``path`` as if the user had chosen it."""
        self.combo.setEditText(str(path))
        self._commit(str(path))

    def set_save_file(self, save_filter: str, title: str) -> None:
        """Browse chooses a new file to write (``save_filter``, e.g. "GGUF files (*.gguf)") instead of a
        folder; an empty filter goes back to folders. ``title`` names the field in its tooltips."""
        self._save_filter = save_filter
        self.title = title
        self.combo.setAccessibleName(title)
        self.button.setToolTip(translate("PathPicker", "Choose the {0} in a dialog").format(_lower(title)))
        self.button.setAccessibleName(translate("PathPicker", "Browse for the {0}").format(_lower(title)))

    # -- internals
    def _browse(self) -> None:
        if self._save_filter:
            self._browse_save_file()
        else:
            self._browse_folder()

    def _browse_save_file(self) -> None:
        current = self.path()
        start = str(Path(current).expanduser()) if current else self._start_dir()
        path, _ = QFileDialog.getSaveFileName(self, self._dialog_title(), start, self._save_filter)
        if path:
            self.commit(path)

    def _load_recent(self) -> None:
        if self._settings is None and not self._suggestions:
            return
        text = self.combo.currentText()
        self.combo.blockSignals(True)
        self.combo.clear()
        recent = self._settings.recent(self.kind) if self._settings is not None else []
        self.combo.addItems(recent + [s for s in self._suggestions if s not in recent])
        self.combo.setEditText(text)
        self.combo.blockSignals(False)

    def remember(self, path: str) -> None:
        """Add ``path`` to this field's recent list (done when it was used successfully)."""
        if self._settings is not None and path:
            self._settings.add_recent(self.kind, path)
            self._load_recent()

    def _commit_text(self) -> None:
        self._commit(self.combo.currentText())

    def _commit(self, text: str) -> None:
        text = text.strip()
        if text == self._committed:
            return
        self._committed = text
        self.combo.setEditText(text)
        self.pathCommitted.emit(text)

    def _start_dir(self) -> str:
        current = Path(self.path()).expanduser() if self.path() else None
        if current is not None and current.exists():
            return str(current if current.is_dir() else current.parent)
        return str(Path.home())

    def _dialog_title(self) -> str:
        return translate("PathPicker", "Choose the {0}").format(_lower(self.title))

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self._dialog_title(), self._start_dir())
        if path:
            self.commit(path)

    def _browse_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self._dialog_title(), self._start_dir(),
                                              self._file_filter)
        if path:
            self.commit(path)

    # -- drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.isEnabled() and dropped_path(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_path(event)
        if path and self.isEnabled():
            event.acceptProposedAction()
            self.commit(path)
        else:
            event.ignore()
