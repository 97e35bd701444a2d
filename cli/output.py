"""The command line: ``mergesmith merge | convert | inspect``, thin over the same core calls.

Errors a person can act on are printed as one or two sentences on stderr, never a traceback.
Exit status: 0 success; 1 the result has problems of severity error; 2 unusable input or a plan
that cannot run (a disk that fills up while writing too); 3 an internal error (a bug: please report
it); 130 cancelled (Ctrl-C), 143 stopped by SIGTERM: in both cases nothing is left behind; 141
when whoever reads the output closed it early (`| head`), quietly, as a SIGPIPE would.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from . import __version__, formats
from .errors import Cancelled, MergesmithError
from .problems import sort_problems
from .progress import CancelToken, Progress


# --- output helpers -------------------------------------------------------------------------


class TerminalProgress:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, stream=None, enabled: Optional[bool] = None) -> None:
        stream = stream or sys.stderr
        self.stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self.t0 = time.monotonic()
        self._last = 0.0
        self._width = 0

    def __call__(self, p: Progress) -> None:
        if p.phase == "recover":  # leftovers of a killed run, removed: always said, one line each
            self.finish()
            print(f"mergesmith: {p.message}", file=self.stream, flush=True)
            return
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and p.phase == "write" and p.done < p.total:
            return
        self._last = now
        elapsed = max(now - self.t0, 1e-6)
        frac = p.fraction
        bar = "#" * int(frac * 24)
        rate = p.done / elapsed
        eta = (p.total - p.done) / rate if rate > 0 and p.done else 0
        what = p.file or p.message or p.phase
        line = (f"\r[{bar:<24}] {frac * 100:5.1f}%  {formats.format_size(p.done)}/"
                f"{formats.format_size(p.total)}  {formats.format_size(rate)}/s  ETA {eta:4.0f}s  {what}")
        self._width = max(self._width, len(line))
        self.stream.write(line.ljust(self._width))
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()


def _print_problems(problems, stream=None) -> None:
    stream = stream or sys.stdout
    by_sev: dict[str, list] = {}
    for p in sort_problems(problems):
        by_sev.setdefault(p.severity, []).append(p)
    for sev, title in (("error", "Errors"), ("warning", "Warnings"), ("info", "Notes")):
        items = by_sev.get(sev, [])
        if items:
            print(f"{title} ({len(items)}):", file=stream)
            for p in items:
                print(f"  [{p.code}] {p.file}: {p.message}", file=stream)


def _print_plan(plan, stream=None) -> None:
    stream = stream or sys.stdout
    src = plan.source
    print(f"Source:  {src.path}  ({src.title})", file=stream)
    for c in src.components:
        extra = ""
        d = c.details
        if c.adapter is not None:
            extra = (f"r={d.get('r')} alpha={d.get('lora_alpha')} targets={','.join(d.get('targets', []))}"
                     f"{' rsLoRA' if d.get('use_rslora') else ''}{' DoRA' if d.get('use_dora') else ''}")
        if c.role == "training-config":
            print(f"  {c.title}: {d.get('file') or c.path} ({d.get('model_type') or 'unknown model type'})", file=stream)
            continue
        print(f"  {c.title}: {c.tensors} tensors, {formats.format_size(c.bytes)} "
              f"{'/'.join(c.dtypes)} {extra}".rstrip(), file=stream)
    for note in src.notes:
        print(f"  Note: {note}", file=stream)
    iterations = [str(i.get("iter")) for i in src.extras.get("iterations") or [] if isinstance(i, dict)]
    if len(iterations) > 1:
        print(f"  Iterations: {', '.join(iterations)} (pick one with --iter N)", file=stream)
    if plan.base is not None:
        print(f"Base:    {plan.base.folder}", file=stream)
    print(f"Output:  {plan.out}  (dtype {plan.stats.get('dtype')})", file=stream)
    for path, size, origin in plan.files():
        print(f"  {path:<48} {formats.format_size(size):>10}  {origin}", file=stream)
    free = "unknown" if plan.disk_free is None else formats.format_size(plan.disk_free)
    print(f"Disk:    needs {formats.format_size(plan.disk_needed)}, {free} free", file=stream)
    for key, change in plan.config_changes.items():
        print(f"Config:  {key}: {change['from']!r} -> {change['to']!r}", file=stream)


def show_plan(plan, as_json: bool) -> int:
    """``--dry-run``, or a plan with errors: print it (and its problems); exit status 0 or 2."""
    if as_json:
        print(json.dumps(plan.to_dict(), indent=2))
    else:
        _print_plan(plan)
        _print_problems(plan.problems)
    if not plan.ok:
        plan.source.close()
        print("mergesmith: nothing was written: the plan has errors (listed above).", file=sys.stderr)
    return 0 if plan.ok else 2


def run_with_progress(plan, as_json: bool, check):
    """Say the plan's warnings, then run it with a terminal progress bar; the :class:`Result`."""
    from .merge import run_plan

    bar = TerminalProgress(enabled=None if not as_json else False)
    say_before_run(plan, as_json)
    try:
        return run_plan(plan, progress=bar, cancel=CancelToken(), check=check)
    finally:
        bar.finish()


def say_before_run(plan, as_json: bool = False) -> None:
    """What the plan found that does not stop it (warnings, notes), before anything is written.

    Outputs put back from a killed ``--overwrite`` are one line each on stderr; leftovers about to
    be removed are said by the run itself. With ``--json`` the plan's problems are in the result.
    """
    for p in plan.problems:
        if p.code == "leftover-restored":
            print(f"mergesmith: {p.message}", file=sys.stderr)
    notes = [p for p in plan.problems if p.code not in ("leftover-restored", "leftover-partial")]
    if notes and not as_json:
        _print_problems(notes)


