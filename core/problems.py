"""Problems found by planning and inspection: a stable code, a severity, a file, a sentence."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"
INFO = "info"

SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


@dataclass(frozen=True)
class Problem:
    code: str
    severity: str
    file: str
    message: str
    # True when `mergesmith fix` (core.fix) can repair it; set by core.inspect from its code table.
    fixable: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def errors(problems) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


def sort_problems(problems) -> list[Problem]:
    return sorted(problems, key=lambda p: (SEVERITY_ORDER.get(p.severity, 9), p.file, p.code))
