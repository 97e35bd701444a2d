"""Merge options: what to write (a model folder, or one GGUF file and its type), output path, dtype,
shard size, output format, iteration, overwrite.

``values()`` returns keyword arguments for :class:`mergesmith.core.plan.base.PlanOptions` (sizes stay
text: the core parses them and says what is wrong with a bad one), plus ``gguf_type``: None for a
model folder, else the GGUF tensor type (the merge goes straight into that file; see
:func:`mergesmith.gui.corecalls.make_plan`).
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
FOLDER, GGUF = "folder", "gguf"
OUTPUTS = ((FOLDER, QT_TRANSLATE_NOOP("OptionsPanel", "A model folder (safetensors)")),
           (GGUF, QT_TRANSLATE_NOOP("OptionsPanel", "A GGUF file for llama.cpp, Ollama, LM Studio")))
GGUF_TYPES = (("f16", "f16"), ("bf16", "bf16"), ("q8_0", QT_TRANSLATE_NOOP("OptionsPanel", "q8_0 (about half the size)")))
GGUF_FILTER = QT_TRANSLATE_NOOP("OptionsPanel", "GGUF files (*.gguf)")


class OptionsPanel(QGroupBox):
    """The options of a merge; emits ``changed`` whenever one of them changes."""

    changed = Signal()

    def __init__(self, settings: Optional[Settings] = None, parent: Optional[QWidget] = None) -> None:
        super().__init__(translate("OptionsPanel", "Options"), parent)
        self._settings = settings
        self.output = QComboBox(self)
        for value, text in OUTPUTS:
            self.output.addItem(translate("OptionsPanel", text), value)
        self.output.setToolTip(translate("OptionsPanel", "A model folder for transformers and vLLM, or one GGUF "
                                         "file (with an Ollama Modelfile beside it) to run the model on a "
                                         "laptop"))
        self.gguf_type = QComboBox(self)
        for value, text in GGUF_TYPES:
            self.gguf_type.addItem(translate("OptionsPanel", text), value)
        self.gguf_type.setToolTip(translate("OptionsPanel", "Tensor type of the GGUF file's matrices: f16 or "
                                            "bf16 keep the merged weights, q8_0 is about half the size; norms "
                                            "stay f32"))
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
        kind_row = QHBoxLayout()
        kind_row.addWidget(self.output)
        self._label_gguf_type = QLabel(translate("OptionsPanel", "GGUF &type:"), self)
        self._label_gguf_type.setBuddy(self.gguf_type)
        kind_row.addWidget(self._label_gguf_type)
        kind_row.addWidget(self.gguf_type)
        kind_row.addStretch(1)
        label_output = QLabel(translate("OptionsPanel", "&Write:"), self)
        label_output.setBuddy(self.output)
        form.addRow(label_output, kind_row)
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
        for combo in (self.dtype, self.format, self.iteration, self.gguf_type):
            combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.shard.currentTextChanged.connect(lambda _t: self.changed.emit())
        self.overwrite.toggled.connect(lambda _b: self.changed.emit())
        self.output.currentIndexChanged.connect(self._on_output_changed)
        self._llava = False
        self._remembered_output()
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
            "gguf_type": self.gguf_type.currentData() if self.is_gguf() else None,
        }

    def is_gguf(self) -> bool:
        return self.output.currentData() == GGUF

    def suggest_out(self, folder: str) -> None:
        """Show the default output (a folder's path): that folder, or ``<folder>.gguf``."""
        self.out.setPath(folder + ".gguf" if self.is_gguf() and folder else folder)

    def set_llava(self, llava: bool) -> None:
        """The format choice only applies to LLaVA runs (and folders: a GGUF file holds no LLaVA)."""
        self._llava = llava
        shown = llava and not self.is_gguf()
        self.format.setEnabled(shown)
        self.format.setVisible(shown)
        self._label_format.setVisible(shown)

    def _on_output_changed(self, _index: int) -> None:
        """GGUF: a file to save (``.gguf``), one type, no shards; a folder: as before."""
        gguf = self.is_gguf()
        self.gguf_type.setVisible(gguf)
        self._label_gguf_type.setVisible(gguf)
        self.shard.setEnabled(not gguf)
        self._label_out.setText(translate("OptionsPanel", "&Output file:") if gguf else
                                translate("OptionsPanel", "&Output folder:"))
        self.out.set_save_file(translate("OptionsPanel", GGUF_FILTER) if gguf else "",
                               translate("OptionsPanel", "Output file") if gguf else
                               translate("OptionsPanel", "Output folder"))
        self.out.combo.lineEdit().setPlaceholderText(
            translate("OptionsPanel", "a new .gguf file beside the training output") if gguf else
            translate("OptionsPanel", "a new folder beside the training output"))
        self.overwrite.setText(translate("OptionsPanel", "Rep&lace the output file if it exists") if gguf else
                               translate("OptionsPanel", "Rep&lace the output folder if it exists"))
        path = self.out.path()
        if gguf and path and not path.lower().endswith(".gguf"):
            self.out.setPath(path.rstrip("/\\") + ".gguf")
        elif not gguf and path.lower().endswith(".gguf"):
            self.out.setPath(path[:-5])
        self.set_llava(self._llava)
        if self._settings is not None:
            self._settings.set_value("merge/output", self.output.currentData())
        self.changed.emit()

    def _remembered_output(self) -> None:
        """The output kind and GGUF type chosen last time (Settings ``merge/output``, ``merge/gguf-type``)."""
        kind = str(self._settings.value("merge/output", FOLDER)) if self._settings is not None else FOLDER
        qtype = str(self._settings.value("merge/gguf-type", "f16")) if self._settings is not None else "f16"
        self.gguf_type.setCurrentIndex(max(0, self.gguf_type.findData(qtype)))
        if self._settings is not None:
            self.gguf_type.currentIndexChanged.connect(
                lambda _i: self._settings.set_value("merge/gguf-type", self.gguf_type.currentData()))
        self.output.blockSignals(True)
        self.output.setCurrentIndex(max(0, self.output.findData(kind)))
        self.output.blockSignals(False)
        self._on_output_changed(self.output.currentIndex())

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
