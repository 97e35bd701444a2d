"""The restricted unpickler behind :func:`.checkpoint.load_checkpoint`: tensors and plain
containers are rebuilt with our own rebuild functions, classes of third-party packages become
inert :class:`Stub` objects, and any other callable a pickle asks for is refused with
:class:`UnsafePickleError` before it can be called. A byte budget stops a pickle that would
copy more than a checkpoint holds.
"""

from __future__ import annotations

import _compat_pickle
import collections
import pickle
import sys
import types
from typing import Any

import torch

from ..errors import UnsafePickleError


# --- inert stand-ins for foreign classes -------------------------------------------------------


class Stub:
    """An inert stand-in for a class we do not import: it records what the pickle gave it.

    Pickles build objects by calling the class (``REDUCE``/``NEWOBJ``), then setting state
    (``BUILD``), items (``SETITEMS``) or list items (``APPENDS``); a stub accepts all of these
    and does nothing else. It is int-like when built from one int (DeepSpeed's ``ZeroStageEnum``).
    """

    _stub_module = ""
    _stub_name = ""

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self.__dict__.update(stub_args=args, stub_kwargs=kwargs, stub_state=None,
                             stub_items={}, stub_list=[])
        return self

    def __init__(self, *args, **kwargs) -> None:  # the work is done in __new__
        pass

    def __setstate__(self, state) -> None:
        self.__dict__["stub_state"] = state

    def __setitem__(self, key, value) -> None:
        self.__dict__["stub_items"][key] = value

    def __getitem__(self, key):
        return self.__dict__["stub_items"][key]

    def append(self, value) -> None:
        self.__dict__["stub_list"].append(value)

    def extend(self, values) -> None:
        self.__dict__["stub_list"].extend(values)

    @property
    def value(self):
        args = self.__dict__.get("stub_args") or ()
        return args[0] if len(args) == 1 else None

    def __int__(self) -> int:
        v = self.value
        if isinstance(v, int):
            return v
        raise TypeError(f"{self._stub_module}.{self._stub_name} is not int-like")

    __index__ = __int__

    def __repr__(self) -> str:
        return f"<stub {self._stub_module}.{self._stub_name}>"


_STUBS: dict[tuple[str, str], type] = {}


def stub_class(module: str, name: str) -> type:
    """The (cached) stub class standing for ``module.name``."""
    key = (module, name)
    if key not in _STUBS:
        _STUBS[key] = type(name, (Stub,), {"_stub_module": module, "_stub_name": name,
                                           "__module__": "mergesmith.stub." + module})
    return _STUBS[key]


def as_int(value) -> Any:
    """``int(value)`` for ints and int-like stubs (``ZeroStageEnum``), else ``value`` itself."""
    if isinstance(value, Stub):
        try:
            return int(value)
        except TypeError:
            return value
    return value


# --- safe replacements for torch's rebuild functions -----------------------------------------


def _check_storage(storage) -> None:
    if not isinstance(storage, (torch.storage.TypedStorage, torch.UntypedStorage)):
        raise UnsafePickleError("A tensor in the checkpoint is built from something that is not "
                                "tensor storage; the file is damaged or crafted.")


def _rebuild_tensor(storage, storage_offset, size, stride):
    _check_storage(storage)
    return torch._utils._rebuild_tensor(storage, storage_offset, size, stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    t = _rebuild_tensor(storage, storage_offset, size, stride)
    if metadata and isinstance(metadata, dict):
        torch._utils.set_tensor_metadata(t, metadata)
    return t  # hooks are dropped: we only want the numbers


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, state=None):
    if not isinstance(data, torch.Tensor):
        raise UnsafePickleError("A parameter in the checkpoint wraps something that is not a "
                                "tensor; the file is damaged or crafted.")
    return data


def _rebuild_from_type_v2(func, new_type, args, state):
    if func not in _SAFE_REBUILDERS:
        raise UnsafePickleError("The checkpoint rebuilds a tensor with a function Mergesmith does "
                                "not allow; the file is damaged or crafted.")
    return func(*args)  # a plain tensor: subclasses and their state are not needed


