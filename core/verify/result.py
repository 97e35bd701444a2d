"""What ``verify`` found: one :class:`TensorCheck` per tensor compared by value, and the
:class:`VerifyResult` with the problems, notes and settings, as lines or as a dict."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..inspect.report import severity_of
from ..problems import Problem, errors
from ..texts import render


@dataclass
class TensorCheck:
    name: str
    folder: str  # "" or "projector", ...
    kind: str  # "merged" (base + low-rank product), "replaced" (from the training output), "copied"
    dtype: str
    ulp: float
    max_abs: float


@dataclass
class VerifyResult:
    out: Path
    source: str
    base: Optional[str]
    checks: list[TensorCheck] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    settings: str = ""  # where the LoRA settings came from, and the scales they give
    settings_from: str = ""
    unchecked: list[str] = field(default_factory=list)  # tensors of variants verify does not recompute
    logits: Optional[dict] = None
    seconds: float = 0.0
    tolerance_ulp: int = 2

    @property
    def ok(self) -> bool:
        return not errors(self.problems)

    @property
    def worst(self) -> Optional[TensorCheck]:
        return max(self.checks, key=lambda c: c.ulp, default=None)

    def problem(self, code: str, file: str, message: Optional[str] = None, *, key: str = "", **params) -> None:
        key = key or (code if message is None else "")
        if message is None:
            message = render(key, params)
        self.problems.append(Problem(code, severity_of(code), file, message, params=params, key=key))

    def lines(self) -> list[str]:
        merged = [c for c in self.checks if c.kind == "merged"]
        out = [f"Verified {self.out} against {self.source} + {self.base}:",
               f"  {len(merged)} merged tensor(s) recomputed, {len(self.checks) - len(merged)} other(s) compared "
               f"by value, in {self.seconds:.1f} s."]
        if self.settings:
            out.append(f"  {self.settings}.")
        w = self.worst
        if w is not None:
            ulp = "inf" if w.ulp == float("inf") else int(w.ulp)
            out.append(f"  Largest difference: {ulp} ulp ({w.max_abs:.3g} absolute) in "
                       f"{(w.folder + '/') if w.folder else ''}{w.name} ({w.dtype}); accepted up to "
                       f"{self.tolerance_ulp} ulp.")
        if self.logits:
            lg = self.logits
            out.append(f"  Logits on a {lg['tokens']}-token prompt ({lg['dtype']}): max |merged - base+adapter| = "
                       f"{lg['max_abs_merged_vs_peft']:.3g}, adapter's own effect {lg['max_abs_base_vs_peft']:.3g}, "
                       f"same top token at {lg['argmax_agreement'] * 100:.0f}% of positions.")
        for p in self.problems:
            out.append(f"  [{p.code}] {p.file}: {p.message}")
        out.extend(f"  Note: {n}" for n in self.notes)
        if not self.ok:
            out.append("The merge is NOT what the inputs give.")
        elif self.unchecked:
            out.append(f"The checked tensors are right; {len(self.unchecked)} could not be checked independently.")
        else:
            out.append("The merge is right.")
        return out

    def to_dict(self) -> dict:
        w = self.worst
        return {
            "out": str(self.out), "source": self.source, "base": self.base, "ok": self.ok,
            "tolerance_ulp": self.tolerance_ulp, "seconds": round(self.seconds, 3),
            "max_ulp": None if w is None else (None if w.ulp == float("inf") else int(w.ulp)),
            "worst": None if w is None else f"{(w.folder + '/') if w.folder else ''}{w.name}",
            "tensors": [{"name": c.name, "folder": c.folder, "kind": c.kind, "dtype": c.dtype,
                         "ulp": None if c.ulp == float("inf") else int(c.ulp), "max_abs": c.max_abs}
                        for c in self.checks],
            "problems": [p.to_dict() for p in self.problems], "notes": self.notes, "logits": self.logits,
            "settings": self.settings, "unchecked": self.unchecked,
        }
