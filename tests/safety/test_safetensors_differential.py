"""Differential tests: Mergesmith's safetensors reader and streaming writer against the
``safetensors`` library, on the same files.

* Files the library writes (``save_file``; random dtypes, shapes incl. 0-d and empty, non-ASCII
  names, metadata): our header reader, ``SafetensorsFile`` and the merge's ``SafetensorsStore``
  give the same names, dtypes, shapes, byte offsets and bytes as ``safe_open``.
* Files our ``ShardWriter`` writes, driven the three ways the merge drives it (whole tensors,
  ``begin``/``write_part``/``end`` in pieces, ``copy_range`` from a store's byte range): the
  library's ``load_file`` gives the same tensors, in the announced order, with the metadata.
* Files with bytes flipped or set in the header (length prefix included): whenever the library
  refuses, we refuse with our own error; where one side accepts what the other refuses, the
  reason must be one of ``DOCUMENTED`` below, else the test fails. Where both read, they agree.

Bounded for CI like ``test_fuzz_readers.py`` (derandomized, fixed example counts, a few
seconds); ``MERGESMITH_FUZZ_EXAMPLES=N`` runs every target N times.

The disagreements this test found that were bugs (a file longer than its header, read with shifted
bytes; an empty tensor whose other sizes overflow escaping as torch's error) are fixed and have
tests at the end.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from mergesmith.core.errors import MergesmithError
from mergesmith.core.io.safetensors import CorruptFileError, SafetensorsFile, ShardWriter, read_header
from mergesmith.core.io.stores import SafetensorsStore

EXAMPLES = int(os.environ.get("MERGESMITH_FUZZ_EXAMPLES", "0"))


def _settings(n: int) -> settings:
    return settings(max_examples=EXAMPLES or n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


WORK = Path(os.environ.get("MERGESMITH_FUZZ_DIR", "/tmp")) / f"mergesmith-diff-{os.getpid()}"

# The dtypes both sides read: safetensors code -> torch dtype.
DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
          "U8": torch.uint8, "BOOL": torch.bool}
if hasattr(torch, "float8_e4m3fn"):
    DTYPES.update(F8_E4M3=torch.float8_e4m3fn, F8_E5M2=torch.float8_e5m2)
# Dtypes the library (and torch) read but Mergesmith does not: refused with our own error
# (see DOCUMENTED["dtype-we-do-not-read"]).
LIBRARY_ONLY = {code: getattr(torch, name) for code, name in
                [("U16", "uint16"), ("U32", "uint32"), ("U64", "uint64"), ("C64", "complex64"),
                 ("F8_E4M3FNUZ", "float8_e4m3fnuz"), ("F8_E5M2FNUZ", "float8_e5m2fnuz")]
                if hasattr(torch, name)}

# Why one side may accept a file the other refuses. Anything else is a failure.
DOCUMENTED = {
    "dtype-we-do-not-read":
        "Mergesmith merges and checks LLM weights in the dtypes above; a tensor in another dtype the "
        "library knows (U16/U32/U64, C64, the FNUZ float8s, ...) is refused with a sentence "
        "naming the dtype, by read_header (an unknown code) or by SafetensorsFile.tensor (a code "
        "we parse but do not convert: U16/U32/U64).",
    "lenient-json":
        "We parse the header with Python's json module, which accepts what serde_json refuses: "
        "NaN/Infinity and -0, lone UTF-16 surrogate escapes, duplicate fields (last wins), a UTF-8 "
        "BOM or a UTF-16/32 encoded header. Every entry is still checked by our own rules (types, "
        "dtype sizes, offsets tiling the data), so what we read is self-consistent.",
}


@pytest.fixture(scope="module", autouse=True)
def _work_dir():
    WORK.mkdir(parents=True, exist_ok=True)
    yield
    for p in WORK.iterdir():
        p.unlink()
    WORK.rmdir()
    if os.environ.get("MERGESMITH_FUZZ_REPORT"):
        print("\ndifferential outcomes:", json.dumps(STATS, indent=1, sort_keys=True))


# --- strategies ------------------------------------------------------------------------------

NAMES = st.one_of(
    st.text(max_size=16),  # any code point hypothesis likes (non-ASCII, controls, ""), no surrogates
    st.sampled_from(["model.layers.0.self_attn.q_proj.weight", "lm_head.weight", "ключ.вес",
                     "权重.偏置", "poids_é", "🙂.bias", " ", "a\"b\\c", "\x00"]),
).filter(lambda s: s != "__metadata__")  # the library writes that name, then cannot read it back


@st.composite
def tensors(draw, dtypes=tuple(DTYPES)):
    code = draw(st.sampled_from(dtypes))
    dtype = DTYPES.get(code) or LIBRARY_ONLY[code]
    shape = draw(st.lists(st.integers(0, 5), max_size=3))  # [] is 0-d; any 0 makes it empty
    numel = 1
    for d in shape:
        numel *= d
    itemsize = torch.empty((), dtype=dtype).element_size()
    raw = bytearray(draw(st.binary(min_size=numel * itemsize, max_size=numel * itemsize)))
    if dtype is torch.bool:
        raw = bytearray(b & 1 for b in raw)
    if not raw:
        return torch.empty(shape, dtype=dtype)
    # Random bytes: NaN payloads, infinities, subnormals, -0 all occur; compared bit for bit.
    return torch.frombuffer(raw, dtype=torch.uint8).view(dtype).reshape(shape).clone()


STATE_DICTS = st.dictionaries(NAMES, tensors(), max_size=6)
METADATA = st.none() | st.dictionaries(st.text(max_size=8), st.text(max_size=12), max_size=3)


def _bytes(t: torch.Tensor) -> bytes:
    t = t.contiguous().reshape(-1)
    return t.view(torch.uint8).numpy().tobytes() if t.numel() else b""


def _code(t: torch.Tensor) -> str:
    return next(c for c, d in {**DTYPES, **LIBRARY_ONLY}.items() if d == t.dtype)


# --- what each side reads ----------------------------------------------------------------------


def library_reads(path: Path):
    """The library's view: ({name: (code, shape, bytes)}, metadata, names by offset), or the error."""
    try:
        with safe_open(str(path), "pt") as f:
            out = {}
            for name in f.keys():
                sl = f.get_slice(name)
                t = f.get_tensor(name)
                assert tuple(t.shape) == tuple(sl.get_shape())
                out[name] = (sl.get_dtype(), tuple(sl.get_shape()), _bytes(t))
            return out, f.metadata() or {}, list(f.offset_keys())
    except AssertionError:
        raise
    except Exception as exc:  # SafetensorError, and torch's errors on shapes it cannot make
        return exc


