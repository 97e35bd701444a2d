"""What the command line prints: the progress bar, plans, problems, and the run with its bar."""

from __future__ import annotations

import json
import sys
import time
from typing import Optional

from mergesmith.core import formats
from mergesmith.core.problems import sort_problems
from mergesmith.core.progress import CancelToken, Progress


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


def print_problems(problems, stream=None) -> None:
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
    iterations = [str(i) for i in src.iterations]
    if len(iterations) > 1:
        print(f"  Iterations: {', '.join(iterations)} (pick one with --iter N)", file=stream)
    if plan.base is not None:
        found = getattr(plan.base, "located", None)
        print(f"Base:    {found.line() if found is not None else plan.base.folder}", file=stream)
    print(f"Output:  {plan.out}  (dtype {plan.dtype})", file=stream)
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
        print_problems(plan.problems)
    if not plan.ok:
        print("mergesmith: nothing was written: the plan has errors (listed above, each with what to do); "
              "solve them and run the command again.", file=sys.stderr)
    return 0 if plan.ok else 2


def run_with_progress(plan, as_json: bool, check):
    """Say the plan's warnings, then run it with a terminal progress bar; the :class:`Result`."""
    from mergesmith.core.engine.merge import run_plan

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
        print_problems(notes)


def fail(message: str, code: int = 2) -> int:
    print(f"mergesmith: {message}", file=sys.stderr)
    return code


def base_not_here(base) -> str:
    """The sentence for a ``--base`` Hub id found neither here nor in a cache (where we looked; --download)."""
    from mergesmith.core.hub.cache import locate

    found = locate(base) if base else None
    return found.not_found_message(download=True) if found is not None and not found.found and found.caches else ""

