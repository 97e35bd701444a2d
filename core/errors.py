"""Exception types a person can act on.

Every error raised on purpose by the core is a :class:`MergesmithError` whose ``str()`` is one
or two sentences: what is wrong, where, and what to do. Front ends print it as it is; anything
else that escapes is a bug and is reported as one.

The common refusals are raised by key (``key=`` and the particulars as ``params``); their
sentence then comes from :mod:`mergesmith.core.texts`, and the window renders the same key
and particulars in its own words (``gui/problem_text.py``).
"""

from __future__ import annotations

from typing import Optional


class MergesmithError(Exception):
    """An error with a message meant for the user (what, where, what to do)."""

    exit_code = 2

    def __init__(self, message: Optional[str] = None, *, path: object | None = None,
                 key: str = "", params: Optional[dict] = None) -> None:
        self.key = key
        self.params = dict(params or {})
        if message is None:
            from .texts import render
            message = render(key, self.params)
        super().__init__(message)
        self.message = message
        self.path = None if path is None else str(path)


class SourceError(MergesmithError):
    """A path is not something Mergesmith can read (missing, unknown layout, corrupt)."""


class PlanError(MergesmithError):
    """The inputs cannot be combined (wrong base, shapes that do not fit, no room on disk)."""


class UnsafePickleError(SourceError):
    """A pickle asked for something callable that a checkpoint has no business holding."""


class OverflowToInfError(MergesmithError):
    """A finite value became Inf when written in the output dtype (float16's range is small)."""


class Cancelled(MergesmithError):
    """The user cancelled; nothing was left behind."""

    exit_code = 130

    def __init__(self, message: Optional[str] = None) -> None:
        super().__init__(message, key="" if message else "refusal/cancelled")
