"""``mergesmith merge``: detect, plan and run a merge."""

from __future__ import annotations

import json
from contextlib import nullcontext
import sys
from pathlib import Path

from mergesmith.core import formats

from . import arguments
from .download import fetch_base, looks_like_hub_id
from .output import base_not_here, fail, hold_output, print_problems, run_with_progress, show_plan


def cmd_merge(args) -> int:
    from mergesmith.core.sources.detect import detect

    with detect(args.source) as source:
        arguments.refuse_complete_model(source, "merge")
        return _merge(args, source)


def _merge(args, source) -> int:
    from mergesmith.core.plan.base import PlanOptions
    from mergesmith.core.plan.planners import make_plan

    base = args.base
    if base is not None:
        refused = base_not_here(base)  # a Hub id in no local cache
        if refused and not (args.download and looks_like_hub_id(base)):
            return fail(refused)
        if refused:
            base = fetch_base(base, args.json, args.dry_run)
            if base is None:
                return 0
    else:
        hint = source.base_hint
        found = source.base_located()
        if hint and found.found:
            base = hint
            print(f"Using the base model named by the training: {found.line() if found.in_cache else hint}",
                  file=sys.stderr)
        elif hint and args.download and looks_like_hub_id(hint):
            base = fetch_base(hint, args.json, args.dry_run)
            if base is None:
                return 0
        else:
            named = f" {found.named_sentence(download=True)}" if hint else ""
            return fail(f"No base model given; pass --base DIR, the model the adapter was trained on.{named}")
    if args.format == "gguf":
        from .gguf import merge_to_gguf

        return merge_to_gguf(args, source, base)
    options = PlanOptions(
        out=Path(args.out), dtype=args.dtype, max_shard_size=formats.parse_size(args.max_shard_size),
        overwrite=args.overwrite, format=args.format, iteration=args.iter,
        visual_encoder=Path(args.visual_encoder) if args.visual_encoder else None)
    options.hold = held = hold_output(options.out, "merge", args.dry_run)  # from plan time to the end
    with held or nullcontext(), make_plan(source, base, options) as plan:
        if args.dry_run or not plan.ok:
            return show_plan(plan, args.json)
        result = run_with_progress(plan, args.json, args.check)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(f"Merged into {result.out}: {len(result.files)} files, "
              f"{formats.format_size(result.total_bytes)}, {result.dtype}, in {formats.format_seconds(result.seconds['total'])}.")
        if args.check == "none":
            print(f"Not checked; run `mergesmith inspect {result.out}` to check it.")
        elif result.problems:
            print_problems(result.problems)
        elif args.check == "quick":
            print("Checked: config, tokenizer files, generation config, shards and index are all in order. "
                  f"`mergesmith inspect --full {result.out}` also loads the tokenizer and checks the weights "
                  "against the architecture.")
        else:
            print("Checked: config, tokenizer (loaded), generation config, shards, index and the "
                  "weights against the architecture are all in order.")
    return 1 if any(p.is_error for p in result.problems) else 0


def add_merge(sub) -> None:
    m = sub.add_parser("merge", help="merge an adapter (or XTuner output) into its base model",
                       description="Merge SOURCE into the base model and write a complete safetensors folder.")
    m.add_argument("source", metavar="SOURCE", help="a PEFT adapter folder, XTuner work_dir, .pth, DeepSpeed folder or converted folder")
    m.add_argument("--base", metavar="DIR", help="the base model folder (default: the one the training names, if present)")
    m.add_argument("--out", metavar="DIR", required=True, help="the output folder (must not exist unless --overwrite)")
    m.add_argument("--visual-encoder", metavar="DIR", help="the visual encoder folder (LLaVA runs)")
    m.add_argument("--dtype", default="auto", choices=["auto", "float16", "bfloat16", "float32"],
                   help="output dtype (default: auto, the base's own)")
    m.add_argument("--max-shard-size", metavar="SIZE", default="5GB", help="largest shard, e.g. 5GB, 500MB, 2GiB (default 5GB)")
    m.add_argument("--format", default="xtuner", choices=["xtuner", "llava-hf", "gguf"],
                   help="output: a model folder (LLaVA runs: xtuner or llava-hf layout), or gguf: one .gguf "
                        "file for llama.cpp/Ollama, written straight from the merge (--out FILE.gguf)")
    m.add_argument("--type", default="f16", choices=["f16", "bf16", "q8_0"],
                   help="with --format gguf: the tensor type of the matrices (default f16)")
    m.add_argument("--iter", metavar="N", type=int, help="which iteration of a work_dir (default: the latest)")
    m.add_argument("--check", default="quick", choices=["quick", "full", "none"],
                   help="check the result: quick (files, headers, index; default), full (also load the "
                        "tokenizer and compare the weights with the architecture) or none")
    m.add_argument("--overwrite", action="store_true", help="replace --out if it exists (only once the merge succeeds)")
    m.add_argument("--download", action="store_true",
                   help="when the base (a Hub id, given by --base or named by the training) is not on this "
                        "machine, download it from the Hugging Face Hub into the local cache first")
    m.add_argument("--dry-run", action="store_true", help="show what would be written, write nothing")
    m.add_argument("--json", action="store_true", help="print the result (or plan) as JSON")
    m.set_defaults(func=cmd_merge, inputs=(("source", arguments.SOURCE), ("base", arguments.BASE),
                                           ("visual_encoder", arguments.VISUAL_ENCODER)))
