"""Checking a folder, fixing it, verifying a merge: the controller's flows after (or without) a merge.

A mixin of :class:`mergesmith.gui.controller.MergeController`, kept apart so that each module
stays small; it uses the controller's job, signals and helpers (``_spawn``, ``say``, ``log``).
"""

from __future__ import annotations

from mergesmith.core.errors import Cancelled

from . import corecalls
from .i18n import translate
from .problem_text import problem_text, refusal_text
from .tree import ERROR, INFO, OK, WARNING  # the core's severities, and OK


def internal_error_text(exc: BaseException) -> str:
    return translate("Controller", "Something went wrong inside Mergesmith ({0}: {1}). This is a bug; the "
                     "details are in the log, please include them when you report it.").format(type(exc).__name__, exc)


def verify_sentence(result) -> str:
    """One sentence about a VerifyResult."""
    merged = sum(1 for c in result.checks if c.kind == "merged")
    worst = result.worst
    diff = ""
    if worst is not None:
        ulp = (translate("Controller", "an infinite") if worst.ulp == float("inf")
               else translate("Controller", "{0} ulp").format(int(worst.ulp)))
        diff = translate("Controller", "; the largest difference is {0} (in {1}, accepted up to {2})").format(
            ulp, worst.name, result.tolerance_ulp)
    unchecked = getattr(result, "unchecked", None) or []
    if result.ok and unchecked:
        return translate("Controller", "Verified: {0} merged tensor(s) recomputed from the inputs match{1}; {2} "
                         "tensor(s) of a variant verify does not recompute (DoRA, lora_bias, trainable tokens) "
                         "were not checked.").format(merged, diff, len(unchecked))
    if result.ok:
        return translate("Controller", "Verified: {0} merged tensor(s) recomputed from the inputs match{1}. "
                         "The merge is right.").format(merged, diff)
    first = problem_text(result.problems[0]) if result.problems else ""
    return translate("Controller", "The merge does NOT match its inputs{0}. {1} Details are in the log.").format(
        diff, first)


class CheckingMixin:
    """inspect / fix / verify for :class:`MergeController` (which defines the signals used here)."""

    def inspect(self, path: str, target: str = "inspect", base: str = "") -> None:
        self._spawn(self._inspect(str(path).strip(), target, str(base or "").strip()))

    def fix(self, folder: str, target: str = "inspect", base: str = "") -> bool:
        """Fix ``folder`` into a new folder beside it; copy missing files from ``base``."""
        if self.busy:
            return False
        self.fixing = True
        self.running_for = target
        self._cancel_requested = False
        self.stateChanged.emit()
        self._spawn(self._fix(str(folder), target, str(base or "")))
        return True

    def verify(self) -> bool:
        """Recompute the last merge from its inputs and compare (core.verify)."""
        if self.busy or self.result is None:
            return False
        self.verifying = True
        self.running_for = "merge"
        self._cancel_requested = False
        self.stateChanged.emit()
        options = dict(self.options)
        self._spawn(self._verify(str(self.result.out), self.source_path, self.base_path,
                                 options.get("iteration"), self.visual_encoder_path))
        return True

    async def _inspect(self, path: str, target: str, base: str = "") -> None:
        if not path:
            self.say(INFO, translate("Controller", "Choose a folder to inspect."))
            return
        self.log("info", translate("Controller", "Inspecting {0}").format(path))
        try:
            report, fixes = await self.job.call(corecalls.inspect_path, path, base)
        except Exception as exc:  # noqa: BLE001
            self._report_exception(exc, translate("Controller", "Inspecting {0}").format(path))
            return
        self.report = report
        self._say_report(report, translate("Controller", "Inspected {0}").format(path))
        self.inspected.emit(target, report, fixes)

    def _say_report(self, report, what: str) -> None:
        n = len(report.problems)
        for note in getattr(report, "notes", []) or []:
            self.log("info", translate("Controller", "Note: {0}").format(note))
        for p in report.problems:
            self.log(p.severity if p.severity in ("error", "warning") else "info",
                     f"[{p.code}] {p.file}: {problem_text(p)}")
        self.say(ERROR if not report.ok else WARNING if n else OK,
                 translate("Controller", "{0}: {1}").format(what, translate(
                     "Controller", "{0} problem(s) found; see the list.").format(n) if n else
                     translate("Controller", "no problems found.")))

    async def _fix(self, folder: str, target: str, base: str) -> None:
        self.started.emit()
        self.log("info", translate("Controller", "Fixing {0}").format(folder)
                 + (translate("Controller", ", copying from {0}").format(base) if base else ""))
        try:
            if self._cancel_requested:
                raise Cancelled()
            outcome = await self.job.run(corecalls.run_fix, folder, base)
            report, fixes = await self.job.call(corecalls.check_folder, outcome.out, base)
        except Cancelled as exc:
            self.say(INFO, refusal_text(exc))
            self.cancelled.emit()
        except Exception as exc:  # noqa: BLE001
            self.failed.emit(self._report_exception(exc, translate("Controller", "Fixing {0}").format(folder)))
        else:
            for action in outcome.actions:
                self.log("info", translate("Controller", "Fixed: {0}").format(action.title))
            self.fixed.emit(outcome)
            self._say_report(report, translate("Controller", "Fixed {0} thing(s) into {1}").format(
                len(outcome.actions), outcome.out))
            self.inspected.emit(target, report, fixes)
        finally:
            self.fixing = False
            self._cancel_requested = False
            self.stateChanged.emit()

    async def _verify(self, out: str, source: str, base: str, iteration, visual: str) -> None:
        self.started.emit()
        self.log("info", translate("Controller", "Verifying {0} against {1} and {2}").format(out, source, base))
        try:
            if self._cancel_requested:
                raise Cancelled()
            result = await self.job.run(corecalls.verify, out, source, base, iteration, visual)
        except Cancelled:
            self.say(INFO, translate("Controller", "Cancelled; the check stopped."))  # verify writes nothing: the window's own words
            self.cancelled.emit()
        except Exception as exc:  # noqa: BLE001
            self.failed.emit(self._report_exception(exc, translate("Controller", "Verifying {0}").format(out)))
        else:
            for line in result.lines():
                self.log("info" if result.ok else "error", line)
            self.say(OK if result.ok else ERROR, verify_sentence(result))
            self.verified.emit(result)
        finally:
            self.verifying = False
            self._cancel_requested = False
            self.stateChanged.emit()
