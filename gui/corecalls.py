"""Every call the GUI makes into :mod:`mergesmith.core`, in one place, with no Qt.

These functions run on the job thread (see :mod:`.job`). Keeping them together keeps the
window honest (no merge logic in ``gui/``: each is a line or two over the core) and gives one
place to follow the core's API as it grows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
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

    kw = {k: v for k, v in options.items() if v not in (None, "") and k != "gguf_type"}
    if "out" in kw:
        kw["out"] = Path(kw["out"]).expanduser()
    if visual_encoder:
        kw["visual_encoder"] = Path(visual_encoder).expanduser()
    return PlanOptions(**kw)


def make_plan(source, base: str, options, gguf_type: Optional[str] = None):
    """A merge plan; with ``gguf_type``, a :class:`GgufMerge` (the merge goes into one GGUF file)."""
    from mergesmith.core.plan.planners import make_plan as _make_plan

    if gguf_type:
        return make_gguf_plan(source, base, options, gguf_type)
    return _make_plan(source, base, options)


# --- GGUF: a merge written straight into one .gguf file, as ``mergesmith merge --format gguf`` ------


@dataclass
class GgufMerge:
    """The merge plan (its tensors are computed as the export reads them) and the GGUF plan over it.

    Who closes what: the GgufPlan owns its GgufInput (a temporary folder of small files); the merge
    plan owns its base and must stay open until :func:`run_gguf` is done. :meth:`close` closes both;
    :func:`run_gguf` closes them on every path, as ``run_plan`` closes a plan it runs.
    """

    merge: object  # core.plan.base.Plan
    gguf: object  # core.gguf.export.GgufPlan, None while the merge plan has errors
    problems: list = field(default_factory=list)  # the merge plan's, but its disk space (the file's is checked)

    source = property(lambda self: self.merge.source)
    base = property(lambda self: self.merge.base)
    options = property(lambda self: self.merge.options)

    @property
    def out(self) -> Path:
        return self.gguf.out if self.gguf is not None else self.merge.out

    @property
    def ok(self) -> bool:
        return self.gguf is not None and not any(p.is_error for p in self.problems)

    def close(self) -> None:
        if self.gguf is not None:
            self.gguf.close()
        self.merge.close()


def gguf_out(source, options) -> Path:
    """The .gguf file to write: the chosen output, else the default folder's name + ``.gguf``."""
    out = options.out or default_out(source)
    return out if out.suffix.lower() == ".gguf" else out.with_name(out.name + ".gguf")


def make_gguf_plan(source, base: str, options, gguf_type: str) -> GgufMerge:
    """As cli/gguf.py ``merge_to_gguf``: plan the merge for a file, drop its disk-space problem (the
    GGUF's own size is checked), then plan the GGUF over it."""
    from mergesmith.core.gguf.export import merge_plan_options, plan_gguf
    from mergesmith.core.plan.planners import make_plan as _make_plan

    out = gguf_out(source, options)
    merge_options = replace(merge_plan_options(out, dtype=options.dtype, iteration=options.iteration),
                            visual_encoder=options.visual_encoder)
    merge = _make_plan(source, base, merge_options)
    problems = [p for p in merge.problems if p.code != "disk-space"]
    if any(p.is_error for p in problems):
        return GgufMerge(merge, None, problems)
    try:
        return GgufMerge(merge, plan_gguf(merge, out, gguf_type, overwrite=options.overwrite), problems)
    except BaseException:
        merge.close()
        raise


def is_gguf(plan) -> bool:
    return isinstance(plan, GgufMerge)


def run_gguf(plan: GgufMerge, progress=None, cancel=None):
    """Write the GGUF file and its Modelfile; closes both plans on every path."""
    from mergesmith.core.gguf.export import run_gguf as _run_gguf
    from mergesmith.core.progress import no_progress

    try:
        plan.gguf.hold = getattr(plan, "hold", None)  # the window's, taken on Start
        return _run_gguf(plan.gguf, progress or no_progress, cancel)
    finally:
        plan.close()


def ollama_commands(result) -> tuple[str, str]:
    """The commands that run a written GGUF (as ``mergesmith export-gguf`` prints them)."""
    name = re.sub(r"[^a-z0-9._-]+", "-", result.out.stem.lower()).strip("-") or "model"
    return (f"cd {result.out.parent} && ollama create {name} -f {result.modelfile.name} && ollama run {name}",
            f"llama-cli -m {result.out}")


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
    if not p.is_dir() and p.suffix.lower() != ".gguf":  # a .gguf is checked as a whole model
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
    if not report.problems or not fix_available() or Path(path).is_file():  # fix repairs folders, not a .gguf
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
