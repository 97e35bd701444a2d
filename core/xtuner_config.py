"""Read an XTuner (mmengine) training config ``.py`` without executing it.

An XTuner config is a Python file that imports xtuner, mmengine, transformers and peft and
builds nested ``dict(type=..., ...)`` literals. Running it would need all of those installed
(and would run whatever the file says), so we parse it with :mod:`ast` and evaluate only what is
plainly data: constants, names assigned earlier, ``dict(...)``, lists, string concatenation,
f-strings and ``os.path.join`` of strings. Imported classes and functions become
:class:`Symbol` (just their dotted name); anything else becomes :class:`Unknown`.

From the result, :func:`read_config` extracts what a merge needs: the model type
(``SupervisedFinetune``, ``LLaVAModel``, ...), the LoRA settings of the LLM and of the visual
encoder, the base model, tokenizer, visual encoder and image processor paths, the projector
depth, and whether the LLM / visual encoder were frozen.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .errors import SourceError

MAX_BASE_DEPTH = 5
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


@dataclass(frozen=True)
class Unknown:
    """An expression we do not evaluate (its source text, for messages)."""

    source: str

    def __str__(self) -> str:
        return f"<{self.source}>"


class _Evaluator:
    def __init__(self, text: str, env: dict[str, Any]) -> None:
        self.text = text
        self.env = env

    def unknown(self, node: ast.AST) -> Unknown:
        return Unknown((ast.get_source_segment(self.text, node) or type(node).__name__)[:80])

    def eval(self, node: ast.AST) -> Any:  # noqa: C901 - one branch per node type
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.env.get(node.id, Symbol(node.id))
        if isinstance(node, ast.Attribute):
            base = self.eval(node.value)
            if isinstance(base, Symbol):
                return Symbol(f"{base.path}.{node.attr}")
            if isinstance(base, dict) and node.attr in base:
                return base[node.attr]
            return self.unknown(node)
        if isinstance(node, ast.Dict):
            out: dict = {}
            for k, v in zip(node.keys, node.values):
                if k is None:
                    spread = self.eval(v)
                    if isinstance(spread, dict):
                        out.update(spread)
                    continue
                key = self.eval(k)
                try:
                    out[key] = self.eval(v)
                except TypeError:  # unhashable key
                    continue
            return out
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = [self.eval(e) for e in node.elts]
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.BinOp):
            left, right = self.eval(node.left), self.eval(node.right)
            ops = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
                   ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
                   ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b}
            fn = ops.get(type(node.op))
            plain = (int, float, str, list, tuple)
            if fn and isinstance(left, plain) and isinstance(right, plain):
                if isinstance(left, str) and isinstance(right, (int, float)) and not isinstance(node.op, ast.Mult):
                    return self.unknown(node)  # '%' formatting and friends: not data
                if _too_big(left, right, node.op):
                    return self.unknown(node)
                try:
                    return fn(left, right)
                except Exception:
                    return self.unknown(node)
            return self.unknown(node)
        if isinstance(node, ast.UnaryOp):
            value = self.eval(node.operand)
            if isinstance(node.op, ast.USub) and isinstance(value, (int, float)):
                return -value
            if isinstance(node.op, ast.Not) and isinstance(value, bool):
                return not value
            return self.unknown(node)
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                x = self.eval(v.value) if isinstance(v, ast.FormattedValue) else self.eval(v)
                if not isinstance(x, (str, int, float)):
                    return self.unknown(node)
                parts.append(str(x))
            return "".join(parts)
        if isinstance(node, ast.Subscript):
            value, index = self.eval(node.value), self.eval(node.slice)
            try:
                if isinstance(value, (dict, list, tuple, str)) and isinstance(index, (int, str)):
                    return value[index]
            except (KeyError, IndexError, TypeError):
                pass
            return self.unknown(node)
        return self.unknown(node)

    def call(self, node: ast.Call) -> Any:
        func = self.eval(node.func)
        args = [self.eval(a) for a in node.args if not isinstance(a, ast.Starred)]
        kwargs: dict = {}
        for kw in node.keywords:
            value = self.eval(kw.value)
            if kw.arg is None:
                if isinstance(value, dict):
                    kwargs.update(value)
            else:
                kwargs[kw.arg] = value
        if isinstance(func, Symbol):
            if func.path == "dict":
                out = dict(args[0]) if args and isinstance(args[0], dict) else {}
                out.update(kwargs)
                return out
            if func.path in ("list", "tuple", "set") and len(args) == 1 and isinstance(args[0], (list, tuple)):
                return tuple(args[0]) if func.path == "tuple" else list(args[0])
            if func.path.endswith("path.join") and args and all(isinstance(a, str) for a in args):
                return os.path.join(*args)
            # a class or function called with arguments: keep it as dict(type=..., ...)
            out = {"type": func}
            out.update(kwargs)
            if args:
                out["_args"] = args
            return out
        return self.unknown(node)


def _too_big(left, right, op) -> bool:
    """Would ``left op right`` build something no config holds (a huge string, list or integer)?"""
    sizes = [len(x) for x in (left, right) if isinstance(x, (str, list, tuple))]
    counts = [x for x in (left, right) if isinstance(x, int) and not isinstance(x, bool)]
    if isinstance(op, ast.Mult) and sizes and counts:
        return sizes[0] * max(counts[0], 0) > MAX_LENGTH
    if len(sizes) == 2:
        return sum(sizes) > MAX_LENGTH
    if len(counts) == 2:
        return sum(abs(c).bit_length() for c in counts) > MAX_INT_BITS
    return False


def _module_file(config_dir: Path, module: Optional[str], level: int) -> Optional[Path]:
    if not module:
        return None
    base = config_dir
    for _ in range(max(level - 1, 0)):
        base = base.parent
    cand = base.joinpath(*module.split(".")).with_suffix(".py")
    return cand if cand.is_file() else None


def evaluate(text: str, path: Optional[Path] = None, _depth: int = 0,
             label: Optional[str] = None) -> tuple[dict[str, Any], list[str]]:
    """The top-level variables of a config (``_base_`` files merged in first) and notes."""
    label = str(path) if path else (label or "The training config")
    try:
        tree = ast.parse(text, filename=label)
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
    env: dict[str, Any] = {}
    notes: list[str] = []
    ev = _Evaluator(text, env)
    config_dir = path.parent if path else None

    def merge_base(file: Optional[Path], what: str) -> None:
        if file is None or _depth >= MAX_BASE_DEPTH:
            notes.append(f"The config inherits from {what}, which Mergesmith could not find; "
                         "settings defined only there are unknown.")
            return
        try:
            base_text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            notes.append(f"Cannot read the inherited config {file}.")
            return
        base_env, base_notes = evaluate(base_text, file, _depth + 1)
        env.update(base_env)
        notes.extend(base_notes)

    def visit(stmts) -> None:
        for stmt in stmts:
            if isinstance(stmt, ast.Import):
                for a in stmt.names:
                    env[a.asname or a.name.split(".")[0]] = Symbol(a.name if a.asname else a.name.split(".")[0])
            elif isinstance(stmt, ast.ImportFrom):
                mod = stmt.module or ""
                for a in stmt.names:
                    if a.name == "*":
                        if config_dir is not None and stmt.level:
                            merge_base(_module_file(config_dir, mod, stmt.level), f"{'.' * stmt.level}{mod}")
                        continue
                    env[a.asname or a.name] = Symbol(f"{mod}.{a.name}" if mod else a.name)
            elif isinstance(stmt, ast.Assign):
                value = ev.eval(stmt.value)
                for target in stmt.targets:
                    _assign(env, target, value)
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                _assign(env, stmt.target, ev.eval(stmt.value))
            elif isinstance(stmt, ast.With):  # mmengine's `with read_base():` imports
                visit(stmt.body)
            elif isinstance(stmt, ast.If):
                notes.append(f"The config has an `if` at line {stmt.lineno}; Mergesmith read both branches.")
                visit(stmt.body)
                visit(stmt.orelse)

    try:
        _visit_all(tree, ev, config_dir, merge_base, visit)
    except (RecursionError, MemoryError):
        raise SourceError(f"{label} nests its expressions too deeply to be a training config; point at "
                          "the config .py the training used.", path=path) from None
    return env, notes


def _visit_all(tree, ev, config_dir, merge_base, visit) -> None:
    # `_base_ = [...]` must be merged before the file's own values override it
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_base_" for t in stmt.targets):
            bases = ev.eval(stmt.value)
            for b in bases if isinstance(bases, (list, tuple)) else [bases]:
                if isinstance(b, str):
                    cand = (config_dir / b) if config_dir else None
                    merge_base(cand if cand is not None and cand.is_file() else None, b)
    visit(tree.body)


def _assign(env: dict, target: ast.AST, value: Any) -> None:
    if isinstance(target, ast.Name):
        env[target.id] = value
    elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (list, tuple)) \
            and len(value) == len(target.elts):
        for t, v in zip(target.elts, value):
            _assign(env, t, v)


# --- what a merge needs ------------------------------------------------------------------------

LORA_FIELDS = ("r", "lora_alpha", "lora_dropout", "bias", "use_rslora", "target_modules",
               "modules_to_save", "task_type", "fan_in_fan_out", "use_dora", "rank_pattern",
               "alpha_pattern", "init_lora_weights", "layers_to_transform", "layers_pattern",
               "lora_bias", "exclude_modules")


@dataclass
class XTunerConfig:
    """What Mergesmith needs from an XTuner training config."""

    path: Optional[Path] = None
    model_type: Optional[str] = None
    llm_path: Optional[str] = None
    llm_dtype: Optional[str] = None
    tokenizer_path: Optional[str] = None
    visual_encoder_path: Optional[str] = None
    visual_encoder_class: Optional[str] = None
    image_processor_path: Optional[str] = None
    llm_lora: Optional[dict] = None
    visual_encoder_lora: Optional[dict] = None
    projector_depth: int = 2
    visual_select_layer: int = -2
    freeze_llm: Optional[bool] = None
    freeze_visual_encoder: Optional[bool] = None
    notes: list[str] = field(default_factory=list)

    @property
    def is_llava(self) -> bool:
        return self.model_type == "LLaVAModel"

    def summary(self) -> dict:
        return {
            "model_type": self.model_type, "base": self.llm_path, "llm_dtype": self.llm_dtype,
            "tokenizer": self.tokenizer_path, "visual_encoder": self.visual_encoder_path,
            "image_processor": self.image_processor_path,
            "lora": self.llm_lora, "visual_encoder_lora": self.visual_encoder_lora,
            "projector_depth": self.projector_depth, "freeze_llm": self.freeze_llm,
            "freeze_visual_encoder": self.freeze_visual_encoder,
        }


def _path_of(spec: Any) -> Optional[str]:
    if isinstance(spec, dict):
        value = spec.get("pretrained_model_name_or_path")
        if value is None and spec.get("_args"):
            value = spec["_args"][0]
        return value if isinstance(value, str) else None
    return spec if isinstance(spec, str) else None


def _plain(value: Any) -> Any:
    if isinstance(value, (Symbol, Unknown)):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _lora(spec: Any) -> Optional[dict]:
    if not isinstance(spec, dict):
        return None
    out = {k: _plain(spec[k]) for k in LORA_FIELDS if k in spec}
    tm = out.get("target_modules")
    if isinstance(tm, str) and tm != "all-linear":
        out["target_modules"] = [tm]
    return out


def _dtype(value: Any) -> Optional[str]:
    if isinstance(value, Symbol):
        return value.path.rsplit(".", 1)[-1]
    if isinstance(value, str):
        return value.replace("torch.", "")
    return None


def _class_name(value: Any) -> Optional[str]:
    """``LLaVAModel`` from a Symbol or from mmengine's dumped string ``'xtuner.model.LLaVAModel'``."""
    if isinstance(value, str):
        value = Symbol(value)
    return value.name if isinstance(value, Symbol) else None


