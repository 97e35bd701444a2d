"""The XTuner plugin: detect work_dirs, ``.pth`` checkpoints and DeepSpeed folders; plan merges.

This module detects; :mod:`.listing` reads a work_dir's contents, :mod:`.describe` reads one
checkpoint into a Source, and :mod:`.config_choice` chooses the config that trained it.

Its detectors are listed in :data:`mergesmith.core.sources.detect.DETECTORS` and its planners
(:mod:`mergesmith.core.plan.xtuner`) in :data:`mergesmith.core.plan.planners.PLANNERS`, ahead of
the generic ones, so that XTuner's raw training output is read directly: the safe unpickler
(:mod:`mergesmith.core.io.checkpoint`) or the ZeRO rebuild (:mod:`mergesmith.core.io.deepspeed`)
gives the trained tensors, the AST reader (:mod:`.config`) gives the LoRA settings and base
paths, and :mod:`.keys` sorts the keys into components.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ... import formats
from ...io.deepspeed import RANK_FILE, MP_MODEL, is_deepspeed_folder
from ...errors import PlanError, SourceError
from ..source import PROJECTOR, VISUAL_ENCODER_ADAPTER, XTUNER_CONVERTED, Source, detect_converted_or_adapter
from .config import read_config
from .describe import describe, trained_settings
from .keys import projector_layout
from .listing import latest_iteration, list_iterations, resolve_hint

WORK_DIR = formats.KIND_WORK_DIR
PTH = formats.KIND_PTH
DEEPSPEED = formats.KIND_DEEPSPEED
KINDS = (WORK_DIR, PTH, DEEPSPEED)


def _ds_root(path: Path) -> Path:
    """A file inside a DeepSpeed folder stands for the folder."""
    if path.is_file() and (RANK_FILE.match(path.name) or MP_MODEL.match(path.name)):
        return path.parent
    return path


# --- detection ----------------------------------------------------------------------------------


def detect_work_dir(path: Path, iteration: Optional[int] = None) -> Optional[Source]:
    its = list_iterations(path)
    if not its:
        return None
    if iteration is None:
        chosen = latest_iteration(path, its)
    else:
        found = [e for e in its if e["iter"] == iteration]
        if not found:
            have = ", ".join(str(e["iter"]) for e in its)
            raise SourceError(f"{path} has no checkpoint for iteration {iteration}; it has {have}.",
                              path=path)
        chosen = found[-1]
    source = describe(path, WORK_DIR, Path(chosen["path"]), work_dir=path, iterations=its)
    others = len(its) - 1
    source.notes.insert(0, f"Using {Path(chosen['path']).name}"
                        + (f" ({'the latest of ' + str(len(its)) if iteration is None else 'one of ' + str(len(its))} "
                           "checkpoints; choose another iteration to use that one instead)." if others else "."))
    return source


def detect_xtuner(path: Path) -> Optional[Source]:
    """A work_dir, an ``iter_N.pth`` file, or a DeepSpeed ``iter_N.pth/`` folder."""
    path = _ds_root(path)
    if path.is_file():
        if path.suffix not in (".pth", ".pt"):
            return None
        work_dir = path.parent if list_iterations(path.parent) else None
        return describe(path, PTH, path, work_dir=work_dir)
    if is_deepspeed_folder(path):
        work_dir = path.parent if list_iterations(path.parent) else None
        return describe(path, DEEPSPEED, path, work_dir=work_dir)
    if path.is_dir():
        return detect_work_dir(path)
    return None


def for_iteration(source: Source, iteration: Optional[int]) -> Source:
    """The same work_dir at another iteration (``--iter N``); the source itself if already there."""
    if iteration is None or source.iteration == iteration:
        return source
    if source.kind != WORK_DIR:
        raise PlanError(f"--iter {iteration} applies to a work_dir; {source.path} is one checkpoint "
                        f"(iteration {source.iteration}). Point at the work_dir instead.")
    new = detect_work_dir(source.path, iteration)
    assert new is not None
    return new


def detect_converted(path: Path) -> Optional[Source]:
    """XTuner's ``pth_to_hf`` output, with what its ``xtuner_config.py`` says filled in.

    The generic detector finds the parts (``llm_adapter/``, ``visual_encoder_adapter/``,
    ``visual_encoder/``, ``projector/``); the config adds the base paths, the LLaVA settings and
    the image processor, as for a raw checkpoint, and the projector gets its layout from its tensors.
    """
    source = detect_converted_or_adapter(path)
    if source is None or source.kind != XTUNER_CONVERTED:
        return source
    cfg = None
    if source.training_config is not None:
        try:
            cfg = read_config(source.training_config)
        except SourceError as exc:
            source.notes.append(f"{exc.message} Its settings are not used; the folders' own configs are.")
    anchors = [path.parent, path.parent.parent]
    if cfg is not None:
        source.notes.extend(cfg.notes)
        source.base_hint = source.base_hint or resolve_hint(cfg.llm_path, anchors, cfg.llm_revision)
        source.visual_encoder_hint = resolve_hint(cfg.visual_encoder_path, anchors)
        source.settings = trained_settings(cfg, anchors)
    vit = source.component(VISUAL_ENCODER_ADAPTER)
    if source.visual_encoder_hint is None and vit is not None and vit.adapter is not None:
        source.visual_encoder_hint = vit.adapter.config.get("base_model_name_or_path") or None
    proj = source.component(PROJECTOR)
    if proj is not None and proj.store is not None:
        infos = proj.store.infos()
        layout = projector_layout([f"projector.{n}" for n in infos],
                                  {f"projector.{n}": i for n, i in infos.items()})
        if not layout:
            raise SourceError(f"{proj.path} holds tensors that are not XTuner's ProjectorModel layout "
                              f"(model.0/2/...): {', '.join(sorted(infos)[:4])}.", path=proj.path)
        proj.details.update(layout)
    return source
