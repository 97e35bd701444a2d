"""The Inspect page: check any model folder without merging anything."""

from __future__ import annotations

from typing import Optional

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .controller import MergeController
from .icons import icon
from .pickers import PathPicker
from .result_view import ResultView
from .settings import Settings


class InspectPage(QWidget):
    """A folder picker, an Inspect button and the result."""

    def __init__(self, controller: MergeController, settings: Optional[Settings] = None,
                 parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.picker = PathPicker("inspect", "Folder to inspect", settings,
                                 tooltip="Any model folder: a merged model, a download, an adapter",
                                 placeholder="a model folder")
        label = QLabel("F&older:", self)
        label.setBuddy(self.picker.combo)
        self.inspect_button = QPushButton(icon("inspect"), "&Inspect", self)
        self.inspect_button.setToolTip("Check the folder: config, tokenizer, generation config, "
                                       "shards and index (reads headers only)")
        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(self.picker, 1)
        row.addWidget(self.inspect_button)
        self.result = ResultView(self)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.result, 1)
        self.picker.pathCommitted.connect(self._inspect)
        self.inspect_button.clicked.connect(lambda: self._inspect(self.picker.path()))
        self.result.fixRequested.connect(lambda folder: controller.fix(folder, "inspect"))
        controller.inspected.connect(self._on_inspected)
        controller.stateChanged.connect(self._update_state)

    def _inspect(self, path: str) -> None:
        self.controller.inspect(path, "inspect")

    def _on_inspected(self, target: str, report) -> None:
        if target == "inspect":
            self.picker.remember(str(report.path))
            self.result.show_report(report.path, report)

    def _update_state(self) -> None:
        busy = self.controller.busy
        self.inspect_button.setEnabled(not busy)
        self.picker.setEnabled(not busy)
        self.result.fix_button.setEnabled(not self.controller.job.is_busy)
