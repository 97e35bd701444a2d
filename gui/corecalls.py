"""Every call the GUI makes into :mod:`mergesmith.core`, in one place, with no Qt.

These functions run on the job thread (see :mod:`.job`). Keeping them together keeps the
window honest (no merge logic in ``gui/``: each is a line or two over the core) and gives one
place to follow the core's API as it grows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from mergesmith.core.errors import MergesmithError

from .problem_text import problem_text


def detect(path: str):
    from mergesmith.core.sources.detect import detect as _detect

    return _detect(path)


def cached_hub_ids() -> list[str]:
    """Hub ids of the models in the local Hugging Face and ModelScope caches (a few directory listings)."""
    from mergesmith.core.hub.cache import cached_ids

    return cached_ids()


def default_out(source) -> Path:
    from mergesmith.core.plan.base import default_out as _default_out

    return _default_out(source)


def plan_options(options: dict, visual_encoder: str = ""):
    """PlanOptions from the window's option values (raises MergesmithError on a bad size)."""
    from mergesmith.core.plan.base import PlanOptions

    kw = {k: v for k, v in options.items() if v not in (None, "")}
    if "out" in kw:
        kw["out"] = Path(kw["out"]).expanduser()
    if visual_encoder:
        kw["visual_encoder"] = Path(visual_encoder).expanduser()
    return PlanOptions(**kw)


def make_plan(source, base: str, options):
    from mergesmith.core.plan.planners import make_plan as _make_plan

    return _make_plan(source, base, options)


def run_plan(plan, progress=None, cancel=None):
    """Write the plan; the check is a separate step (:func:`inspect_folder`)."""
    from mergesmith.core.engine.merge import run_plan as _run_plan

    return _run_plan(plan, progress, cancel, check=False)


def inspect_folder(path):
    from mergesmith.core.inspect.folder import inspect_folder as _inspect_folder

    return _inspect_folder(Path(path))


def inspect_path(path: str, base: str = ""):
    """Inspect mode: check that the path is a folder first, in words; ``(report, fix_plan)``."""
    p = Path(path).expanduser()
    if not p.exists():
        raise MergesmithError(f"{p} does not exist; check the path.")
    if not p.is_dir():
        raise MergesmithError(f"{p} is a file; choose the model folder that holds it.")
    return check_folder(p, base or None)


def close_plan(plan) -> None:
    """Release what a plan that will not run holds (its base; the source stays the window's)."""
    plan.close()


def close_source(source) -> None:
    source.close()


def make_demo(folder, kind: str = "lora"):
    """(training output, base) of the built-in demo; the LLaVA one names its visual encoder in its config."""
    if kind == "llava":
        from mergesmith.core.demo.llava import make_llava_demo

        source, base, _vit = make_llava_demo(folder)
        return source, base
    from mergesmith.core.demo.lora import make_demo as _make_demo

    return _make_demo(folder)


# --- fix -----------------------------------------------------------------------------------------


def fix_available() -> bool:
    """Whether this core can fix folders: always, since core/fix/ ships with it (no look-up by
    name, so that a renamed module fails loudly instead of hiding the Fix button)."""
    return True


def check_folder(path, base: Optional[str] = None):
    """Inspect ``path``; also say what ``fix`` would do about each problem (None when it cannot).

    Returns ``(report, fix_plan)``.
    """
    report = inspect_folder(path)
    if not report.problems or not fix_available():
        return report, None
    from mergesmith.core.fix.folder import plan_fix

    try:
        return report, plan_fix(path, base=base or None, report=report)
    except MergesmithError:  # a base that is not there: plan without it
        return report, plan_fix(path, report=report)


def run_fix(folder, base: Optional[str] = None, progress=None, cancel=None):
    """Fix ``folder`` into a new folder beside it (``DIR-fixed``); the original is never changed."""
    from mergesmith.core.fix.folder import default_fix_out, fix_folder

    folder = Path(folder)
    out = default_fix_out(folder, unused=True)
    return fix_folder(folder, base or None, out=out, progress=progress, cancel=cancel)


# --- verify --------------------------------------------------------------------------------------


def verify_available() -> bool:
    return True  # as fix_available


def verify(out, source, base, iteration=None, visual_encoder="", progress=None, cancel=None):
    """Recompute every adapted tensor from the inputs and compare with ``out`` (core.verify)."""
    from mergesmith.core.verify.compare import verify as _verify

    return _verify(out, source, base or None, iteration=iteration, visual_encoder=visual_encoder or None,
                   progress=progress, cancel=cancel)


# --- warming up ---------------------------------------------------------------------------------


def warm_up(base: Optional[str] = None) -> None:
    """Do once, while the user is still choosing, the imports the first check would do.

    The first inspection imports transformers and the model's architecture module; unmarshalling
    large modules holds the GIL for up to ~0.2 s at a time, which would stall the window during
    the first merge. Inspecting the base folder (headers and small files only) performs exactly
    those imports; without a base, the common ones are imported. Errors are irrelevant here.
    """
    try:
        if base:
            from mergesmith.core.hub.cache import local_folder

            inspect_folder(local_folder(base) or base)  # a Hub id: its cache snapshot
        else:
            import mergesmith.core.inspect.folder  # noqa: F401
            import mergesmith.core.engine.merge  # noqa: F401
            import transformers

            transformers.AutoConfig, transformers.AutoTokenizer, transformers.GenerationConfig  # noqa: B018
    except Exception:  # noqa: BLE001 - a warm-up that fails costs nothing
        pass
