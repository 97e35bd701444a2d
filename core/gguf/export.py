"""Plan and write one GGUF file from a model folder: checks first, then one tensor at a time.

The file appears whole or not at all: it is written as a hidden sibling
(``.<name>.mergesmith-partial-<owner>``), fsynced and renamed; a failure, a cancel or a full disk
removes it. An existing file is replaced only with ``overwrite``.
"""

from __future__ import annotations

import logging
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

from ..errors import PlanError
from ..io import atomic, hold, landing
from ..io.jsonfile import read_json_object
from ..progress import CancelToken, Progress, ProgressCallback, no_progress
from .inputs import GgufInput, folder_input, plan_input
from .arch import Architecture, architecture_of, hyperparameters, llama3_rope_factors
from .tensors import TYPES, TensorJob, plan_tensors, rope_freqs_job, write_tensor
from .vocab import Vocabulary, read_vocabulary

FILE_TYPES = {"f32": 0, "f16": 1, "q8_0": 7, "bf16": 32}  # gguf.LlamaFileType
HEADER_ALLOWANCE = 16 << 20  # metadata and token tables, generously


@dataclass
class GgufPlan:
    folder: Path
    out: Path
    qtype: str
    overwrite: bool
    config: dict
    arch: Architecture
    vocab: Vocabulary
    jobs: list[TensorJob]
    source: GgufInput
    disk_free: Optional[int] = None
    notes: list[str] = field(default_factory=list)
    hold: Optional[object] = None  # core.io.hold.Hold on ``out``: taken by the caller, or by run_gguf

    @property
    def data_bytes(self) -> int:
        return sum(j.nbytes for j in self.jobs)

    @property
    def modelfile(self) -> Path:
        return self.out.with_name(self.out.stem + ".Modelfile")

    def close(self) -> None:
        self.source.close()
        if self.hold is not None:
            self.hold.release()

    def __enter__(self) -> "GgufPlan":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def to_dict(self) -> dict:
        return {"model": self.source.label, "out": str(self.out), "type": self.qtype,
                "architecture": self.arch.gguf, "tokenizer": self.vocab.model, "pre_tokenizer": self.vocab.pre,
                "tensors": len(self.jobs), "bytes": self.data_bytes, "disk_free": self.disk_free,
                "modelfile": str(self.modelfile), "notes": list(self.notes)}


def plan_gguf(model, out, qtype: str = "f16", *, overwrite: bool = False) -> GgufPlan:
    """Everything checked before a byte is written: architecture, tokenizer, tensors, room on disk.

    ``model`` is a model folder, or a merge plan (core.plan) for the one-step path.
    """
    out = Path(out).expanduser()
    if qtype not in TYPES:
        raise PlanError(f"--type {qtype}: choose one of {', '.join(TYPES)}.")
    if out.suffix.lower() != ".gguf":
        raise PlanError(f"--out {out}: name the file *.gguf, which is what llama.cpp and Ollama look for.")
    if out.is_dir():
        raise PlanError(f"--out {out} is a folder; give the name of the .gguf file to write.", path=out)
    if out.exists() and not overwrite:
        raise PlanError(f"{out} already exists; pass --overwrite to replace it, or choose another --out.",
                        path=out)
    writer = hold.holder(out)  # another run writing this file now (issue 17's rule for every output)
    if writer is not None:
        raise hold.HeldError(writer.sentence(out), path=out)
    if isinstance(model, (str, os.PathLike)):
        source = folder_input(Path(model).expanduser())
    else:
        source = plan_input(model)
    try:
        plan = _plan(source, out, qtype, overwrite)
    except BaseException:
        source.close()
        raise
    _check_room(plan)
    return plan


def merge_plan_options(out: Path, *, dtype: str = "auto", iteration: Optional[int] = None):
    """Options for the merge planner when the merge goes straight into ``out`` (a .gguf file): the
    planner checks a folder that is never written, a hidden sibling of the file, for its checks of
    overlap with the inputs and of write permission."""
    from ..plan.base import PlanOptions

    return PlanOptions(out=out.with_name(f".{out.name}.merge"), dtype=dtype, iteration=iteration)


