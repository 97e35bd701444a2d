"""``convert(source, out)``: detect, plan and run a conversion in one call."""

from __future__ import annotations

from pathlib import Path

from ..errors import PlanError
from ..plan.base import PlanOptions
from ..plan.convert import plan_convert
from ..sources.detect import detect
from .merge import run_plan


def convert(source, out, *, progress=None, cancel=None, base=None, **options):
    """Detect, plan and run a conversion in one call (what the CLI's ``convert`` does)."""
    with detect(source) as src:
        plan = plan_convert(src, PlanOptions(out=Path(out), **options), base=base)
        with plan:
            if not plan.ok:
                raise PlanError("; ".join(p.message for p in plan.problems if p.is_error))
            return run_plan(plan, progress, cancel, check=False)
