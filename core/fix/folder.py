"""Fix: repair what inspection found, without ever destroying anything.

``plan_fix(folder, base=..., max_shard_size=...)`` inspects the folder (or takes a Report) and
returns a :class:`FixPlan`: the actions it would take, each naming the problems it resolves and
the files it writes and drops, and the problems it cannot fix with the reason. ``run_fix``
performs them:

* by default into a new folder (``DIR-fixed``, or ``out``): actions write into a hidden staging
  sibling, the untouched files are copied beside them, and the staging folder is renamed into
  place only when complete (removed on error or cancel);
* with ``in_place=True``, the whole fixed folder is staged the same way (untouched files hard-
  linked), then the two folders are swapped by renames; every file replaced or dropped stays in
  ``DIR.backup-YYYYmmdd-HHMMSS/``. Staging, fsync and renames are :mod:`mergesmith.core.io.atomic`'s, as for a merge.

What it repairs: tokenizer, generation-config, chat-template, processor and remote-code files
copied from ``--from-base``; a generation config written from config.json; config fields
(dtype, tied embeddings); an index rebuilt from the shard headers (orphan shards left out);
pickled weights converted to safetensors (read with torch's weights-only loader; tied copies
sharing storage left out as transformers does); shards re-cut to ``max_shard_size``, streaming.

For the GUI: ``FixPlan.action_for(problem)`` gives the sentence to show beside a problem's Fix
button; ``FixPlan.to_dict()`` the whole preview (what ``--dry-run`` prints).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..io import atomic
from . import actions as fa
from .actions import FixAction
from .planners import plan_scope
from ..errors import MergesmithError, PlanError
from ..hub.cache import locate
from ..formats import format_size
from ..inspect.folder import inspect_folder
from ..inspect.report import Report, fix_kind
from ..plan.base import DISK_MARGIN
from ..problems import Problem
from ..progress import CancelToken, Progress, ProgressCallback, no_progress

PARTIAL_TAG = atomic.PARTIAL_TAG


@dataclass
class FixPlan:
    path: Path
    base: Optional[Path]
    report: Report
    max_shard_size: Optional[int] = None
    actions: list[FixAction] = field(default_factory=list)
    unfixed: list[tuple[Problem, str]] = field(default_factory=list)
    needs_base: list[Problem] = field(default_factory=list)  # unfixed ones a base folder would fix

    def wants_base(self, problem: Problem) -> bool:
        """Whether ``problem`` is left unfixed only for want of a base model to copy from."""
        return any(p is problem for p in self.needs_base)

    def action_for(self, problem: Problem) -> Optional[FixAction]:
        return next((a for a in self.actions if problem in a.problems), None)

    @property
    def removes(self) -> set[str]:
        return {r for a in self.actions for r in a.removes}

    def to_dict(self) -> dict:
        return {"path": str(self.path), "base": None if self.base is None else str(self.base),
                "actions": [a.to_dict() for a in self.actions],
                "unfixed": [{**p.to_dict(), "reason": why} for p, why in self.unfixed]}


@dataclass
class FixResult:
    out: Path  # the fixed folder (DIR itself with in_place)
    actions: list[FixAction]
    report: Optional[Report]
    backup: Optional[Path] = None
    in_place: bool = False

    def to_dict(self) -> dict:
        return {"out": str(self.out), "in_place": self.in_place,
                "backup": None if self.backup is None else str(self.backup),
                "actions": [a.to_dict() for a in self.actions],
                "report": None if self.report is None else self.report.to_dict()}


# --- planning --------------------------------------------------------------------------------------


def plan_fix(path, *, base=None, max_shard_size: Optional[int] = None,
             report: Optional[Report] = None) -> FixPlan:
    """What ``run_fix`` would do for ``path`` (inspected now unless ``report`` is given)."""
    path = Path(path).expanduser()
    atomic.recover(path, remove=False)  # an in-place fix killed mid-swap: put the folder back first
    base_dir = _check_base(base)
    report = report or inspect_folder(path, max_shard_size=max_shard_size)
    plan = FixPlan(path, base_dir, report, max_shard_size)
    if report.kind == "unknown":  # no model here: nothing to repair, whatever --from-base offers
        plan.unfixed.extend((p, "the folder holds no model to repair") for p in report.problems)
        return plan
    scopes: dict[str, list[Problem]] = {}
    for p in report.problems:
        scopes.setdefault(p.file.rsplit("/", 1)[0] if "/" in p.file else "", []).append(p)
    for rel, problems in sorted(scopes.items()):
        plan_scope(plan, rel, problems)
    return plan


def _check_base(base) -> Optional[Path]:
    """The base folder to copy from: a folder, or a Hub id's snapshot in a local cache."""
    if base is None:
        return None
    spec = getattr(base, "folder", base)
    found = locate(spec)
    if not found.found and found.caches:
        raise MergesmithError(found.not_found_message("base model", "--from-base"))
    folder = found.path or Path(spec).expanduser()
    if not folder.is_dir():
        raise MergesmithError(f"The base folder {folder} does not exist; pass the model this folder was "
                              "made from (--from-base DIR).", path=folder)
    return folder


# --- running -----------------------------------------------------------------------------------------


def default_fix_out(folder: Path, *, unused: bool = False) -> Path:
    """Where a fix writes by default: ``DIR-fixed`` beside ``folder``; with ``unused``, the first of
    ``DIR-fixed``, ``DIR-fixed-2``, ``DIR-fixed-3``... that does not exist yet (the window's choice)."""
    first = folder.with_name(folder.name + "-fixed")
    candidate, n = first, 1
    while unused and candidate.exists():
        n += 1
        candidate = first.with_name(f"{first.name}-{n}")
    return candidate


