"""Evaluate an mmengine/XTuner config ``.py`` as data, never running it.

A config is Python that mmengine executes. We walk its :mod:`ast` and follow what the module's
top level does to its variables, with Python's own meaning wherever the result is certain:
constants, names, ``dict(...)``/``{...}``/``{**a, **b}``, lists, arithmetic, f-strings,
``os.path.join``, comparisons and ``and/or/not``; assignment, augmented assignment
(``alpha *= 2``), assignment into dicts by key or attribute (``model['lora']['r'] = 8``,
``model.lora.r = 8``, as mmengine's ``ConfigDict`` allows), ``del``, and the dict and list
methods ``update``/``pop``/``setdefault``/``append``/``extend``/... . Dicts and lists are real
objects mutated in place, so a change through one name is seen through every other (as in Python).

``if`` statements and ``x if c else y`` take the branch their condition decides when the
condition is known; when it is not, a value both branches agree on is kept and any other becomes
:class:`Unknown`. Whatever a ``for``/``while`` loop, a ``try``, a ``with`` other than mmengine's
``read_base()``, or a call of a function the config defines may change becomes :class:`Unknown`,
and so does every call the config makes when loaded (``os.environ.get``, ``pathlib.Path``,
``str.format``, ...). An :class:`Unknown` carries the line and the reason, for a sentence.

A change made through a name that may stand for any of several dicts (chosen by an unknown ``if``,
a loop variable, what a function returns) may reach any of them: every dict becomes unknown. What
a call we do not run is given, and every dict inside it, becomes unknown too.

Imported names become :class:`Symbol` (their dotted path). Calling an imported ``...Config``
class or a ``from_pretrained`` keeps the call as ``dict(type=..., ...)``, which is what XTuner
does with it.
"""

from __future__ import annotations

import ast
import builtins
import copy
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

MAX_LENGTH = 1_000_000  # characters or items a config value may reach ('a' * 10**10 is not data)
MAX_INT_BITS = 256
BUILTINS = frozenset({"dict", "list", "tuple", "set", "str", "int", "float", "bool", "len", "min",
                      "max", "sorted", "abs", "round"})
READ_ONLY_METHODS = frozenset({"get", "copy", "keys", "values", "items", "index", "count", "format",
                               "startswith", "endswith", "lower", "upper", "strip", "split", "join",
                               "replace"})
# builtins that change none of their arguments (their value is still unknown, but print's is None)
HARMLESS = frozenset({"print", "isinstance", "issubclass", "repr", "hasattr", "getattr", "type", "id",
                      "hash", "callable", "format"})
PURE_CALLS = frozenset({"os.path.join", "posixpath.join", "copy.copy", "copy.deepcopy"})
_ENV_VAR = re.compile(r"\{\{\s*\$(\w+)[^}]*\}\}")
_PREDEFINED = re.compile(r"\{\{\s*(fileDirname|fileBasename|fileBasenameNoExtension|fileExtname)\s*\}\}")


@dataclass(frozen=True)
class Symbol:
    """An imported or unknown name, kept as its dotted path (``transformers.AutoTokenizer``)."""

    path: str

    @property
    def name(self) -> str:
        """The last component that is not ``from_pretrained``: the class name."""
        parts = [p for p in self.path.split(".") if p not in ("from_pretrained", "from_config")]
        return parts[-1] if parts else self.path

    def __str__(self) -> str:
        return self.path

    def __deepcopy__(self, memo):
        return self


@dataclass(frozen=True)
class Unknown:
    """A value we cannot know without running the config: its source, its line and why."""

    source: str
    line: Optional[int] = None
    why: str = "is not something Mergesmith evaluates"
    code: Optional[ast.AST] = field(default=None, compare=False, repr=False)  # a def's body

    def __str__(self) -> str:
        return f"<{self.source}>"

    def __deepcopy__(self, memo):
        return self

    def sentence(self) -> str:
        """``line 12: `os.environ.get('BASE')` reads ...`` (no capital, no full stop)."""
        where = f"line {self.line}: " if self.line else ""
        return f"{where}`{self.source}` {self.why}"


class CDict(dict):
    """A config dict; ``taint`` is set when something we could not follow may have changed it."""

    taint: Optional[Unknown] = None


class CList(list):
    """A config list; ``taint`` as for :class:`CDict`."""

    taint: Optional[Unknown] = None


def taint_of(value: Any) -> Optional[Unknown]:
    """Why a value cannot be trusted: itself when :class:`Unknown`, or a container's taint."""
    if isinstance(value, Unknown):
        return value
    return getattr(value, "taint", None) if isinstance(value, (CDict, CList)) else None


