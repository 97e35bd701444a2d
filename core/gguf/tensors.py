"""One tensor at a time: a transformers tensor's llama.cpp name, its GGUF type and size, and its
conversion written block by block (a few MB of rows at a time, never the whole tensor in memory)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from ..errors import PlanError
from .arch import Architecture, head_dim

# names llama.cpp does not want (buffers some checkpoints carry)
SKIPPED_SUFFIXES = (".rotary_emb.inv_freq", ".attention.masked_bias", ".attention.bias")
CHUNK_BYTES = 4 << 20  # float32 bytes of rows converted at once (small blocks stay in cache: faster, and less memory)
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


def _interleave(rows, rows_per_head: int):
    """HF's [first halves | second halves] per head → llama.cpp's interleaved pairs (whole heads only)."""
    n = rows.shape[0] // rows_per_head
    rest = tuple(rows.shape[1:])
    return rows.reshape(n, 2, rows_per_head // 2, *rest).transpose(1, 2).reshape(rows.shape)


def _round_half_away(x):
    """gguf.quants.np_roundf in torch, the same float32 steps: |x| rounded half up, the sign put back."""
    import torch

    a = x.abs()
    floored = a.floor()
    return torch.sign(x) * (floored + (2 * (a - floored)).floor())


def q8_0(rows) -> "torch.Tensor":
    """llama.cpp's Q8_0 of float32 ``rows`` (length a multiple of 32): per block of 32, the scale
    max|x|/127 as float16 then 32 int8; the same float32 arithmetic as gguf.quants.Q8_0, in torch,
    so the bytes are the same (tests compare them with llama.cpp's converter)."""
    import torch

    blocks = rows.reshape(-1, Q8_BLOCK)
    d = blocks.abs().amax(dim=1, keepdim=True) / 127
    inv = torch.where(d == 0, torch.zeros_like(d), 1 / d)
    qs = _round_half_away(blocks * inv).to(torch.int8).view(torch.uint8)
    return torch.cat([d.to(torch.float16).view(torch.uint8), qs], dim=1)


def encode(rows, qtype: str):
    """Rows (a torch tensor in the model's dtype) as the GGUF type's bytes, as llama.cpp's converter
    makes them: via float32 (exact from bf16/f16), then its rounding (f16: IEEE nearest-even; bf16:
    gguf.quants; q8_0: :func:`q8_0`)."""
    import torch

    if qtype == "bf16" and rows.dtype == torch.bfloat16:
        return rows.contiguous().view(torch.uint8)  # bf16 → f32 → bf16 changes nothing
    if qtype == "f16" and rows.dtype in (torch.bfloat16, torch.float16):
        return rows.to(torch.float16).contiguous().view(torch.uint8)  # exact through float32
    w32 = rows.to(torch.float32)
    if qtype == "f32":
        return w32.contiguous().view(torch.uint8)
    if qtype == "f16":
        return w32.to(torch.float16).contiguous().view(torch.uint8)
    if qtype == "q8_0":
        return q8_0(w32)
    import gguf

    return torch.from_numpy(gguf.quants.quantize(w32.numpy(), gguf.GGMLQuantizationType.BF16))


def write_tensor(job: TensorJob, read: Callable[[int, int], object], write: Callable[[object], None],
                 config: dict) -> int:
    """Hand ``job``'s data to ``write`` a block of rows at a time; ``read(a, b)`` gives rows a:b (a torch
    tensor). Returns the bytes planned and handed over (checked against the plan)."""
    import torch

    if job.values is not None:
        data = torch.tensor(job.values, dtype=torch.float32).view(torch.uint8)
        write(data)
        return data.numel()
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
        data = encode(chunk, job.qtype)
        write(data)
        written += data.numel()
    if written != job.nbytes:  # our size arithmetic and llama.cpp's encoder disagree: never write a lie
        raise RuntimeError(f"{job.name}: wrote {written} bytes, planned {job.nbytes}")
    return written
