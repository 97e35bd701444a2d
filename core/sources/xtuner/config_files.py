"""A training config file and the files it inherits from, evaluated as data (never run).

:func:`evaluate` parses the file, follows mmengine's two ways of inheriting — the classic
``_base_ = [...]`` and ``with read_base(): from ._base_.x import *`` — up to ``MAX_BASE_DEPTH``
files deep, runs the :class:`.config_eval.Evaluator` over its top level and merges the file's own
values into its bases' as mmengine does (``_delete_=True`` replaces).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, Optional

from ...errors import SourceError
from .config_eval import Evaluator
from .config_values import CDict

MAX_BASE_DEPTH = 5


def _module_file(config_dir: Path, module: Optional[str], level: int) -> Optional[Path]:
    if not module:
        return None
    base = config_dir
    for _ in range(max(level - 1, 0)):
        base = base.parent
    cand = base.joinpath(*module.split(".")).with_suffix(".py")
    return cand if cand.is_file() else None


def _parse(text: str, label: str, path: Optional[Path]) -> ast.Module:
    try:
        return ast.parse(text, filename=label)
    except SyntaxError as exc:
        raise SourceError(
            f"{label} is not valid Python (line {exc.lineno}: {exc.msg}); it is not an XTuner "
            "config, or it is damaged. Point at the config .py the training used.", path=path) from None
    except (RecursionError, MemoryError):
        raise SourceError(f"{label} nests its expressions too deeply to be a training config; point at "
                          "the config .py the training used.", path=path) from None
    except ValueError as exc:  # null bytes
        raise SourceError(f"{label} is not a Python text file ({exc}); point at the config .py "
                          "the training used.", path=path) from None


def _merge_into(base: Any, child: Any) -> Any:
    """mmengine's ``_base_`` rule: a child's dict is merged key by key into the base's dict, unless it
    says ``_delete_=True``; anything else replaces."""
    if isinstance(child, CDict) and child.get("_delete_") is True:
        return CDict({k: v for k, v in child.items() if k != "_delete_"})
    if not (isinstance(base, CDict) and isinstance(child, CDict)):
        return child
    out = CDict(base)
    out.taint = base.taint or child.taint
    for key, value in child.items():
        out[key] = _merge_into(base[key], value) if key in base else value
    return out


def evaluate(text: str, path: Optional[Path] = None, _depth: int = 0,
             label: Optional[str] = None) -> tuple[dict[str, Any], list[str]]:
    """The top-level variables of a config (inherited files merged in) and notes about inheritance."""
    label = str(path) if path else (label or "The training config")
    tree = _parse(text, label, path)
    notes: list[str] = []
    config_dir = path.parent if path else None

    def read_base_file(file: Optional[Path], what: str) -> Optional[dict]:
        if file is None or _depth >= MAX_BASE_DEPTH:
            notes.append(f"{label} inherits from {what}, which Mergesmith could not find; "
                         "settings defined only there are unknown.")
            return None
        try:
            base_text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            notes.append(f"Cannot read the config {file} that {label} inherits from.")
            return None
        base_env, base_notes = evaluate(base_text, file, _depth + 1)
        notes.extend(base_notes)
        return base_env

    ev = Evaluator(text)

    def star_import(node: ast.ImportFrom) -> None:  # `with read_base(): from ._base_.x import *`
        if config_dir is not None and node.level:
            found = read_base_file(_module_file(config_dir, node.module, node.level),
                                   f"{'.' * node.level}{node.module or ''}")
            ev.env.update(found or {})

    ev.on_star_import = star_import
    inherited = _classic_bases(tree, ev, config_dir, read_base_file)
    ev.env.update(inherited)
    ev.env["_base_"] = CDict(inherited)
    try:
        ev.run([s for s in tree.body if not _assigns_base(s)])
    except (RecursionError, MemoryError):
        raise SourceError(f"{label} nests its expressions too deeply to be a training config; point at "
                          "the config .py the training used.", path=path) from None
    env = {k: v for k, v in ev.env.items() if k != "_base_"}
    for key, value in inherited.items():  # mmengine merges the file's own values into the bases'
        env[key] = _merge_into(value, env[key]) if key in env else value
    return env, notes


def _assigns_base(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_base_" for t in stmt.targets)


def _classic_bases(tree: ast.Module, ev: Evaluator, config_dir: Optional[Path], read_base_file) -> dict:
    """The values of the files named by ``_base_ = [...]`` (mmengine's classic inheritance)."""
    inherited: dict = {}
    for stmt in tree.body:
        if _assigns_base(stmt):
            bases = ev.eval(stmt.value)
            for b in bases if isinstance(bases, (list, tuple)) else [bases]:
                if isinstance(b, str):
                    cand = (config_dir / b) if config_dir else None
                    found = read_base_file(cand if cand is not None and cand.is_file() else None, b)
                    inherited.update(found or {})
    return inherited
