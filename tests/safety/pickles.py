"""Hand-assembled hostile pickles (raw opcodes), and checkpoint files holding them.

Each payload is the pickle of ``{"state_dict": {}, "meta": <payload>}``, where the payload asks
the unpickler to call something; the marker file is what the payload would create.
"""

from __future__ import annotations

import pickle
import struct
import zipfile
from pathlib import Path


def s(text: str) -> bytes:
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def n(value: int) -> bytes:
    return pickle.dumps(value, protocol=2)[2:-1]


def g(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def call(fn: bytes, *args: bytes) -> bytes:  # REDUCE fn(*args)
    return fn + b"(" + b"".join(args) + b"tR"


def payloads(marker) -> dict[str, bytes]:
    """Name -> payload opcodes, with the marker file's path filled in."""
    m = str(marker)
    touch = f"open({m!r}, 'w').close()"
    return {
        "os.system": call(g("os", "system"), s(f"touch {m}")),
        "posix.system": call(g("posix", "system"), s(f"touch {m}")),
        "builtins.eval": call(g("builtins", "eval"), s(touch)),
        "builtins.exec": call(g("builtins", "exec"), s(touch)),
        "__builtin__.eval (protocol 0 name)": call(g("__builtin__", "eval"), s(touch)),
        "builtins.__import__": call(g("builtins", "__import__"), s("os")),
        "builtins.getattr": call(g("builtins", "getattr"), call(g("builtins", "__import__"), s("os")), s("system")),
        # getattr is allowed on inert stand-ins only (mmengine's HistoryBuffer methods); on anything real it
        # is the first step of every sandbox escape
        "getattr(object, '__subclasses__')": call(g("builtins", "getattr"), g("builtins", "object"), s("__subclasses__")),
        "getattr(OrderedDict, '__init__')": call(g("builtins", "getattr"), g("collections", "OrderedDict"), s("__init__")),
        "getattr(torch.Size, '__new__')": call(g("builtins", "getattr"), g("torch", "Size"), s("__new__")),
        "getattr(str, 'format') called": call(call(g("builtins", "getattr"), g("builtins", "str"), s("format")), s("{0}")),
        "getattr of a stub with a non-string name": call(g("builtins", "getattr"), g("mmengine.logging.history_buffer", "HistoryBuffer"),
                                                          n(3)),
        "builtins.open": call(g("builtins", "open"), s(m), s("w")),
        "subprocess.check_call": call(g("subprocess", "check_call"), b"(" + s("touch") + s(m) + b"l"),
        "logging.FileHandler": call(g("logging", "FileHandler"), s(m)),
        "INST os.system": b"(" + s(f"touch {m}") + b"ios\nsystem\n",
        "OBJ os.system": b"(" + g("os", "system") + s(f"touch {m}") + b"o",
        "NEWOBJ logging.FileHandler": g("logging", "FileHandler") + b"(" + s(m) + b"t\x81",
        "copyreg._reconstructor of a standard class":
            call(g("copyreg", "_reconstructor"), g("logging", "FileHandler"), g("builtins", "object"), b"N"),
        "torch._rebuild_from_type_v2 calling OrderedDict":
            call(g("torch._tensor", "_rebuild_from_type_v2"), g("collections", "OrderedDict"),
                 g("torch", "Tensor"), b")", b"N"),
        "torch.load": call(g("torch", "load"), s(m)),
        "torch.serialization.load": call(g("torch.serialization", "load"), s(m)),
        "torch._C._jit": call(g("torch.jit", "load"), s(m)),
        "operator.attrgetter": call(g("operator", "attrgetter"), s("system")),
        "functools.partial": call(g("functools", "partial"), g("os", "system"), s(f"touch {m}")),
        "a tensor built on a non-storage":
            call(g("torch._utils", "_rebuild_tensor_v2"), s("not storage"), b"K\x00", b"(K\x01t", b"(K\x01t"),
    }

# Cheap to write, expensive to build: a budget must refuse them quickly, not hang or exhaust memory.
BOMBS = {
    "list(range(10**12))": call(g("builtins", "list"), call(g("builtins", "range"), n(10**12))),
    "bytes(10**11)": call(g("builtins", "bytes"), n(10**11)),
    "bytearray(10**11)": call(g("builtins", "bytearray"), n(10**11)),
    "torch.Size(range(10**10))": call(g("torch", "Size"), call(g("builtins", "range"), n(10**10))),
    "a 1 MB list copied 10000 times":
        b"(" + b"K\x01" * 500_000 + b"l" + b"q\x01" + b"(" + (g("builtins", "tuple") + b"h\x01\x85R") * 10_000 + b"l",
}


def wrap(payload: bytes) -> bytes:
    return b"\x80\x02}(" + s("state_dict") + b"}" + s("meta") + payload + b"u."


def write_checkpoint(path: Path, pickled: bytes, zip_format: bool, compressed: bool = False) -> Path:
    """A file torch.load reads: the pickle alone (legacy format) or a torch zip archive."""
    if not zip_format:
        Path(path).write_bytes(pickled)
        return Path(path)
    mode = zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", compression=mode) as z:
        z.writestr("archive/data.pkl", pickled)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")
    return Path(path)