def run_fix(plan: FixPlan, *, out=None, in_place: bool = False, progress: Optional[ProgressCallback] = None,
            cancel: Optional[CancelToken] = None, check: bool = True, overwrite: bool = False) -> FixResult:
    """Perform ``plan``: into a new folder (default ``DIR-fixed``; with ``overwrite`` an existing one is
    replaced once the new one is complete) or, with ``in_place``, into DIR."""
    progress = progress or no_progress
    cancel = cancel or CancelToken()
    src = plan.path
    if not plan.actions:
        return FixResult(src, [], plan.report if check else None, in_place=in_place)
    if in_place:
        backup = _run_in_place(plan, progress, cancel)
        target = src
    else:
        target = Path(out).expanduser() if out else default_fix_out(src)
        _run_new_folder(plan, target, progress, cancel, overwrite)
        backup = None
    report = inspect_folder(target, max_shard_size=plan.max_shard_size) if check else None
    return FixResult(target, list(plan.actions), report, backup, in_place)


def fix_folder(path, base=None, *, out=None, in_place: bool = False, max_shard_size: Optional[int] = None,
               progress: Optional[ProgressCallback] = None, cancel: Optional[CancelToken] = None) -> FixResult:
    """Inspect, plan and fix in one call (what the CLI and the GUI's Fix button do)."""
    plan = plan_fix(path, base=base, max_shard_size=max_shard_size)
    return run_fix(plan, out=out, in_place=in_place, progress=progress, cancel=cancel)


def _apply_all(plan: FixPlan, stage: Path, progress, cancel) -> None:
    for action in plan.actions:
        cancel.raise_if_cancelled()
        progress(Progress("fix", 0, 0, None, 0, 0, action.title))
        action.apply(plan.path, stage, progress, cancel)


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _run_new_folder(plan: FixPlan, out: Path, progress, cancel, overwrite: bool = False) -> None:
    src = plan.path
    _say_recovered(atomic.recover(out), progress)
    if out.exists() and not (overwrite and out.is_dir()):
        raise MergesmithError(f"{out} already exists; replace it (--overwrite), choose another folder (--out), "
                              "or fix in place (--in-place, which keeps a backup).", path=out)
    try:
        out_r, src_r = out.resolve(), src.resolve()
    except OSError:
        out_r, src_r = out.absolute(), src.absolute()
    if out_r == src_r or src_r in out_r.parents or out_r in src_r.parents:
        raise MergesmithError(f"The output {out} overlaps {src}, the folder being fixed; choose a folder "
                              "outside it (--out), or fix in place (--in-place, which keeps a backup).", path=out)
    keep = [r for r in _files(src) if r not in plan.removes]
    _check_space(out, sum((src / r).stat().st_size for r in keep))
    with atomic.staged(out) as stage:
        _apply_all(plan, stage, progress, cancel)
        produced = set(_files(stage))
        keep = [r for r in keep if r not in produced]
        total = sum((src / r).stat().st_size for r in keep)
        done = 0
        for rel in keep:
            cancel.raise_if_cancelled()
            fa.copy_in(src / rel, stage / rel)
            done += (src / rel).stat().st_size
            progress(Progress("copy", done, total, rel))
        cancel.raise_if_cancelled()
        atomic.commit(stage, out)


def _run_in_place(plan: FixPlan, progress, cancel) -> Optional[Path]:
    """Build the whole fixed folder beside DIR (untouched files hard-linked, or copied where links
    are refused), then swap the two folders by renames; the originals of what changed stay in
    ``DIR.backup-<time>/``. Killed half-way, DIR is either the old folder or the new one."""
    src = plan.path
    _say_recovered(atomic.recover(src), progress)
    replaced = set(plan.removes)
    _check_space(src, sum((src / r).stat().st_size for r in replaced if (src / r).is_file()))
    with atomic.staged(src) as stage:
        _apply_all(plan, stage, progress, cancel)
        produced = set(_files(stage))
        replaced |= produced
        keep = [r for r in _files(src) if r not in replaced]
        for rel in keep:
            cancel.raise_if_cancelled()
            _link_or_copy(src / rel, stage / rel)
        cancel.raise_if_cancelled()
        backup = atomic.commit(stage, src, keep_old=True)
    # The backup holds the whole old folder; the files that did not change are the same files
    # (hard links) as in the fixed one: drop those links, keep the originals of what changed.
    return backup if atomic.keep_changed(backup, src) else None


def _link_or_copy(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, dest)
    except OSError:
        shutil.copyfile(source, dest)


def _check_space(out: Path, needed: int) -> None:
    """Refuse before writing when the disk of ``out`` cannot hold ``needed`` bytes (plus 2%)."""
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    try:
        free = shutil.disk_usage(parent).free + atomic.removable_bytes(out)[0]
    except OSError:
        return
    if free < int(needed * DISK_MARGIN):
        raise PlanError(f"The fix writes {format_size(needed)} but only {format_size(free)} is free on the "
                        f"disk of {parent}; free some space or choose an output folder on another disk.",
                        path=out)


def _say_recovered(lines: list[str], progress) -> None:
    for line in lines:
        progress(Progress("recover", 0, 0, None, 0, 0, line))


__all__ = ["FixAction", "FixPlan", "FixResult", "plan_fix", "run_fix", "fix_folder", "fix_kind"]
