"""``python -m mergesmith.cli``."""

from .main import entry

entry()
