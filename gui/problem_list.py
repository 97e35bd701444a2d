"""A list of problems (code, severity, file, sentence), worst first, each with its icon."""

from __future__ import annotations

from typing import Iterable, Optional

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from mergesmith.core.problems import ERROR, INFO, WARNING, sort_problems

from .i18n import severity_word, translate
from .icons import status_icon
from .problem_text import problem_title, window_words
from .results import problem_text



def needs_base_text() -> str:
    """The window's words for FixPlan.wants_base(p): the CLI says --from-base, the window has a picker."""
    return translate("ProblemList", "needs a model to copy the files from: choose it under \u201cCopy missing "
                                    "files from\u201d, then Fix")


class ProblemList(QListWidget):
    """Problems in words; the code and file are in the tooltip and the accessible text."""

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.setAccessibleName(translate("ProblemList", "Problems"))
        self.setSelectionMode(QListWidget.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        # lay the wrapped items out again when the width changes (else their text is cut off)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setSpacing(2)
        self.problems: list = []

    def set_problems(self, problems: Iterable, fixes=None) -> None:
        """Show ``problems``; with a fix plan, each says what Fix would do about it (or why not)."""
        self.clear()
        self.problems = sort_problems(list(problems))
        unfixed = {id(p): why for p, why in getattr(fixes, "unfixed", [])}
        for p in self.problems:
            where = f" ({p.file})" if p.file else ""
            text = f"{problem_title(p)}{where}\n{problem_text(p)}"
            if fixes is not None:
                action = fixes.action_for(p)
                if action is not None:
                    text += "\n\u2192 " + translate("ProblemList", "Fix: {0}").format(action.title)
                elif id(p) in unfixed:
                    why = needs_base_text() if fixes.wants_base(p) else window_words(unfixed[id(p)])
                    text += "\n\u2192 " + translate("ProblemList", "No automatic fix: {0}").format(why)
            item = QListWidgetItem(status_icon(p.severity), text)
            word = severity_word(p.severity)
            item.setToolTip(f"{word} [{p.code}] {p.file}\n{text}")
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{word}: {text}")
            item.setData(Qt.ItemDataRole.UserRole, p)
            self.addItem(item)
        self.setVisible(bool(self.problems))
