"""Run Mergesmith's config reader over every config XTuner 0.2.0 ships, and check it against mmengine.

    .venv/bin/python bench/survey_xtuner_configs.py [--work DIR] [--show N] [--reuse-truth]

Not a test (CI does not run it): it needs PyPI once, to fetch XTuner's wheel and to build a venv in
which mmengine can evaluate XTuner's configs. Steps:

1. ``pip download --no-deps xtuner==0.2.0`` into WORK/wheel; ``xtuner/configs/**`` unpacked into
   WORK/src. A config is a file there that assigns ``model`` at its top level.
2. WORK/venv: torch==2.13.0 (from local disk), transformers==4.48.0 and mmengine 0.10.6 (the
   versions XTuner 0.2.0 pins), peft 0.14, datasets and the few packages XTuner's modules import,
   and the xtuner wheel itself (``--no-deps``). The one thing stood in for is torchvision: the
   PyPI wheel is a CUDA build that does not load beside the CPU torch, and only
   ``xtuner.dataset.internvl_dataset`` imports it (for image transforms no config load calls), so
   the child process puts an inert ``torchvision`` module in ``sys.modules`` first.
3. In that venv (the "truth" child, which never imports Mergesmith): for each config,
   ``Config.fromfile(path)`` -- mmengine runs the config as XTuner's own ``train`` does -- gives
   the evaluated values (model type, base path, LoRA r / lora_alpha / use_rslora /
   target_modules, torch_dtype, quantization, freeze flags, visual encoder LoRA), and
   ``cfg.dump(...)`` writes the config as mmengine's Runner writes it into a work_dir.
4. Here: Mergesmith's ``parse_config`` reads each config as written and its dump; every value is
   compared with mmengine's. A value we do not give is counted "unknown" only if the reader gave a
   sentence for it; else it is wrong.

Besides the configs as shipped, two edited copies of each go through the same steps: "edited"
appends what users do to a shipped config (augmented, subscript and ``.update`` assignment into
the LoRA, ``{**a, ...}``, ``if/elif/else`` on known values, ``+=``, ``del``), which mmengine's lazy
mode runs; "unknown-if" appends an ``if`` on ``len(repr(model)) > 0`` (true for mmengine, not
evaluated by Mergesmith) that sets the LoRA's alpha, and one that sets a value no merge uses.

Prints the counts and writes WORK/results.json (every config, every value, every note) and
WORK/results.md. ``--reuse-truth`` keeps mmengine's side from the last run (to re-check the reader).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Appended to every config for the "edited" forms: what users do to a shipped config, in the Python
# that mmengine's lazy-import mode (XTuner's configs get it) runs: plain dicts, no calls of imports.
EDITS = """

# --- edits, as a user makes them (Mergesmith's config survey) ---
_scale = 2
if _scale > 1 and not use_varlen_attn_edit:
    _scale *= 2
elif _scale == 0:
    _scale = 100
else:
    _scale = 1
