"""``detect(path)``: say what a path is, by asking each detector in turn.

The detectors are written out here, in the order they are asked; nothing registers itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from .. import formats
from ..errors import SourceError
from .source import Source, detect_model, outputs_inside
from .xtuner.workdir import detect_converted, detect_xtuner

# A detector looks at a path and returns a Source, or None when the path is not its kind.
Detector = Callable[[Path], Optional[Source]]

# The first detector that recognises a path wins, so the order matters:
# - XTuner's raw output (work_dir, .pth, DeepSpeed folder) first: a work_dir may also hold a
#   config.json or an adapter folder that the generic detectors would take for the whole;
# - XTuner's converted output (pth_to_hf) before a plain model: it reads llm_adapter/, projector/
#   and xtuner_config.py, and is also the PEFT adapter detector (it falls back to
#   sources.source.detect_converted_or_adapter for a folder with no XTuner parts);
# - a plain model folder (config.json + weights) last, the catch-all.
DETECTORS: tuple[Detector, ...] = (detect_xtuner, detect_converted, detect_model)


def detect(path) -> Source:
    """Say what ``path`` is; raise :class:`SourceError` with a sentence when we cannot tell."""
    path = Path(path).expanduser()
    if not path.exists():
        raise SourceError(path=path, key="refusal/source-not-found", params={"path": str(path)})
    for fn in DETECTORS:
        source = fn(path)
        if source is not None:
            return source
    if path.is_dir():
        inside = outputs_inside(path)
        if inside:
            names = ", ".join(name for name, _what in inside[:3])
            raise SourceError(path=path, key="refusal/outputs-inside" if len(inside) > 1 else "refusal/output-inside",
                              params={"path": str(path), "names": names})
        raise SourceError(path=path, key="refusal/unknown-layout", params={"path": str(path)})
    raise SourceError(path=path, key="refusal/unknown-file", params={"path": str(path)})
