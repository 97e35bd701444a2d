"""Merge options: output folder, dtype, shard size, output format, iteration, overwrite.

``values()`` returns keyword arguments for :class:`mergesmith.core.plan.base.PlanOptions` (sizes stay
text: the core parses them and says what is wrong with a bad one).
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QT_TRANSLATE_NOOP, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QWidget

from .i18n import translate
from .pickers import PathPicker
from .settings import Settings

DTYPES = (("auto", QT_TRANSLATE_NOOP("OptionsPanel", "Same as the base")), ("bfloat16", "bfloat16"), ("float16", "float16"),
          ("float32", "float32"))
SHARD_SIZES = ("5GB", "2GB", "1GB", "500MB")
FORMATS = (("xtuner", QT_TRANSLATE_NOOP("OptionsPanel", "XTuner layout")),
           ("llava-hf", QT_TRANSLATE_NOOP("OptionsPanel", "llava-hf (one LlavaForConditionalGeneration folder)")))


class OptionsPanel(QGroupBox):
    """The options of a merge; emits ``changed`` whenever one of them changes."""

    changed = Signal()

    def __init__(self, settings: Optional[Settings] = None, parent: Optional[QWidget] = None) -> None:
        super().__init__(translate("OptionsPanel", "Options"), parent)
        self.out = PathPicker("output", translate("OptionsPanel", "Output folder"), settings,
                              tooltip=translate("OptionsPanel", "Where the merged model is written (a new folder)"),
                              placeholder=translate("OptionsPanel", "a new folder beside the training output"))
        self.dtype = QComboBox(self)
        for value, text in DTYPES:
            self.dtype.addItem(translate("OptionsPanel", text), value)
        self.dtype.setToolTip(translate("OptionsPanel", "Data type of the merged weights. \u201cSame as the "
                                        "base\u201d keeps the base model's own (recommended: a bf16 base stays "
                                        "bf16)."))
        self.shard = QComboBox(self)
        self.shard.setEditable(True)
        self.shard.addItems(SHARD_SIZES)
        self.shard.setToolTip(translate("OptionsPanel", "Largest shard file, written like transformers does: "
                                        "5GB, 500MB (powers of 1000) or 2GiB (powers of 1024)"))
        self.format = QComboBox(self)
        for value, text in FORMATS:
            self.format.addItem(translate("OptionsPanel", text), value)
        self.format.setToolTip(translate("OptionsPanel", "Output layout for LLaVA runs"))
        self.iteration = QComboBox(self)
        self.iteration.setToolTip(translate("OptionsPanel", "Which checkpoint of the work_dir to merge (the "
                                                           "latest by default)"))
        self.overwrite = QCheckBox(translate("OptionsPanel", "Rep&lace the output folder if it exists"), self)
        self.overwrite.setToolTip(translate("OptionsPanel", "The old folder is replaced only once the new one is "
                                                            "complete"))

        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._label_out = QLabel(translate("OptionsPanel", "&Output folder:"), self)
        self._label_out.setBuddy(self.out.combo)
        form.addRow(self._label_out, self.out)
        row = QHBoxLayout()
        for text, widget in ((translate("OptionsPanel", "&Dtype:"), self.dtype),
                             (translate("OptionsPanel", "Max shard si&ze:"), self.shard)):
            label = QLabel(text, self)
            label.setBuddy(widget)
            row.addWidget(label)
            row.addWidget(widget)
        self._label_format = QLabel(translate("OptionsPanel", "Fo&rmat:"), self)
        self._label_format.setBuddy(self.format)
        row.addWidget(self._label_format)
        row.addWidget(self.format)
        self._label_iteration = QLabel(translate("OptionsPanel", "&Iteration:"), self)
        self._label_iteration.setBuddy(self.iteration)
        row.addWidget(self._label_iteration)
        row.addWidget(self.iteration)
        row.addStretch(1)
        row.addWidget(self.overwrite)
        form.addRow(row)

        self.out.pathCommitted.connect(lambda _p: self.changed.emit())
        for combo in (self.dtype, self.format, self.iteration):
            combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.shard.currentTextChanged.connect(lambda _t: self.changed.emit())
        self.overwrite.toggled.connect(lambda _b: self.changed.emit())
        self.set_llava(False)
        self.set_iterations([], None)

    def values(self) -> dict:
        return {
            "out": self.out.path() or None,
            "dtype": self.dtype.currentData(),
            "max_shard_size": self.shard.currentText().strip() or "5GB",
            "overwrite": self.overwrite.isChecked(),
            "format": self.format.currentData() if self.format.isEnabled() else "xtuner",
            "iteration": self.iteration.currentData() if self.iteration.count() > 1 else None,
        }

    def set_llava(self, llava: bool) -> None:
        """The format choice only applies to LLaVA runs."""
        self.format.setEnabled(llava)
        self.format.setVisible(llava)
        self._label_format.setVisible(llava)

    def set_iterations(self, iterations: list[int], chosen: Optional[int]) -> None:
        """Offer a picker when the training output holds several iterations."""
        self.iteration.blockSignals(True)
        current = self.iteration.currentData()
        self.iteration.clear()
        for it in iterations:
            self.iteration.addItem(translate("OptionsPanel", "iter {0}").format(it), it)
        keep = current if current in iterations else chosen
        if keep in iterations:
            self.iteration.setCurrentIndex(iterations.index(keep))
        self.iteration.blockSignals(False)
        many = len(iterations) > 1
        self.iteration.setVisible(many)
        self._label_iteration.setVisible(many)
