"""The ``mergesmith export-gguf`` subcommand (listed in :data:`mergesmith.cli.main.COMMANDS`).

``mergesmith export-gguf MODEL_DIR --out FILE.gguf [--type f16|bf16|q8_0] [--overwrite] [--dry-run]
[--json]`` writes one GGUF file for llama.cpp, Ollama and LM Studio, and an Ollama Modelfile beside it
(see :mod:`mergesmith.core.gguf`).
"""

from __future__ import annotations

import json
import re
import time

from pathlib import Path

from mergesmith.core import formats
from .output import TerminalProgress, fail, print_problems, say_before_run


def cmd_export_gguf(args) -> int:
    from mergesmith.core.gguf.export import plan_gguf

    with plan_gguf(args.model, args.out, args.type, overwrite=args.overwrite) as plan:
        return _run(plan, args)


def merge_to_gguf(args, source, base) -> int:
    """``mergesmith merge SOURCE --format gguf --out FILE.gguf``: the merge's tensors go straight into
    the GGUF file, computed as they are written; no merged folder is written in between."""
    from mergesmith.core.gguf.export import merge_plan_options, plan_gguf
    from mergesmith.core.plan.planners import make_plan

    options = merge_plan_options(Path(args.out), dtype=args.dtype, iteration=args.iter)
    with make_plan(source, base, options) as merge_plan:
        problems = [p for p in merge_plan.problems if p.code != "disk-space"]  # the GGUF's own size is checked
        if any(p.is_error for p in problems):
            print_problems(problems)
            return fail("nothing was written: the merge plan has errors (listed above).")
        say_before_run(merge_plan, args.json)
        with plan_gguf(merge_plan, args.out, args.type, overwrite=args.overwrite) as plan:
            return _run(plan, args)


def _run(plan, args) -> int:
    from mergesmith.core.gguf.export import run_gguf
    from mergesmith.core.progress import CancelToken

    if args.dry_run:
        _show(plan, args.json)
        return 0
    bar = TerminalProgress(enabled=None if not args.json else False)
    t0 = time.monotonic()
    try:
        result = run_gguf(plan, progress=bar, cancel=CancelToken())
    finally:
        bar.finish()
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    name = re.sub(r"[^a-z0-9._-]+", "-", result.out.stem.lower()).strip("-") or "model"
    print(f"Wrote {result.out}: {result.tensors} tensors, {formats.format_size(result.bytes_written)}, "
          f"{args.type}, in {formats.format_seconds(time.monotonic() - t0)}.")
    print(f"Run it with Ollama:    cd {result.out.parent} && ollama create {name} -f {result.modelfile.name} "
          f"&& ollama run {name}")
    print(f"or with llama.cpp:     llama-cli -m {result.out}")
    return 0


def _show(plan, as_json: bool) -> None:
    if as_json:
        print(json.dumps(plan.to_dict(), indent=2))
        return
    print(f"Would write {plan.out} ({plan.qtype}, {plan.arch.gguf} architecture, {len(plan.jobs)} tensors, "
          f"{formats.format_size(plan.data_bytes)}) and {plan.modelfile.name}.")
    print(f"Tokenizer: {plan.vocab.model} ({plan.vocab.pre}), {len(plan.vocab)} tokens, from {plan.vocab.source}.")
    if plan.disk_free is not None:
        print(f"Free on disk: {formats.format_size(plan.disk_free)}.")


def add_export_gguf(sub) -> None:
    c = sub.add_parser(
        "export-gguf", help="write a model folder as one GGUF file for llama.cpp, Ollama, LM Studio",
        description="Export a model folder (a merge's output, or any Llama/Mistral/Qwen2 transformers folder) "
                    "to one GGUF file, one tensor at a time, with an Ollama Modelfile beside it.")
    c.add_argument("model", help="the model folder (config.json, safetensors weights, tokenizer)")
    c.add_argument("--out", required=True, help="the .gguf file to write (must not exist unless --overwrite)")
    c.add_argument("--type", default="f16", choices=["f16", "bf16", "q8_0"],
                   help="tensor type of the matrices (default f16; q8_0 is about half the size; norms stay f32)")
    c.add_argument("--overwrite", action="store_true", help="replace --out if it exists (only once the export succeeds)")
    c.add_argument("--dry-run", action="store_true", help="show what would be written, write nothing")
    c.add_argument("--json", action="store_true", help="print the result (or plan) as JSON")
    c.set_defaults(func=cmd_export_gguf)
