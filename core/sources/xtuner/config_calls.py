"""Calls in an XTuner config (see :mod:`.config_eval`): the few whose meaning is certain
(``dict(...)``, ``copy.deepcopy``, ``os.path.join``, builtins, container methods, ``...Config(...)``
and ``from_pretrained`` kept as ``dict(type=...)``), and what a call or a block we do not run may
change, which becomes :class:`.config_values.Unknown`.
"""

from __future__ import annotations

import ast
import builtins
import copy
import os
from typing import Any

from .config_expressions import Expressions
from .config_values import (CONTAINERS, NOT_DONE, CDict, CList, Symbol, Unknown, container_method, plain_known,
                            taint, taint_of, wrap)

BUILTINS = frozenset({"dict", "list", "tuple", "set", "str", "int", "float", "bool", "len", "min",
                      "max", "sorted", "abs", "round"})
READ_ONLY_METHODS = frozenset({"get", "copy", "keys", "values", "items", "index", "count", "format",
                               "startswith", "endswith", "lower", "upper", "strip", "split", "join",
                               "replace"})
# builtins that change none of their arguments (their value is still unknown, but print's is None)
HARMLESS = frozenset({"print", "isinstance", "issubclass", "repr", "hasattr", "getattr", "type", "id",
                      "hash", "callable", "format"})
PURE_CALLS = frozenset({"os.path.join", "posixpath.join", "copy.copy", "copy.deepcopy"})


class Calls(Expressions):
    """Expressions with calls (``_e_Call``), and :meth:`poison`/:meth:`changed` for what code we do
    not run may change."""

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
        if name in BUILTINS and not kwargs and all(plain_known(a) for a in args):
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
            taint(owner, why)
            return why
        done = container_method(owner, name, args, kwargs)
        if done is not NOT_DONE:
            return wrap(done)
        why = self.unknown(node, f"calls `.{name}(...)` on a {type(owner).__name__.lstrip('C').lower()}, "
                                 "which Mergesmith does not evaluate")
        taint(owner, why)
        return why

    def call_effects(self, node: ast.Call, func: Any, given: list) -> None:
        """A call we do not run may change the dicts and lists it is given, and a function the
        config defines may change any it names."""
        why = self.unknown(node, "may change it (a call Mergesmith does not run)")
        for value in given:
            taint(value, why)
        if isinstance(func, Unknown) and func.code is not None:
            a = func.code.args
            params = frozenset(x.arg for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if x)
            self.poison(func.code.body, why, only_globals=True, params=params)

    def changed(self, target: ast.AST, container: Any, why: Unknown, params: frozenset = frozenset()) -> None:
        """``container`` (what ``target.value`` gave) may have been changed in a way we cannot follow.
        ``params``: the parameters of the function whose body this is (bound to its arguments, which
        the call has marked already)."""
        if isinstance(container, CONTAINERS):
            taint(container, why)
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
                taint(value, why)

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
                    taint(self._quiet_eval(arg), why)
        for name in stores:
            if not only_globals or name in globals_:
                self.env[name] = why

    def _quiet_eval(self, node: ast.AST) -> Any:
        """A value to taint; evaluating a name or a subscript has no effect of its own."""
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            return self.eval(node)
        return None

