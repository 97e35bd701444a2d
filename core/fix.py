"""Fix: repair what inspection found, without ever destroying anything.

``plan_fix(folder, base=..., max_shard_size=...)`` inspects the folder (or takes a Report) and
returns a :class:`FixPlan`: the actions it would take, each naming the problems it resolves and
the files it writes and drops, and the problems it cannot fix with the reason. ``run_fix``
performs them:

* by default into a new folder (``DIR-fixed``, or ``out``): actions write into a hidden staging
  sibling, the untouched files are copied beside them, and the staging folder is renamed into
  place only when complete (removed on error or cancel);
* with ``in_place=True``, the new files are staged the same way, then swapped in by renames;
  every file they replace or drop is moved to ``DIR.backup-YYYYmmdd-HHMMSS/`` first, and a
  failure half-way moves everything back.

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
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from . import fix_actions as fa
from .errors import MergesmithError
from .inspect import inspect_folder
from .inspect_report import Report, fix_kind
from .problems import Problem
from .progress import CancelToken, Progress, ProgressCallback, no_progress

PARTIAL_TAG = ".mergesmith-partial-"


@dataclass
class FixAction:
    title: str  # one sentence: what it does
    problems: list[Problem]
    writes: list[str] = field(default_factory=list)  # relative paths it produces
    removes: list[str] = field(default_factory=list)  # relative paths it drops (kept in the backup)
    apply: Optional[Callable] = None  # apply(src, stage, progress, cancel)

    def to_dict(self) -> dict:
        return {"title": self.title, "codes": sorted({p.code for p in self.problems}),
                "writes": self.writes, "removes": self.removes}


@dataclass
class FixPlan:
    path: Path
    base: Optional[Path]
    report: Report
    max_shard_size: Optional[int] = None
    actions: list[FixAction] = field(default_factory=list)
    unfixed: list[tuple[Problem, str]] = field(default_factory=list)

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
    base_dir = _check_base(base)
    report = report or inspect_folder(path, max_shard_size=max_shard_size)
    plan = FixPlan(path, base_dir, report, max_shard_size)
    scopes: dict[str, list[Problem]] = {}
    for p in report.problems:
        scopes.setdefault(p.file.rsplit("/", 1)[0] if "/" in p.file else "", []).append(p)
    from .fix_planners import plan_scope

    for rel, problems in sorted(scopes.items()):
        plan_scope(plan, rel, problems)
    return plan


def _check_base(base) -> Optional[Path]:
    if base is None:
        return None
    folder = Path(getattr(base, "folder", base)).expanduser()
    if not folder.is_dir():
        raise MergesmithError(f"The base folder {folder} does not exist; pass the model this folder was "
                              "made from (--from-base DIR).", path=folder)
    return folder


# --- running -----------------------------------------------------------------------------------------


def run_fix(plan: FixPlan, *, out=None, in_place: bool = False, progress: Optional[ProgressCallback] = None,
            cancel: Optional[CancelToken] = None, check: bool = True) -> FixResult:
    """Perform ``plan``: into a new folder (default ``DIR-fixed``) or, with ``in_place``, into DIR."""
    progress = progress or no_progress
    cancel = cancel or CancelToken()
    src = plan.path
    if not plan.actions:
        return FixResult(src, [], plan.report if check else None, in_place=in_place)
    if in_place:
        backup = _run_in_place(plan, progress, cancel)
        target = src
    else:
        target = Path(out).expanduser() if out else src.with_name(src.name + "-fixed")
        _run_new_folder(plan, target, progress, cancel)
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


def _run_new_folder(plan: FixPlan, out: Path, progress, cancel) -> None:
    src = plan.path
    if out.exists():
        raise MergesmithError(f"{out} already exists; remove it, choose another folder (--out), or fix in "
                              "place (--in-place, which keeps a backup).", path=out)
    try:
        out_r, src_r = out.resolve(), src.resolve()
    except OSError:
        out_r, src_r = out.absolute(), src.absolute()
    if src_r in out_r.parents:
        raise MergesmithError(f"The output {out} is inside {src}; choose a folder outside it.", path=out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = out.parent / f".{out.name}{PARTIAL_TAG}{uuid.uuid4().hex[:8]}"
    try:
        stage.mkdir()
        _apply_all(plan, stage, progress, cancel)
        produced = set(_files(stage))
        skip = produced | plan.removes
        keep = [r for r in _files(src) if r not in skip and PARTIAL_TAG not in r]
        total = sum((src / r).stat().st_size for r in keep)
        done = 0
        for rel in keep:
            cancel.raise_if_cancelled()
            fa.copy_in(src / rel, stage / rel)
            done += (src / rel).stat().st_size
            progress(Progress("copy", done, total, rel))
        os.rename(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _run_in_place(plan: FixPlan, progress, cancel) -> Optional[Path]:
    src = plan.path
    stage = src.parent / f".{src.name}{PARTIAL_TAG}{uuid.uuid4().hex[:8]}"
    try:
        stage.mkdir()
        _apply_all(plan, stage, progress, cancel)
        cancel.raise_if_cancelled()
        produced = _files(stage)
        backup = _backup_name(src)
        moved: list[str] = []
        placed: list[str] = []
        try:
            for rel in sorted(set(produced) | plan.removes):
                if (src / rel).exists():
                    (backup / rel).parent.mkdir(parents=True, exist_ok=True)
                    os.rename(src / rel, backup / rel)
                    moved.append(rel)
            for rel in produced:
                (src / rel).parent.mkdir(parents=True, exist_ok=True)
                os.rename(stage / rel, src / rel)
                placed.append(rel)
        except BaseException:
            for rel in placed:  # undo: new files out, originals back
                os.rename(src / rel, stage / rel)
            for rel in moved:
                os.rename(backup / rel, src / rel)
            shutil.rmtree(backup, ignore_errors=True)
            raise
        return backup if moved else None
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _backup_name(src: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = src.with_name(f"{src.name}.backup-{stamp}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = src.with_name(f"{src.name}.backup-{stamp}-{n}")
    return candidate


__all__ = ["FixAction", "FixPlan", "FixResult", "plan_fix", "run_fix", "fix_folder", "fix_kind"]
