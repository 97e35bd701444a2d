"""``mergesmith inspect | verify | fix``: the command-line faces of Report, verify and fix.

Listed in :data:`mergesmith.cli.main.COMMANDS`: ``inspect``, ``verify`` and ``fix``.
left after a fix), 2 the path or an input is unusable.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
import sys
from pathlib import Path

from mergesmith.core import formats
from mergesmith.core.hub.cache import locate
from . import arguments
from .output import TerminalProgress, fail, hold_output
from mergesmith.core.problems import ERROR, INFO, WARNING


def _print_report(report, stream=None) -> None:
    stream = stream or sys.stdout
    s = report.summary
    print(f"{report.path}  ({report.title})", file=stream)
    _print_summary(s, "", stream)
    for rel, part in sorted((s.get("parts") or {}).items()):
        _print_summary(part, rel + "/: ", stream)
    groups = report.by_severity()
    titles = ((ERROR, "Errors"), (WARNING, "Warnings"), (INFO, "Notes"))
    for sev, title in titles:
        items = groups.get(sev) or []
        if items:
            print(f"{title} ({len(items)}):", file=stream)
            for p in items:
                tag = "  [fixable: mergesmith fix]" if p.fixable else ""
                print(f"  [{p.code}] {p.file}: {p.message}{tag}", file=stream)
    for note in report.notes:
        print(f"Note: {note}", file=stream)
    if not report.problems:
        print("No problems found.", file=stream)


def _print_summary(s: dict, prefix: str, stream) -> None:
    if "tensor_types" in s:  # a .gguf file
        types = ", ".join(f"{n} {t}" for t, n in sorted(s["tensor_types"].items()))
        print(f"  {s.get('architecture') or 'unknown'} architecture: {s['parameters']:,} parameters in "
              f"{s['tensors']} tensors ({types}); {s['tokens']:,} tokens"
              f"{', chat template' if s.get('chat_template') else ''}", file=stream)
    elif "parameters" in s or "shards" in s:
        sizes = list((s.get("shard_sizes") or {}).values())
        span = (f", {formats.format_size(min(sizes))}..{formats.format_size(max(sizes))} each"
                if len(sizes) > 1 else "")
        params = f"{s['parameters']:,} parameters" if "parameters" in s else f"{s.get('tensors', '?')} tensors"
        print(f"  {prefix or 'weights: '}{params} in {s.get('shards', 0)} {s.get('format', '')} file(s)"
              f"{span}, {formats.format_size(s.get('weights_bytes', 0))}"
              f"{', ' + '/'.join(s['dtypes']) if s.get('dtypes') else ''}", file=stream)
    if "adapter" in s:
        a = s["adapter"]
        print(f"  {prefix or 'adapter: '}LoRA r={a['r']} alpha={a['lora_alpha']} on {a['modules']} module(s) "
              f"({','.join(a['targets'])}), {formats.format_size(a['bytes'])}", file=stream)
    if "checkpoints" in s:
        for c in s["checkpoints"]:
            print(f"  checkpoint {c['name']}{' (DeepSpeed)' if c['deepspeed'] else ''}: "
                  f"{formats.format_size(c['bytes'])}", file=stream)
        if s.get("base_hint"):
            found = locate(s["base_hint"])
            where = f" ({found.summary()}: {found.path})" if found.in_cache else "" if found.found else \
                " (not on this machine)"
            print(f"  base model named by the config: {s['base_hint']}{where}", file=stream)
    if not prefix and s.get("base_found"):
        b = s["base_found"]
        where = b["path"] if b["where"] == "folder" else f"{b['repo_id']} ({b['summary']}): {b['path']}"
        print(f"  base model: {where}", file=stream)
    if not prefix and "bytes" in s:
        print(f"  size on disk: {formats.format_size(s['bytes'])}", file=stream)


def _folder_or_fail(text: str, label: str, checkpoint_file_ok: bool = False):
    path = Path(text).expanduser()
    if not path.exists():
        from mergesmith.core.io.atomic import OLD_TAG, REPLACED_TAG, leftovers
        from mergesmith.core.io.hold import holder

        writer = holder(path)
        if writer is not None:  # not there yet: another run is writing it
            return None, fail(writer.sentence(path))

        aside = [p.name for p in leftovers(path) if OLD_TAG in p.name or REPLACED_TAG in p.name]
        if aside:  # a run killed between the two renames of its swap
            return None, fail(f"{path} does not exist: an interrupted run moved it aside to {aside[0]}; "
                               f"`mergesmith fix {path} --dry-run` puts it back (and changes nothing else).")
        return None, fail(arguments.missing_message(path, label))
    if checkpoint_file_ok and path.is_file():
        from mergesmith.core.inspect.layouts import is_checkpoint_file

        if is_checkpoint_file(path) or path.suffix.lower() == ".gguf":  # iter_N.pth, or a GGUF file
            return path, None
    if not path.is_dir():
        return None, fail(f"{label} is a file: {path}; point at a model, adapter or training output folder"
                           + (" (or a training checkpoint .pth, or a .gguf file)." if checkpoint_file_ok else "."))
    return path, None


# --- inspect ------------------------------------------------------------------------------------------

# Kinds whose report --full adds to (a tokenizer to load, weights to compare with an architecture).
FULL_CHECKS_APPLY = (formats.KIND_MODEL, formats.KIND_PEFT_ADAPTER, formats.KIND_XTUNER_CONVERTED,
                     formats.KIND_LLAVA, formats.KIND_LLAVA_HF)


def cmd_inspect(args) -> int:
    from mergesmith.core.inspect.folder import UNKNOWN, inspect_folder
    from mergesmith.core.io.hold import describe, holds_in

    where = Path(args.path).expanduser()
    for out, held in holds_in(where) if where.exists() else []:  # a run writing it (or into it) now
        print(f"mergesmith: {describe(out, held)}", file=sys.stderr)  # (a missing one: said below)
    path, code = _folder_or_fail(args.path, arguments.INSPECT_PATH, checkpoint_file_ok=True)
    if path is None:
        return code
    max_size = formats.parse_size(args.max_shard_size) if args.max_shard_size else None
    bar = TerminalProgress(sys.stderr, enabled=None if args.scan_values and not args.json else False)
    try:
        report = inspect_folder(path, max_shard_size=max_size, base=getattr(args, "base", None),
                                scan_values=getattr(args, "scan_values", False), progress=bar,
                                deep=getattr(args, "full", False))
    finally:
        bar.finish()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        _print_report(report)
        if not getattr(args, "full", False) and report.kind in FULL_CHECKS_APPLY:
            print(f"Checked from headers and small files; `mergesmith inspect --full {path}` also runs the checks "
                  "that need transformers (the tokenizer loaded, weights against the architecture; a few seconds).")
    if report.kind == UNKNOWN:
        print(f"mergesmith: PATH {path} holds no model, adapter or training output; point PATH at the "
              "folder of a model, an adapter or a training run (or one checkpoint).", file=sys.stderr)
        return 2
    return 0 if report.ok else 1


def add_inspect(sub) -> None:
    parser = sub.add_parser("inspect", help="check a model folder for missing or broken pieces")
    parser.add_argument("path", metavar="PATH", help="a model, adapter, LLaVA or XTuner folder, or one training checkpoint")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--max-shard-size", metavar="SIZE", help="warn about shards larger than this, e.g. 5GB")
    parser.description = ("Check a model, adapter, LLaVA or XTuner folder: config, tokenizer, generation "
                          "config, shards and index, leftover pickles; with --full also what needs transformers "
                          "(the tokenizer loaded, weights against the architecture). "
                          "Exit status 0: no errors; 1: errors found; 2: the path is unusable.")
    parser.add_argument("--base", metavar="DIR", help="check an adapter's targets against this base model folder")
    parser.add_argument("--scan-values", action="store_true", help="also read every tensor and look for NaN/Inf")
    # Without --full, inspect reads headers and small files only (a fraction of a second, no torch or
    # transformers); these checks need transformers, which takes seconds to import.
    parser.add_argument("--full", action="store_true",
                        help="also load the tokenizer, validate the generation config and the model type with "
                             "transformers, and compare the weights with the architecture (a few seconds more)")
    parser.set_defaults(func=cmd_inspect, inputs=(("path", arguments.INSPECT_PATH), ("base", arguments.BASE)))


# --- verify -------------------------------------------------------------------------------------------


def cmd_verify(args) -> int:
    from mergesmith.core.verify.compare import verify

    path, code = _folder_or_fail(args.out, arguments.VERIFY_OUT)
    if path is None:
        return code
    bar = TerminalProgress(sys.stderr, enabled=None if not args.json else False)
    try:
        result = verify(path, args.source, args.base, logits=args.logits, all_tensors=args.all,
                        tolerance_ulp=args.tolerance, iteration=args.iter,
                        visual_encoder=args.visual_encoder, trust_remote_code=args.trust_remote_code,
                        progress=bar)
    finally:
        bar.finish()
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        for line in result.lines():
            print(line)
    return 0 if result.ok else 1


def add_verify(sub) -> None:
    v = sub.add_parser("verify", help="recompute a merge from its inputs and compare",
                       description="Recompute every tensor the adapter changes from SOURCE and BASE, streaming, "
                                   "with the LoRA settings that trained it (the config stored in an XTuner "
                                   "checkpoint, or adapter_config.json), and compare it with what OUT holds "
                                   "(largest difference in units of the last place); with --logits also run "
                                   "both models on a short prompt.")
    v.add_argument("out", metavar="OUT", help="the merged folder to check")
    v.add_argument("--source", metavar="SOURCE", required=True, help="what was merged: adapter, XTuner work_dir, .pth, converted folder")
    v.add_argument("--base", metavar="DIR", required=True, help="the base model folder")
    v.add_argument("--logits", action="store_true", help="also compare the outputs of the merged model and "
                                                          "base+adapter (PEFT) on a short prompt, if memory allows")
    v.add_argument("--trust-remote-code", action="store_true",
                   help="with --logits, also run models whose folder brings its own code (auto_map); without it "
                        "their logits check is skipped and no model code is ever run")
    v.add_argument("--all", action="store_true", help="also compare the tensors the adapter does not touch")
    v.add_argument("--tolerance", metavar="ULPS", type=int, default=2, help="largest accepted difference in ulps (default 2)")
    v.add_argument("--iter", metavar="N", type=int, help="which iteration of a work_dir (default: the latest)")
    v.add_argument("--visual-encoder", metavar="DIR", help="the visual encoder folder (LLaVA runs)")
    v.add_argument("--json", action="store_true", help="print the result as JSON")
    v.set_defaults(func=cmd_verify, inputs=(("out", arguments.VERIFY_OUT), ("source", arguments.VERIFY_SOURCE),
                                           ("base", arguments.BASE), ("visual_encoder", arguments.VISUAL_ENCODER)))


# --- fix ------------------------------------------------------------------------------------------------


def cmd_fix(args) -> int:
    from mergesmith.core.io.atomic import recover

    for line in recover(Path(args.dir).expanduser(), remove=False):  # a killed in-place fix: put DIR back
        print(f"mergesmith: {line}", file=sys.stderr)
    path, code = _folder_or_fail(args.dir, arguments.FIX_DIR, checkpoint_file_ok=True)  # a checkpoint: nothing to fix, said so
    if path is None:
        return code
    if args.in_place and args.out:
        return fail("--in-place changes DIR itself; it cannot be combined with --out: leave out one of the two.")
    if args.in_place and args.overwrite:
        return fail("--in-place changes DIR itself (keeping a backup); --overwrite is for --out: leave out one "
                    "of the two.")
    held = _hold_fix_target(args, path)
    with held or nullcontext():
        return _fix(args, path, held)


def _hold_fix_target(args, folder: Path):
    """The folder a fix writes (DIR itself in place, else --out or DIR-fixed), held from now on."""
    from mergesmith.core.fix.folder import default_fix_out

    target = folder if args.in_place else Path(args.out).expanduser() if args.out else default_fix_out(folder)
    return hold_output(target, "in-place fix" if args.in_place else "fix", args.dry_run)


def _fix(args, path: Path, held) -> int:
    from mergesmith.core.fix.folder import plan_fix, run_fix

    max_size = formats.parse_size(args.max_shard_size) if args.max_shard_size else None
    plan = plan_fix(path, base=args.from_base, max_shard_size=max_size)
    errors_left = [p for p, _ in plan.unfixed if p.is_error]
    if args.dry_run or not plan.actions:
        if args.json:
            print(json.dumps(plan.to_dict(), indent=2))
        else:
            _print_fix_plan(plan, dry_run=args.dry_run)
        return 1 if errors_left else 0
    bar = TerminalProgress(sys.stderr, enabled=None if not args.json else False)
    try:
        result = run_fix(plan, out=args.out, in_place=args.in_place, progress=bar, overwrite=args.overwrite,
                         held=held)
    finally:
        bar.finish()
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        _print_fix_plan(plan, dry_run=False)
        where = "in place" if result.in_place else f"into {result.out}"
        print(f"Fixed {where}.{f' Replaced files are kept in {result.backup}.' if result.backup else ''}")
        if result.report is not None and result.report.problems:
            print("Left after the fix:")
            _print_report(result.report)
    return 0 if result.report is None or result.report.ok else 1


def _print_fix_plan(plan, *, dry_run: bool) -> None:
    found = locate(plan.base) if plan.base is not None and plan.actions else None
    if found is not None and found.in_cache:
        print(f"Base: {found.line()}")
    if plan.actions:
        print(f"{'Would do' if dry_run else 'Actions'} ({len(plan.actions)}):")
        for a in plan.actions:
            print(f"  - {a.title}")
    else:
        print(f"Nothing to fix in {plan.path}." if not plan.unfixed else "Nothing that fix can repair:")
    if plan.unfixed:
        print(f"Not fixed ({len(plan.unfixed)}):")
        for p, why in plan.unfixed:
            print(f"  [{p.code}] {p.file}: {why}.")


def add_fix(sub) -> None:
    f = sub.add_parser("fix", help="repair what inspect found, into a new folder (or in place, with a backup)",
                       description="Copy missing tokenizer / generation-config / remote-code files from the base, "
                                   "rebuild a missing or wrong index, convert pickle weights to safetensors, "
                                   "re-shard. Writes DIR-fixed unless --in-place (which keeps a backup).")
    f.add_argument("dir", metavar="DIR", help="the model folder to repair (what `mergesmith inspect` checked)")
    f.add_argument("--from-base", "--base", dest="from_base", metavar="DIR",
                   help="the base model folder to copy missing files from (--base means the same)")
    f.add_argument("--max-shard-size", metavar="SIZE", help="re-shard so no shard is larger than this, e.g. 5GB, 2GiB")
    f.add_argument("--in-place", action="store_true",
                   help="change DIR itself (atomically; replaced files go to DIR.backup-<time>/)")
    f.add_argument("--out", metavar="DIR", help="where to write the fixed folder (default: DIR-fixed)")
    f.add_argument("--overwrite", action="store_true",
                   help="replace --out (or DIR-fixed) if it exists (only once the fix succeeds)")
    f.add_argument("--dry-run", action="store_true", help="say what would be done, change nothing")
    f.add_argument("--json", action="store_true", help="print the plan (or result) as JSON")
    f.set_defaults(func=cmd_fix, inputs=(("dir", arguments.FIX_DIR), ("from_base", arguments.FROM_BASE)),
                   checked_later=("dir",))
