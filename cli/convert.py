"""The ``mergesmith convert`` subcommand (listed in :data:`mergesmith.cli.main.COMMANDS`).

``mergesmith convert SOURCE --out DIR [--dtype keep|float16|bfloat16|float32] [--iter N]
[--base DIR] [--visual-encoder DIR] [--overwrite] [--dry-run] [--json]`` writes what
``xtuner convert pth_to_hf --safe-serialization`` writes (see :mod:`mergesmith.core.plan.convert`).
``--base`` is only needed for a fully fine-tuned LLM (its config.json and tokenizer) when the
path named by the training config is not on this machine.
"""

from __future__ import annotations

import json
from pathlib import Path

from mergesmith.core import formats
from . import arguments
from .download import fetch_base, looks_like_hub_id, not_here
from .output import base_not_here, fail, run_with_progress, show_plan


def cmd_convert(args) -> int:
    from mergesmith.core.sources.detect import detect

    with detect(args.source) as source:
        arguments.refuse_complete_model(source, "convert")
        return _convert(args, source)


def _convert(args, source) -> int:
    from mergesmith.core.plan.convert import plan_convert
    from mergesmith.core.plan.base import PlanOptions
    from mergesmith.core.sources.source import LLM_FULL

    refused = base_not_here(args.base)  # a Hub id in no local cache
    if refused and not (args.download and looks_like_hub_id(args.base)):
        return fail(refused)
    options = PlanOptions(out=Path(args.out), dtype=args.dtype, overwrite=args.overwrite,
                          max_shard_size=formats.parse_size(args.max_shard_size), iteration=args.iter,
                          visual_encoder=Path(args.visual_encoder) if args.visual_encoder else None)
    base = args.base
    name = base if refused else None if base or source.base_hint_exists else source.base_hint
    if name and source.component(LLM_FULL) is not None and looks_like_hub_id(name):  # a full fine-tune needs its base
        if not args.download:
            return fail(f"Writing a fully fine-tuned LLM needs its base model's config.json and tokenizer; "
                        f"the base {name} is not on this machine.{not_here(name)} Or choose its folder with --base DIR.")
        base = fetch_base(name, args.json, args.dry_run)
        if base is None:
            return 0
    with plan_convert(source, options, base=base) as plan:
        if args.dry_run or not plan.ok:
            return show_plan(plan, args.json)
        result = run_with_progress(plan, args.json, check=False)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(f"Converted into {result.out}: {len(result.files)} files, "
              f"{formats.format_size(result.total_bytes)}, {result.dtype}, in {formats.format_seconds(result.seconds['total'])}.")
        for note in plan.source.notes[:1]:
            print(note)
    return 0


def add_convert(sub) -> None:
    c = sub.add_parser(
        "convert", help="write XTuner's pth_to_hf output (adapters, projector) from a checkpoint",
        description="Convert an XTuner work_dir, .pth or DeepSpeed folder into what `xtuner convert "
                    "pth_to_hf --safe-serialization` writes, without XTuner, mmengine or DeepSpeed.")
    c.add_argument("source", metavar="SOURCE", help="an XTuner work_dir (latest iteration unless --iter), .pth file or DeepSpeed iter_N.pth folder")
    c.add_argument("--out", metavar="DIR", required=True, help="the output folder (must not exist unless --overwrite)")
    c.add_argument("--dtype", default="keep", choices=["keep", "float16", "bfloat16", "float32"],
                   help="dtype of the LLM's tensors (default: keep the trained dtype; float16 is what XTuner writes)")
    c.add_argument("--iter", metavar="N", type=int, help="which iteration of a work_dir (default: the latest)")
    c.add_argument("--base", metavar="DIR", help="the base LLM folder (only for a fully fine-tuned LLM; default: the one the config names)")
    c.add_argument("--visual-encoder", metavar="DIR", help="the visual encoder folder (only for a fully trained ViT)")
    c.add_argument("--max-shard-size", metavar="SIZE", default="5GB", help="largest shard of a full LLM, e.g. 2GB (default 5GB)")
    c.add_argument("--overwrite", action="store_true", help="replace --out if it exists (only once the conversion succeeds)")
    c.add_argument("--download", action="store_true",
                   help="when the base of a full fine-tune (a Hub id) is not on this machine, download it "
                        "from the Hugging Face Hub into the local cache first")
    c.add_argument("--dry-run", action="store_true", help="show what would be written, write nothing")
    c.add_argument("--json", action="store_true", help="print the result (or plan) as JSON")
    c.set_defaults(func=cmd_convert, inputs=(("source", arguments.SOURCE), ("base", arguments.BASE),
                                             ("visual_encoder", arguments.VISUAL_ENCODER)))
