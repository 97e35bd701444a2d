"""Source: say what a path is, from headers and small files only.

``detect(path)`` returns a :class:`Source`: its kind, the components found (LLM adapter,
projector, visual-encoder adapter, full weights, training config) with tensor counts, sizes,
dtypes and LoRA settings, and the base model the training named. No tensor data is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .. import formats
from ..model.adapters import Adapter, find_adapter_weights, load_adapter_folder
from ..errors import SourceError
from ..hub.cache import locate
from ..hub.located import Located
from ..io.stores import TensorStore, open_model_weights

# kinds (titles: formats.KIND_TITLES, shared with inspect)
PEFT_ADAPTER = formats.KIND_PEFT_ADAPTER
XTUNER_CONVERTED = formats.KIND_XTUNER_CONVERTED
MODEL = formats.KIND_MODEL
KIND_TITLES = formats.KIND_TITLES

# component roles
LLM_ADAPTER = "llm-adapter"
VISUAL_ENCODER_ADAPTER = "visual-encoder-adapter"
PROJECTOR = "projector"
LLM_FULL = "llm"
VISUAL_ENCODER_FULL = "visual-encoder"
TRAINING_CONFIG = "training-config"

ROLE_TITLES = {
    LLM_ADAPTER: "LLM adapter",
    VISUAL_ENCODER_ADAPTER: "Visual encoder adapter",
    PROJECTOR: "Projector",
    LLM_FULL: "LLM weights (full fine-tune)",
    VISUAL_ENCODER_FULL: "Visual encoder weights",
    TRAINING_CONFIG: "Training config",
}


@dataclass
class Component:
    role: str
    path: Optional[Path] = None
    tensors: int = 0
    bytes: int = 0
    dtypes: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    adapter: Optional[Adapter] = None
    store: Optional[TensorStore] = None

    @property
    def title(self) -> str:
        return ROLE_TITLES.get(self.role, self.role)

    def to_dict(self) -> dict:
        return {
            "role": self.role,
            "title": self.title,
            "path": None if self.path is None else str(self.path),
            "tensors": self.tensors,
            "bytes": self.bytes,
            "dtypes": self.dtypes,
            "details": self.details,
        }


LLAVA_MODEL = "LLaVAModel"  # XTuner's model type for a LLaVA run
LLAVA_ROLES = (PROJECTOR, VISUAL_ENCODER_ADAPTER, VISUAL_ENCODER_FULL)  # parts only a LLaVA run has


@dataclass
class TrainingRun:
    """What one XTuner checkpoint adds to a :class:`Source` (a work_dir, ``.pth`` or DeepSpeed folder)."""
    checkpoint: Path                          # the iter_N.pth file or folder read
    iteration: Optional[int] = None           # its iteration (from the name, else its meta)
    iterations: Optional[list[dict]] = None   # a work_dir's ``[{iter, unit, path, kind}]``, oldest first
    zero_stage: Optional[int] = None          # DeepSpeed only
    world_size: Optional[int] = None          # DeepSpeed only
    frozen_in_checkpoint: int = 0             # DeepSpeed ZeRO-3: frozen base tensors carried along
    unknown_tensors: list[str] = field(default_factory=list)  # tensors of no known part
    config_text: Optional[str] = None         # the training config's text, when one was found
    config_conflict: Optional[str] = None     # the sentence saying two configs disagree
    config_conflict_params: dict = field(default_factory=dict)  # its particulars (core.texts)
    quantization: Optional[str] = None        # "4-bit" / "8-bit": a QLoRA run

    @property
    def iteration_numbers(self) -> list[int]:
        """The iterations a work_dir offers, oldest first (empty for one checkpoint)."""
        return [e["iter"] for e in self.iterations or []]


@dataclass
class TrainedSettings:
    """What a training config says about the model (XTuner work_dirs, checkpoints, converted output)."""
    model_type: Optional[str] = None          # SupervisedFinetune, LLaVAModel, ...
    llm_dtype: Optional[str] = None           # the dtype the training loaded the LLM in
    visual_select_layer: Optional[int] = None  # LLaVA only
    image_processor_dir: Optional[str] = None  # the config's image processor, when it is a folder here
    from_config: bool = True                  # False: no config was found; model_type is guessed from keys


@dataclass
class Source:
    path: Path
    kind: str
    components: list[Component] = field(default_factory=list)
    training_config: Optional[Path] = None
    base_hint: Optional[str] = None  # base model path named by the training
    visual_encoder_hint: Optional[str] = None
    notes: list[str] = field(default_factory=list)
    tokenizer_dirs: Optional[list[str]] = None  # folders with the training's own tokenizer (None: not looked for)
    training: Optional[TrainingRun] = None      # an XTuner checkpoint's facts
    settings: Optional[TrainedSettings] = None  # what the training config says

    @property
    def checkpoint(self) -> Optional[Path]:
        return self.training.checkpoint if self.training else None

    @property
    def iteration(self) -> Optional[int]:
        return self.training.iteration if self.training else None

    @property
    def iterations(self) -> list[int]:
        """Iterations a work_dir offers, oldest first; empty for anything else."""
        return self.training.iteration_numbers if self.training else []

    @property
    def model_type(self) -> Optional[str]:
        return self.settings.model_type if self.settings else None

    @property
    def is_llava(self) -> bool:
        """A LLaVA run (projector, visual encoder trained, or the config says so): its merge needs the ViT too."""
        return any(c.role in LLAVA_ROLES for c in self.components) or self.model_type == LLAVA_MODEL

    @property
    def label(self) -> str:
        """The name problems and notes use for this source: the checkpoint's, else the path's."""
        return (self.checkpoint or self.path).name

    @property
    def title(self) -> str:
        return KIND_TITLES.get(self.kind, self.kind)

    def component(self, role: str) -> Optional[Component]:
        return next((c for c in self.components if c.role == role), None)

    @property
    def llm_adapter(self) -> Optional[Adapter]:
        c = self.component(LLM_ADAPTER)
        return c.adapter if c else None

    @property
    def base_hint_exists(self) -> bool:
        """The base the training names is on this machine: a folder, or a Hub id in a local cache."""
        return bool(self.base_hint) and self.base_located().found

    def base_located(self) -> Located:
        """Where the base the training names is (see :func:`mergesmith.core.hub.cache.locate`)."""
        return locate(self.base_hint or "")

    def visual_encoder_located(self) -> Located:
        return locate(self.visual_encoder_hint or "")

    def close(self) -> None:
        """Release the memory maps of its components. The Source belongs to whoever called
        ``detect``: plans read it but never close it (see :class:`mergesmith.core.plan.base.Plan`)."""
        for c in self.components:
            if c.store is not None:
                c.store.close()
            if c.adapter is not None:
                c.adapter.store.close()

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def to_dict(self) -> dict:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "title": self.title,
            "components": [c.to_dict() for c in self.components],
            "training_config": None if self.training_config is None else str(self.training_config),
            "base_hint": self.base_hint,
            "base_hint_exists": self.base_hint_exists,
            "base_found": self.base_located().to_dict() if self.base_hint else None,
            "visual_encoder_hint": self.visual_encoder_hint,
            "notes": self.notes,
            **self._typed_dict(),
        }

    def _typed_dict(self) -> dict:
        """The typed facts, under the keys and in the order ``--json`` has always had."""
        d: dict = {}
        t, s = self.training, self.settings
        if t is not None:
            if t.zero_stage is not None:
                d.update(zero_stage=t.zero_stage, world_size=t.world_size)
            if t.frozen_in_checkpoint:
                d["frozen_in_checkpoint"] = t.frozen_in_checkpoint
            if t.unknown_tensors:
                d["unknown_tensors"] = list(t.unknown_tensors)
            if t.config_text is not None:
                d["config_text"] = t.config_text
            if t.config_conflict:
                d["config_conflict"] = t.config_conflict
            if t.quantization:
                d["quantization"] = t.quantization
        if self.tokenizer_dirs is not None:
            d["tokenizer_dirs"] = list(self.tokenizer_dirs)
        if s is not None:
            if s.image_processor_dir:
                d["image_processor_dir"] = s.image_processor_dir
            d["model_type"] = s.model_type
            if s.from_config:
                d["llm_dtype"] = s.llm_dtype
            if s.visual_select_layer is not None:
                d["visual_select_layer"] = s.visual_select_layer
        if t is not None:
            d["checkpoint"] = str(t.checkpoint)
            d["iteration"] = t.iteration
            if t.iterations is not None:
                d["iterations"] = t.iterations
        return d


def outputs_inside(folder: Path, limit: int = 50) -> list[tuple[str, str]]:
    """Sub-folders that look like training output, by file names only: [(name, what it looks like)].

    XTuner writes ``work_dirs/<config name>/``; people point at ``work_dirs`` itself.
    """
    found = []
    try:
        subdirs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))[:limit]
    except OSError:
        return found
    for sub in subdirs:
        try:
            names = {p.name for p in sub.iterdir()}
        except OSError:
            continue
        if any(formats.is_checkpoint_name(n) for n in names) or "last_checkpoint" in names:
            found.append((sub.name, "an XTuner work_dir"))
        elif names & {formats.LLM_ADAPTER_DIR, formats.PROJECTOR_DIR} or (
                formats.XTUNER_CONFIG in names and formats.ADAPTER_CONFIG in names):
            found.append((sub.name, "XTuner's converted output"))
        elif formats.ADAPTER_CONFIG in names:
            found.append((sub.name, "a PEFT adapter"))
    return found


# --- helpers shared by detectors ---------------------------------------------------------------


def adapter_component(role: str, folder: Path) -> Component:
    adapter = load_adapter_folder(folder)
    s = adapter.summary()
    details = {
        "r": s["r"], "lora_alpha": s["lora_alpha"], "ranks": s["ranks"],
        "use_rslora": s["use_rslora"], "use_dora": s["use_dora"], "targets": s["targets"],
        "modules": s["modules"], "replaced": s["replaced"],
        "trainable_tokens": s["trainable_tokens"],
        "weights_file": adapter.weights_file.name if adapter.weights_file else None,
    }
    return Component(role, folder, s["tensors"], s["bytes"], s["dtypes"], details, adapter=adapter)


def tokenizer_files(folder: Path) -> list[str]:
    try:
        return sorted(p.name for p in folder.iterdir() if p.is_file() and formats.is_tokenizer_file(p.name))
    except OSError:
        return []


def has_tokenizer(folder: Path) -> bool:
    names = set(tokenizer_files(folder))
    return bool(names & {"tokenizer.json", "tokenizer.model", "tokenizer_config.json", "vocab.json"})


def _is_adapter_folder(folder: Path) -> bool:
    return (folder / formats.ADAPTER_CONFIG).is_file() or find_adapter_weights(folder) is not None


# --- detectors -------------------------------------------------------------------------------


def detect_converted_or_adapter(path: Path) -> Optional[Source]:
    """A PEFT adapter folder, or XTuner's converted folder (adapter at root or llm_adapter/)."""
    if not path.is_dir():
        return None
    xtuner_cfg = path / formats.XTUNER_CONFIG
    llm_dir = path / formats.LLM_ADAPTER_DIR
    is_xtuner = xtuner_cfg.is_file() or llm_dir.is_dir() or (path / formats.PROJECTOR_DIR).is_dir()
    root_adapter = _is_adapter_folder(path)
    if not (is_xtuner or root_adapter):
        return None
    if root_adapter and not (path / formats.ADAPTER_CONFIG).is_file():
        raise SourceError(
            f"{path} has adapter weights but no {formats.ADAPTER_CONFIG}; copy the config that "
            "was saved with the adapter next to it.", path=path)
    if root_adapter and find_adapter_weights(path) is None:
        raise SourceError(
            f"{path} has {formats.ADAPTER_CONFIG} but no {formats.ADAPTER_SAFE} or "
            f"{formats.ADAPTER_BIN}; the adapter weights are missing.", path=path)
    source = Source(path, XTUNER_CONVERTED if is_xtuner else PEFT_ADAPTER)
    if root_adapter:
        source.components.append(adapter_component(LLM_ADAPTER, path))
    elif llm_dir.is_dir():
        source.components.append(adapter_component(LLM_ADAPTER, llm_dir))
    vis_dir = path / formats.VISUAL_ENCODER_ADAPTER_DIR
    if vis_dir.is_dir():
        source.components.append(adapter_component(VISUAL_ENCODER_ADAPTER, vis_dir))
    proj_dir = path / formats.PROJECTOR_DIR
    if proj_dir.is_dir():
        source.components.append(weights_component(PROJECTOR, proj_dir))
    if is_xtuner and (path / formats.CONFIG).is_file() and not root_adapter and not llm_dir.is_dir():
        # XTuner LLaVA with a fully fine-tuned LLM written at the root
        source.components.append(weights_component(LLM_FULL, path))
    vis_full = path / formats.VISUAL_ENCODER_DIR
    if vis_full.is_dir():
        source.components.append(weights_component(VISUAL_ENCODER_FULL, vis_full))
    if xtuner_cfg.is_file():
        source.training_config = xtuner_cfg
        source.components.append(Component(TRAINING_CONFIG, xtuner_cfg, details={"file": xtuner_cfg.name}))
    llm = source.llm_adapter
    if llm is not None:
        source.base_hint = llm.config.get("base_model_name_or_path") or None
    tok_dirs = [str(d) for d in (path, llm_dir) if d.is_dir() and has_tokenizer(d)]
    source.tokenizer_dirs = tok_dirs
    if not any(c.role in (LLM_ADAPTER, LLM_FULL, VISUAL_ENCODER_ADAPTER, PROJECTOR) for c in source.components):
        raise SourceError(
            f"{path} looks like XTuner output ({formats.XTUNER_CONFIG}) but holds no adapter, "
            "projector or weights; convert the checkpoint first or point at the work_dir.", path=path)
    return source


def detect_model(path: Path) -> Optional[Source]:
    """A full Hugging Face model folder (config.json + weights)."""
    if not path.is_dir() or not (path / formats.CONFIG).is_file():
        return None
    source = Source(path, MODEL)
    source.components.append(weights_component(LLM_FULL, path))
    if has_tokenizer(path):
        source.tokenizer_dirs = [str(path)]
    return source


def weights_component(role: str, folder: Path) -> Component:
    store = open_model_weights(folder)
    infos = store.infos()
    dtypes = sorted({formats.dtype_name(i.dtype) for i in infos.values()})
    return Component(role, folder, len(infos), sum(i.nbytes for i in infos.values()), dtypes,
                     details={}, store=store)
