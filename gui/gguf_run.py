"""A merge written straight into one GGUF file: what the controller says before and after it runs.

A mixin of :class:`mergesmith.gui.controller.MergeController` (its job, signals and ``say``/``log``),
kept apart so that each module stays small. The plan is a :class:`mergesmith.gui.corecalls.GgufMerge`;
``corecalls.run_gguf`` closes it on every path, as ``run_plan`` closes a merge plan.
"""

from __future__ import annotations

import time

from mergesmith.core.progress import Progress

from . import corecalls
from .i18n import seconds_text, size_text, translate
from .tree import ERROR, OK, WARNING


def check_words(report) -> str:
    """How the check of a written output went, to end a sentence."""
    bad = [p for p in report.problems if p.is_error]
    if bad:
        return translate("Controller", "the check found {0} error(s): see the result.").format(len(bad))
    if report.problems:
        return translate("Controller", "the check found {0} warning(s).").format(len(report.problems))
    return translate("Controller", "the check found no problems.")


def check_severity(report) -> str:
    return ERROR if any(p.is_error for p in report.problems) else WARNING if report.problems else OK


class GgufRunMixin:
    """Saying and running a :class:`~mergesmith.gui.corecalls.GgufMerge` for :class:`MergeController`."""

    def _say_gguf_plan(self, plan) -> None:
        g = plan.gguf
        text = translate("Controller", "Ready: a GGUF file ({0}, {1}) will be written to {2}, with its Ollama "
                         "Modelfile.").format(g.qtype, size_text(g.data_bytes), g.out)
        warnings = [p for p in plan.problems if p.severity == WARNING]
        if warnings:
            text += " " + (translate("Controller", "1 warning below.") if len(warnings) == 1 else
                           translate("Controller", "{0} warnings below.").format(len(warnings)))
        self.say(WARNING if warnings else OK, text)

    async def _run_gguf(self, plan) -> None:
        """Write the file (Cancel and failures reach the caller's handlers), check it, say how to run it."""
        t0 = time.monotonic()
        result = await self.job.run(corecalls.run_gguf, plan)
        seconds = time.monotonic() - t0
        self.progressed.emit(Progress("check", result.bytes_written, result.bytes_written,
                                      message=translate("Controller", "Checking the written file")))
        report, fixes = await self.job.call(corecalls.check_folder, result.out, self.base_path)
        self.result, self.report = result, report
        text = translate("Controller", "Wrote {0} ({1}) in {2}; ").format(
            result.out, size_text(result.bytes_written), seconds_text(seconds)) + check_words(report)
        self.say(check_severity(report), text)
        ollama, llama_cpp = corecalls.ollama_commands(result)
        self.log("info", translate("Controller", "Run it with Ollama: {0}").format(ollama))
        self.log("info", translate("Controller", "or with llama.cpp: {0}").format(llama_cpp))
        self.merged.emit(result, report, fixes)
