"""The values an XTuner config evaluates to, as :mod:`.config_eval` follows it (never running it).

Dicts and lists are :class:`CDict`/:class:`CList`, real objects mutated in place, each with a
``taint`` once something unknown may have changed it; imported names are :class:`Symbol`; what
cannot be worked out is :class:`Unknown`, with the line and the reason. Here too: what is known of
a value (:func:`truth`, :func:`identity`, :func:`plain_known`), the join of two environments after
an ``if`` whose branch is unknown (:class:`Join`), and Python's own container methods.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Optional

MAX_LENGTH = 1_000_000  # characters or items a config value may reach ('a' * 10**10 is not data)
MAX_INT_BITS = 256


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


def taint(value: Any, why: Unknown) -> None:
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


def hashable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, type(None), Symbol)) or (
        isinstance(value, tuple) and all(hashable(v) for v in value))


def plain_known(value: Any) -> bool:
    """A value whose Python meaning we hold exactly (no Symbol, no Unknown, no taint inside)."""
    if isinstance(value, (str, int, float, bool, type(None))):
        return True
    if isinstance(value, (CList, tuple)):
        return taint_of(value) is None and all(plain_known(v) for v in value)
    if isinstance(value, CDict):
        return value.taint is None and all(plain_known(v) for v in value.values())
    return False


def identity(left: Any, right: Any) -> Optional[bool]:
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


def too_big(left, right, op) -> bool:
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



def wrap(value: Any) -> Any:
    """Plain Python containers as :class:`CDict`/:class:`CList` (results of list(), sorted(), ...)."""
    if isinstance(value, dict) and not isinstance(value, CDict):
        return CDict(value)
    if isinstance(value, list) and not isinstance(value, CList):
        return CList(value)
    return value


CONTAINERS = (CDict, CList)


def containers_in(values) -> dict[int, Any]:
    """Every dict and list reachable from ``values``, by id."""
    out: dict[int, Any] = {}
    stack = list(values)
    while stack:
        v = stack.pop()
        if isinstance(v, CONTAINERS) and id(v) not in out:
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
            if isinstance(a, CONTAINERS) and type(a) is type(b):
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
        if isinstance(a, CONTAINERS) and type(a) is type(b) and not self._conflicted(a, b):
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
        if not isinstance(a, CONTAINERS) and type(a) is type(b) and a == b:
            return a
        return self.why


def pick(a: Any, b: Any, why: Unknown) -> Any:
    """``a if c else b`` with ``c`` unknown: the value when both are the same, else unknown."""
    if a is b or isinstance(a, Unknown):
        return a
    if isinstance(b, Unknown):
        return b
    if not isinstance(a, CONTAINERS) and type(a) is type(b) and plain_known(a) and a == b:
        return a
    return why


NOT_DONE = object()


def container_method(owner: Any, name: str, args: list, kwargs: dict) -> Any:
    """Python's own method on a config dict, list or string, or ``NOT_DONE`` when we do not do it."""
    try:
        if isinstance(owner, CDict):
            if name == "update" and len(args) <= 1 and (not args or isinstance(args[0], CDict)):
                owner.update(*args, **kwargs)
                return None
            if name in ("get", "pop", "setdefault", "copy", "keys", "values", "items", "clear") and not kwargs:
                if not all(hashable(a) for a in args[:1]):
                    return NOT_DONE
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
        return NOT_DONE
    return NOT_DONE
