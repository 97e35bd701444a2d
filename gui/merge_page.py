"""The Merge page: choose inputs, see the preview, start, watch progress, see the result.

Widgets only: every decision is the controller's (and through it, the core's). The page turns
user actions into controller calls and controller signals into what is shown.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QFormLayout, QHBoxLayout, QLabel, QPushButton, QSplitter,
                               QTabWidget, QVBoxLayout, QWidget)

from . import corecalls
from .controller import MergeController
from .download import BaseDownloader
from .i18n import translate
from .icons import icon
from .options import OptionsPanel
from .pickers import PathPicker
from .preview import preview_tree
from .problem_list import ProblemList
from .progress_panel import ProgressPanel
from .result_view import ResultView
from .settings import Settings
from .tree_model import NodeTreeModel, node_tree_view

PTH_FILTER = QT_TRANSLATE_NOOP("MergePage", "XTuner checkpoints (*.pth);;All files (*)")


class MergePage(QWidget):
    """Inputs, options, preview, progress and result of one merge."""

    def __init__(self, controller: MergeController, settings: Optional[Settings] = None,
                 parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._out_auto = True  # the output folder follows the training output until edited

        self.source_picker = PathPicker(
            "source", translate("MergePage", "Training output"), settings,
            file_filter=translate("MergePage", PTH_FILTER),
            tooltip=translate("MergePage", "An XTuner work_dir, an iter_N.pth checkpoint or DeepSpeed folder, "
                              "XTuner's converted folder, or a PEFT adapter folder"),
            placeholder=translate("MergePage", "work_dir, iter_N.pth, converted folder or adapter folder"))
        self.base_picker = PathPicker(
            "base", translate("MergePage", "Base model"), settings,
            tooltip=translate("MergePage", "The full model the adapter was trained on: a folder with config.json, "
                              "or a Hub id (ORG/NAME) found in the local Hugging Face or ModelScope cache"),
            placeholder=translate("MergePage", "the model folder the training started from, or its Hub id"))
        self.base_picker.setSuggestions(corecalls.cached_hub_ids())
        self.visual_picker = PathPicker(
            "visual-encoder", translate("MergePage", "Visual encoder"), settings,
            tooltip=translate("MergePage", "The visual encoder of a LLaVA run (e.g. a CLIP model folder)"),
            placeholder=translate("MergePage", "the CLIP folder the LLaVA run used"))
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._labels = {}
        for text, picker in ((translate("MergePage", "&Training output:"), self.source_picker),
                             (translate("MergePage", "&Base model:"), self.base_picker),
                             (translate("MergePage", "Visual &encoder:"), self.visual_picker)):
            label = QLabel(text, self)
            label.setBuddy(picker.combo)
            form.addRow(label, picker)
            self._labels[picker] = label
        self._show_visual(False)
        self.downloader = BaseDownloader(controller, self)
        self.download_button = QPushButton(icon("folder"), self.downloader.button_text, self)
        self.download_button.setToolTip(translate("MergePage", "The base model is not on this machine: ask the "
                                                  "Hugging Face Hub for its size, then download it into the "
                                                  "Hugging Face cache"))
        form.insertRow(2, "", self.download_button)
        self.download_button.hide()

        self.options = OptionsPanel(settings, self)

        self.preview_model = NodeTreeModel(parent=self)
        self.preview = node_tree_view(self, self.preview_model, translate("MergePage", "Preview"),
                                      translate("MergePage", "What was found, and what the merge will write"), 300)
        self.problems = ProblemList(self)
        self.problems.hide()
        preview_split = QSplitter(Qt.Orientation.Vertical, self)
        preview_split.addWidget(self.preview)
        preview_split.addWidget(self.problems)
        preview_split.setStretchFactor(0, 3)
        preview_split.setStretchFactor(1, 1)
        preview_split.setChildrenCollapsible(False)
        self.result = ResultView(self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(preview_split, icon("inspect"), translate("MergePage", "&Preview"))
        self.tabs.addTab(self.result, icon("folder"), translate("MergePage", "Res&ult"))
        self.tabs.setTabToolTip(0, translate("MergePage", "What was detected and what the merge will write"))
        self.tabs.setTabToolTip(1, translate("MergePage", "The merged folder, checked"))

        self.progress = ProgressPanel(self)
        self.start_button = QPushButton(icon("start"), translate("MergePage", "&Start merge"), self)
        self.start_button.setToolTip(translate("MergePage", "Merge into the output folder (Ctrl+Enter)"))
        self.cancel_button = QPushButton(icon("cancel"), translate("MergePage", "&Cancel"), self)
        self.cancel_button.setToolTip(translate("MergePage", "Stop the merge; nothing is left behind (Esc)"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.options)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)

        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(seq), self, self._on_start_clicked,
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, controller.cancel,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

        self.source_picker.pathCommitted.connect(controller.set_source)
        self.base_picker.pathCommitted.connect(controller.set_base)
        self.visual_picker.pathCommitted.connect(controller.set_visual_encoder)
        self.options.out.pathCommitted.connect(self._on_out_committed)
        self.options.changed.connect(self._push_options)
        self.start_button.clicked.connect(self._on_start_clicked)
        self.download_button.clicked.connect(self.downloader.click)
        self.downloader.changed.connect(self._update_state)
        self.downloader.started.connect(self.progress.begin)
        self.downloader.finished.connect(self._finish)
        self.cancel_button.clicked.connect(controller.cancel)
        self.result.fixRequested.connect(lambda folder: controller.fix(folder, "merge", controller.base_path))
        self.result.verifyRequested.connect(controller.verify)
        controller.verified.connect(lambda _r: self._finish(translate("MergePage", "Verified.")))

        controller.sourceChanged.connect(self._on_source_changed)
        controller.planChanged.connect(self._on_plan_changed)
        controller.sourceSuggested.connect(self.source_picker.setPath)
        controller.baseSuggested.connect(self.base_picker.setPath)
        controller.visualEncoderSuggested.connect(self.visual_picker.setPath)
        controller.outputSuggested.connect(self._on_output_suggested)
        controller.stateChanged.connect(self._update_state)
        controller.started.connect(self._on_started)
        controller.progressed.connect(self._on_progressed)
        controller.merged.connect(self._on_merged)
        controller.cancelled.connect(lambda: self._finish(translate("MergePage", "Cancelled; nothing was written.")))
        controller.failed.connect(lambda _text: self._finish(translate("MergePage", "Failed; nothing was written.")))
        controller.inspected.connect(self._on_inspected)
        self._push_options()
        self._update_state()

    # -- user actions
    def _on_start_clicked(self) -> None:
        if self.controller.start():
            self.source_picker.remember(self.source_picker.path())
            self.base_picker.remember(self.base_picker.path())
            self.visual_picker.remember(self.visual_picker.path())

    def _on_out_committed(self, path: str) -> None:
        self._out_auto = not path

    def _push_options(self) -> None:
        self.controller.set_options(**self.options.values())

    # -- controller signals
    def _on_source_changed(self, source) -> None:
        self.preview_model.set_root(preview_tree(source))
        self.preview.expandToDepth(0)
        self.problems.set_problems([])
        llava = source is not None and source.is_llava
        self._show_visual(llava)
        self.options.set_llava(llava)
        if source is not None:
            self.options.set_iterations(source.iterations, source.iteration)
            self.tabs.setCurrentIndex(0)

    def _on_plan_changed(self, plan) -> None:
        source = self.controller.source
        if plan is None and source is None:
            return
        # the plan's source may be another iteration of the same work_dir
        self.preview_model.set_root(preview_tree(plan.source if plan is not None else source, plan))
        self.preview.expandToDepth(0)
        self.problems.set_problems(plan.problems if plan is not None else [])

    def _on_output_suggested(self, path: str) -> None:
        if self._out_auto or not self.options.out.path():
            self._out_auto = True
            self.options.suggest_out(path)  # the folder, or <folder>.gguf
            self._push_options()

    def _mine(self) -> bool:
        return self.controller.running_for in ("merge", "download")

    def _on_started(self) -> None:
        if self._mine():
            self.progress.begin()

    def _on_progressed(self, progress) -> None:
        if self._mine():
            self.progress.update_progress(progress)

    def _finish(self, text: str) -> None:
        if self._mine():
            self.progress.finish(text)

    def _on_merged(self, result, report, fixes) -> None:
        self.progress.finish(translate("MergePage", "Done: {0}").format(result.out.name))
        self.result.show_report(result.out, report, fixes)
        self.result.verify_button.setVisible(corecalls.verify_available() and result.out.is_dir())
        self.tabs.setCurrentIndex(1)
        self._out_auto = False  # the default now exists; let the user choose the next one

    def _on_inspected(self, target: str, report, fixes) -> None:
        if target == "merge":
            self.progress.finish(translate("MergePage", "Done: {0}").format(report.path.name))
            self.result.show_report(report.path, report, fixes)
            self.tabs.setCurrentIndex(1)

    def _update_state(self) -> None:
        c = self.controller
        self.start_button.setEnabled(c.can_start)
        self.cancel_button.setEnabled(c.busy)
        for w in (self.source_picker, self.base_picker, self.visual_picker, self.options):
            w.setEnabled(not c.busy)
        self.result.fix_button.setEnabled(not c.busy)
        d = self.downloader
        self.download_button.setVisible(bool(d.repo_id) or d.downloading)
        self.download_button.setText(d.button_text)
        self.download_button.setEnabled(not c.busy and not d.asking and not d.downloading)
        self.result.verify_button.setEnabled(not c.busy and c.result is not None)

    def _show_visual(self, visible: bool) -> None:
        self.visual_picker.setVisible(visible)
        self._labels[self.visual_picker].setVisible(visible)