def _taint(value: Any, why: Unknown) -> None:
    """Mark a dict or list, and every one inside it, as possibly changed by something unknown."""
    stack, seen = [value], set()
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        if isinstance(v, (CDict, CList)) and v.taint is None:
            v.taint = why
        if isinstance(v, (CDict, CList, tuple)):
            stack.extend(v.values() if isinstance(v, CDict) else v)


def _hashable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, type(None), Symbol)) or (
        isinstance(value, tuple) and all(_hashable(v) for v in value))


def _plain_known(value: Any) -> bool:
    """A value whose Python meaning we hold exactly (no Symbol, no Unknown, no taint inside)."""
    if isinstance(value, (str, int, float, bool, type(None))):
        return True
    if isinstance(value, (CList, tuple)):
        return taint_of(value) is None and all(_plain_known(v) for v in value)
    if isinstance(value, CDict):
        return value.taint is None and all(_plain_known(v) for v in value.values())
    return False


def _identity(left: Any, right: Any) -> Optional[bool]:
    """``left is right`` when we know it: None, True and False are single objects, and a dict, list,
    string or number we hold is none of them (even a dict whose contents are unknown)."""
    singles = (type(None), bool)
    known = (str, int, float, tuple, CDict, CList)
    if isinstance(left, singles) and isinstance(right, singles):
        return left is right
    if isinstance(left, singles) and isinstance(right, known) or isinstance(right, singles) and isinstance(left, known):
        return False
    return None


def truth(value: Any) -> Optional[bool]:
    """``bool(value)`` when we know it, else None."""
    if isinstance(value, (str, int, float, bool, type(None), tuple)):
        return bool(value)
    if isinstance(value, (CDict, CList)) and value.taint is None:
        return bool(value)
    return None


def _too_big(left, right, op) -> bool:
    """Would ``left op right`` build something no config holds (a huge string, list or integer)?"""
    sizes = [len(x) for x in (left, right) if isinstance(x, (str, list, tuple))]
    counts = [x for x in (left, right) if isinstance(x, int) and not isinstance(x, bool)]
    if isinstance(op, ast.Mult) and sizes and counts:
        return sizes[0] * max(counts[0], 0) > MAX_LENGTH
    if isinstance(op, ast.Pow):
        base, exp = left, right
        if isinstance(base, (int, float)) and isinstance(exp, (int, float)) and abs(exp) <= MAX_INT_BITS:
            return isinstance(base, int) and isinstance(exp, int) and abs(base).bit_length() * exp > MAX_INT_BITS
        return True
    if len(sizes) == 2:
        return sum(sizes) > MAX_LENGTH
    if len(counts) == 2:
        return sum(abs(c).bit_length() for c in counts) > MAX_INT_BITS
    return False


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
    ast.BitOr: lambda a, b: a | b, ast.Pow: lambda a, b: a ** b,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}


def wrap(value: Any) -> Any:
    """Plain Python containers as :class:`CDict`/:class:`CList` (results of list(), sorted(), ...)."""
    if isinstance(value, dict) and not isinstance(value, CDict):
        return CDict(value)
    if isinstance(value, list) and not isinstance(value, CList):
        return CList(value)
    return value


_CONTAINERS = (CDict, CList)


def _reachable(values) -> dict[int, Any]:
    """Every dict and list reachable from ``values``, by id."""
    out: dict[int, Any] = {}
    stack = list(values)
    while stack:
        v = stack.pop()
        if isinstance(v, _CONTAINERS) and id(v) not in out:
            out[id(v)] = v
            stack.extend(v.values() if isinstance(v, CDict) else v)
        elif isinstance(v, tuple):
            stack.extend(v)
    return out