def _bool(value: Any) -> Optional[bool]:
    return value if isinstance(value, bool) else None


def parse_config(text: str, path: Optional[Path] = None, label: Optional[str] = None) -> XTunerConfig:
    """Extract the merge-relevant settings from config source text (``label`` names it when no path)."""
    env, notes = evaluate(text, path, label=label)
    cfg = XTunerConfig(path=path, notes=notes)
    model = env.get("model")
    if not isinstance(model, dict):
        raise SourceError(
            f"{path or label or 'The training config'} defines no `model = dict(...)`; it is not an XTuner "
            "training config. Point at the config .py the training used.", path=path)
    cfg.model_type = _class_name(model.get("type"))
    llm = model.get("llm")
    cfg.llm_path = _path_of(llm)
    if isinstance(llm, dict):
        cfg.llm_dtype = _dtype(llm.get("torch_dtype"))
    cfg.llm_lora = _lora(model.get("lora")) or _lora(model.get("llm_lora"))
    cfg.visual_encoder_lora = _lora(model.get("visual_encoder_lora"))
    tok = env.get("tokenizer", model.get("tokenizer"))
    cfg.tokenizer_path = _path_of(tok)
    vis = model.get("visual_encoder")
    cfg.visual_encoder_path = _path_of(vis)
    if isinstance(vis, dict):
        cfg.visual_encoder_class = _class_name(vis.get("type"))
    cfg.image_processor_path = _path_of(env.get("image_processor")) or cfg.visual_encoder_path
    depth = model.get("projector_depth", 2)
    cfg.projector_depth = depth if isinstance(depth, int) else 2
    layer = model.get("visual_select_layer", -2)
    cfg.visual_select_layer = layer if isinstance(layer, int) else -2
    cfg.freeze_llm = _bool(model.get("freeze_llm"))
    cfg.freeze_visual_encoder = _bool(model.get("freeze_visual_encoder"))
    return cfg


def read_config(path) -> XTunerConfig:
    """Read and parse an XTuner config file; :class:`SourceError` with a sentence if we cannot."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SourceError(f"{path} is not a text file, so it is not an XTuner config; point at "
                          "the config .py the training used.", path=path) from None
    except OSError as exc:
        raise SourceError(f"Cannot read {path}: {exc.strerror or exc}.", path=path) from None
    return parse_config(text, path)


def looks_like_config(path: Path) -> bool:
    """A cheap test for work_dir scanning: a .py file that assigns ``model``."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "model" in text and ("dict(" in text or "type=" in text) and not text.startswith("#!/usr/bin/env python")
