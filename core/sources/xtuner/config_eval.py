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
import copy
from typing import Any

from .config_calls import Calls
from .config_values import CDict, CList, Join, Symbol, Unknown, containers_in, hashable, taint_of, truth


class Evaluator(Calls):
    """Runs a config's top level over an environment of values, as data: the statements
    (``_s_<node>``) and assignment here, expressions and calls in the classes below it."""

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
            if isinstance(container, CDict) and hashable(key) and not container.taint:
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
        reachable = containers_in(before.values())
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
            if isinstance(container, CDict) and hashable(key):
                container[key] = value
            elif isinstance(container, CList) and type(key) is int and -len(container) <= key < len(container):
                container[key] = value
            else:
                self.changed(target, container, self.unknown(target, "sets an item of something Mergesmith "
                                                                      "cannot work out"))