def we_read(path: Path):
    """Our view, the way merge reads a file; only our own errors may escape."""
    try:
        header = read_header(path)
        raw = path.read_bytes()
        out = {}
        with SafetensorsFile(path, header) as f:
            for name, info in header.tensors.items():
                t = f.tensor(name)
                offset, length = f.byte_range(name)
                assert (t.dtype, tuple(t.shape)) == (DTYPES[info.dtype], info.shape), name
                assert offset == header.data_start + info.start and length == info.end - info.start
                assert _bytes(t) == raw[offset:offset + length], f"{name}: the view is not the bytes at its range"
                out[name] = (info.dtype, info.shape, _bytes(t))
                f.release(name)
        by_offset = [n for n, _ in sorted(header.tensors.items(), key=lambda kv: (kv[1].start, kv[1].end))]
        return out, header.metadata, by_offset
    except MergesmithError as exc:
        return exc


def _why_the_library_refuses(path: Path) -> str | None:
    """The documented reason (a DOCUMENTED key) why the library refuses a file we read."""
    data = path.read_bytes()
    header = read_header(path)
    if _serde_would_refuse(data[8:header.data_start]):
        return "lenient-json"
    return None


def _why_we_refuse(lib_view) -> str | None:
    tensors_, _, _ = lib_view
    if any(code not in DTYPES for code, _, _ in tensors_.values()):
        return "dtype-we-do-not-read"
    return None


