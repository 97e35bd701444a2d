"""The merge flow, without widgets: detect -> plan -> run -> inspect, driven by the window.

:class:`MergeController` holds what the user chose (paths, options) and what the core said
about it (Source, Plan, Result, Report), and runs every core call through the one
:class:`~mergesmith.gui.job.Job`. It reports back with signals on the GUI thread; it never
touches a widget. Errors become a sentence (``message``) and details (``logged``), never a
dialog: a :class:`MergesmithError` is already worded for people; anything else is a bug and is
said to be one, with the traceback in the log.

Results of superseded requests (the user typed another path while the last one was being
detected) are dropped: every request carries a generation number.

Who closes what (see :meth:`mergesmith.core.plan.base.Plan.close`): the controller owns the
Source it detected and closes it when another replaces it or at shutdown; it owns each plan it
made and closes it when another replaces it, except the one it runs, which ``run_plan`` closes
(for a merge into a GGUF file, ``corecalls.run_gguf`` closes the merge plan and the GGUF plan).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import traceback
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QObject, QTimer, Signal

from mergesmith.core.errors import Cancelled, MergesmithError
from mergesmith.core.formats import format_seconds, format_size
from mergesmith.core.hub.download import is_hub_id
from mergesmith.core.io import hold
from mergesmith.core.progress import Progress

from . import corecalls, hub_words
from .checking import ERROR, INFO, OK, WARNING, CheckingMixin, internal_error_text
from .gguf_run import GgufRunMixin, check_severity, check_words
from .i18n import kind_title, seconds_text, sentences, size_text, translate
from .job import Job
from .problem_text import problem_text, refusal_text

REPLAN_DELAY_MS = 250
HOLD_RECHECK_MS = 1000
__all__ = ["ERROR", "INFO", "OK", "WARNING", "MergeController", "internal_error_text"]


class MergeController(CheckingMixin, GgufRunMixin, QObject):
    """State and flow of one merge window; every slow call goes through ``self.job``."""

    sourceChanged = Signal(object)  # Source | None
    planChanged = Signal(object)  # Plan | None
    baseSuggested = Signal(str)
    sourceSuggested = Signal(str)
    visualEncoderSuggested = Signal(str)
    outputSuggested = Signal(str)
    message = Signal(str, str)  # severity, sentence
    sourceWanted = Signal()  # no training output is chosen: the window offers the demo
    logged = Signal(str, str)  # level, text
    stateChanged = Signal()
    progressed = Signal(object)  # Progress
    started = Signal()
    merged = Signal(object, object, object)  # Result, Report, FixPlan | None
    cancelled = Signal()
    failed = Signal(str)
    inspected = Signal(str, object, object)  # target ("merge" or "inspect"), Report, FixPlan | None
    fixed = Signal(object)  # FixResult
    verified = Signal(object)  # VerifyResult

    def __init__(self, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self.job = Job(self)
        self.job.progressed.connect(self.progressed)
        self.job.busyChanged.connect(lambda _busy: self.stateChanged.emit())
        self.source_path = ""
        self.base_path = ""
        self.visual_encoder_path = ""
        self.options: dict = {}
        self.source = None
        self.plan = None
        self.result = None
        self.report = None
        self.merging = False
        self.fixing = False
        self.verifying = False
        self.running_for = ""  # the page whose run (merge or fix) is in progress
        self._cancel_requested = False
        self._gen = 0
        self._warmed: set[str] = set()
        self.warm_ups = True  # off for one-shot uses (--screenshot) that never check a merge
        self._tasks: set[asyncio.Task] = set()
        self.demo_folders: list[str] = []  # temporary demo folders this window made: removed at shutdown
        self._replan_timer = QTimer(self)
        self._replan_timer.setSingleShot(True)
        self._replan_timer.setInterval(REPLAN_DELAY_MS)
        self._replan_timer.timeout.connect(lambda: self._spawn(self._replan(self._gen)))
        self._hold_timer = QTimer(self)  # while another run holds the output: is it free yet?
        self._hold_timer.setInterval(HOLD_RECHECK_MS)
        self._hold_timer.timeout.connect(self._recheck_hold)

    # -- state the window asks about
    @property
    def can_start(self) -> bool:
        return (self.plan is not None and self.plan.ok and not self.busy
                and not self._replan_timer.isActive())

    @property
    def is_idle(self) -> bool:
        return not self.job.is_busy and not self._tasks and not self._replan_timer.isActive()

    @property
    def busy(self) -> bool:
        """A merge or a fix (cancellable runs) is in progress."""
        return self.merging or self.fixing or self.verifying or self.job.is_running_long

    # -- requests from the window
    def set_source(self, path: str) -> None:
        self.source_path = str(path).strip()
        self._invalidate()
        self._spawn(self._detect(self._gen))

    def set_base(self, path: str) -> None:
        self.base_path = str(path).strip()
        self._schedule_replan(now=True)

    def set_visual_encoder(self, path: str) -> None:
        self.visual_encoder_path = str(path).strip()
        self._schedule_replan(now=True)

    def set_options(self, **options) -> None:
        if options != self.options:
            self.options = dict(options)
            self._schedule_replan()

    def start(self) -> bool:
        if not self.can_start:
            return False
        try:  # held from now to the end of the run; another run may have taken it since the plan
            self.plan.hold = hold.acquire(self.plan.out, "merge in the Mergesmith window")
        except MergesmithError as exc:
            self.say(ERROR, f"Nothing can start until this is fixed: {exc.message}")
            self._schedule_replan(now=True)
            return False
        self.merging = True
        self.running_for = "merge"
        self._cancel_requested = False
        self.stateChanged.emit()
        self._spawn(self._merge(self.plan))
        return True

    def cancel(self) -> None:
        if self.busy:
            self.log("info", translate("Controller", "Cancelling\u2026"))
            self._cancel_requested = True  # in case the task has not reached the job yet
            self.job.cancel()

    def load_demo(self, folder: Optional[str] = None, kind: str = "lora") -> None:
        """Build the built-in demo (``kind`` "lora" or "llava") in ``folder`` and preview its merge."""
        self._spawn(self._demo(folder, kind))

    def warm_up(self, base: str = "") -> None:
        """Import, on the job thread, what the first check will need (see corecalls.warm_up)."""
        if self.warm_ups and base not in self._warmed:
            self._warmed.add(base)
            self._spawn(self._warm_up(base))

    def shutdown(self) -> None:
        """Cancel what runs, wait for the job thread (the window is closing), release the inputs."""
        self._replan_timer.stop()
        self._hold_timer.stop()
        self.job.cancel()
        for task in list(self._tasks):
            task.cancel()
        self.job.shutdown(wait=True)
        for held in (self.plan, self.source):  # the job thread is gone: nothing else touches them
            if held is not None:
                held.close()
        for folder in self.demo_folders:  # made by load_demo in the system's temporary folder
            shutil.rmtree(folder, ignore_errors=True)
        self.demo_folders.clear()

    def log(self, level: str, text: str) -> None:
        self.logged.emit(level, text)

    def say(self, severity: str, text: str) -> None:
        self.message.emit(severity, text)
        self.log({OK: "info"}.get(severity, severity), text)

    # -- internals
    def _spawn(self, coro) -> asyncio.Task:
        # qasync 0.28 keeps no reference to tasks (style.md 4.3): we do, until they end.
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        self.stateChanged.emit()
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            self.log("error", "".join(traceback.format_exception(exc)))
            self.say(ERROR, internal_error_text(exc))
        self.stateChanged.emit()

    def _invalidate(self) -> None:
        self._gen += 1
        self._set_plan(None)

    def _set_plan(self, plan) -> None:
        held = plan is not None and any(p.code == "output-held" for p in plan.problems)
        if held:
            self._hold_timer.start()
        else:
            self._hold_timer.stop()
        old, self.plan = self.plan, plan
        if old is not None and old is not plan:
            self.job.submit(corecalls.close_plan, old)
        self.planChanged.emit(plan)
        self.stateChanged.emit()

    def _schedule_replan(self, now: bool = False) -> None:
        self._gen += 1
        if self.plan is not None:
            self._set_plan(None)
        self._replan_timer.start(0 if now else REPLAN_DELAY_MS)
        self.stateChanged.emit()

    def _recheck_hold(self) -> None:
        """The output was held by another run when planned: plan again once it is free."""
        if self.plan is None or self.busy:
            self._hold_timer.stop()
        elif hold.holder(self.plan.out) is None:
            self._hold_timer.stop()
            self._schedule_replan(now=True)

    def _report_exception(self, exc: BaseException, what: str) -> str:
        if isinstance(exc, MergesmithError):  # the banner shows the sentence, the log says when it came
            text = refusal_text(exc)  # in the window's words and language
            self.message.emit(ERROR, text)
            self.log("error", f"{what}: {text}")
            return text
        self.log("error", f"{what}:\n" + "".join(traceback.format_exception(exc)))
        text = internal_error_text(exc)
        self.say(ERROR, text)
        return text

    async def _detect(self, gen: int) -> None:
        path = self.source_path
        if self.source is not None:
            self.job.submit(corecalls.close_source, self.source)
        self.source = None
        self.sourceChanged.emit(None)
        if not path:
            self.log("info", translate("Controller", "Choose a training output and its base model, or try the "
                                                   "built-in demo."))
            self.sourceWanted.emit()
            return
        self.log("info", translate("Controller", "Reading {0}").format(path))
        try:
            source = await self.job.call(corecalls.detect, path)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a sentence
            if gen == self._gen:
                self._report_exception(exc, translate("Controller", "Reading {0}").format(path))
            return
        if gen != self._gen:
            self.job.submit(corecalls.close_source, source)
            return
        self.source = source
        self.log("info", translate("Controller", "Found {0} in {1}").format(kind_title(source.kind, source.title),
                                                                         source.path))
        self.sourceChanged.emit(source)
        self._suggest_inputs(source)
        self._schedule_replan(now=True)

    def _suggest_inputs(self, source) -> None:
        hint = source.base_hint
        if hint and not self.base_path:
            found = source.base_located()  # a folder, or a Hub id in a local cache
            if found.found:
                self.base_path = str(Path(hint).expanduser()) if not found.in_cache else hint
                self.baseSuggested.emit(self.base_path)
                self.log("info", translate("Controller", "Using the base model named by the training: {0}")
                         .format(hub_words.line(found)))
            else:
                looked = hub_words.not_found_looked(found) if found.caches else ""
                fetch = translate("Controller", "Or download it (Download base model).") if is_hub_id(hint) else ""
                self.say(WARNING, sentences(translate("Controller", "The training names {0} as its base model, which "
                                                      "is not on this machine; choose the base model folder.")
                                            .format(hint), looked, fetch))
        if source.is_llava and not self.visual_encoder_path:
            vhint = source.visual_encoder_hint
            vfound = source.visual_encoder_located()
            if vhint and vfound.found:
                self.visual_encoder_path = str(Path(vhint).expanduser()) if not vfound.in_cache else vhint
                self.visualEncoderSuggested.emit(self.visual_encoder_path)
            else:
                named = (" " + translate("Controller", "The training names {0}, which is not on this machine.")
                         .format(vhint)) if vhint else ""
                self.say(WARNING, translate("Controller", "This is a LLaVA run: choose the visual encoder "
                                                          "folder too.") + named)
        self.outputSuggested.emit(str(corecalls.default_out(source)))

    async def _replan(self, gen: int) -> None:
        if self.source is None:
            self.stateChanged.emit()
            return
        if not self.base_path:
            if not self.source.base_hint:
                self.say(INFO, translate("Controller", "Choose the base model the adapter was trained on."))
            self.stateChanged.emit()
            return
        try:
            options = corecalls.plan_options(self.options, self.visual_encoder_path)
            plan = await self.job.call(corecalls.make_plan, self.source, self.base_path, options,
                                       self.options.get("gguf_type"))
        except Exception as exc:  # noqa: BLE001
            if gen == self._gen:
                self._report_exception(exc, translate("Controller", "Planning"))
                self.stateChanged.emit()
            return
        if gen != self._gen:
            self.job.submit(corecalls.close_plan, plan)
            return
        self._set_plan(plan)
        self._say_plan(plan)
        self.warm_up(self.base_path)

    def _say_plan(self, plan) -> None:
        errors = [p for p in plan.problems if p.is_error]
        if errors:
            more = (" " + translate("Controller", "({0} more below)").format(len(errors) - 1)
                    if len(errors) > 1 else "")
            self.say(ERROR, translate("Controller", "Nothing can start until this is fixed: {0}")
                     .format(problem_text(errors[0])) + more)
            return
        if corecalls.is_gguf(plan):
            self._say_gguf_plan(plan)
            return
        warnings = [p for p in plan.problems if p.severity == WARNING]
        text = translate("Controller", "Ready: {0} files, {1}, will be written to {2}.").format(
            len(plan.files()), size_text(plan.total_bytes), plan.out)
        if warnings:
            text += " " + (translate("Controller", "1 warning below.") if len(warnings) == 1 else
                           translate("Controller", "{0} warnings below.").format(len(warnings)))
        self.say(WARNING if warnings else OK, text)

    async def _merge(self, plan) -> None:
        self.started.emit()
        self.log("info", translate("Controller", "Merging into {0}").format(plan.out))
        try:
            if self._cancel_requested:
                self.job.submit(corecalls.close_plan, plan)  # never handed to the run, which would close it
                raise Cancelled()
            if corecalls.is_gguf(plan):
                await self._run_gguf(plan)  # GgufRunMixin: writes, checks, says, emits merged
                return
            result = await self.job.run(corecalls.run_plan, plan)
            for line in result.recovered:  # leftovers of a killed run, removed
                self.log("info", line)
            self.progressed.emit(Progress("check", result.total_bytes, result.total_bytes,
                                          message=translate("Controller", "Checking the written folder")))
            report, fixes = await self.job.call(corecalls.check_folder, result.out, self.base_path)
        except Cancelled as exc:
            self.say(INFO, refusal_text(exc))
            self.cancelled.emit()
        except Exception as exc:  # noqa: BLE001
            self.failed.emit(self._report_exception(exc, translate("Controller", "Merging")))
        else:
            self.result, self.report = result, report
            seconds = result.seconds.get("total") or result.seconds.get("write", 0.0)
            text = translate("Controller", "Merged into {0} in {1}; ").format(result.out, seconds_text(seconds))
            self.say(check_severity(report), text + check_words(report))
            self.merged.emit(result, report, fixes)
        finally:
            if plan.hold is not None:  # run_plan released it; a run cancelled before it began did not
                plan.hold.release()
            self.merging = False
            self._gen += 1
            self.plan = None
            self.planChanged.emit(None)
            self.stateChanged.emit()

    async def _warm_up(self, base: str) -> None:
        await self.job.call(corecalls.warm_up, base or None)

    async def _demo(self, folder: Optional[str], kind: str = "lora") -> None:
        if not folder:
            folder = tempfile.mkdtemp(prefix="mergesmith-demo-")
            self.demo_folders.append(folder)
        what = (translate("Controller", "a tiny LLM, a tiny CLIP vision tower and an XTuner LLaVA run")
                if kind == "llava" else translate("Controller", "a tiny base model and an XTuner training output"))
        self.say(INFO, translate("Controller", "Building the demo: {0}\u2026").format(what))
        try:
            source, base = await self.job.call(corecalls.make_demo, folder, kind)
        except Exception as exc:  # noqa: BLE001
            self._report_exception(exc, translate("Controller", "Building the demo"))
            return
        self.log("info", translate("Controller", "Demo written to {0}").format(folder))
        self.base_path = str(base)
        self.visual_encoder_path = ""
        self.baseSuggested.emit(str(base))
        self.sourceSuggested.emit(str(source))
        self.set_source(str(source))