def _plan(source: GgufInput, out: Path, qtype: str, overwrite: bool) -> GgufPlan:
    folder = source.meta_dir
    config = read_json_object(folder / "config.json", PlanError)
    where = str(folder) if source.label == folder.name else source.label
    arch = architecture_of(config, where)
    hyperparameters(config, arch, where)  # refuses what we cannot write, before anything else
    vocab = read_vocabulary(folder, int(config["vocab_size"]))
    jobs = plan_tensors(source.shapes, config, arch, qtype, where)
    factors = llama3_rope_factors(config)
    if factors:
        jobs.insert(0, rope_freqs_job(factors))
    return GgufPlan(folder, out, qtype, overwrite, config, arch, vocab, jobs, source)


def _check_room(plan: GgufPlan) -> None:
    parent = plan.out.parent
    while not parent.exists():
        parent = parent.parent
    plan.disk_free = shutil.disk_usage(parent).free
    needed = plan.data_bytes + HEADER_ALLOWANCE
    if plan.disk_free < needed:
        plan.close()
        raise PlanError(f"{parent} has {plan.disk_free / 1e9:.2f} GB free, and {plan.out.name} needs "
                        f"{needed / 1e9:.2f} GB; free some space or choose another --out.", path=parent)


@dataclass
class GgufResult:
    out: Path
    modelfile: Path
    bytes_written: int
    tensors: int

    def to_dict(self) -> dict:
        return {"out": str(self.out), "modelfile": str(self.modelfile), "bytes": self.bytes_written,
                "tensors": self.tensors}


def run_gguf(plan: GgufPlan, progress: ProgressCallback = no_progress,
             cancel: Optional[CancelToken] = None) -> GgufResult:
    """Write the planned file (and its Ollama Modelfile) into place."""
    cancel = cancel or CancelToken()
    plan.out.parent.mkdir(parents=True, exist_ok=True)
    if plan.hold is None:  # held from here to the end (released when the plan closes)
        plan.hold = hold.acquire(plan.out, "GGUF export")
    with _staged_file(plan.out) as tmp, _quiet_gguf():
        written = _write(plan, tmp, progress, cancel)
        cancel.raise_if_cancelled()
        _commit_file(tmp, plan.out, plan.overwrite)
    _write_modelfile(plan)
    progress(Progress("done", written, written, plan.out.name, written, written))
    return GgufResult(plan.out, plan.modelfile, written, len(plan.jobs))


def _write(plan: GgufPlan, tmp: Path, progress: ProgressCallback, cancel: CancelToken) -> int:
    import gguf
    import numpy as np

    writer = gguf.GGUFWriter(path=None, arch=plan.arch.gguf)
    _add_metadata(writer, plan)
    for job in plan.jobs:
        writer.add_tensor_info(job.name, job.shape, np.dtype(np.float32), job.nbytes,
                               raw_dtype=getattr(gguf.GGMLQuantizationType, job.qtype.upper()))
    counts = writer.get_total_parameter_count()
    if counts[0] > 0:
        writer.add_size_label(gguf.size_label(*counts))  # "1.5B", as llama.cpp's converter labels files
    try:
        writer.write_header_to_file(path=tmp)
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        _write_data(plan, writer.fout[0], writer.data_alignment, progress, cancel)
    finally:
        writer.close()
    return os.path.getsize(tmp)


