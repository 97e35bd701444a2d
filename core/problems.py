"""Problems found by planning and inspection: a stable code, a severity, a file, a sentence.

A problem also carries its particulars (``params``: file and module names, sizes, shapes,
dtypes...) and the key of its text in :mod:`mergesmith.core.texts`; ``message`` is that text
rendered for the command line. The window renders the same key and particulars in its own
words and language, never by reading ``message``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

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
    # the particulars the text's fields name (strings and numbers only)
    params: dict = field(default_factory=dict, compare=False, hash=False)
    # the key of the text in core.texts ("" when the message came from elsewhere, e.g. a library)
    key: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def errors(problems) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


def sort_problems(problems) -> list[Problem]:
    return sorted(problems, key=lambda p: (SEVERITY_ORDER.get(p.severity, 9), p.file, p.code))
