"""Verify a merge: recompute, from the inputs alone, what the folder should hold, and compare.

``verify(out, source, base)`` does not replay the merge. It reads the inputs itself
(:mod:`.inputs`): the settings that trained the adapter (for an XTuner checkpoint the
config stored inside it, ``meta['cfg']``; for a PEFT adapter or XTuner's converted folder its
``adapter_config.json``), the ranks from the tensor shapes, the adapted modules and the variants
from the tensor names. Then, one tensor at a time, it computes each adapted weight with its own
plain float32 maths, ``W + scale * (B @ A)`` (transposed for ``fan_in_fan_out`` and embedding
LoRA), rounded once to the dtype ``out`` stores, and compares it with ``out`` in units in the last
place. Tensors replaced whole (``modules_to_save``, fully trained weights, the projector) are
compared with the trained values; the other tensors are checked by name and shape (values too
with ``all_tensors``). A merge written by another tool (PEFT's merge_and_unload, XTuner's merge)
may differ by rounding: up to ``tolerance_ulp`` units is accepted. A tensor that differs is named
with the scale it appears to have been merged with and the scale the inputs give. Variants verify
does not recompute (DoRA, ``lora_bias``, trainable tokens) are named as not checked, never passed.

The folder is in XTuner's layout (the LLM at the root, ``projector/``, ``visual_encoder/``) or is
one ``LlavaForConditionalGeneration`` (``--format llava-hf``): then :mod:`.llava_hf` maps
its tensor names back to the LLM's, the vision tower's and the projector's own, and the rows the
embeddings gained for ``<image>``/pad are checked to be the mean of the rows the inputs give.

With ``logits=True`` the merged model and base + adapter (PEFT's ``PeftModel``) run on a short
prompt, when memory allows, and their outputs are compared against the adapter's own effect
(base alone versus base + adapter). A model folder whose config names its own code
(``auto_map``) is run only with ``trust_remote_code=True``; otherwise that check is skipped with a
note, and nothing asks a question on the terminal.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

from ..io.jsonfile import json_object_or_none
from .. import formats
from ..errors import SourceError
from ..hub.cache import locate
from ..progress import CancelToken, Progress, ProgressCallback, no_progress
from ..io.stores import TensorStore, open_model_weights
from .inputs import read_inputs
from .parts import Folder, Inputs, describe_settings
from .llava_hf import check_model_type, config_notes, llava_hf_config, llava_hf_folders
from .result import VerifyResult
from .tensors import compare_tensors

def verify(out, source, base, *, logits: bool = False, all_tensors: bool = False, tolerance_ulp: int = 2,
           iteration: Optional[int] = None, visual_encoder=None, trust_remote_code: bool = False,
           progress: Optional[ProgressCallback] = None, cancel: Optional[CancelToken] = None) -> VerifyResult:
    """Recompute from ``source`` and ``base`` what the folder ``out`` should hold, and compare."""
    progress = progress or no_progress
    cancel = cancel or CancelToken()
    out = Path(out).expanduser()
    if not out.is_dir():
        raise SourceError(f"{out} is not a folder; point verify at the merged model folder.", path=out)
    llava = llava_hf_config(out)
    if llava is not None:
        check_model_type(out, llava)
    t0 = time.perf_counter()
    inputs = read_inputs(source, iteration)
    opened: list = []
    try:
        found: list[str] = []
        base_dir = _model_folder(base or inputs.base_hint, "base model", "--base", found)
        result = VerifyResult(out, str(Path(source).expanduser()), str(base_dir), tolerance_ulp=tolerance_ulp)
        result.settings, result.settings_from = _settings_line(inputs), inputs.settings_from
        result.notes.extend(found + inputs.notes)
        if llava is None:
            folders = _xtuner_folders(out, inputs, base_dir, visual_encoder, result, opened)
        else:
            folders = _llava_hf_folders(out, llava, inputs, base_dir, visual_encoder, result, opened)
        compare_tensors(out, folders, result, all_tensors, progress, cancel)
        if logits and llava is not None:
            result.notes.append("--logits runs the merged LLM on its own; a llava-hf folder is one LLaVA model, "
                                "so only its tensors were checked.")
        elif logits:
            from .logits import compare_logits

            progress(Progress("verify", 0, 0, None, 0, 0, "Running both models on a test prompt"))
            compare_logits(inputs.part(""), base_dir, out, result, trust_remote_code=trust_remote_code)
    finally:
        for store in opened:
            store.close()
        inputs.close()
    result.seconds = time.perf_counter() - t0
    return result


def _model_folder(path, what: str, option: str, notes: Optional[list] = None) -> Path:
    """The folder ``path`` names: itself, or a Hub id's snapshot in a local cache (said in ``notes``)."""
    if not path:
        raise SourceError(f"The training names no {what} folder here; pass it with {option}.")
    found = locate(path)
    if found.found and found.in_cache and found.essential_missing:
        raise SourceError(found.incomplete_message(what, option), path=found.path)
    if found.found and found.in_cache and notes is not None:
        notes.append(f"The {what} {found.repo_id} was found in the {found.summary()}: {found.path}")
    if not found.found and found.caches:
        raise SourceError(found.not_found_message(what, option))
    folder = found.path or Path(path).expanduser()
    if not folder.is_dir():
        raise SourceError(f"The {what} {folder} is not a folder; pass the folder the adapter was trained on "
                          f"with {option}.", path=folder)
    return folder


