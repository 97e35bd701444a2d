"""Expressions of an XTuner config, evaluated as data (see :mod:`.config_eval`): constants, names,
containers, operators, comparisons, conditions, f-strings and subscripts. Calls are
:mod:`.config_calls`', statements :mod:`.config_eval`'s; :class:`Expressions` is their common base.
"""

from __future__ import annotations

import ast
import re
from typing import Any, Callable, Optional

from .config_values import (CDict, CList, Symbol, Unknown, hashable, identity, pick, plain_known, taint_of,
                            too_big, truth, wrap)

_ENV_VAR = re.compile(r"\{\{\s*\$(\w+)[^}]*\}\}")
_PREDEFINED = re.compile(r"\{\{\s*(fileDirname|fileBasename|fileBasenameNoExtension|fileExtname)\s*\}\}")

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


class Expressions:
    """The part of :class:`.config_eval.Evaluator` that evaluates expressions (``_e_<node>``);
    ``_e_Call`` and the effects of code not run come with :class:`.config_calls.Calls`."""

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
            if not hashable(key):
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
        if not (plain_known(left) and plain_known(right)):
            return self.unknown(node, "is computed from values Mergesmith does not know")
        if isinstance(left, str) and isinstance(op, ast.Mod):
            return self.unknown(node, "is built by %-formatting, which Mergesmith does not evaluate")
        if too_big(left, right, op):
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
            same = identity(left, right)
            if same is not None:
                return same == isinstance(op, ast.Is)
        elif isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, CDict) and not right.taint \
                and (plain_known(left) or isinstance(left, Symbol)) and hashable(left):
            return (left in right) == isinstance(op, ast.In)  # a dict's keys are known even when values are not
        elif plain_known(left) and plain_known(right):
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
            if isinstance(value, CDict) and hashable(index):
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