_lora = model.get('lora') if 'lora' in model else model.get('llm_lora')
if _lora is not None:
    _lora['lora_alpha'] = _lora['lora_alpha'] * _scale
    _lora.update(r=_lora['r'] // 2, use_rslora=True)
    _lora['target_modules'] = ['q_proj'] + ['v_proj']
_llm = model.get('llm')
if _llm is not None:
    model['llm'] = {**_llm, 'pretrained_model_name_or_path': _llm['pretrained_model_name_or_path'] + '-edited'}
if 'model_path' in model:
    model['model_path'] += '-edited'
model['freeze_llm'] = not model.get('freeze_llm', False)
del _lora, _llm
"""
# An `if` Mergesmith cannot decide (mmengine takes its first branch): the LoRA's alpha must come out
# unknown with a sentence, and the `if` on a value no merge uses must make no note.
EDITS_UNKNOWN_IF = """

# --- an if on something Mergesmith does not evaluate (Mergesmith's config survey) ---
_big = len(repr(model)) > 0
if _big:
    _alpha = 64
else:
    _alpha = 8
_lora = model.get('lora') if 'lora' in model else model.get('llm_lora')
if _lora is not None:
    _lora['lora_alpha'] = _alpha
if _big:
    _batch = 4
else:
    _batch = 1
del _lora
"""
EDIT_SETS = {"edited": EDITS, "unknown-if": EDITS_UNKNOWN_IF}
XTUNER = "xtuner==0.2.0"
VENV_PACKAGES = ["torch==2.13.0", "transformers==4.48.0", "peft==0.14.0", "mmengine-lite==0.10.6",
                 "datasets", "einops", "loguru", "scipy", "sentencepiece", "tiktoken", "pillow",
                 "opencv-python-headless", "matplotlib", "scikit-image", "openpyxl"]
FORMS = ("written", "written, dumped", "edited", "edited, dumped", "unknown-if", "unknown-if, dumped")
FIELDS = ("model_type", "base", "r", "lora_alpha", "use_rslora", "target_modules", "torch_dtype",
          "quantization", "freeze_llm", "freeze_visual_encoder", "vit_r", "vit_lora_alpha", "tokenizer",
          "visual_encoder")
# Where each checked value lives in XTunerConfig.unknown when the reader could not know it
UNKNOWN_KEY = {"model_type": "model_type", "base": "llm_path", "r": "llm_lora", "lora_alpha": "llm_lora",
               "use_rslora": "llm_lora", "target_modules": "llm_lora", "torch_dtype": "llm_dtype",
               "quantization": "quantization", "freeze_llm": "freeze_llm",
               "freeze_visual_encoder": "freeze_visual_encoder", "vit_r": "visual_encoder_lora",
               "vit_lora_alpha": "visual_encoder_lora", "tokenizer": "tokenizer_path",
               "visual_encoder": "visual_encoder_path"}


# --- the truth: runs in WORK/venv, imports mmengine and xtuner, never Mergesmith -------------------

def _stand_in_torchvision() -> None:
    import importlib.machinery
    import types

    class Inert(types.ModuleType):
        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return type(name, (), {})

    for name in ("torchvision", "torchvision.transforms", "torchvision.transforms.functional"):
        module = Inert(name)
        module.__spec__ = importlib.machinery.ModuleSpec(name, None)
        sys.modules[name] = module


def _name(value) -> object:
    """A class or function as its name; mmengine keeps what the config imported."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return getattr(value, "__name__", None) or str(value)


def _truth_of(cfg) -> dict:
    model = cfg.model
    kind = _name(model.get("type"))
    kind = str(kind).split(".")[-1] if kind else kind
    if kind == "from_pretrained":
        kind = _name(getattr(model.get("type"), "__self__", None))
    internvl = kind == "InternVL_V1_5"
    llm = model.get("llm") or {}
    lora = model.get("lora") if "lora" in model else model.get("llm_lora")
    vit_lora = model.get("visual_encoder_lora")
    quant = llm.get("quantization_config") if not internvl else None
    if internvl:
        quantization = "4-bit" if model.get("quantization_llm") or model.get("quantization_vit") else None
    elif not quant:
        quantization = None
    elif quant.get("load_in_4bit"):
        quantization = "4-bit"
    elif quant.get("load_in_8bit"):
        quantization = "8-bit"
    else:
        quantization = None
    # InternVL_V1_5 takes no dtype, tokenizer or quantization_config from the config: its own code
    # loads model_path in bfloat16, with a 4-bit BitsAndBytesConfig when quantization_llm/_vit
    dtype = "bfloat16" if internvl else llm.get("torch_dtype")
    tokenizer = cfg.get("tokenizer") or model.get("tokenizer") or {}
    tm = lora.get("target_modules") if lora else None
    return {
        "model_type": kind,
        "base": model.get("model_path") if internvl else llm.get("pretrained_model_name_or_path"),
        "r": lora.get("r") if lora else None,
        "lora_alpha": lora.get("lora_alpha") if lora else None,
        "use_rslora": lora.get("use_rslora") if lora else None,
        "target_modules": sorted(tm) if isinstance(tm, (list, tuple, set)) else tm,
        "torch_dtype": str(dtype).replace("torch.", "") if dtype is not None else None,
        "quantization": quantization,
        "freeze_llm": model.get("freeze_llm"),
        "freeze_visual_encoder": model.get("freeze_visual_encoder"),
        "vit_r": vit_lora.get("r") if vit_lora else None,
        "vit_lora_alpha": vit_lora.get("lora_alpha") if vit_lora else None,
        "tokenizer": model.get("model_path") if internvl else tokenizer.get("pretrained_model_name_or_path"),
        "visual_encoder": (model.get("visual_encoder") or {}).get("pretrained_model_name_or_path"),
    }


def truth_main(src: Path, out: Path, dumps: Path) -> None:
    _stand_in_torchvision()
    from mmengine.config import Config

    results = {}
    for path in config_files(src):
        rel = str(path.relative_to(src))
        try:
            cfg = Config.fromfile(str(path))
            entry = {"truth": _truth_of(cfg)}
            dump = dumps / rel
            dump.parent.mkdir(parents=True, exist_ok=True)
            cfg.dump(str(dump))
        except Exception as exc:  # a config mmengine itself cannot load is reported, not surveyed
            entry = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"}
        results[rel] = entry
    out.write_text(json.dumps(results, indent=1, default=str))


# --- here: fetch, build, compare ------------------------------------------------------------------

def config_files(src: Path) -> list[Path]:
    """XTuner's training configs: the .py files that assign ``model`` at their top level."""
    out = []
    for path in sorted(src.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.startswith("model = ") or "\nmodel = " in text:
            out.append(path)
    return out


def write_edited(src: Path, edited: Path, edits: str) -> None:
    for path in config_files(src):
        out = edited / path.relative_to(src)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("use_varlen_attn_edit = False\n" + path.read_text(encoding="utf-8") + edits)


def fetch_configs(work: Path) -> Path:
    wheel_dir = work / "wheel"
    wheels = sorted(wheel_dir.glob("xtuner-0.2.0-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", XTUNER, "-d", str(wheel_dir)],
                       check=True)
        wheels = sorted(wheel_dir.glob("xtuner-0.2.0-*.whl"))
    src = work / "src"
    if not (src / "xtuner" / "configs").is_dir():
        with zipfile.ZipFile(wheels[0]) as z:
            z.extractall(src, [n for n in z.namelist() if n.startswith("xtuner/configs/")])
    return wheels[0]


def build_venv(work: Path, wheel: Path) -> Path:
    python = work / "venv" / "bin" / "python"
    ready = work / "venv" / ".survey-ready"
    if not ready.exists():
        subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet"]
        subprocess.run(pip + VENV_PACKAGES, check=True)
        subprocess.run(pip + ["--no-deps", str(wheel)], check=True)
        ready.touch()
    return python


def ours(cfg) -> dict:
    """The same values, from Mergesmith's XTunerConfig."""
    lora, vit = cfg.llm_lora or {}, cfg.visual_encoder_lora or {}
    tm = lora.get("target_modules")
    return {
        "model_type": cfg.model_type, "base": cfg.llm_path, "r": lora.get("r"),
        "lora_alpha": lora.get("lora_alpha"), "use_rslora": lora.get("use_rslora"),
        "target_modules": sorted(tm) if isinstance(tm, list) else tm, "torch_dtype": cfg.llm_dtype,
        "quantization": cfg.quantization, "freeze_llm": cfg.freeze_llm,
        "freeze_visual_encoder": cfg.freeze_visual_encoder, "vit_r": vit.get("r"),
        "vit_lora_alpha": vit.get("lora_alpha"), "tokenizer": cfg.tokenizer_path,
        "visual_encoder": cfg.visual_encoder_path,
    }


def compare(path: Path, truth: dict, label: str) -> dict:
    from mergesmith.core.errors import SourceError
    from mergesmith.core.sources.xtuner.config import read_config

    try:
        cfg = read_config(path)
    except SourceError as exc:
        return {"refused": exc.message}
    got = ours(cfg)
    verdicts = {}
    for name in FIELDS:
        if got[name] is None and UNKNOWN_KEY[name] in cfg.unknown:
            verdicts[name] = "unknown"
        elif got[name] == truth[name]:
            verdicts[name] = "right"
        else:
            verdicts[name] = f"wrong: ours {got[name]!r}, mmengine {truth[name]!r}"
    return {"verdicts": verdicts, "notes": cfg.notes, "set": sum(truth[n] is not None for n in FIELDS)}


def survey(work: Path, show: int, reuse_truth: bool = False) -> dict:
    sys.path.insert(0, str(ROOT))
    wheel = fetch_configs(work)
    src = work / "src"
    sources = {"written": src}
    for name, edits in EDIT_SETS.items():
        sources[name] = work / name
        write_edited(src, sources[name], edits)
    started = time.time()
    truths = {}
    for name, configs in sources.items():
        truth_file, dumps = work / f"truth-{name}.json", work / f"dumps-{name}"
        if not (reuse_truth and truth_file.exists()):
            python = build_venv(work, wheel)
            subprocess.run([str(python), __file__, "--truth", str(configs), str(truth_file), str(dumps)],
                           check=True, cwd=str(work))
        truths[name] = json.loads(truth_file.read_text())
    truth_seconds = time.time() - started
    results: dict = {rel: {} for rel in truths["written"]}
    started = time.time()
    for name, configs in sources.items():
        for rel, entry in truths[name].items():
            if "error" in entry:
                results[rel][f"{name}: mmengine error"] = entry["error"]
                continue
            results[rel][name] = compare(configs / rel, entry["truth"], name)
            results[rel][f"{name}, dumped"] = compare(work / f"dumps-{name}" / rel, entry["truth"], name)
    reader_seconds = time.time() - started
    summary = summarize(results)
    summary["seconds"] = {"mmengine": round(truth_seconds, 1), "mergesmith": round(reader_seconds, 1)}
    (work / "results.json").write_text(json.dumps({"summary": summary, "configs": results}, indent=1))
    (work / "results.md").write_text(markdown(summary))
    print(markdown(summary))
    print_examples(results, show)
    return summary


def summarize(results: dict) -> dict:
    summary: dict = {"configs": len(results),
                     "mmengine_errors": sum(k.endswith("mmengine error") for r in results.values() for k in r)}
    for form in FORMS:
        per_field = {name: Counter() for name in FIELDS}
        refused, noted, nonempty = Counter(), 0, 0
        for r in results.values():
            entry = r.get(form)
            if entry is None:
                continue
            if "refused" in entry:
                refused[entry["refused"].split(":")[-1].strip()[:80]] += 1
                continue
            noted += bool(entry["notes"])
            nonempty += entry["set"]
            for name, verdict in entry["verdicts"].items():
                per_field[name][verdict.split(":")[0]] += 1
        summary[form] = {
            "parsed": sum(1 for r in results.values() if form in r and "refused" not in r[form]),
            "refused": dict(refused), "with_notes": noted,
            "fields": {name: dict(c) for name, c in per_field.items()},
            "checked": sum(sum(c.values()) for c in per_field.values()), "checked_not_none": nonempty,
            "wrong": sum(c["wrong"] for c in per_field.values()),
            "unknown": sum(c["unknown"] for c in per_field.values()),
        }
    return summary


def markdown(summary: dict) -> str:
    lines = [f"XTuner 0.2.0 configs: {summary['configs']} (mmengine could not load "
             f"{summary['mmengine_errors']} of all forms); seconds: {summary.get('seconds')}", ""]
    for form in FORMS:
        s = summary[form]
        lines.append(f"**{form}**: parsed {s['parsed']}, refused {sum(s['refused'].values())} "
                     f"{s['refused'] or ''}, configs with a note {s['with_notes']}; values checked "
                     f"{s['checked']} (of which not None in mmengine's {s['checked_not_none']}), "
                     f"right {s['checked'] - s['wrong'] - s['unknown']}, "
                     f"unknown-with-sentence {s['unknown']}, wrong {s['wrong']}")
        lines.append("")
        lines.append("| value | " + " | ".join(FIELDS) + " |")
        lines.append("|---|" + "---|" * len(FIELDS))
        for verdict in ("right", "unknown", "wrong"):
            lines.append(f"| {verdict} | " + " | ".join(str(s["fields"][f].get(verdict, 0)) for f in FIELDS) + " |")
        lines.append("")
    return "\n".join(lines)


def print_examples(results: dict, show: int) -> None:
    """A few wrong values, refusals and notes, to read."""
    seen = Counter()
    for rel, r in results.items():
        for form in FORMS:
            entry = r.get(form) or {}
            items = [("refused", entry["refused"])] if "refused" in entry else \
                [(n, v) for n, v in entry.get("verdicts", {}).items() if v.startswith("wrong")] + \
                [("note", n) for n in entry.get("notes", [])]
            for kind, text in items:
                if seen[kind] < show:
                    seen[kind] += 1
                    print(f"{form} {rel}: {kind}: {text}")


def main(argv=None) -> None:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--truth":
        truth_main(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "xtuner_survey")
    ap.add_argument("--show", type=int, default=5, help="examples of each wrong value, refusal and note")
    ap.add_argument("--reuse-truth", action="store_true",
                    help="keep mmengine's values and dumps from the last run (WORK/truth-*.json, WORK/dumps-*)")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    survey(args.work.resolve(), args.show, args.reuse_truth)


if __name__ == "__main__":
    main()
