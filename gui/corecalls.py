"""Every call the GUI makes into :mod:`mergesmith.core`, in one place, with no Qt.

These functions run on the job thread (see :mod:`.job`). Keeping them together keeps the
window honest (no merge logic in ``gui/``: each is a line or two over the core) and gives one
place to follow the core's API as it grows (``fix`` is optional: the Fix button only appears
when :mod:`mergesmith.core.fix` exists).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect as pyinspect
from pathlib import Path
from typing import Optional

from mergesmith.core.errors import MergesmithError


def detect(path: str):
    from mergesmith.core.sources import detect as _detect

    return _detect(path)


def default_out(source) -> Path:
    from mergesmith.core.plan import default_out as _default_out

    return _default_out(source)


def plan_options(options: dict, visual_encoder: str = ""):
    """PlanOptions from the window's option values (raises MergesmithError on a bad size)."""
    from mergesmith.core.plan import PlanOptions

    kw = {k: v for k, v in options.items() if v not in (None, "")}
    if "out" in kw:
        kw["out"] = Path(kw["out"]).expanduser()
    if visual_encoder:
        kw["visual_encoder"] = Path(visual_encoder).expanduser()
    return PlanOptions(**kw)


def make_plan(source, base: str, options):
    from mergesmith.core.plan import make_plan as _make_plan

    return _make_plan(source, base, options)


def run_plan(plan, progress=None, cancel=None):
    """Write the plan; the check is a separate step (:func:`inspect_folder`)."""
    from mergesmith.core.merge import run_plan as _run_plan

    return _run_plan(plan, progress, cancel, check=False)


def inspect_folder(path):
    from mergesmith.core.inspect import inspect_folder as _inspect_folder

    return _inspect_folder(Path(path))


def inspect_path(path: str):
    """Inspect mode: check that the path is a folder first, in words."""
    p = Path(path).expanduser()
    if not p.exists():
        raise MergesmithError(f"{p} does not exist; check the path.")
    if not p.is_dir():
        raise MergesmithError(f"{p} is a file; choose the model folder that holds it.")
    return inspect_folder(p)


def close_plan(plan, keep_source=None) -> None:
    """Release the file handles held by a plan that will not run (but not ``keep_source``'s)."""
    base = getattr(plan, "base", None)
    if base is not None:
        base.close()
    source = getattr(plan, "source", None)
    if source is not None and source is not keep_source:
        source.close()


def close_source(source) -> None:
    source.close()


def make_demo(folder):
    from mergesmith.core.demo import make_demo as _make_demo

    return _make_demo(folder)


# --- fix (issue 4; optional) --------------------------------------------------------------------

FIX_FUNCTIONS = ("fix_folder", "fix", "run_fix")


def _fix_module():
    if importlib.util.find_spec("mergesmith.core.fix") is None:
        return None
    return importlib.import_module("mergesmith.core.fix")


def can_fix() -> bool:
    mod = _fix_module()
    return mod is not None and any(callable(getattr(mod, n, None)) for n in FIX_FUNCTIONS)


def fix_folder(folder: str, base: Optional[str] = None):
    """Apply core.fix to ``folder`` (into a new folder beside it, as the core does by default)."""
    mod = _fix_module()
    fn = next((getattr(mod, n) for n in FIX_FUNCTIONS if callable(getattr(mod, n, None))), None)
    if fn is None:
        raise MergesmithError("This version of Mergesmith cannot fix folders.")
    params = pyinspect.signature(fn).parameters
    kwargs = {}
    if base and "base" in params:
        kwargs["base"] = base
    elif base and "from_base" in params:
        kwargs["from_base"] = base
    return fn(Path(folder), **kwargs)


def fixed_folder(outcome, folder: str) -> Path:
    """Where the fixed folder is (the core's answer, else the folder itself)."""
    for attr in ("out", "path", "folder"):
        value = getattr(outcome, attr, None)
        if value:
            return Path(value)
    if isinstance(outcome, (str, Path)):
        return Path(outcome)
    return Path(folder)


def describe_fix(outcome, folder: str) -> str:
    actions = getattr(outcome, "actions", None) or getattr(outcome, "done", None)
    where = fixed_folder(outcome, folder)
    if actions:
        return f"Fixed {len(actions)} thing(s); the result is in {where}."
    return f"Fixed; the result is in {where}."


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
            inspect_folder(base)
        else:
            import mergesmith.core.inspect  # noqa: F401
            import mergesmith.core.merge  # noqa: F401
            import transformers

            transformers.AutoConfig, transformers.AutoTokenizer, transformers.GenerationConfig  # noqa: B018
    except Exception:  # noqa: BLE001 - a warm-up that fails costs nothing
        pass