def _reconstructor(cls, base, state):
    """``copyreg._reconstructor`` for old-protocol objects: only stubs may be built."""
    if isinstance(cls, type) and issubclass(cls, Stub):
        obj = cls()
        if state is not None:
            obj.__setstate__(state)
        return obj
    raise UnsafePickleError("The checkpoint rebuilds a standard object in a way only exploits "
                            "use; Mergesmith refused to read it.")


def _stub_getattr(obj, name, *default):
    """``getattr`` as real checkpoints use it: on a stand-in only, giving another stand-in.

    mmengine's ``HistoryBuffer`` keeps its statistics methods in its state, and pickle protocol 2
    writes each as ``getattr(<HistoryBuffer class>, 'min')``; every checkpoint mmengine saves
    has them. On a stub the attribute is a stub named after it (``HistoryBuffer.min``), inert like
    its owner. On anything real -- a module, a builtin, a torch function, a tensor -- it is refused.
    """
    if isinstance(name, str) and (isinstance(obj, Stub) or (isinstance(obj, type) and issubclass(obj, Stub))):
        return stub_class(obj._stub_module, f"{obj._stub_name}.{name}")
    raise UnsafePickleError(
        f"it asks to call builtins.getattr on {type(obj).__name__ if not isinstance(obj, type) else obj.__name__} "
        "while loading; a checkpoint has no business doing that on anything but mmengine's or "
        "DeepSpeed's own classes, so Mergesmith refused to read it (nothing was run). Do not open it "
        "with torch.load either; get the checkpoint again from a source you trust.")


_SAFE_REBUILDERS = {_rebuild_tensor, _rebuild_tensor_v2, _rebuild_parameter}

_ALLOWED: dict[tuple[str, str], Any] = {
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
    ("torch", "Size"): torch.Size,
    ("torch", "device"): torch.device,
    ("torch.nn.parameter", "Parameter"): torch.nn.Parameter,
    ("torch", "Tensor"): torch.Tensor,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("collections", "defaultdict"): collections.defaultdict,
    ("collections", "Counter"): collections.Counter,
    ("collections", "deque"): collections.deque,
    ("copyreg", "_reconstructor"): _reconstructor,
    ("_codecs", "encode"): __import__("_codecs").encode,  # how protocol 2 pickles bytes
    ("builtins", "getattr"): _stub_getattr,  # mmengine's HistoryBuffer methods; stubs only
}
for _name in ("dict", "list", "tuple", "set", "frozenset", "bytearray", "bytes", "slice",
              "complex", "int", "float", "str", "bool", "range", "object"):
    _ALLOWED[("builtins", _name)] = getattr(__import__("builtins"), _name)
for _name in dir(torch):
    if isinstance(getattr(torch, _name, None), torch.dtype):
        _ALLOWED[("torch", _name)] = getattr(torch, _name)

# Packages whose classes we stand in for even though they are installed (numpy: message-hub
# buffers hold numpy scalars and arrays we never need).
_ALWAYS_STUB = ("numpy",)


def _is_stdlib_or_torch(module: str) -> bool:
    top = module.split(".", 1)[0]
    return (top in sys.stdlib_module_names or top in ("torch", "__builtin__", "copy_reg")
            or (top.startswith("_") and top.lstrip("_") in sys.stdlib_module_names))


# Callables that copy or expand their argument (``list(range(10**12))``, ``bytes(10**11)``, or the
# same memoised list copied a million times): each call is charged the size of its arguments
# against a budget per file, so a small crafted pickle cannot make gigabytes. Real checkpoints
# build their containers with pickle opcodes and spend almost nothing.
_COPYING = {("builtins", n) for n in ("list", "tuple", "set", "frozenset", "dict", "bytes",
                                      "bytearray", "str", "range")} | {
    ("collections", n) for n in ("OrderedDict", "defaultdict", "Counter", "deque")} | {
    ("torch", "Size"), ("torch", "Tensor"), ("_codecs", "encode")}
