"""Report, layout part: LLaVA projector and visual encoder, PEFT adapters, XTuner work_dirs.

Everything here reads configs and headers only. An adapter is parsed as the merge would parse
it (``adapters.load_adapter_folder``), so "the adapter is sane" means "Mergesmith could merge
it"; with a base model, the merge planner itself checks every target module against the base.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Optional

from .. import formats
from ..errors import MergesmithError
from .config import check_config, check_remote_code, read_json, text_config
from .report import Report, join
from .weights import check_weights

CHECKPOINT_RE = formats.CHECKPOINT_NAME_RE
# what DeepSpeed writes into a checkpoint (tag) folder: model states (rank 0, or one per rank under
# ZeRO-3) and one optimizer-states file per rank
DEEPSPEED_FILE_RE = re.compile(r"^(bf16_)?(zero_pp_rank_\d+_)?mp_rank_\d+_(model|optim)_states\.pt$")
CHECKPOINT_FILE_SUFFIXES = (".pth", ".pt")
PROJECTOR_LINEAR = re.compile(r"^model\.(\d+)\.weight$")


# --- LLaVA ---------------------------------------------------------------------------------------


def hidden_size(config: Optional[dict], *, vision: bool = False) -> Optional[int]:
    if not config:
        return None
    doc = config.get("vision_config") if vision and isinstance(config.get("vision_config"), dict) else (
        config if vision else text_config(config))
    value = doc.get("hidden_size", doc.get("n_embd"))
    return value if isinstance(value, int) else None


def check_projector(report: Report, root: Path, *, llm_hidden: Optional[int], visual_hidden: Optional[int],
                    max_shard_size: Optional[int] = None) -> None:
    """XTuner's projector/: config with auto_map and its code, weights whose sizes fit both ends."""
    folder, rel = root / formats.PROJECTOR_DIR, formats.PROJECTOR_DIR
    config = check_config(report, folder, rel, what="projector")
    if config is not None:
        check_remote_code(report, folder, rel, config)
    weights = check_weights(report, folder, rel, max_shard_size=max_shard_size)
    infos = weights.infos()
    linears = sorted((int(m.group(1)), n) for n in infos if (m := PROJECTOR_LINEAR.match(n)))
    found: list[str] = []
    cfg_llm = (config or {}).get("llm_hidden_size")
    cfg_vis = (config or {}).get("visual_hidden_size")
    if linears:
        first, last = infos[linears[0][1]].shape, infos[linears[-1][1]].shape
        w_vis, w_llm = (first[1] if len(first) == 2 else None), (last[0] if len(last) == 2 else None)
        if isinstance(cfg_llm, int) and w_llm is not None and cfg_llm != w_llm:
            found.append(f"its config says llm_hidden_size {cfg_llm} but its weights produce {w_llm}")
        if isinstance(cfg_vis, int) and w_vis is not None and cfg_vis != w_vis:
            found.append(f"its config says visual_hidden_size {cfg_vis} but its weights take {w_vis}")
        cfg_llm = w_llm if w_llm is not None else cfg_llm
        cfg_vis = w_vis if w_vis is not None else cfg_vis
        report.summary_for(rel)["projector"] = {"depth": len(linears), "in": w_vis, "out": w_llm}
    if llm_hidden is not None and isinstance(cfg_llm, int) and cfg_llm != llm_hidden:
        found.append(f"it outputs {cfg_llm} features but the LLM's hidden size is {llm_hidden}")
    if visual_hidden is not None and isinstance(cfg_vis, int) and cfg_vis != visual_hidden:
        found.append(f"it takes {cfg_vis} features but the visual encoder's hidden size is {visual_hidden}")
    if found:
        report.problem("projector-mismatch", join(rel, formats.CONFIG), details="; ".join(found))


def check_processor(report: Report, folder: Path, rel: str, kind: str, **params) -> None:
    """``kind``: llava, vision or folder (with ``part=``): which text says what lacks it."""
    if not any((folder / n).is_file() for n in formats.PROCESSOR_FILES):
        report.problem("missing-processor", join(rel, formats.PREPROCESSOR_CONFIG),
                       key=f"missing-processor/{kind}", **params)


def llava_expected(root: Path) -> bool:
    """The XTuner config of this folder trains a LLaVA model."""
    cfg = root / formats.XTUNER_CONFIG
    try:
        return cfg.is_file() and "LLaVAModel" in cfg.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def missing_projector(report: Report, root: Path, evidence: str) -> None:
    """``evidence``: the file or folder that makes ``root`` a LLaVA layout."""
    report.problem("missing-projector", join(formats.PROJECTOR_DIR, formats.CONFIG), key="missing-projector/layout",
                   evidence=evidence)


# --- adapters ------------------------------------------------------------------------------------