def _write_data(plan: GgufPlan, out, alignment: int, progress: ProgressCallback, cancel: CancelToken) -> None:
    """Tensors converted on this thread, written on another (core.io.pipeline), so that converting
    and writing overlap; at most a few blocks are in flight."""
    from ..io.pipeline import BackgroundWriter

    total, done = plan.data_bytes, 0
    bg = BackgroundWriter(depth=4)

    def write(data) -> None:
        nonlocal done
        cancel.raise_if_cancelled()
        bg.submit(lambda data=data: out.write(memoryview(data.numpy())))
        done += data.numel()
        progress(Progress("write", done, total, plan.out.name, done, total))

    try:
        for job in plan.jobs:
            cancel.raise_if_cancelled()
            bg.submit(lambda: _pad(out, alignment))
            read = (lambda a, b, name=job.source: plan.source.read_rows(name, a, b))
            write_tensor(job, read, write, plan.config)
            if job.source is not None:
                name = job.source
                bg.submit(lambda: None, lambda name=name: plan.source.release(name))
        bg.submit(lambda: _pad(out, alignment))
        bg.wait()
    finally:
        bg.close()
    out.flush()
    os.fsync(out.fileno())


def _pad(out, alignment: int) -> None:
    pad = -out.tell() % alignment
    if pad:
        out.write(b"\0" * pad)


def _add_metadata(writer, plan: GgufPlan) -> None:
    import gguf

    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_name(plan.source.label)
    writer.add_string("general.quantized_by", f"Mergesmith {_version()}")
    for method, _, value in hyperparameters(plan.config, plan.arch, str(plan.folder)):
        if method == "add_rope_scaling_type":
            value = gguf.RopeScalingType(value)
        getattr(writer, method)(value)
    writer.add_file_type(FILE_TYPES[plan.qtype])
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    vocab = plan.vocab
    writer.add_tokenizer_model(vocab.model)
    writer.add_tokenizer_pre(vocab.pre)
    writer.add_token_list(vocab.tokens)
    if vocab.scores is not None:
        writer.add_token_scores(vocab.scores)
    writer.add_token_types(vocab.types)
    special = gguf.SpecialVocab(plan.folder, load_merges=vocab.model == "gpt2", n_vocab=len(vocab))
    special.add_to_gguf(writer, quiet=True)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mergesmith")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(source)"


@contextmanager
def _quiet_gguf() -> Iterator[None]:
    """The gguf package logs every key it writes at INFO and odd ones at WARNING; we report ourselves."""
    logger = logging.getLogger("gguf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextmanager
def _staged_file(out: Path) -> Iterator[Path]:
    tmp = atomic.staging_name(out)
    try:
        yield tmp
    except BaseException as exc:
        with atomic.signals_deferred():
            tmp.unlink(missing_ok=True)
        if atomic.is_disk_full(exc):
            raise atomic.disk_full_error(exc, out) from None
        raise


def _commit_file(tmp: Path, out: Path, overwrite: bool) -> None:
    """The finished file into place; without ``overwrite`` never over a file that appeared meanwhile
    (:func:`~mergesmith.core.io.landing.land_file` refuses it without a race)."""
    with atomic.signals_deferred():
        if overwrite:
            os.replace(tmp, out)
        elif not landing.land_file(tmp, out):
            raise landing.appeared(out)
        atomic.fsync_dir(out.parent)


def _write_modelfile(plan: GgufPlan) -> None:
    """``ollama create NAME -f <stem>.Modelfile``: the file, and the stop tokens of the generation config."""
    lines = [f"FROM ./{plan.out.name}"]
    for token in stop_tokens(plan):
        lines.append(f'PARAMETER stop "{token}"')
    tmp = plan.modelfile.with_name("." + plan.modelfile.name + ".partial")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, plan.modelfile)


def stop_tokens(plan: GgufPlan) -> list[str]:
    ids: list = []
    for name in ("generation_config.json", "config.json"):
        path = plan.folder / name
        if path.is_file():
            value = read_json_object(path, PlanError).get("eos_token_id")
            ids = value if isinstance(value, list) else [value] if isinstance(value, int) else []
            if ids:
                break
    tokens = [plan.vocab.tokens[i] for i in ids if isinstance(i, int) and 0 <= i < len(plan.vocab)]
    return [t.replace("\\", "\\\\").replace('"', '\\"') for t in dict.fromkeys(tokens)]
