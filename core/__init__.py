"""Mergesmith's core: Source -> Plan -> Run -> Report, with no Qt anywhere below here.

The public calls are re-exported here; the modules behind them are small and private to the
package in spirit (import from ``mergesmith.core``, not from ``mergesmith.core.engine.merge``).
"""

from .errors import Cancelled, MergesmithError, PlanError, SourceError
from .progress import CancelToken, Progress
from .problems import Problem

__version__ = "0.1.0"

__all__ = [
    "Cancelled",
    "CancelToken",
    "MergesmithError",
    "PlanError",
    "Problem",
    "Progress",
    "SourceError",
    "__version__",
    "detect",
    "plan",
    "run",
]


def detect(path, **kwargs):
    """Say what ``path`` is (see :func:`mergesmith.core.sources.detect.detect`)."""
    from .sources.detect import detect as _detect

    return _detect(path, **kwargs)


def plan(source, base=None, options=None):
    """Decide everything a merge will write (see :func:`mergesmith.core.plan.planners.make_plan`)."""
    from .plan.planners import make_plan

    return make_plan(source, base, options)


def run(plan, progress=None, cancel=None):
    """Execute a plan, streaming (see :func:`mergesmith.core.engine.merge.run_plan`)."""
    from .engine.merge import run_plan

    return run_plan(plan, progress=progress, cancel=cancel)