def check_adapter(report: Report, folder: Path, rel: str = "", *, base=None):
    """adapter_config.json and weights sane; with ``base``, every target fits it. Returns the Adapter."""
    from ..model.adapters import find_adapter_weights, load_adapter_folder

    cfg_file = join(rel, formats.ADAPTER_CONFIG)
    weights = find_adapter_weights(folder)
    if (folder / formats.ADAPTER_BIN).is_file():
        report.problem("pickle-weights", join(rel, formats.ADAPTER_BIN), key="pickle-weights/adapter",
                       name=formats.ADAPTER_BIN)
    if not (folder / formats.ADAPTER_CONFIG).is_file():
        report.problem("bad-adapter", cfg_file, key="bad-adapter/no-config")
        return None
    if weights is None:
        report.problem("bad-adapter", join(rel, formats.ADAPTER_SAFE), key="bad-adapter/no-weights")
        return None
    if weights.suffix == ".safetensors":
        from ..io.safetensors import CorruptFileError, read_header

        try:
            header = read_header(weights)
            if header.file_size != header.expected_size:
                raise CorruptFileError(f"{weights.name} is {header.file_size - header.expected_size} bytes "
                                       "longer than its header says; it is damaged.")
        except CorruptFileError as exc:
            report.problem("corrupt-shard", join(rel, weights.name), exc.message, key=exc.key, **exc.params)
            return None
    try:
        adapter = load_adapter_folder(folder)
    except MergesmithError as exc:
        report.problem("bad-adapter", cfg_file, exc.message, key=exc.key, **exc.params)
        return None
    s = adapter.summary()
    report.summary_for(rel).update({
        "adapter": {k: s[k] for k in ("peft_type", "r", "lora_alpha", "use_rslora", "use_dora", "targets",
                                      "modules", "replaced", "tensors", "bytes", "dtypes",
                                      "base_model_name_or_path")},
    })
    try:
        if base is not None:
            _check_against_base(report, adapter, base, cfg_file)
    finally:
        adapter.store.close()
    return adapter


def _check_against_base(report: Report, adapter, base, file: str) -> None:
    from ..plan.base import Plan, PlanOptions
    from ..plan.lora import plan_lora_tensors

    plan = Plan(None, PlanOptions(), Path("."), base=base)  # type: ignore[arg-type]
    try:
        plan_lora_tensors(plan, base, adapter, PlanOptions())
    except MergesmithError as exc:
        report.problem("missing-module", file, exc.message, key=exc.key, **exc.params)
        return
    for p in plan.problems:
        if p.code in ("missing-module", "shape-mismatch", "vocab-mismatch"):
            report.problem(p.code, file, p.message, key=p.key, **p.params)


# --- XTuner work_dir -----------------------------------------------------------------------------


def is_work_dir(folder: Path) -> bool:
    try:
        names = [p.name for p in folder.iterdir()]
    except OSError:
        return False
    # iter_N.pth / epoch_N.pth (files or DeepSpeed folders) or mmengine's last_checkpoint; the
    # config .py may be missing (it is also kept in the checkpoint's meta)
    return any(CHECKPOINT_RE.match(n) for n in names) or "last_checkpoint" in names


def is_deepspeed_checkpoint(folder: Path) -> bool:
    """A DeepSpeed checkpoint folder (XTuner names it ``iter_N.pth``): DeepSpeed's state files only."""
    try:
        return any(p.is_file() and DEEPSPEED_FILE_RE.match(p.name) for p in folder.iterdir())
    except OSError:
        return False


def is_checkpoint_file(path: Path) -> bool:
    """A single torch checkpoint file (``iter_N.pth`` or any ``.pth``/``.pt``), by name."""
    return path.is_file() and path.suffix in CHECKPOINT_FILE_SUFFIXES


def _checkpoint_row(report: Report, path: Path) -> dict:
    why = _checkpoint_problem(path)
    if isinstance(why, MergesmithError):
        report.problem("corrupt-checkpoint", path.name, why.message, key=why.key, **why.params)
    elif why:
        report.problem("corrupt-checkpoint", path.name, key=why[0], **why[1])
    return {"name": path.name, "bytes": _size(path), "deepspeed": path.is_dir()}


def _training_configs(folder: Path) -> list:
    """The work_dir's config .py files (DeepSpeed also leaves its zero_to_fp32.py script there)."""
    return sorted(p for p in folder.glob("*.py") if p.is_file() and p.name != "zero_to_fp32.py")


def check_work_dir(report: Report, folder: Path) -> None:
    """Training configs and checkpoints: each checkpoint complete enough to read."""
    configs = _training_configs(folder)
    checkpoints = sorted((p for p in folder.iterdir() if CHECKPOINT_RE.match(p.name)),
                         key=lambda p: int(CHECKPOINT_RE.match(p.name).group(2)))
    rows = [_checkpoint_row(report, path) for path in checkpoints]
    from ..sources.xtuner.listing import latest_checkpoint

    report.summary.update({"configs": [p.name for p in configs], "checkpoints": rows,
                           "base_hint": _check_training_config(report, folder, latest_checkpoint(folder)),
                           "latest": rows[-1]["name"] if rows else None,
                           "bytes": sum(r["bytes"] for r in rows)})
    report.note("This is XTuner training output, not a deployable model: merge it with "
                "`mergesmith merge DIR --base BASE --out OUT`.")
    last = folder / "last_checkpoint"
    if last.is_file():
        try:
            target = Path(last.read_text(encoding="utf-8").strip())
        except OSError:
            target = None
        if target is not None and not (folder / target.name).exists():
            report.note(f"last_checkpoint names {target.name}, which is not in this folder (it was moved or "
                        "deleted); the newest checkpoint present will be used.")


