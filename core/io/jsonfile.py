"""One reader for "a JSON file that must be an object" (configs, adapter configs, indexes, tokenizer files).

:func:`read_json_object` raises with one sentence for each way it can fail; :func:`json_object_or_none`
is the lenient form for checks that word the failure themselves (or treat it as absent).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from ..errors import MergesmithError, SourceError


def read_json_object(path: Path, error: type[MergesmithError] = SourceError) -> dict:
    """The object in ``path``; else ``error`` saying what is wrong: unreadable, not JSON, not an object."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"Cannot read {path}: {exc.strerror or exc}.", path=path) from None
    except ValueError as exc:  # not UTF-8
        raise error(f"{path} is not valid JSON ({exc}); fix or replace it.", path=path) from None
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise error(f"{path} is not valid JSON ({exc}); fix or replace it.", path=path) from None
    if not isinstance(doc, dict):
        raise error(f"{path} holds a JSON {type(doc).__name__}, not an object; fix or replace it.", path=path)
    return doc


def json_object_or_none(path: Path) -> Optional[dict]:
    """The object in ``path``, or None when it is missing, unreadable, not JSON or not an object."""
    try:
        return read_json_object(path)
    except MergesmithError:
        return None
