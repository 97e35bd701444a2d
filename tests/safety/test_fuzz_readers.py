"""Fuzz the two readers of untrusted bytes -- safetensors headers/tensors and PyTorch checkpoints
(zip + pickle, and the legacy pickle format) -- with hypothesis: only Mergesmith's own errors
(``MergesmithError`` subclasses) may escape, never a crash, a hang or a foreign exception.

Inputs: mutations of valid files (bit flips, byte writes, truncation, insertions, deletions),
random header JSON, pickles mutated inside an intact zip, and random bytes. Bounded for CI
(derandomized, a fixed number of examples, about 10-20 s in all); run longer by hand with
``MERGESMITH_FUZZ_EXAMPLES=20000 pytest tests/safety/test_fuzz_readers.py``.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mergesmith.core.io.checkpoint import load_checkpoint, state_dict_of  # noqa: E402
from mergesmith.core.errors import MergesmithError  # noqa: E402
from mergesmith.core.io.safetensors import SafetensorsFile  # noqa: E402

EXAMPLES = int(os.environ.get("MERGESMITH_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
WORK = Path(os.environ.get("MERGESMITH_FUZZ_DIR", "/tmp")) / f"mergesmith-fuzz-{os.getpid()}"
STATS: dict[str, dict[str, int]] = {}


def _count(target: str, outcome: str) -> None:
    STATS.setdefault(target, {}).setdefault(outcome, 0)
    STATS[target][outcome] += 1


@pytest.fixture(scope="module", autouse=True)
def _work_dir():
    WORK.mkdir(parents=True, exist_ok=True)
    yield
    for p in WORK.iterdir():
        p.unlink()
    WORK.rmdir()
    if os.environ.get("MERGESMITH_FUZZ_REPORT"):
        print("\nfuzz outcomes:", json.dumps(STATS, indent=1, sort_keys=True))


def _valid_safetensors() -> bytes:
    from safetensors.torch import save

    g = torch.Generator().manual_seed(0)
    return save({"a.weight": torch.randn(4, 8, generator=g).to(torch.bfloat16),
                 "b.bias": torch.randn(3, generator=g), "c.idx": torch.arange(5, dtype=torch.int64),
                 "empty": torch.zeros(0, 4)}, metadata={"format": "pt"})


def _valid_checkpoint(legacy: bool = False) -> bytes:
    buf = io.BytesIO()
    g = torch.Generator().manual_seed(1)
    obj = {"meta": {"iter": 3, "cfg": "model = dict()"},
           "state_dict": {"llm.w": torch.randn(4, 6, generator=g), "llm.b": torch.randn(6, generator=g).half()},
           "optimizer": {"param_groups": [{"lr": 1e-4, "params": [0, 1]}]}}
    torch.save(obj, buf, _use_new_zipfile_serialization=not legacy)
    return buf.getvalue()


ST_VALID = _valid_safetensors()
PTH_VALID = _valid_checkpoint()
PTH_LEGACY = _valid_checkpoint(legacy=True)

mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 1 << 20), st.integers(0, 7)),
    st.tuples(st.just("set"), st.integers(0, 1 << 20), st.integers(0, 255)),
    st.tuples(st.just("cut"), st.integers(0, 1 << 20), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 1 << 20), st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("delete"), st.integers(0, 1 << 20), st.integers(1, 64)),
)


def mutate(data: bytes, ops) -> bytes:
    buf = bytearray(data)
    for op, pos, arg in ops:
        if not buf:
            break
        i = pos % len(buf)
        if op == "flip":
            buf[i] ^= 1 << arg
        elif op == "set":
            buf[i] = arg
        elif op == "cut":
            del buf[i:]
        elif op == "insert":
            buf[i:i] = arg
        else:
            del buf[i:i + arg]
    return bytes(buf)


def read_safetensors(data: bytes, target: str) -> None:
    path = WORK / "x.safetensors"
    path.write_bytes(data)
    try:
        with SafetensorsFile(path) as f:
            for name in f.header.tensors:
                t = f.tensor(name)
                if t.numel():
                    t.float().sum()
                f.release(name)
        _count(target, "read")
    except MergesmithError:
        _count(target, "refused")


def read_checkpoint(data: bytes, target: str) -> None:
    path = WORK / "iter_1.pth"
    path.write_bytes(data)
    try:
        obj = load_checkpoint(path)
        for t in state_dict_of(obj, path).values():
            if t.numel():
                t.float().sum()
        _count(target, "read")
    except MergesmithError:
        _count(target, "refused")


# --- safetensors -------------------------------------------------------------------------------


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=6))
def test_fuzz_safetensors_mutations(ops):
    read_safetensors(mutate(ST_VALID, ops), "safetensors-mutated")


json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-(1 << 70), 1 << 70) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
entry = st.fixed_dictionaries({}, optional={
    "dtype": st.sampled_from(["F32", "BF16", "F16", "I64", "U8", "BOOL", "F8_E4M3", "Q4", ""]) | json_value,
    "shape": st.lists(st.integers(-3, 40), max_size=3) | json_value,
    "data_offsets": st.lists(st.integers(-8, 300), min_size=2, max_size=2) | json_value})


@FUZZ
@given(st.dictionaries(st.text(max_size=12), entry | json_value, max_size=5),
       st.integers(0, 400), st.sampled_from([None, 0, 1, 7, 1 << 40, (1 << 64) - 1]))
def test_fuzz_safetensors_random_headers(header, data_len, length):
    body = json.dumps(header).encode()
    n = len(body) if length is None else length
    read_safetensors(struct.pack("<Q", n) + body + (bytes(range(256)) * 2)[:data_len], "safetensors-random-header")


@FUZZ
@given(st.binary(max_size=600))
def test_fuzz_safetensors_random_bytes(data):
    read_safetensors(data, "safetensors-random-bytes")


# --- checkpoints -------------------------------------------------------------------------------


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=6))
def test_fuzz_checkpoint_file_mutations(ops):
    read_checkpoint(mutate(PTH_VALID, ops), "pth-zip-mutated")


def _with_pickle(pickled: bytes) -> bytes:
    """The valid checkpoint's zip with data.pkl replaced (every other record intact)."""
    src = zipfile.ZipFile(io.BytesIO(PTH_VALID))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
        for info in src.infolist():
            z.writestr(info.filename, pickled if info.filename.endswith("data.pkl") else src.read(info))
    return out.getvalue()


PICKLE = zipfile.ZipFile(io.BytesIO(PTH_VALID)).read(
    next(n for n in zipfile.ZipFile(io.BytesIO(PTH_VALID)).namelist() if n.endswith("data.pkl")))


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=6))
def test_fuzz_checkpoint_pickle_mutations(ops):
    read_checkpoint(_with_pickle(mutate(PICKLE, ops)), "pth-pickle-mutated")


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=6))
def test_fuzz_legacy_checkpoint_mutations(ops):
    read_checkpoint(mutate(PTH_LEGACY, ops), "pth-legacy-mutated")


@FUZZ
@given(st.binary(max_size=600))
def test_fuzz_checkpoint_random_bytes(data):
    read_checkpoint(b"\x80\x02" + data if data[:1] == b"\x00" else data, "pth-random-bytes")
