"""Checking a folder, fixing it, verifying a merge: the controller's flows after (or without) a merge.

A mixin of :class:`mergesmith.gui.controller.MergeController`, kept apart so that each module
stays small; it uses the controller's job, signals and helpers (``_spawn``, ``say``, ``log``).
"""

from __future__ import annotations

from mergesmith.core.errors import Cancelled

from . import corecalls
from .problem_text import problem_text, refusal_text
from .tree import ERROR, INFO, OK, WARNING  # the core's severities, and OK


def internal_error_text(exc: BaseException) -> str:
    return (f"Something went wrong inside Mergesmith ({type(exc).__name__}: {exc}). This is a bug; "
            "the details are in the log, please include them when you report it.")


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
            self.say(INFO, "Choose a folder to inspect.")
            return
        self.log("info", f"Inspecting {path}")
        try:
            report, fixes = await self.job.call(corecalls.inspect_path, path, base)
        except Exception as exc:  # noqa: BLE001
            self._report_exception(exc, f"Inspecting {path}")
            return
        self.report = report
        self._say_report(report, f"Inspected {path}")
        self.inspected.emit(target, report, fixes)

    def _say_report(self, report, what: str) -> None:
        n = len(report.problems)
        for note in getattr(report, "notes", []) or []:
            self.log("info", f"Note: {note}")
        for p in report.problems:
            self.log(p.severity if p.severity in ("error", "warning") else "info",
                     f"[{p.code}] {p.file}: {problem_text(p)}")
        self.say(ERROR if not report.ok else WARNING if n else OK,
                 f"{what}: " + (f"{n} problem(s) found; see the list." if n else "no problems found."))

    async def _fix(self, folder: str, target: str, base: str) -> None:
        self.started.emit()
        self.log("info", f"Fixing {folder}" + (f", copying from {base}" if base else ""))
        try:
            if self._cancel_requested:
                raise Cancelled()
            outcome = await self.job.run(corecalls.run_fix, folder, base)
            report, fixes = await self.job.call(corecalls.check_folder, outcome.out, base)
        except Cancelled as exc:
            self.say(INFO, refusal_text(exc))
            self.cancelled.emit()
        except Exception as exc:  # noqa: BLE001
            self.failed.emit(self._report_exception(exc, f"Fixing {folder}"))
        else:
            for action in outcome.actions:
                self.log("info", f"Fixed: {action.title}")
            self.fixed.emit(outcome)
            self._say_report(report, f"Fixed {len(outcome.actions)} thing(s) into {outcome.out}")
            self.inspected.emit(target, report, fixes)
        finally:
            self.fixing = False
            self._cancel_requested = False
            self.stateChanged.emit()

    async def _verify(self, out: str, source: str, base: str, iteration, visual: str) -> None:
        self.started.emit()
        self.log("info", f"Verifying {out} against {source} and {base}")
        try:
            if self._cancel_requested:
                raise Cancelled()
            result = await self.job.run(corecalls.verify, out, source, base, iteration, visual)
        except Cancelled:
            self.say(INFO, "Cancelled; the check stopped.")  # verify writes nothing: the window's own words
            self.cancelled.emit()
        except Exception as exc:  # noqa: BLE001
            self.failed.emit(self._report_exception(exc, f"Verifying {out}"))
        else:
            for line in result.lines():
                self.log("info" if result.ok else "error", line)
            self.say(OK if result.ok else ERROR, corecalls.verify_sentence(result))
            self.verified.emit(result)
        finally:
            self.verifying = False
            self._cancel_requested = False
            self.stateChanged.emit()
