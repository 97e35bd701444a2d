"""One tensor at a time: a transformers tensor's llama.cpp name, its GGUF type and size, and its
conversion written block by block (a few MB of rows at a time, never the whole tensor in memory)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Callable, Optional

import numpy as np

from ..errors import PlanError
from .arch import Architecture, head_dim

# names llama.cpp does not want (buffers some checkpoints carry)
SKIPPED_SUFFIXES = (".rotary_emb.inv_freq", ".attention.masked_bias", ".attention.bias")
CHUNK_BYTES = 32 << 20  # float32 bytes of rows converted at once
TYPES = ("f16", "bf16", "q8_0")
Q8_BLOCK, Q8_BLOCK_BYTES = 32, 34


@dataclass(frozen=True)
class TensorJob:
    source: Optional[str]  # the tensor's name in the model folder; None for one made here
    name: str  # its name in the GGUF file
    shape: tuple[int, ...]  # as transformers holds it (GGUF lists the dimensions the other way round)
    qtype: str  # "f32", "f16", "bf16" or "q8_0"
    permute_heads: int = 0  # rows interleaved per head for llama.cpp's rope (q_proj: heads, k_proj: kv heads)
    values: Optional[tuple[float, ...]] = None  # data of a tensor made here (rope_freqs)

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def nbytes(self) -> int:
        if self.qtype == "q8_0":
            return self.numel // Q8_BLOCK * Q8_BLOCK_BYTES
        return self.numel * (4 if self.qtype == "f32" else 2)


def tensor_type(name: str, shape: tuple[int, ...], wanted: str) -> str:
    """llama.cpp's converter's rule: vectors, norms and biases stay float32; matrices take the wanted
    type, except that q8_0 needs rows whose length is a multiple of 32 (else float16)."""
    if len(shape) <= 1 or name.endswith("_norm.weight") or not name.endswith(".weight"):
        return "f32"
    if wanted == "q8_0" and shape[-1] % Q8_BLOCK:
        return "f16"
    return wanted


def plan_tensors(shapes: dict, config: dict, arch: Architecture, wanted: str, where: str) -> list[TensorJob]:
    import gguf

    n_blocks = int(config["num_hidden_layers"])
    arch_enum = {v: k for k, v in gguf.MODEL_ARCH_NAMES.items()}[arch.gguf]
    names = gguf.get_tensor_name_map(arch_enum, n_blocks)
    heads = int(config["num_attention_heads"])
    kv_heads = int(config.get("num_key_value_heads") or heads)
    jobs = []
    for source, shape in shapes.items():
        if source.endswith(SKIPPED_SUFFIXES):
            continue
        name = names.get_name(source, try_suffixes=(".weight", ".bias"))
        if name is None:
            raise PlanError(f"{where}: tensor {source} has no place in llama.cpp's {arch.gguf} architecture; "
                            "the folder holds more than a plain causal language model (a vision tower, a value "
                            "head?). Export the language model alone.", path=where)
        permute = 0
        if arch.permute_qk and source.endswith(("q_proj.weight", "q_proj.bias")):
            permute = heads
        elif arch.permute_qk and source.endswith(("k_proj.weight", "k_proj.bias")):
            permute = kv_heads
        jobs.append(TensorJob(source, name, shape, tensor_type(name, shape, wanted), permute))
    return jobs


def rope_freqs_job(factors: list[float]) -> TensorJob:
    return TensorJob(None, "rope_freqs.weight", (len(factors),), "f32", 0, tuple(factors))


def _interleave(rows: np.ndarray, rows_per_head: int) -> np.ndarray:
    """HF's [first halves | second halves] per head → llama.cpp's interleaved pairs (whole heads only)."""
    n = rows.shape[0] // rows_per_head
    rest = rows.shape[1:]
    return rows.reshape(n, 2, rows_per_head // 2, *rest).swapaxes(1, 2).reshape(rows.shape)


def encode(rows: np.ndarray, qtype: str) -> np.ndarray:
    """float32 rows in the GGUF type's bytes (llama.cpp's own rounding: gguf.quants)."""
    if qtype == "f32":
        return rows
    if qtype == "f16":
        return rows.astype(np.float16)
    import gguf

    kind = gguf.GGMLQuantizationType.BF16 if qtype == "bf16" else gguf.GGMLQuantizationType.Q8_0
    return gguf.quants.quantize(rows, kind)


def write_tensor(job: TensorJob, read: Callable[[int, int], np.ndarray], out: BinaryIO,
                 on_bytes: Callable[[int], None], config: dict) -> int:
    """Write ``job``'s data; ``read(a, b)`` gives rows a:b as float32. Returns the bytes written."""
    if job.values is not None:
        data = np.asarray(job.values, dtype=np.float32)
        out.write(data.tobytes())
        on_bytes(data.nbytes)
        return data.nbytes
    rows = job.shape[0] if job.shape else 1
    row_bytes = max(1, job.numel // max(rows, 1)) * 4
    unit = head_dim(config) if job.permute_heads else 1
    step = max(unit, (CHUNK_BYTES // row_bytes) // unit * unit)
    written = 0
    for a in range(0, rows, step):
        b = min(rows, a + step)
        chunk = read(a, b)
        if job.permute_heads:
            chunk = _interleave(chunk, unit)
        data = encode(np.ascontiguousarray(chunk), job.qtype)
        out.write(memoryview(np.ascontiguousarray(data)).cast("B"))
        written += data.nbytes
        on_bytes(data.nbytes)
    if written != job.nbytes:  # our size arithmetic and llama.cpp's encoder disagree: never write a lie
        raise RuntimeError(f"{job.name}: wrote {written} bytes, planned {job.nbytes}")
    return written