class Join:
    """The environment after an ``if`` whose branch is unknown: what both branches agree on, and
    :class:`Unknown` for the rest.

    ``taken`` ran on a deep copy of the environment (``original`` maps a copy's id to the object it
    copies), ``other`` on the environment itself. A dict that is ``a`` after one branch and ``b``
    after the other becomes one merged dict, so that every name of it stays one name of the merged
    dict; when ``a`` is paired with two different objects (``x = model['lora']`` in one branch,
    ``x = other`` in the other) that is impossible, and the pairing that is not the copy of the
    same object becomes unknown.
    """

    def __init__(self, why: Unknown, original: dict[int, Any]) -> None:
        self.why = why
        self.original = original
        self.partners: dict[tuple[str, int], set[int]] = {}
        self.memo: dict[tuple[int, int], Any] = {}

    def envs(self, taken: dict, other: dict) -> dict:
        seen: set = set()
        for k in taken:
            if k in other:
                self._pair(taken[k], other[k], seen)
        return {k: self.join(taken[k], other[k]) if k in taken and k in other else self.why
                for k in list(taken) + [k for k in other if k not in taken]}

    def _pair(self, a: Any, b: Any, seen: set) -> None:
        stack = [(a, b)]
        while stack:
            a, b = stack.pop()
            if isinstance(a, _CONTAINERS) and type(a) is type(b):
                self.partners.setdefault(("a", id(a)), set()).add(id(b))
                self.partners.setdefault(("b", id(b)), set()).add(id(a))
                if (id(a), id(b)) in seen:
                    continue
                seen.add((id(a), id(b)))
                if isinstance(a, CDict):
                    stack.extend((a[k], b[k]) for k in a if k in b)
                elif len(a) == len(b):
                    stack.extend(zip(a, b))
            elif isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
                stack.extend(zip(a, b))

    def _conflicted(self, a: Any, b: Any) -> bool:
        shared = len(self.partners.get(("a", id(a)), ())) > 1 or len(self.partners.get(("b", id(b)), ())) > 1
        return shared and self.original.get(id(a)) is not b

    def join(self, a: Any, b: Any) -> Any:
        key = (id(a), id(b))
        if key in self.memo:
            return self.memo[key]
        if isinstance(a, Unknown) or isinstance(b, Unknown):
            return a if isinstance(a, Unknown) else b
        if isinstance(a, _CONTAINERS) and type(a) is type(b) and not self._conflicted(a, b):
            if isinstance(a, CDict):
                out = self.memo[key] = CDict()
                for k in list(a) + [k for k in b if k not in a]:
                    out[k] = self.join(a[k], b[k]) if k in a and k in b else self.why
            elif len(a) == len(b):
                out = self.memo[key] = CList()
                out.extend(self.join(x, y) for x, y in zip(a, b))
            else:
                return self.why
            out.taint = a.taint or b.taint
            return out
        if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
            return tuple(self.join(x, y) for x, y in zip(a, b))
        if not isinstance(a, _CONTAINERS) and type(a) is type(b) and a == b:
            return a
        return self.why


def pick(a: Any, b: Any, why: Unknown) -> Any:
    """``a if c else b`` with ``c`` unknown: the value when both are the same, else unknown."""
    if a is b or isinstance(a, Unknown):
        return a
    if isinstance(b, Unknown):
        return b
    if not isinstance(a, _CONTAINERS) and type(a) is type(b) and _plain_known(a) and a == b:
        return a
    return why


