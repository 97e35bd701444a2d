"""The base model a merge writes into: its config, its weights (headers only) and its files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Optional

from ..io.jsonfile import read_json_object
from .. import formats
from ..hub.cache import locate
from ..hub.located import Located
from ..errors import PlanError, SourceError
from ..io.safetensors import TensorInfo
from ..io.stores import SafetensorsStore, TensorStore, open_model_weights

INPUT_EMBEDDING_SUFFIXES = formats.INPUT_EMBEDDING_SUFFIXES
OUTPUT_EMBEDDING_NAMES = formats.OUTPUT_EMBEDDING_NAMES
# model types whose configs default to tied embeddings when the key is absent
_TIE_DEFAULT = True


@dataclass
class BaseModel:
    folder: Path
    config: dict
    store: TensorStore
    order: list[str] = field(default_factory=list)
    located: Optional[Located] = None  # where it was found (a folder, or a Hub id in a cache)

    what: ClassVar[str] = "base model"  # how messages name it, and the option that chooses it
    option: ClassVar[str] = "--base"

    @classmethod
    def open(cls, folder, *, role: str = "base model") -> "BaseModel":
        located = locate(folder)
        if located.found:
            folder = located.path
            if located.in_cache and located.essential_missing:
                raise PlanError(located.incomplete_message(role, cls.option), path=folder)
        elif located.problem and Path(str(folder)).expanduser().is_dir():  # a cache repo folder, no snapshot
            raise PlanError(f"The {role} {folder} is the Hugging Face cache folder of {located.repo_id}, but "
                            f"{located.problem}; download it again, or pass a complete model folder with "
                            f"{cls.option} FOLDER.", path=Path(str(folder)))
        elif located.caches and not Path(str(folder)).expanduser().exists():  # a Hub id, in no cache
            raise PlanError(located.not_found_message(role, cls.option))
        folder = Path(folder).expanduser()
        part = "-vit" if role == "visual encoder" else ""  # which text: the base model's or the visual encoder's
        params = {"folder": str(folder)}
        if not folder.exists():
            raise PlanError(path=folder, key="refusal/base-not-found" + part, params=params)
        if not folder.is_dir():
            raise PlanError(path=folder, key="refusal/base-is-file" + part, params=params)
        cfg_path = folder / formats.CONFIG
        if not cfg_path.is_file():
            if (folder / formats.ADAPTER_CONFIG).is_file():
                raise PlanError(path=folder, key="refusal/base-is-adapter" + part, params=params)
            raise PlanError(path=folder, key="refusal/base-no-config" + part, params=params)
        config = read_json_object(cfg_path, PlanError)
        quant = config.get("quantization_config")
        if quant:
            method = quant.get("quant_method", "quantized") if isinstance(quant, dict) else "quantized"
            raise PlanError(path=folder, key="refusal/base-quantized" + part,
                            params={"folder": str(folder), "method": str(method)})
        try:
            store = open_model_weights(folder)
        except SourceError as exc:
            raise PlanError(exc.message, path=folder, key=exc.key, params=exc.params) from None
        return cls(folder, config, store, _file_order(store), located if located.found else None)

    # -- tensors
    @property
    def infos(self) -> dict[str, TensorInfo]:
        return self.store.infos()

    @property
    def nbytes(self) -> int:
        return sum(i.nbytes for i in self.infos.values())

    def find(self, name: str) -> Optional[str]:
        """The base tensor for ``name``, allowing for a missing or extra leading prefix.

        Adapters name modules as the task model sees them (``transformer.h.0...`` for GPT-2);
        some checkpoints were saved from the bare model (``h.0...``), and the reverse.
        """
        infos = self.infos
        if name in infos:
            return name
        head, _, rest = name.partition(".")
        if rest and rest in infos and head in ("transformer", "model", "gpt_neox", "language_model"):
            return rest
        for prefix in ("transformer.", "model."):
            if prefix + name in infos:
                return prefix + name
        return None

    @property
    def input_embedding(self) -> Optional[str]:
        for name in self.order:
            if name.endswith(INPUT_EMBEDDING_SUFFIXES):
                return name
        return None

    @property
    def output_embedding(self) -> Optional[str]:
        """The name of the output embedding tensor (present or, when tied, implied)."""
        for name in OUTPUT_EMBEDDING_NAMES:
            if name in self.infos:
                return name
        return "lm_head.weight"

    @property
    def tie_word_embeddings(self) -> bool:
        cfg = self.config
        if "tie_word_embeddings" in cfg:
            return bool(cfg["tie_word_embeddings"])
        text = cfg.get("text_config")
        if isinstance(text, dict) and "tie_word_embeddings" in text:
            return bool(text["tie_word_embeddings"])
        return _TIE_DEFAULT

    @property
    def tied(self) -> bool:
        """Tied embeddings stored once: the output embedding is absent from the weights."""
        return self.tie_word_embeddings and not any(n in self.infos for n in OUTPUT_EMBEDDING_NAMES)

    @property
    def config_dtype(self) -> Optional[str]:
        return formats.config_dtype(self.config)

    @property
    def float_dtypes(self) -> list[str]:
        return sorted({i.dtype for i in self.infos.values() if i.dtype in formats.FLOAT_CODES})

    def files(self) -> list[Path]:
        try:
            return sorted(p for p in self.folder.iterdir() if p.is_file())
        except OSError:
            return []

    def close(self) -> None:
        self.store.close()


def _file_order(store: TensorStore) -> list[str]:
    """Tensor names in on-disk order (by shard name, then offset) for sequential reads."""
    infos = store.infos()
    if isinstance(store, SafetensorsStore):
        return sorted(infos, key=lambda n: (store.file_of(n).name, infos[n].start))
    return list(infos)


_REL_IMPORT = re.compile(r"^\s*from\s+\.([A-Za-z_][\w]*)\s+import", re.MULTILINE)


def remote_code_files(folder: Path, config: dict) -> list[str]:
    """The ``.py`` files named in ``auto_map`` (and the sibling modules they import)."""
    auto_map = config.get("auto_map") or {}
    refs: list[str] = []
    for value in auto_map.values():
        for v in (value if isinstance(value, (list, tuple)) else [value]):
            if isinstance(v, str) and v:
                ref = v.split("--", 1)[-1]  # "repo--module.Class" -> "module.Class"
                refs.append(ref.rsplit(".", 1)[0])
    found: list[str] = []
    todo = [r.replace(".", "/") + ".py" for r in refs]
    while todo:
        name = todo.pop()
        if name in found or not (folder / name).is_file():
            continue
        found.append(name)
        try:
            text = (folder / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        todo.extend(m + ".py" for m in _REL_IMPORT.findall(text))
    return sorted(found)