def _serde_would_refuse(raw: bytes) -> bool:
    """Whether this header uses one of the things Python's json accepts and serde_json does not."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return True
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return True  # json.loads(bytes) guessed UTF-16/32
    lenient = []

    def pairs(kv):
        keys = [k for k, _ in kv]
        if len(set(keys)) != len(keys):
            lenient.append("duplicate")
        return dict(kv)

    def constant(name):
        lenient.append(name)
        return float("nan")

    def integer(s):
        if s.lstrip("-").strip("0") == "" and s.startswith("-"):
            lenient.append("-0")
        return int(s)

    doc = json.loads(text, object_pairs_hook=pairs, parse_constant=constant, parse_int=integer)

    def strings(x):
        if isinstance(x, str):
            yield x
        elif isinstance(x, dict):
            for k, v in x.items():
                yield k
                yield from strings(v)
        elif isinstance(x, list):
            for v in x:
                yield from strings(v)

    for s in strings(doc):
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            lenient.append("surrogate")
    return bool(lenient)


STATS: dict[str, int] = {}


def compare(path: Path) -> str:
    """Read ``path`` with both; fail on any disagreement that DOCUMENTED does not explain."""
    lib, ours = library_reads(path), we_read(path)
    if isinstance(lib, Exception) and isinstance(ours, Exception):
        outcome = "both refuse"
    elif isinstance(lib, Exception):
        why = _why_the_library_refuses(path)
        assert why in DOCUMENTED, f"we read a file the library refuses ({lib}), for no documented reason"
        outcome = f"only the library refuses: {why}"
    elif isinstance(ours, Exception):
        assert isinstance(ours, MergesmithError)
        why = _why_we_refuse(lib)
        assert why in DOCUMENTED, f"we refuse a file the library reads ({ours}), for no documented reason"
        outcome = f"only we refuse: {why}"
    else:
        assert ours[0] == lib[0], "names, dtypes, shapes or bytes differ"
        assert ours[1] == lib[1], "metadata differs"
        nonempty = [n for n in ours[2] if ours[0][n][2]]  # empty tensors share offsets: any order
        assert nonempty == [n for n in lib[2] if lib[0][n][2]], "the order of the data differs"
        outcome = "both read, the same"
    STATS[outcome] = STATS.get(outcome, 0) + 1
    return outcome


# --- files the library writes, read by us ------------------------------------------------------


@_settings(150)
@given(STATE_DICTS, METADATA)
@example({"": torch.tensor(1.5, dtype=torch.bfloat16), "é": torch.zeros(0, 3), "x": torch.ones(2, 0, 4)},
         {"format": "pt", "ключ": "значение"})
def test_we_read_what_the_library_writes(state_dict, metadata):
    path = WORK / "lib.safetensors"
    if not state_dict and metadata == {}:
        metadata = None  # safetensors 0.8 writes '{},"__metadata__":{}}' here: a file neither side reads
    save_file(state_dict, str(path), metadata=metadata)
    assert compare(path) == "both read, the same"
    header = read_header(path)
    for name, t in state_dict.items():  # and both read what was saved
        info = header.tensors[name]
        assert (info.dtype, info.shape) == (_code(t), tuple(t.shape))
    # the merge's store: same infos, same tensors, raw() ranges holding the same bytes
    store = SafetensorsStore.from_file(path)
    try:
        assert set(store.infos()) == set(state_dict)
        for name, t in state_dict.items():
            assert _bytes(store.tensor(name)) == _bytes(t)
            fd, offset, length = store.raw(name)
            assert (os.pread(fd, length, offset) if length else b"") == _bytes(t)
            store.release(name)
    finally:
        store.close()


@_settings(30)
@given(st.dictionaries(NAMES, tensors(tuple(LIBRARY_ONLY)), min_size=1, max_size=3))
def test_dtypes_we_do_not_read_are_refused_with_our_error(state_dict):
    path = WORK / "other.safetensors"
    save_file(state_dict, str(path))
    assert compare(path) == "only we refuse: dtype-we-do-not-read"


# --- files our writer writes, read by the library ----------------------------------------------

HOW = st.sampled_from(["write", "parts", "copy"])


@_settings(150)
@given(STATE_DICTS, METADATA, st.data())
def test_the_library_reads_what_our_writer_writes(state_dict, metadata, data):
    order = data.draw(st.permutations(list(state_dict)))
    src = WORK / "src.safetensors"
    save_file(state_dict, str(src))
    store = SafetensorsStore.from_file(src)  # what "copy" copies from, as the merge does (raw -> copy_range)
    out = WORK / "ours.safetensors"
    try:
        with ShardWriter(out, [(n, _code(state_dict[n]), tuple(state_dict[n].shape)) for n in order],
                         metadata) as writer:
            for name in order:
                t, how = state_dict[name], data.draw(HOW)
                if how == "write":
                    writer.write(name, t)
                elif how == "copy":
                    writer.copy_range(name, *store.raw(name))
                else:  # in pieces, as the merge streams row blocks
                    raw = _bytes(t)
                    cuts = sorted(data.draw(st.lists(st.integers(0, len(raw)), max_size=3)))
                    writer.begin(name, _code(t))
                    for a, b in zip([0, *cuts], [*cuts, len(raw)]):
                        writer.write_part(raw[a:b])
                    writer.end()
    finally:
        store.close()
    loaded = load_file(str(out))
    assert set(loaded) == set(state_dict)
    for name, t in state_dict.items():
        assert loaded[name].dtype == t.dtype and loaded[name].shape == t.shape, name
        assert _bytes(loaded[name]) == _bytes(t), name
    lib = library_reads(out)
    assert not isinstance(lib, Exception), lib
    assert lib[1] == {str(k): str(v) for k, v in (metadata or {}).items()}
    assert [n for n in lib[2] if lib[0][n][2]] == [n for n in order if lib[0][n][2]], \
        "the data is not laid out in the order announced"
    assert compare(out) == "both read, the same"


# --- header bytes flipped or set -----------------------------------------------------------------


def _base_file() -> bytes:
    g = torch.Generator().manual_seed(0)
    path = WORK.parent / f"mergesmith-diff-base-{os.getpid()}.safetensors"
    save_file({"model.embed.weight": torch.randn(4, 6, generator=g).to(torch.bfloat16),
               "b.bias": torch.randn(3, generator=g), "c.bias": torch.randn(3, generator=g).half(),
               "权重.scale": torch.tensor(0.5), "idx": torch.arange(5, dtype=torch.int64),
               "mask": torch.tensor([True, False, True]), "empty": torch.zeros(0, 4),
               **({"fp8": torch.randn(8, generator=g).to(torch.float8_e4m3fn)}
                  if hasattr(torch, "float8_e4m3fn") else {})},
              str(path), metadata={"format": "pt", "note": "ß"})
    data = path.read_bytes()
    path.unlink()
    return data


BASE = None

header_op = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 1 << 16), st.integers(0, 7)),
    st.tuples(st.just("set"), st.integers(0, 1 << 16), st.integers(0, 255)),
)


@_settings(600)
@given(st.lists(header_op, min_size=1, max_size=4))
def test_header_mutations_agree_or_differ_for_a_documented_reason(ops):
    global BASE
    if BASE is None:
        WORK.mkdir(parents=True, exist_ok=True)
        BASE = _base_file()
    buf = bytearray(BASE)
    end = 8 + struct.unpack("<Q", BASE[:8])[0]  # only the length prefix and the JSON
    for op, pos, arg in ops:
        i = pos % end
        if op == "flip":
            buf[i] ^= 1 << arg
        else:
            buf[i] = arg
    path = WORK / "mutated.safetensors"
    path.write_bytes(bytes(buf))
    compare(path)


# --- hand-made cases for each documented difference ---------------------------------------------


def _file(header: bytes | dict, data: bytes = b"", length: int | None = None) -> Path:
    body = json.dumps(header).encode() if isinstance(header, dict) else header
    path = WORK / "made.safetensors"
    path.write_bytes(struct.pack("<Q", len(body) if length is None else length) + body + data)
    return path


F32_4 = b'"dtype":"F32","shape":[4],"data_offsets":[0,16]'
DATA = struct.pack("<4f", 0, 1, 2, 3)


LENIENT = "only the library refuses: lenient-json"


@pytest.mark.parametrize("header, outcome", [
    (b'{"a":{' + F32_4 + b',"x":NaN}}', LENIENT),
    (b'{"a":{' + F32_4 + b'},"\\ud800":{"dtype":"F32","shape":[0],"data_offsets":[16,16]}}',
     LENIENT),
    (b'{"a":{"dtype":"F32","shape":[-0,4],"data_offsets":[0,0]},"b":{' + F32_4 + b'}}', LENIENT),
    (b'{"__metadata__":{"a":"1"},"__metadata__":{"a":"2"},"a":{' + F32_4 + b'}}',
     LENIENT),
    (b'\xef\xbb\xbf{"a":{' + F32_4 + b'}}', LENIENT),
    (b'{"a":{"dtype":"C64","shape":[2],"data_offsets":[0,16]}}', "only we refuse: dtype-we-do-not-read"),
    (b'{"a":{"dtype":"U16","shape":[8],"data_offsets":[0,16]}}', "only we refuse: dtype-we-do-not-read"),
    (b'{"a":{' + F32_4 + b',"extra":[1,{"b":2}]}}', "both read, the same"),
    (b'{"__metadata__":null,"a":{' + F32_4 + b'}}', "both read, the same"),
    (b'\t {"a":{' + F32_4 + b'}}\n', "both read, the same"),
    (b'{"a":{"dtype":"f32","shape":[4],"data_offsets":[0,16]}}', "both refuse"),
    (b'{"a":{"dtype":"F32","shape":[4.0],"data_offsets":[0,16]}}', "both refuse"),
    (b'{"a":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}', "both refuse"),
    (b'{"__metadata__":{"a":1}}', "both refuse"),
    (b'{"a":{' + F32_4 + b'},"b":{' + F32_4 + b'}}', "both refuse"),  # two names, the same bytes
    (b'{"a":{"dtype":"F32","shape":[3],"data_offsets":[4,16]}}', "both refuse"),  # a gap before it
    (b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],'
     b'"data_offsets":[4,12]}}', "both refuse"),  # overlapping
])
def test_hand_made_headers(header, outcome):
    assert compare(_file(header, DATA)) == outcome


def test_a_file_longer_than_its_header_is_refused_by_both():
    path = _file(b'{"a":{' + F32_4 + b'}}', DATA + b"appended")
    assert compare(path) == "both refuse"


# --- bugs this test found (fixed): the library refuses, we must too ---------------------------------


def test_a_length_prefix_that_moves_the_data_start_is_refused():
    body = b'{"a":{' + F32_4 + b'}} '
    path = _file(body, DATA, length=len(body) - 1)
    assert isinstance(library_reads(path), Exception)
    with pytest.raises(CorruptFileError):
        with SafetensorsFile(path) as f:
            assert f.tensor("a").tolist() != [0.0, 1.0, 2.0, 3.0]  # what we read today: shifted bytes


@pytest.mark.parametrize("shape", [[2 ** 64, 0], [2 ** 63, 0], [2 ** 62, 2 ** 62, 0]])
def test_an_empty_tensor_with_huge_dims_is_refused_with_our_error(shape):
    path = _file({"a": {"dtype": "F32", "shape": shape, "data_offsets": [0, 0]}})
    assert isinstance(library_reads(path), Exception)
    with pytest.raises(MergesmithError):
        with SafetensorsFile(path) as f:
            f.tensor("a")
