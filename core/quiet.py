"""Silence third-party chatter while the core asks transformers a question.

transformers logs and warns freely (deprecations, "model config" notices); a check that builds a
model on the meta device or loads a tokenizer must not print them at the user, nor turn them
into errors under ``-W error``.
"""

from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager


@contextmanager
def quiet_transformers():
    """Within the block: transformers logs errors only, and warnings are ignored."""
    log = logging.getLogger("transformers")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        log.setLevel(level)