def _visual_encoder(visual_encoder, inputs: Inputs, why: str) -> Path:
    """The visual encoder's folder (``why``: the sentence saying why verify needs it)."""
    hint = visual_encoder or inputs.visual_encoder_hint
    if hint is None or not locate(hint).found:
        raise SourceError(f"{why}, so verify needs its base: pass --visual-encoder DIR.")
    return _model_folder(hint, "visual encoder", "--visual-encoder")


def _xtuner_folders(out: Path, inputs: Inputs, base_dir: Path, visual_encoder, result: VerifyResult,
                    opened: list) -> list[Folder]:
    """XTuner's layout: the LLM at the root, each other part in its own sub-folder."""
    folders = []
    for part in [inputs.part("")] + [p for p in inputs.parts if p.rel]:
        rel = part.rel if part is not None else ""
        base = base_dir if not rel else None
        if part is not None and part.has_base and rel:
            base = _visual_encoder(visual_encoder, inputs, f"The visual encoder was trained ({rel}/)")
        base_store = _open(base, opened) if base is not None else None
        if part is not None and base_store is not None:
            part.align(set(base_store.infos()))
        folders.append(Folder(rel, part, base_store, _open_out(out / rel if rel else out, result, rel, opened),
                              out_rel=rel))
    return folders


def _llava_hf_folders(out: Path, cfg: dict, inputs: Inputs, base_dir: Path, visual_encoder, result: VerifyResult,
                      opened: list) -> list[Folder]:
    """One LlavaForConditionalGeneration folder: its tensors mapped back to the LLM's, tower's, projector's."""
    vit_dir = _visual_encoder(visual_encoder, inputs, "A llava-hf folder holds the vision tower")
    out_store = _open_out(out, result, "", opened)
    if out_store is None:
        return []
    llm_base, vit_base = _open(base_dir, opened), _open(vit_dir, opened)
    llm_config = _read_config(base_dir)
    result.notes.extend(config_notes(cfg, llm_config, _read_config(vit_dir)))
    folders, unknown = llava_hf_folders(cfg, inputs, llm_base, llm_config, vit_base, out_store)
    if unknown:
        result.problem("unexpected-weights", unknown[0], key="unexpected-weights/no-part", count=len(unknown),
                       names=", ".join(unknown[:3]))
    return folders


def _read_config(folder: Path) -> dict:
    return json_object_or_none(folder / formats.CONFIG) or {}


def _settings_line(inputs: Inputs) -> str:
    shown = [f"{p.rel or 'LLM'}: {describe_settings(p)}" for p in inputs.parts if p.low_rank]
    return f"LoRA settings from {inputs.settings_from} ({'; '.join(shown)})" if shown else ""


def _open(folder: Path, opened: list) -> TensorStore:
    store = open_model_weights(folder)
    opened.append(store)
    return store


def _open_out(folder: Path, result: VerifyResult, rel: str, opened: list) -> Optional[TensorStore]:
    try:
        return _open(folder, opened)
    except SourceError as exc:
        result.problem("missing-weights", rel or formats.SAFE_WEIGHTS, exc.message, key=exc.key, **exc.params)
        return None
