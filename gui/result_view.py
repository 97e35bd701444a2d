"""A checked folder: its files with a status each, the problems with their fixes, and actions.

Used after a merge (the output folder) and by the Inspect page (any folder).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import QT_TRANSLATE_NOOP, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget)
from PySide6.QtCore import Qt

from .i18n import kind_title, translate
from .icons import icon
from .problem_list import ProblemList
from .results import result_tree, summary_line
from .tree_model import NodeTreeModel, node_tree_view


class ResultView(QWidget):
    """Shows a Report over its folder; emits ``fixRequested(folder)``."""

    fixRequested = Signal(str)
    verifyRequested = Signal()

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.folder: Optional[Path] = None
        self.report = None
        self.summary = QLabel(translate("ResultView", "Nothing checked yet."), self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model = NodeTreeModel(parent=self, headers=(QT_TRANSLATE_NOOP("TreeModel", "File"), QT_TRANSLATE_NOOP("TreeModel", "Status"),
                                                                QT_TRANSLATE_NOOP("TreeModel", "Size")))
        self.tree = node_tree_view(self, self.model, translate("ResultView", "Files of the checked folder"),
                                   translate("ResultView", "Every file of the folder, with what the check found "
                                                           "about it"), 280)
        self.problems = ProblemList(self)
        self.problems.hide()
        self.fix_button = QPushButton(icon("fix"), translate("ResultView", "Fi&x"), self)
        self.fix_button.setToolTip(translate("ResultView", "Repair what can be repaired (missing tokenizer or "
                                                      "generation config, index, pickle weights), into a new folder"))
        self.fix_button.clicked.connect(self._on_fix_clicked)
        self.verify_button = QPushButton(icon("inspect"), translate("ResultView", "Verif&y"), self)
        self.verify_button.setToolTip(translate("ResultView", "Recompute every merged tensor from the training "
                                                         "output and the base, and compare it with what was written"))
        self.verify_button.clicked.connect(self.verifyRequested)
        self.verify_button.hide()
        self.open_button = QPushButton(icon("open-external"), translate("ResultView", "Open in file mana&ger"), self)
        self.open_button.setToolTip(translate("ResultView", "Show the folder in the file manager"))
        self.open_button.clicked.connect(self.open_folder)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.verify_button)
        buttons.addWidget(self.fix_button)
        buttons.addWidget(self.open_button)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.tree)
        split.addWidget(self.problems)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(split, 1)
        self.clear()

    def clear(self) -> None:
        self.folder, self.report, self.fixes = None, None, None
        self.model.set_root(None)
        self.problems.set_problems([])
        self.summary.setText(translate("ResultView", "Nothing checked yet."))
        self.fix_button.hide()
        self.open_button.setEnabled(False)

    def show_report(self, folder, report, fixes=None) -> None:
        """Show ``report`` on ``folder``; ``fixes`` (a core FixPlan) enables the Fix button."""
        self.folder, self.report, self.fixes = Path(folder), report, fixes
        self.model.set_root(result_tree(folder, report.problems))
        self.tree.expandToDepth(0)
        self.problems.set_problems(report.problems, fixes)
        kind = f" ({kind_title(report.kind)})" if getattr(report, "kind", "") else ""
        self.summary.setText(translate("ResultView", "{0}{1}: {2}").format(folder, kind, summary_line(report)))
        notes = getattr(report, "notes", None) or []
        self.summary.setToolTip("\n".join(notes))
        actions = list(getattr(fixes, "actions", []) or [])
        self.fix_button.setVisible(bool(actions))
        self.fix_button.setToolTip(translate("ResultView", "Write a repaired copy beside this folder (this one "
                                                           "is not changed):") + "\n"
                                   + "\n".join(f"\u2022 {a.title}" for a in actions))
        self.open_button.setEnabled(True)

    def open_folder(self) -> bool:
        if self.folder is None:
            return False
        folder = self.folder if not self.folder.is_file() else self.folder.parent  # a .gguf: where it is
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def _on_fix_clicked(self) -> None:
        if self.folder is not None:
            self.fixRequested.emit(str(self.folder))