class Evaluator:
    """Runs a config's top level over an environment of values, as data."""

    def __init__(self, text: str, env: Optional[dict[str, Any]] = None) -> None:
        self.text = text
        self.env: dict[str, Any] = env if env is not None else {}
        self._lines: Optional[list[str]] = None
        self.on_star_import: Callable[[ast.ImportFrom], None] = lambda node: None

    # --- helpers ----------------------------------------------------------------------------

    def src(self, node: ast.AST) -> str:
        """The node's source text, on one line and cut short (for a sentence)."""
        if self._lines is None:
            self._lines = self.text.splitlines()
        first, last = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        if first is None or last is None or last > len(self._lines):
            return type(node).__name__
        lines = [line.encode("utf-8") for line in self._lines[first - 1:min(last, first + 3)]]
        if last - first <= 3:  # ast's offsets count UTF-8 bytes
            lines[-1] = lines[-1][:node.end_col_offset]
        lines[0] = lines[0][node.col_offset:]
        text = " ".join(b" ".join(lines).decode("utf-8", "replace").split())
        return text if len(text) <= 60 else text[:57] + "..."

    def unknown(self, node: ast.AST, why: str, code: Optional[ast.AST] = None) -> Unknown:
        return Unknown(self.src(node), getattr(node, "lineno", None), why, code)

    # --- expressions ------------------------------------------------------------------------

    def eval(self, node: ast.AST) -> Any:
        handler = getattr(self, f"_e_{type(node).__name__}", None)
        if handler is None:
            kind = type(node).__name__.replace("Comp", " comprehension").replace("Exp", " expression")
            return self.unknown(node, f"is a {kind.lower()}, which Mergesmith does not evaluate")
        return handler(node)

    def _e_Constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, str) and "{{" in value:
            return self.substitute(node, value)
        return value

    def substitute(self, node: ast.AST, value: str) -> Any:
        """mmengine's ``{{$ENV:default}}`` and ``{{ fileDirname }}`` placeholders: mmengine fills them
        in only when it loads the config in its classic mode, not in its lazy-import mode (which it
        picks from the config's imports and where Python is installed), so they stay unknown."""
        env_var = _ENV_VAR.search(value)
        if env_var:
            return self.unknown(node, f"takes the environment variable {env_var.group(1)} when mmengine "
                                      "loads the config, which Mergesmith cannot know")
        if _PREDEFINED.search(value):
            return self.unknown(node, "holds an mmengine placeholder that mmengine fills in only in one of "
                                      "its two ways of loading a config")
        return value

    def _e_Name(self, node: ast.Name) -> Any:
        if node.id in self.env:
            return self.env[node.id]
        return Symbol(node.id)  # a builtin (dict, list, ...) or a name the config never defines

    def _e_Attribute(self, node: ast.Attribute) -> Any:
        base = self.eval(node.value)
        if isinstance(base, Symbol):
            return Symbol(f"{base.path}.{node.attr}")
        if taint_of(base):
            return taint_of(base)
        if isinstance(base, CDict) and node.attr in base:
            return base[node.attr]
        return self.unknown(node, "reads an attribute Mergesmith cannot work out")

    def _e_Dict(self, node: ast.Dict) -> Any:
        out = CDict()
        for k, v in zip(node.keys, node.values):
            if k is None:
                spread = self.eval(v)
                if not isinstance(spread, CDict) or spread.taint:
                    return taint_of(spread) or self.unknown(v, "is spread with ** but is not a dict "
                                                               "Mergesmith knows")
                out.update(spread)
                continue
            key = self.eval(k)
            if not _hashable(key):
                return self.unknown(k, "is a key Mergesmith cannot work out")
            out[key] = self.eval(v)
        return out

    def _items(self, elts: list[ast.AST]) -> Any:
        items: list = []
        for e in elts:
            if isinstance(e, ast.Starred):
                spread = self.eval(e.value)
                if not isinstance(spread, (CList, tuple)) or taint_of(spread):
                    return taint_of(spread) or self.unknown(e, "is unpacked with * but is not a list "
                                                               "Mergesmith knows")
                items.extend(spread)
            else:
                items.append(self.eval(e))
        return items

    def _e_List(self, node: ast.List) -> Any:
        items = self._items(node.elts)
        return items if isinstance(items, Unknown) else CList(items)

    def _e_Tuple(self, node: ast.Tuple) -> Any:
        items = self._items(node.elts)
        return items if isinstance(items, Unknown) else tuple(items)

    def _e_Set(self, node: ast.Set) -> Any:  # kept as a list: target_modules={'q_proj'}
        items = self._items(node.elts)
        return items if isinstance(items, Unknown) else CList(items)

    def _e_BinOp(self, node: ast.BinOp) -> Any:
        return self.binop(node, node.op, self.eval(node.left), self.eval(node.right))

    def binop(self, node: ast.AST, op: ast.operator, left: Any, right: Any, in_place: bool = False) -> Any:
        for side in (left, right):
            if taint_of(side):
                return taint_of(side)
        fn = _BINOPS.get(type(op))
        if fn is None:
            return self.unknown(node, "uses an operator Mergesmith does not evaluate")
        if not (_plain_known(left) and _plain_known(right)):
            return self.unknown(node, "is computed from values Mergesmith does not know")
        if isinstance(left, str) and isinstance(op, ast.Mod):
            return self.unknown(node, "is built by %-formatting, which Mergesmith does not evaluate")
        if _too_big(left, right, op):
            return self.unknown(node, "would build a value far too large for a config")
        if in_place and isinstance(left, CList) and isinstance(op, ast.Add) and isinstance(right, (CList, tuple)):
            left.extend(right)  # `a += [...]` changes the list every other name sees
            return left
        if in_place and isinstance(left, CDict) and isinstance(op, ast.BitOr) and isinstance(right, CDict):
            left.update(right)
            return left
        try:
            return wrap(fn(left, right))
        except Exception:
            return self.unknown(node, "fails when evaluated (it would stop mmengine too)")

    def _e_UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.eval(node.operand)
        if isinstance(node.op, ast.Not):
            t = truth(value)
            return (not t) if t is not None else (taint_of(value) or self.unknown(
                node, "is a condition on values Mergesmith does not know"))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(node.op, ast.USub):
                return -value
            if isinstance(node.op, ast.UAdd):
                return value
        return taint_of(value) or self.unknown(node, "is computed from values Mergesmith does not know")

    def _e_BoolOp(self, node: ast.BoolOp) -> Any:
        value = None
        for operand in node.values:
            value = self.eval(operand)
            t = truth(value)
            if t is None:
                return taint_of(value) or self.unknown(node, "is a condition on values Mergesmith does not know")
            if t is isinstance(node.op, ast.Or):  # `or` stops at a true value, `and` at a false one
                return value
        return value

    def _e_Compare(self, node: ast.Compare) -> Any:
        left = self.eval(node.left)
        for op, right_node in zip(node.ops, node.comparators):
            right = self.eval(right_node)
            result = self.compare(node, op, left, right)
            if result is not True:
                return result
            left = right
        return True

    def compare(self, node: ast.AST, op: ast.cmpop, left: Any, right: Any) -> Any:
        if isinstance(op, (ast.Is, ast.IsNot)):
            same = _identity(left, right)
            if same is not None:
                return same == isinstance(op, ast.Is)
        elif isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, CDict) and not right.taint \
                and (_plain_known(left) or isinstance(left, Symbol)) and _hashable(left):
            return (left in right) == isinstance(op, ast.In)  # a dict's keys are known even when values are not
        elif _plain_known(left) and _plain_known(right):
            try:
                return bool(_COMPARE[type(op)](left, right))
            except TypeError:
                return self.unknown(node, "fails when evaluated (it would stop mmengine too)")
        return taint_of(left) or taint_of(right) or self.unknown(
            node, "is a condition on values Mergesmith does not know")

    def _e_IfExp(self, node: ast.IfExp) -> Any:
        test = self.eval(node.test)
        t = truth(test)
        if t is not None:
            return self.eval(node.body if t else node.orelse)
        why = self.unknown(node, f"depends on `{self.src(node.test)}`, which Mergesmith cannot work out, "
                                 "and its two values differ")
        return pick(self.eval(node.body), self.eval(node.orelse), why)

    def _e_JoinedStr(self, node: ast.JoinedStr) -> Any:
        parts = []
        for v in node.values:
            if isinstance(v, ast.FormattedValue):
                if v.conversion != -1 or v.format_spec is not None:
                    return self.unknown(node, "formats a value in a way Mergesmith does not evaluate")
                x = self.eval(v.value)
            else:
                x = self.eval(v)
            if not isinstance(x, (str, int, float)):
                return taint_of(x) or self.unknown(node, "is built from values Mergesmith does not know")
            parts.append(str(x))
        return "".join(parts)

    def _e_Subscript(self, node: ast.Subscript) -> Any:
        value = self.eval(node.value)
        if taint_of(value):
            return taint_of(value)
        if isinstance(node.slice, ast.Slice):
            bounds = [self.eval(b) if b is not None else None for b in
                      (node.slice.lower, node.slice.upper, node.slice.step)]
            if isinstance(value, (CList, tuple, str)) and all(b is None or type(b) is int for b in bounds):
                return wrap(value[slice(*bounds)])
            return self.unknown(node, "is a slice Mergesmith cannot work out")
        index = self.eval(node.slice)
        try:
            if isinstance(value, CDict) and _hashable(index):
                return value[index]
            if isinstance(value, (CList, tuple, str)) and type(index) is int:
                return value[index]
        except (KeyError, IndexError):
            return self.unknown(node, "reads a key that is not there (mmengine would stop on it)")
        return taint_of(index) or self.unknown(node, "reads an item Mergesmith cannot work out")

    def _e_NamedExpr(self, node: ast.NamedExpr) -> Any:
        value = self.eval(node.value)
        self.env[node.target.id] = value
        return value

    # --- calls ------------------------------------------------------------------------------

    def _e_Call(self, node: ast.Call) -> Any:
        if isinstance(node.func, ast.Attribute):
            owner = self.eval(node.func.value)
            if isinstance(owner, (CDict, CList, str)):
                return self.method(node, owner, node.func.attr)
            if isinstance(owner, Unknown) and node.func.attr not in READ_ONLY_METHODS:
                self.changed(node.func, owner, self.unknown(node, "may change something Mergesmith cannot "
                                                                  "tell apart (a method of an unknown value)"))
        func = self.eval(node.func)
        args, kwargs, given = self.arguments(node)
        if isinstance(func, Symbol) and not isinstance(args, Unknown) and not isinstance(kwargs, Unknown):
            result = self.known_call(node, func, args, kwargs)
            if result is not None:
                return result
        if isinstance(func, Symbol) and func.path in HARMLESS and func.path not in self.env:
            return None if func.path == "print" else self.unknown(node, "is a call Mergesmith does not evaluate")
        self.call_effects(node, func, given)
        if isinstance(args, Unknown) or isinstance(kwargs, Unknown):
            return args if isinstance(args, Unknown) else kwargs
        if isinstance(func, Unknown) and func.code is not None:
            return self.unknown(node, f"calls `{func.source}`, a function the config defines, which "
                                      "Mergesmith does not run")
        return self.unknown(node, "is a call made when the config is loaded, which Mergesmith does not run")

    def arguments(self, node: ast.Call) -> tuple[Any, Any, list]:
        """(positional arguments, keyword arguments, every value given), each evaluated once;
        either of the first two is :class:`Unknown` when a ``*``/``**`` spread is not known."""
        given: list = []
        args: Any = []
        for a in node.args:
            value = self.eval(a.value if isinstance(a, ast.Starred) else a)
            given.append(value)
            if isinstance(args, Unknown):
                continue
            if not isinstance(a, ast.Starred):
                args.append(value)
            elif isinstance(value, (CList, tuple)) and not taint_of(value):
                args.extend(value)
            else:
                args = taint_of(value) or self.unknown(a, "is unpacked with * but is not a list Mergesmith knows")
        kwargs: Any = {}
        for kw in node.keywords:
            value = self.eval(kw.value)
            given.append(value)
            if isinstance(kwargs, Unknown):
                continue
            if kw.arg is not None:
                kwargs[kw.arg] = value
            elif isinstance(value, CDict) and not value.taint:
                kwargs.update(value)
            else:
                kwargs = taint_of(value) or self.unknown(kw.value, "is spread with ** but is not a dict "
                                                                   "Mergesmith knows")
        return args, kwargs, given

    def known_call(self, node: ast.Call, func: Symbol, args: list, kwargs: dict) -> Any:
        """The value of a call whose meaning is certain, or None."""
        name = func.path
        if name == "dict" and len(args) <= 1:
            first = args[0] if args else CDict()
            if isinstance(first, CDict) and not first.taint:
                return CDict({**first, **kwargs})
            return taint_of(first) or self.unknown(node, "builds a dict from something Mergesmith does not know")
        if name in ("copy.copy", "copy.deepcopy") and len(args) == 1 and not kwargs:
            return copy.deepcopy(args[0]) if name.endswith("deepcopy") else copy.copy(args[0])
        if name in BUILTINS and not kwargs and all(_plain_known(a) for a in args):
            return self.builtin(node, name, args)
        if name in PURE_CALLS and args and all(isinstance(a, str) for a in args) and not kwargs:
            return os.path.join(*args)
        if func.name.endswith("Config") and not args and "." in name:
            return CDict(type=func, **kwargs)  # LoraConfig(...), BitsAndBytesConfig(...): what XTuner builds
        if name.endswith(".from_pretrained") and len(args) <= 1:
            out = CDict(type=func)
            if args:
                out["pretrained_model_name_or_path"] = args[0]
            out.update(kwargs)
            return out
        return None

    def builtin(self, node: ast.Call, name: str, args: list) -> Any:
        try:
            if name in ("list", "tuple", "set", "sorted") and len(args) == 1 and \
                    isinstance(args[0], (CList, tuple, str, CDict)):
                items = list(args[0])
                return tuple(items) if name == "tuple" else CList(sorted(items) if name == "sorted" else items)
            if name in ("str", "int", "float", "bool", "len", "abs", "round", "min", "max") and args:
                return wrap(getattr(builtins, name)(*args))
        except Exception:
            return self.unknown(node, "fails when evaluated (it would stop mmengine too)")
        return self.unknown(node, "is a call Mergesmith does not evaluate")

    def method(self, node: ast.Call, owner: Any, name: str) -> Any:
        """``d.update(...)``, ``d.get(...)``, ``l.append(...)``, ``s.strip()``: done as Python does."""
        args, kwargs, given = self.arguments(node)
        why = taint_of(owner) or (args if isinstance(args, Unknown) else None) or \
            (kwargs if isinstance(kwargs, Unknown) else None)
        if why is None and name in ("update", "extend"):
            why = next((taint_of(v) for v in given if isinstance(v, (CDict, CList)) and taint_of(v)), None)
        if why is not None:
            _taint(owner, why)
            return why
        done = _container_method(owner, name, args, kwargs)
        if done is not _NO:
            return wrap(done)
        why = self.unknown(node, f"calls `.{name}(...)` on a {type(owner).__name__.lstrip('C').lower()}, "
                                 "which Mergesmith does not evaluate")
        _taint(owner, why)
        return why

    def call_effects(self, node: ast.Call, func: Any, given: list) -> None:
        """A call we do not run may change the dicts and lists it is given, and a function the
        config defines may change any it names."""
        why = self.unknown(node, "may change it (a call Mergesmith does not run)")
        for value in given:
            _taint(value, why)
        if isinstance(func, Unknown) and func.code is not None:
            a = func.code.args
            params = frozenset(x.arg for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if x)
            self.poison(func.code.body, why, only_globals=True, params=params)

    def changed(self, target: ast.AST, container: Any, why: Unknown, params: frozenset = frozenset()) -> None:
        """``container`` (what ``target.value`` gave) may have been changed in a way we cannot follow.
        ``params``: the parameters of the function whose body this is (bound to its arguments, which
        the call has marked already)."""
        if isinstance(container, _CONTAINERS):
            _taint(container, why)
            return
        root = target
        while isinstance(root, (ast.Attribute, ast.Subscript, ast.Call)):
            root = root.func if isinstance(root, ast.Call) else root.value
        if isinstance(root, ast.Name) and root.id in params:
            return
        if isinstance(root, ast.Name) and isinstance(self.env.get(root.id), Symbol):
            return  # something imported (os.environ, PROMPT_TEMPLATE): not the config's own data
        if isinstance(container, (Symbol, Unknown)) or container is None:
            # we cannot tell which dict this is: it may be any of them
            for value in list(self.env.values()):
                _taint(value, why)

    # --- statements -------------------------------------------------------------------------

    def run(self, stmts: list[ast.stmt]) -> None:
        for stmt in stmts:
            handler = getattr(self, f"_s_{type(stmt).__name__}", None)
            if handler is not None:
                handler(stmt)
            else:
                self.poison([stmt], self.unknown(stmt, f"is set by a `{type(stmt).__name__.lower()}` "
                                                       "statement, which Mergesmith does not run"))

    def _s_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self.env[a.asname or a.name.split(".")[0]] = Symbol(a.name if a.asname else a.name.split(".")[0])

    def _s_ImportFrom(self, node: ast.ImportFrom) -> None:
        mod = node.module or ""
        for a in node.names:
            if a.name == "*":
                self.on_star_import(node)
            else:
                self.env[a.asname or a.name] = Symbol(f"{mod}.{a.name}" if mod else a.name)

    def _s_Assign(self, node: ast.Assign) -> None:
        value = self.eval(node.value)
        for target in node.targets:
            self.assign(target, value)

    def _s_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.assign(node.target, self.eval(node.value))

    def _s_AugAssign(self, node: ast.AugAssign) -> None:
        load = copy.copy(node.target)
        load.ctx = ast.Load()
        current = self.eval(load)
        self.assign(node.target, self.binop(node, node.op, current, self.eval(node.value), in_place=True))

    def _s_Expr(self, node: ast.Expr) -> None:
        self.eval(node.value)

    def _s_Pass(self, node) -> None:
        pass

    _s_Global = _s_Nonlocal = _s_Assert = _s_Raise = _s_Return = _s_Break = _s_Continue = _s_Pass

    def _s_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.env.pop(target.id, None)
                continue
            container, key = self._target_slot(target)
            if isinstance(container, CDict) and _hashable(key) and not container.taint:
                container.pop(key, None)
            else:
                self.changed(target, container, self.unknown(target, "deletes an item Mergesmith cannot "
                                                                     "work out"))

    def _s_If(self, node: ast.If) -> None:
        t = truth(self.eval(node.test))
        if t is not None:
            self.run(node.body if t else node.orelse)
            return
        why = Unknown(f"if {self.src(node.test)}:", node.lineno,
                      "decides between branches that set it differently, and Mergesmith cannot work out "
                      "the condition")
        before = self.env
        reachable = _reachable(before.values())
        copies: dict = {}
        self.env = copy.deepcopy(before, copies)
        original = {id(c): reachable[i] for i, c in copies.items() if i in reachable}
        self.run(node.body)
        taken = self.env
        self.env = before
        self.run(node.orelse)
        self.env = Join(why, original).envs(taken, self.env)

    def _s_For(self, node: ast.For) -> None:
        iterable = self.eval(node.iter)
        if isinstance(iterable, (CList, tuple, str)) and not taint_of(iterable) and not iterable:
            self.run(node.orelse)  # the body never runs
            return
        head = f"for {self.src(node.target)} in {self.src(node.iter)}:"
        self.poison([node], Unknown(head, node.lineno, "may change it (a loop, which Mergesmith does not run)"))

    _s_AsyncFor = _s_For

    def _s_While(self, node: ast.While) -> None:
        if truth(self.eval(node.test)) is False:
            self.run(node.orelse)
            return
        self.poison([node], Unknown(f"while {self.src(node.test)}:", node.lineno,
                                    "may change it (a loop, which Mergesmith does not run)"))

    def _s_Try(self, node: ast.Try) -> None:
        self.poison([node], Unknown("try:", node.lineno, "may set it (its `try`/`except` blocks run "
                                                         "depending on errors Mergesmith cannot foresee)"))

    _s_TryStar = _s_Try

    def _s_With(self, node: ast.With) -> None:
        head = node.items[0].context_expr if node.items else None
        if isinstance(head, ast.Call) and isinstance(head.func, ast.Name) and head.func.id == "read_base":
            self.run(node.body)  # mmengine's `with read_base():` imports
            return
        self.poison([node], Unknown("with ...:", node.lineno, "may change it (a `with` block, which Mergesmith "
                                                              "does not run)"))

    def _s_FunctionDef(self, node) -> None:
        self.env[node.name] = Unknown(node.name, node.lineno, f"is the function defined at line {node.lineno}",
                                      node)

    _s_AsyncFunctionDef = _s_FunctionDef

    def _s_ClassDef(self, node: ast.ClassDef) -> None:
        self.env[node.name] = Unknown(node.name, node.lineno, "is a class the config defines")

    # --- assignment ------------------------------------------------------------------------

    def _target_slot(self, target: ast.AST) -> tuple[Any, Any]:
        """(container, key) that ``target`` (a subscript or attribute) names."""
        container = self.eval(target.value)
        if isinstance(target, ast.Attribute):
            return container, target.attr
        return container, self.eval(target.slice) if not isinstance(target.slice, ast.Slice) else None

    def assign(self, target: ast.AST, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            names = target.elts
            if isinstance(value, (CList, tuple)) and not taint_of(value) and len(value) == len(names) \
                    and not any(isinstance(t, ast.Starred) for t in names):
                for t, v in zip(names, value):
                    self.assign(t, v)
            else:
                why = taint_of(value) or self.unknown(target, "is unpacked from a value Mergesmith does not know")
                for t in names:
                    self.assign(t.value if isinstance(t, ast.Starred) else t, why)
        elif isinstance(target, (ast.Subscript, ast.Attribute)):
            container, key = self._target_slot(target)
            if isinstance(container, CDict) and _hashable(key):
                container[key] = value
            elif isinstance(container, CList) and type(key) is int and -len(container) <= key < len(container):
                container[key] = value
            else:
                self.changed(target, container, self.unknown(target, "sets an item of something Mergesmith "
                                                                      "cannot work out"))

    def poison(self, stmts: list[ast.stmt], why: Unknown, only_globals: bool = False,
               params: frozenset = frozenset()) -> None:
        """Everything ``stmts`` may assign or change becomes unknown (``why``); for a function's body
        (``only_globals``), the names it declares ``global``."""
        globals_: set[str] = set()
        stores: list[str] = []
        for node in (n for s in stmts for n in ast.walk(s)):
            if isinstance(node, ast.Global):
                globals_.update(node.names)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                stores.append(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stores.append(node.name)
            elif isinstance(node, ast.alias):
                stores.append(node.asname or node.name.split(".")[0])
            elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, (ast.Store, ast.Del)):
                self.changed(node, self._quiet_eval(node.value), why, params)
            elif isinstance(node, ast.Call):
                if isinstance(node.func, ast.Attribute) and node.func.attr not in READ_ONLY_METHODS:
                    self.changed(node.func, self._quiet_eval(node.func.value), why, params)
                for arg in list(node.args) + [kw.value for kw in node.keywords]:
                    _taint(self._quiet_eval(arg), why)
        for name in stores:
            if not only_globals or name in globals_:
                self.env[name] = why

    def _quiet_eval(self, node: ast.AST) -> Any:
        """A value to taint; evaluating a name or a subscript has no effect of its own."""
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            return self.eval(node)
        return None


_NO = object()


def _container_method(owner: Any, name: str, args: list, kwargs: dict) -> Any:
    """Python's own method on a config dict, list or string, or ``_NO`` when we do not do it."""
    try:
        if isinstance(owner, CDict):
            if name == "update" and len(args) <= 1 and (not args or isinstance(args[0], CDict)):
                owner.update(*args, **kwargs)
                return None
            if name in ("get", "pop", "setdefault", "copy", "keys", "values", "items", "clear") and not kwargs:
                if not all(_hashable(a) for a in args[:1]):
                    return _NO
                result = getattr(owner, name)(*args)
                return CList(result) if name in ("keys", "values", "items") else result
        elif isinstance(owner, CList):
            if name in ("append", "extend", "insert", "pop", "remove", "copy", "clear", "index", "count",
                        "reverse") and not kwargs:
                return getattr(owner, name)(*args)
        elif isinstance(owner, str) and name == "join" and len(args) == 1 and not kwargs:
            items = args[0]
            if isinstance(items, (CList, tuple)) and all(isinstance(i, str) for i in items) and \
                    sum(map(len, items)) + len(owner) * len(items) <= MAX_LENGTH:
                return owner.join(items)
        elif isinstance(owner, str) and not kwargs and all(isinstance(a, (str, int)) for a in args):
            if name in ("lower", "upper", "strip", "lstrip", "rstrip", "startswith", "endswith", "split",
                        "rsplit", "removeprefix", "removesuffix"):
                return getattr(owner, name)(*args)
            if name == "replace" and len(args) == 2 and len(owner) * max(1, len(args[1])) <= MAX_LENGTH:
                return owner.replace(*args)
    except (KeyError, IndexError, ValueError, TypeError):
        return _NO
    return _NO