def _fail(message: str, code: int = 2) -> int:
    print(f"mergesmith: {message}", file=sys.stderr)
    return code


# --- commands ---------------------------------------------------------------------------------


def cmd_merge(args) -> int:
    from .plan import PlanOptions, make_plan
    from .sources import detect

    source = detect(args.source)
    base = args.base
    if base is None:
        hint = source.base_hint
        if hint and Path(hint).expanduser().is_dir():
            base = hint
            print(f"Using the base model named by the training: {hint}", file=sys.stderr)
        else:
            named = f" The training names {hint}, which is not on this machine." if hint else ""
            return _fail(f"No base model given; pass --base DIR, the model the adapter was trained on.{named}")
    options = PlanOptions(
        out=Path(args.out), dtype=args.dtype, max_shard_size=formats.parse_size(args.max_shard_size),
        overwrite=args.overwrite, format=args.format, iteration=args.iter,
        visual_encoder=Path(args.visual_encoder) if args.visual_encoder else None)
    plan = make_plan(source, base, options)
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
            _print_problems(result.problems)
        elif args.check == "quick":
            print("Checked: config, tokenizer files, generation config, shards and index are all in order. "
                  f"`mergesmith inspect {result.out}` also loads the tokenizer and checks the weights "
                  "against the architecture.")
        else:
            print("Checked: config, tokenizer (loaded), generation config, shards, index and the "
                  "weights against the architecture are all in order.")
    return 1 if any(p.is_error for p in result.problems) else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mergesmith",
        description="Turn fine-tuning output into a complete, deployable model folder, and check model folders.")
    p.add_argument("--version", action="version", version=f"mergesmith {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    m = sub.add_parser("merge", help="merge an adapter (or XTuner output) into its base model",
                       description="Merge SOURCE into the base model and write a complete safetensors folder.")
    m.add_argument("source", help="a PEFT adapter folder, XTuner work_dir, .pth, DeepSpeed folder or converted folder")
    m.add_argument("--base", help="the base model folder (default: the one the training names, if present)")
    m.add_argument("--out", required=True, help="the output folder (must not exist unless --overwrite)")
    m.add_argument("--visual-encoder", help="the visual encoder folder (LLaVA runs)")
    m.add_argument("--dtype", default="auto", choices=["auto", "float16", "bfloat16", "float32"],
                   help="output dtype (default: auto, the base's own)")
    m.add_argument("--max-shard-size", default="5GB", help="largest shard, e.g. 5GB, 500MB, 2GiB (default 5GB)")
    m.add_argument("--format", default="xtuner", choices=["xtuner", "llava-hf"], help="LLaVA output layout")
    m.add_argument("--iter", type=int, help="which iteration of a work_dir (default: the latest)")
    m.add_argument("--check", default="quick", choices=["quick", "full", "none"],
                   help="check the result: quick (files, headers, index; default), full (also load the "
                        "tokenizer and compare the weights with the architecture) or none")
    m.add_argument("--overwrite", action="store_true", help="replace --out if it exists (only once the merge succeeds)")
    m.add_argument("--dry-run", action="store_true", help="show what would be written, write nothing")
    m.add_argument("--json", action="store_true", help="print the result (or plan) as JSON")
    m.set_defaults(func=cmd_merge)

    for hook in EXTRA_COMMANDS:
        hook(sub)
    return p


# Other modules register further subcommands (convert, verify, fix) here.
EXTRA_COMMANDS: list = []


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the same clean-up runs."""


def _on_sigterm(_signum, _frame) -> None:
    raise Terminated()


def main(argv: Optional[Sequence[str]] = None) -> int:
    _load_extra_commands()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (an embedding program): leave SIGTERM alone
        previous = None
    try:
        return int(args.func(args) or 0)
    except Cancelled as exc:
        return _fail(exc.message, 130)
    except Terminated:
        return _fail("Stopped (SIGTERM); nothing was written.", 143)
    except KeyboardInterrupt:
        return _fail("Cancelled; nothing was written.", 130)
    except MergesmithError as exc:
        return _fail(exc.message, exc.exit_code)
    except BrokenPipeError:  # `mergesmith inspect DIR | head`: the reader left; stop quietly, as SIGPIPE would
        _silence_stdout()
        return 141
    except Exception as exc:  # a bug: say so plainly, traceback only on request
        if os.environ.get("MERGESMITH_DEBUG"):
            raise
        return _fail(f"internal error ({type(exc).__name__}: {exc}). This is a bug in Mergesmith; "
                     "please report it with the command you ran (MERGESMITH_DEBUG=1 shows the traceback).", 3)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing what is left of it cannot fail again at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout replaced by an object without a descriptor
        pass


def _load_extra_commands() -> None:
    import importlib

    for mod in ("convert_cli", "inspect_cli"):
        try:
            importlib.import_module(f"{__package__}.{mod}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{mod}":
                raise


def entry() -> None:
    """The console script: ``main()``, then a fast exit.

    Everything is written and closed by the time ``main`` returns; tearing down torch's (and, after
    a full check, transformers') modules would only add half a second or more to every command.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    # ``python -m mergesmith.core.cli``: run the imported module, the one subcommands register into.
    from mergesmith.core import cli as _cli

    _cli.entry()