def _is_flagged(report: Report, name: str) -> bool:
    return any(p.code == "corrupt-checkpoint" and p.file == name for p in report.problems)


def _check_training_config(report: Report, folder: Path, ckpt: Optional[Path]) -> Optional[str]:
    """The base the training of ``ckpt`` names (its stored config, else the work_dir's .py); a .py that
    disagrees with the checkpoint's own config, an unsupported model."""
    from ..sources.xtuner.config import read_config
    from ..sources.xtuner.config_choice import (TrainingConfig, config_conflict_params, training_config,
                                                unsupported_model, unsupported_name)
    from ..sources.xtuner.listing import find_config, stored_meta

    try:
        if ckpt is not None and not _is_flagged(report, ckpt.name):
            tc = training_config(ckpt, folder, stored_meta(ckpt))
        else:  # no checkpoint we can read: the .py alone
            file = find_config(folder)
            tc = TrainingConfig(cfg=read_config(file) if file else None, file=file)
    except MergesmithError as exc:
        report.note(f"The training config could not be read: {exc.message}")
        return None
    if tc.cfg is None:
        return None
    refused = unsupported_model(tc.cfg, ckpt or folder)
    if refused:
        report.problem("unsupported-model", ckpt.name if ckpt else "", refused,
                       key="unsupported-model", name=(ckpt or folder).name, model=unsupported_name(tc.cfg))
    if tc.conflicts:
        report.problem("config-mismatch", tc.other.name, **config_conflict_params(tc, ckpt.name))
    return tc.cfg.llm_path


def check_checkpoint(report: Report, path: Path) -> None:
    """One training checkpoint (a ``.pth`` file or a DeepSpeed folder): complete enough to read.

    Its work_dir (the folder it sits in) usually holds the training config, which names the base.
    """
    row = _checkpoint_row(report, path)
    configs = _training_configs(path.parent)
    report.summary.update({"configs": [p.name for p in configs], "checkpoints": [row],
                           "base_hint": _check_training_config(report, path.parent, path), "latest": row["name"],
                           "bytes": row["bytes"]})
    report.note("This is an XTuner training checkpoint, not a deployable model: merge it with "
                f"`mergesmith merge {path.name} --base BASE --out OUT`, or convert it to an adapter with "
                f"`mergesmith convert {path.name} --out OUT`.")


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _checkpoint_problem(path: Path):
    """What is wrong with one checkpoint (file or DeepSpeed folder): a text's (key, params), the
    unpickler's refusal, or None."""
    if path.is_dir():
        files = [p.name for p in path.iterdir() if p.is_file()]
        model = sorted(f for f in files if f.endswith("model_states.pt"))
        if not model:
            return "corrupt-checkpoint/no-model-states", {"name": path.name}
        bad = [f for f in sorted(files) if f.endswith(".pt") and not _zip_ok(path / f)]
        if bad:
            return "corrupt-checkpoint/damaged-part", {"name": path.name, "part": bad[0]}
        return _unpickle_problem(path / model[0])
    if not _zip_ok(path):
        return "corrupt-checkpoint/truncated", {"name": path.name}
    return _unpickle_problem(path)


def _unpickle_problem(path: Path):
    """The safe unpickler's refusal of a zip checkpoint, if any.

    Only the pickle is read (tensors are memory-mapped views nobody touches), so this costs tens of
    milliseconds whatever the checkpoint's size. Old-format (non-zip) files would be read whole: skipped.
    """
    try:
        with open(path, "rb") as f:
            if f.read(2) != b"PK":
                return None
    except OSError:
        return None
    from ..io.checkpoint import load_checkpoint

    try:
        load_checkpoint(path)
    except MergesmithError as exc:
        return exc
    return None


def _zip_ok(path: Path) -> bool:
    """torch.save writes a zip; a truncated one has no central directory. Old pickles pass."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
        if magic[:2] != b"PK":
            return magic[:1] == b"\x80"  # a legacy (non-zip) pickle: cannot be checked cheaply
        with zipfile.ZipFile(path) as z:
            return bool(z.namelist())
    except Exception:  # BadZipFile, OSError, NotImplementedError, ValueError: whatever a damaged zip raises
        return False


def read_sub_config(folder: Path) -> Optional[dict]:
    try:
        doc = read_json(folder / formats.CONFIG)
        return doc if isinstance(doc, dict) else None
    except (OSError, ValueError, RecursionError):
        return None