COPY_BUDGET = 1 << 24  # elements or bytes per file


def _cost(args) -> int:
    total = 0
    for a in args:
        if isinstance(a, int) and not isinstance(a, bool):
            total += max(a, 0)
        else:
            try:
                total += len(a)
            except Exception:  # not sized (a stub, a generator): nothing to charge up front
                pass
    return total


def _input_size(file) -> int:
    """Bytes left in the pickle's input stream (the copy budget where it cannot be measured)."""
    try:
        here = file.tell()
        end = file.seek(0, 2)
        file.seek(here)
        return end - here
    except (AttributeError, OSError, ValueError):
        return COPY_BUDGET


class RestrictedUnpickler(pickle._Unpickler):
    """A pickle reader that builds tensors and containers, stubs foreign classes, refuses code.

    It runs the standard library's Python pickle machine rather than the C one: CPython 3.11's C
    unpickler, given a ``BYTEARRAY8`` whose length cannot be allocated, frees a half-built
    object and prints a ``SystemError`` to stderr (found by fuzzing), and either machine would
    zero-fill a ``bytearray`` of any length a few crafted bytes ask for. Counted lengths longer
    than the input are refused here. The cost is small: a checkpoint's pickle holds names and
    tensor references, not tensor data (a 180 KB ``data.pkl``: 66 ms instead of 47 ms).
    """

    source_label = "the checkpoint"
    _spent = 0
    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, *args, **kwargs) -> None:
        super().__init__(file, *args, **kwargs)
        self._input_left = _input_size(file)

    def _counted(self, width: int) -> int:
        n = int.from_bytes(self.read(width), "little")
        if n > self._input_left:
            raise pickle.UnpicklingError(f"a {n}-byte value in a {self._input_left}-byte pickle")
        return n

    def _load_bytearray8(self) -> None:
        data = bytearray(self._counted(8))
        self.readinto(data)
        self.append(data)

    def _load_binbytes8(self) -> None:
        self.append(self.read(self._counted(8)))

    def _load_binunicode8(self) -> None:
        self.append(str(self.read(self._counted(8)), "utf-8", "surrogatepass"))

    dispatch[pickle.BYTEARRAY8[0]] = _load_bytearray8
    dispatch[pickle.BINBYTES8[0]] = _load_binbytes8
    dispatch[pickle.BINUNICODE8[0]] = _load_binunicode8

    def _budgeted(self, fn, what: str):
        def call(*args, **kwargs):
            self._spent += _cost(args) + _cost(kwargs.values())
            if self._spent > COPY_BUDGET:
                raise UnsafePickleError(key="refusal/pickle-too-large",
                                        params={"name": self.source_label, "what": what})
            return fn(*args, **kwargs)

        return call

    def find_class(self, module: str, name: str):  # noqa: D401 - pickle API
        # Python 2 names (protocol 2 pickles say __builtin__, copy_reg), as fix_imports does
        module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        found = _ALLOWED.get((module, name))
        if found is not None:
            if (module, name) in _COPYING:
                return self._budgeted(found, f"{module}.{name}")
            return found
        top = module.split(".", 1)[0]
        if top in _ALWAYS_STUB or not _is_stdlib_or_torch(module):
            return stub_class(module, name)
        raise UnsafePickleError(key="refusal/unsafe-pickle",
                                params={"name": self.source_label, "call": f"{module}.{name}"})


def make_pickle_module(label: str) -> types.ModuleType:
    """A module-like object for ``torch.load(pickle_module=...)`` that uses our unpickler."""
    mod = types.ModuleType("mergesmith_restricted_pickle")

    class Unpickler(RestrictedUnpickler):
        source_label = label

    def load(f, **kwargs):
        return Unpickler(f, **kwargs).load()

    mod.Unpickler = Unpickler
    mod.load = load
    mod.UnpicklingError = pickle.UnpicklingError
    return mod
