"""Report: check a folder and name every missing, broken or inconsistent piece.

``inspect_folder(path)`` says what the folder is (a full model, a PEFT adapter, XTuner's
converted folder, an XTuner work_dir, a LLaVA layout in XTuner's or Hugging Face's form) and
checks it from headers and small files, never reading tensor data (except with
``scan_values=True``, and a few kilobytes of two tensors when a config ties embeddings). It
returns a :class:`Report` whose problems each carry a stable code, a severity, the file (relative
to the folder) and a sentence saying what to do.

The codes, their severities and which of them ``mergesmith fix`` repairs are in
:data:`mergesmith.core.inspect.report.CODES`. For front ends (the GUI's result tree):

* ``Problem.fixable`` is True when :mod:`mergesmith.core.fix.folder` can repair it;
  :func:`~mergesmith.core.inspect.report.fix_kind` says whether that needs a base model
  (``"base"``: files are copied from ``--from-base``) or not (``"self"``).
* :func:`mergesmith.core.fix.folder.plan_fix` (``report`` and an optional base) returns the exact
  actions a fix would take, each naming the problems it resolves; ``FixPlan.action_for(problem)``
  gives the sentence to show next to a Fix button, and :func:`mergesmith.core.fix.folder.run_fix`
  performs them (into a new folder, or in place with a backup).
* ``Report.summary`` holds counts and sizes; ``summary["parts"][rel]`` the same for
  sub-folders (``projector``, ``visual_encoder``, ``llm_adapter``); ``Report.notes`` lists what
  was not checked and why.

Checks that need transformers (the model type known, the generation config accepted, the
tokenizer loaded, the model built on the meta device to compare weight names) run when
``deep=True`` (the default; importing transformers costs about a second the first time). With
``deep=False`` the check reads headers and small files only and takes milliseconds: that is what
a merge runs on its output by default. Neither ever downloads anything or runs code from the
folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from .. import formats
from ..hub.cache import locate
from .card import check_card
from .config import (check_architecture_known, check_config, check_dtype, check_generation_config,
                             check_remote_code, read_json)
from .layouts import (check_adapter, check_checkpoint, check_processor, check_projector, check_work_dir,
                              hidden_size, is_checkpoint_file, is_deepspeed_checkpoint, is_work_dir,
                              llava_expected, missing_projector, read_sub_config)
from .gguf_file import check_gguf, is_gguf_file
from .report import CODES, Report, fix_kind
from .tokenizer import check_tokenizer
from .weights import WeightsView, check_weights
from ..progress import CancelToken, ProgressCallback

__all__ = ["Report", "CODES", "fix_kind", "inspect_folder", "detect_kind", "KIND_TITLES"]

MODEL, ADAPTER, CONVERTED, WORK_DIR, LLAVA, LLAVA_HF, UNKNOWN = (
    formats.KIND_MODEL, formats.KIND_PEFT_ADAPTER, formats.KIND_XTUNER_CONVERTED, formats.KIND_WORK_DIR,
    formats.KIND_LLAVA, formats.KIND_LLAVA_HF, formats.KIND_UNKNOWN)
CHECKPOINT = formats.KIND_CHECKPOINT
KIND_TITLES = formats.KIND_TITLES  # one table with detect's
EMBEDDING_SUFFIXES = formats.INPUT_EMBEDDING_SUFFIXES


def detect_kind(path: Path) -> str:
    """What the folder (or checkpoint file) is, from file names and at most one small config."""
    if is_checkpoint_file(path):
        return CHECKPOINT
    has = lambda name: (path / name).exists()  # noqa: E731
    adapter_here = has(formats.ADAPTER_CONFIG) or has(formats.ADAPTER_SAFE) or has(formats.ADAPTER_BIN)
    if has(formats.LLM_ADAPTER_DIR) or has(formats.VISUAL_ENCODER_ADAPTER_DIR) or (
            adapter_here and has(formats.XTUNER_CONFIG)):
        return CONVERTED
    if adapter_here:
        return ADAPTER
    root_model = has(formats.CONFIG) or _weight_files(path)
    if has(formats.PROJECTOR_DIR) or has(formats.VISUAL_ENCODER_DIR):
        return LLAVA if root_model else CONVERTED
    if has(formats.CONFIG):
        cfg = read_sub_config(path) or {}
        if str(cfg.get("model_type", "")).startswith("llava") or isinstance(cfg.get("vision_config"), dict):
            return LLAVA_HF
        return MODEL
    if is_work_dir(path):
        return WORK_DIR
    if is_deepspeed_checkpoint(path):  # its *_states.pt pickles are not a model's weights
        return CHECKPOINT
    if root_model:
        return MODEL
    return UNKNOWN


def _weight_files(path: Path) -> bool:
    from .weights import is_pickle_weights

    try:
        return any(p.is_file() and (p.name.endswith(".safetensors") or is_pickle_weights(p.name))
                   for p in path.iterdir())
    except OSError:
        return False


def inspect_folder(path, *, max_shard_size: Optional[int] = None, base=None, scan_values: bool = False,
                   deep: bool = True, progress: Optional[ProgressCallback] = None,
                   cancel: Optional[CancelToken] = None) -> Report:
    """Check ``path``; ``base`` (a folder or BaseModel) lets adapters be checked against it.

    Raises :class:`~mergesmith.core.errors.SourceError` only when ``path`` is neither a folder nor a
    training checkpoint file.
    """
    from ..errors import SourceError

    path = Path(path).expanduser()
    if is_gguf_file(path):
        report = Report(path, formats.KIND_GGUF)
        report.summary["title"] = KIND_TITLES[formats.KIND_GGUF]
        check_gguf(report, path)
        report.summary["bytes"] = path.stat().st_size
        return report
    if not path.is_dir() and not is_checkpoint_file(path):
        raise SourceError(f"{path} {'is a file' if path.exists() else 'does not exist'}; point at a model, "
                          "adapter or training output folder.", path=path)
    kind = detect_kind(path)
    report = Report(path, kind)
    report.summary["title"] = KIND_TITLES[kind]
    if base is not None:  # where the base (a folder, or a Hub id in a local cache) was found
        report.summary["base_found"] = (base.located or locate(base.folder) if hasattr(base, "folder")
                                        else locate(base)).to_dict()
    ctx = _Context(report, max_shard_size, deep)
    if kind == WORK_DIR:
        check_work_dir(report, path)
    elif kind == CHECKPOINT:
        check_checkpoint(report, path)
    elif kind == ADAPTER:
        _check_adapter_folder(report, path, base, deep)
    elif kind == CONVERTED:
        base_model = _open_base(base)
        try:
            _check_converted(ctx, path, base_model)
        finally:
            _close(base_model)
    elif kind == UNKNOWN:
        _no_model(report, path)
    else:
        config, _ = ctx.model(path, "")
        if kind == LLAVA_HF:
            check_processor(report, path, "", "llava")
        if kind == LLAVA or llava_expected(path):
            _check_llava_parts(ctx, path, llm_hidden=hidden_size(config))
    if path.is_dir():
        check_card(report, path)
    report.summary["bytes"] = _disk_size(path)
    if scan_values:
        _scan_values(ctx, path, kind, progress, cancel)
    return report


def _check_adapter_folder(report: Report, path: Path, base, deep: bool) -> None:
    """A PEFT adapter, against ``base`` when given, and the tokenizer saved beside it."""
    base_model = _open_base(base)
    try:
        adapter = check_adapter(report, path, base=base_model)
        if any((path / n).is_file() for n in ("tokenizer.json", "tokenizer_config.json")):
            rows = _adapter_rows(adapter, base_model)
            check_tokenizer(report, path, embedding_rows=rows, load=deep, generation_eos=True,
                            embedding_name="the embedding the merged model will have")
    finally:
        _close(base_model)


def _no_model(report: Report, path: Path) -> None:
    """A folder with nothing to inspect: say so, and name the outputs inside it, if any."""
    from ..problems import ERROR, Problem
    from ..texts import render
    from ..sources.source import outputs_inside

    inside = outputs_inside(path)
    params = {"inside": ", ".join(name for name, _what in inside[:3])} if inside else {}
    key = "missing-config/no-model-inside" if inside else "missing-config/no-model"
    # not fixable: copying a config.json into a folder without weights would not make it a model
    report.problems.append(Problem("missing-config", ERROR, formats.CONFIG, render(key, params), fixable=False,
                                   params=params, key=key))


def _scan_values(ctx: "_Context", path: Path, kind: str, progress, cancel) -> None:
    """NaN/Inf in every readable shard (and the adapter's weights), streaming."""
    from .values import scan_values as scan

    shards = [(v.rel, v.folder / name, h) for v in ctx.views for name, h in v.headers.items()
              if name not in v.broken]
    if kind == ADAPTER:
        shards += _adapter_weights(path)
    scan(ctx.report, shards, progress=progress, cancel=cancel)


def _adapter_weights(path: Path) -> list:
    """The adapter's safetensors file for --scan-values, when it is readable (else already reported)."""
    from ..io.safetensors import read_header
    from ..errors import SourceError

    weights = path / formats.ADAPTER_SAFE
    try:
        return [("", weights, read_header(weights))] if weights.is_file() else []
    except SourceError:
        return []


class _Context:
    """Options and the weight views gathered on the way (for --scan-values)."""

    def __init__(self, report: Report, max_shard_size: Optional[int], deep: bool) -> None:
        self.report, self.max_shard_size, self.deep = report, max_shard_size, deep
        self.views: list[WeightsView] = []

    def model(self, folder: Path, rel: str, *, role: Optional[str] = None) -> tuple[Optional[dict], WeightsView]:
        """A full model folder: config, weights, remote code, dtype, tokenizer, architecture.

        ``role`` is "llm" (tokenizer and generation config wanted) or "vision" (an image
        processor wanted); by default a config with a vocabulary is an LLM.
        """
        report = self.report
        config = check_config(report, folder, rel)
        if role is None:
            role = "llm" if config is None or _has_vocab(config) else "vision"
            if role == "vision" and not rel:
                check_processor(report, folder, rel, "vision")
        weights = check_weights(report, folder, rel, max_shard_size=self.max_shard_size)
        self.views.append(weights)
        remote = known = False
        if config is not None:
            remote = check_remote_code(report, folder, rel, config)
            # the model-type lookup imports transformers' registry (about a second): deep checks only
            known = not remote and self.deep and check_architecture_known(report, rel, config)
            check_dtype(report, rel, config, weights)
        if role == "llm":
            check_generation_config(report, folder, rel, validate=self.deep)
            rows, embed = _embedding_rows(weights)
            # an unreadable config.json also stops AutoTokenizer: that is reported once, as the config's
            config_broken = config is None and (folder / formats.CONFIG).exists()
            check_tokenizer(report, folder, rel, embedding_rows=rows, embedding_name=embed or "the input embedding",
                            load=self.deep and not config_broken, generation_eos=_has_eos(folder, config))
        quantized = config is not None and bool(config.get("quantization_config"))
        if quantized:
            report.note(f"{rel or 'The model'} is quantized ({(config.get('quantization_config') or {}).get('quant_method', '?')}); "
                        "its weight names were not compared with the architecture.")
        elif self.deep and known and weights.tensors:
            from .arch import check_architecture

            check_architecture(report, folder, rel, config, weights.tensors, read_rows=_sampler(weights))
        elif remote:
            report.note(f"{rel or 'The model'} uses remote code (auto_map); its weights were not compared "
                        "with the architecture (Mergesmith never runs code from a model folder).")
        elif self.deep and config is not None and weights.pickles and not weights.tensors:
            report.note("The weights are pickled, so their names were not compared with the architecture; "
                        "convert them (`mergesmith fix`) and inspect again.")
        return config, weights


def _check_converted(ctx: _Context, path: Path, base) -> None:
    report = ctx.report
    if (path / formats.ADAPTER_CONFIG).is_file() or (path / formats.ADAPTER_SAFE).is_file():
        check_adapter(report, path, base=base)
    llm_dir = path / formats.LLM_ADAPTER_DIR
    if llm_dir.is_dir():
        check_adapter(report, llm_dir, formats.LLM_ADAPTER_DIR, base=base)
    vis_dir = path / formats.VISUAL_ENCODER_ADAPTER_DIR
    if vis_dir.is_dir():
        check_adapter(report, vis_dir, formats.VISUAL_ENCODER_ADAPTER_DIR)
    llm_hidden = hidden_size(base.config) if base is not None else None
    if (path / formats.PROJECTOR_DIR).is_dir() or vis_dir.is_dir() or llava_expected(path) \
            or (path / formats.VISUAL_ENCODER_DIR).is_dir():
        _check_llava_parts(ctx, path, llm_hidden=llm_hidden)


def _check_llava_parts(ctx: _Context, root: Path, *, llm_hidden: Optional[int]) -> None:
    report = ctx.report
    vis = root / formats.VISUAL_ENCODER_DIR
    visual_hidden = None
    if vis.is_dir():
        vconfig, _ = ctx.model(vis, formats.VISUAL_ENCODER_DIR, role="vision")
        check_processor(report, vis, formats.VISUAL_ENCODER_DIR, "folder", part="visual_encoder/")
        visual_hidden = hidden_size(vconfig, vision=True)
    if (root / formats.PROJECTOR_DIR).is_dir():
        check_projector(report, root, llm_hidden=llm_hidden, visual_hidden=visual_hidden,
                        max_shard_size=ctx.max_shard_size)
    else:
        evidence = ("visual_encoder/" if vis.is_dir() else
                    "visual_encoder_adapter/" if (root / formats.VISUAL_ENCODER_ADAPTER_DIR).is_dir()
                    else "xtuner_config.py: LLaVAModel")
        missing_projector(report, root, evidence)


def _open_base(base):
    if base is None:
        return None
    from ..model.base import BaseModel

    return base if isinstance(base, BaseModel) else BaseModel.open(base)


def _close(base_model) -> None:
    if base_model is not None:
        base_model.close()


def _adapter_rows(adapter, base_model) -> Optional[int]:
    """Rows of the input embedding after merging: the adapter's saved one, else the base's."""
    if base_model is None:
        return None
    if adapter is not None:
        infos = adapter.store.infos()
        for rel, aname in adapter.replacements.items():
            if rel.endswith(EMBEDDING_SUFFIXES) and len(infos[aname].shape) == 2:
                return infos[aname].shape[0]
    name = base_model.input_embedding
    return base_model.infos[name].shape[0] if name else None


def _has_vocab(config: dict) -> bool:
    text = config.get("text_config")
    return "vocab_size" in config or (isinstance(text, dict) and "vocab_size" in text)


def _embedding_rows(weights: WeightsView) -> tuple[Optional[int], Optional[str]]:
    for name, info in sorted(weights.tensors.items()):
        if info is not None and name.endswith(EMBEDDING_SUFFIXES) and "vision" not in name and info.shape:
            return info.shape[0], name
    return None, None


def _has_eos(folder: Path, config: Optional[dict]) -> bool:
    if config and config.get("eos_token_id") is not None:
        return True
    try:
        gen = read_json(folder / formats.GENERATION_CONFIG)
        return isinstance(gen, dict) and gen.get("eos_token_id") is not None
    except (OSError, ValueError, RecursionError):
        return False


def _sampler(weights: WeightsView):
    """read_rows(name): the first and last 16 KB of a tensor's data, to tell two tensors apart."""

    def read_rows(name: str) -> bytes:
        f = weights.file_of.get(name)
        h = weights.headers.get(f) if f else None
        info = h.tensors.get(name) if h is not None else None
        if info is None:
            return b""
        start, length = h.data_start + info.start, info.end - info.start
        span = min(length, 16384)
        try:
            fd = os.open(h.path, os.O_RDONLY)
            try:
                return os.pread(fd, span, start) + os.pread(fd, span, start + length - span)
            finally:
                os.close(fd)
        except OSError:
            return b""

    return read_rows


def _disk_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total
