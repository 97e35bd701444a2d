"""The Inspect page: check any model folder without merging anything, and fix what can be fixed."""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .controller import MergeController
from .i18n import translate
from .icons import icon
from .pickers import PathPicker
from .progress_panel import ProgressPanel
from .result_view import ResultView
from .settings import Settings


class InspectPage(QWidget):
    """A folder picker, an optional base to copy missing files from, Inspect, the result."""

    def __init__(self, controller: MergeController, settings: Optional[Settings] = None,
                 parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.picker = PathPicker("inspect", translate("InspectPage", "Folder to inspect"), settings,
                                 tooltip=translate("InspectPage", "Any model folder: a merged model, a download, "
                                                   "an adapter, an XTuner output"),
                                 placeholder=translate("InspectPage", "a model folder"))
        self.base_picker = PathPicker("inspect-base", translate("InspectPage", "Base model"), settings,
                                      tooltip=translate("InspectPage", "Optional: the model this folder was made "
                                                        "from; Fix copies missing tokenizer and config files from it"),
                                      placeholder=translate("InspectPage", "optional: where Fix may copy missing "
                                                            "files from"))
        self.inspect_button = QPushButton(icon("inspect"), translate("InspectPage", "&Inspect"), self)
        self.inspect_button.setToolTip(translate("InspectPage", "Check the folder: config, tokenizer, generation "
                                                 "config, shards and index, architecture (reads headers only)"))
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        row = QHBoxLayout()
        row.addWidget(self.picker, 1)
        row.addWidget(self.inspect_button)
        label = QLabel(translate("InspectPage", "Fol&der:"), self)
        label.setBuddy(self.picker.combo)
        form.addRow(label, row)
        base_label = QLabel(translate("InspectPage", "Copy missing files f&rom:"), self)
        base_label.setBuddy(self.base_picker.combo)
        form.addRow(base_label, self.base_picker)
        self.result = ResultView(self)
        self.progress = ProgressPanel(self)
        self.cancel_button = QPushButton(icon("cancel"), translate("InspectPage", "&Cancel"), self)
        self.cancel_button.setToolTip(translate("InspectPage", "Stop the fix; nothing is left behind (Esc)"))
        self.cancel_button.clicked.connect(controller.cancel)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, controller.cancel,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        running = QHBoxLayout()
        running.addWidget(self.progress, 1)
        running.addWidget(self.cancel_button)
        self._running = QWidget(self)
        self._running.setLayout(running)
        running.setContentsMargins(0, 0, 0, 0)
        self._running.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.result, 1)
        layout.addWidget(self._running)
        self.picker.pathCommitted.connect(self._inspect)
        self.base_picker.pathCommitted.connect(lambda _p: self._inspect(self.picker.path()))
        self.inspect_button.clicked.connect(lambda: self._inspect(self.picker.path()))
        self.result.fixRequested.connect(self._fix)
        controller.inspected.connect(self._on_inspected)
        controller.stateChanged.connect(self._update_state)
        controller.started.connect(self._on_started)
        controller.progressed.connect(self._on_progressed)

    def _inspect(self, path: str) -> None:
        if path:
            self.controller.inspect(path, "inspect", self.base_picker.path())

    def _fix(self, folder: str) -> None:
        self.controller.fix(folder, "inspect", self.base_picker.path())

    def _mine(self) -> bool:
        return self.controller.running_for == "inspect"

    def _on_started(self) -> None:
        if self._mine():
            self._running.show()
            self.progress.begin()

    def _on_progressed(self, progress) -> None:
        if self._mine() and self.controller.fixing:
            self.progress.update_progress(progress)

    def _on_inspected(self, target: str, report, fixes) -> None:
        if target == "inspect":
            self.picker.remember(str(report.path))
            self.picker.setPath(str(report.path))
            self.result.show_report(report.path, report, fixes)

    def _update_state(self) -> None:
        busy = self.controller.busy
        self.inspect_button.setEnabled(not busy)
        self.picker.setEnabled(not busy)
        self.base_picker.setEnabled(not busy)
        self.result.fix_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        if not (busy and self._mine()):
            self._running.hide()
