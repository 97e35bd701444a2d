"""Report, config part: config.json, remote code, the dtype it names, generation_config.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from .. import formats
from ..model.base import remote_code_files
from .report import Report, join
from .weights import WeightsView, major_float_dtype
from ..quiet import quiet_transformers


def read_json(path: Path):
    """The parsed document, or raise ValueError/OSError."""
    return json.loads(path.read_text(encoding="utf-8"))


def check_config(report: Report, folder: Path, rel: str = "", *, what: str = "model") -> Optional[dict]:
    """config.json present and parseable; return it (or None)."""
    path = folder / formats.CONFIG
    file = join(rel, formats.CONFIG)
    if not path.is_file():
        if rel:
            report.problem("missing-config", file, key="missing-config/part", folder=rel)
        else:
            report.problem("missing-config", file)
        return None
    try:
        doc = read_json(path)
        if not isinstance(doc, dict):
            raise ValueError("it is not a JSON object")
    except (OSError, ValueError, RecursionError) as exc:
        report.problem("missing-config", file, key="missing-config/unparsable", name=file, error=str(exc))
        return None
    s = report.summary_for(rel)
    s["config"] = {k: doc.get(k) for k in ("architectures", "model_type", "vocab_size", "hidden_size",
                                            "torch_dtype", "dtype", "tie_word_embeddings") if k in doc}
    return doc


def text_config(config: dict) -> dict:
    """The language model's part of a (possibly multimodal) config."""
    text = config.get("text_config")
    return text if isinstance(text, dict) else config


config_dtype = formats.config_dtype


def check_remote_code(report: Report, folder: Path, rel: str, config: dict) -> bool:
    """Every module ``auto_map`` names is present. Returns True when the config uses remote code."""
    auto_map = config.get("auto_map")
    if not isinstance(auto_map, dict) or not auto_map:
        return False
    wanted: set[str] = set()
    for value in auto_map.values():
        for v in (value if isinstance(value, (list, tuple)) else [value]):
            if isinstance(v, str) and v:
                if "--" in v:  # code living in another Hub repo: nothing to carry
                    continue
                wanted.add(v.rsplit(".", 1)[0].replace(".", "/") + ".py")
    present = set(remote_code_files(folder, config))
    for name in sorted(wanted - present):
        report.problem("missing-remote-code", join(rel, name), name=name)
    return True


def check_architecture_known(report: Report, rel: str, config: dict) -> bool:
    """The model type is one this transformers knows (cheap: a registry lookup)."""
    model_type = config.get("model_type")
    try:
        from transformers.models.auto.configuration_auto import CONFIG_MAPPING
    except ImportError:  # pragma: no cover - transformers is a dependency
        return False
    if isinstance(model_type, str) and model_type in CONFIG_MAPPING:
        return True
    import transformers

    report.problem("unknown-architecture", join(rel, formats.CONFIG),
                   version=transformers.__version__, model_type=repr(model_type))
    return False


def check_dtype(report: Report, rel: str, config: dict, weights: WeightsView) -> None:
    named = config_dtype(config)
    stored = major_float_dtype(weights)
    if named and stored and named != stored:
        report.problem("dtype-mismatch", join(rel, formats.CONFIG),
                       named=formats.dtype_name(named), stored=formats.dtype_name(stored))


# --- generation config -------------------------------------------------------------------------


def check_generation_config(report: Report, folder: Path, rel: str = "", validate: bool = True) -> None:
    """Present and parseable; with ``validate``, also acceptable to transformers (imports it)."""
    path = folder / formats.GENERATION_CONFIG
    file = join(rel, formats.GENERATION_CONFIG)
    if not path.is_file():
        report.problem("missing-generation-config", file)
        return
    try:
        doc = read_json(path)
        if not isinstance(doc, dict):
            raise ValueError("it is not a JSON object")
    except (OSError, ValueError, RecursionError) as exc:
        report.problem("bad-generation-config", file, error=str(exc))
        return
    if not validate:
        return
    problem, flags = validate_generation_config(doc)
    if problem:
        report.problem("bad-generation-config", file, key="bad-generation-config/refused", error=problem)
    elif flags:
        report.problem("generation-config-flags", file, flags=", ".join(flags))


def validate_generation_config(doc: dict) -> tuple[Optional[str], list[str]]:
    """(why transformers cannot build it, or None; the flags strict validation complains about)."""
    try:
        from transformers import GenerationConfig
    except ImportError:  # pragma: no cover
        return None, []
    with quiet_transformers():
        try:
            cfg = GenerationConfig.from_dict(dict(doc))
        except (ValueError, TypeError) as exc:
            return str(exc).strip().splitlines()[0], []
        try:
            cfg.validate(strict=True)
        except ValueError as exc:
            return None, _flag_names(str(exc)) or ["settings transformers rejects"]
    return None, []


def _flag_names(text: str) -> list[str]:
    import re

    return list(dict.fromkeys(re.findall(r"^- `(\w+)`", text, re.MULTILINE)))
