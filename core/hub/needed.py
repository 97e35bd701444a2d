"""The files of a model folder a merge reads, and which of them are missing.

"Needed" is decided from what the folder lists (a cache snapshot lists every file it has started
to download as a symbolic link into ``blobs/``): ``config.json``; the weights (the safetensors
index and every shard it names, else ``model.safetensors``; the pickle ``.bin`` files only when
that is all there is); the tokenizer files present, and without a ``tokenizer.json`` the files
``tokenizer_config.json`` names (``vocab_file``...); the
generation config and processor files when present; the remote code ``auto_map`` names. A file
is missing when it is absent, a symbolic link whose target is gone (a blob not downloaded yet),
or points at a blob still being written (``.incomplete``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .. import formats
from ..io.jsonfile import json_object_or_none

PT_INDEX = formats.PT_INDEX
_SHARD = re.compile(r"^model-\d+-of-\d+\.safetensors$")
# files whose absence stops a merge (the rest only travel with the output)
WEIGHT_NAMES = (formats.SAFE_INDEX, formats.SAFE_WEIGHTS, PT_INDEX, formats.PT_WEIGHTS)


def listed(folder: Path, name: str) -> bool:
    """``name`` has an entry in ``folder`` (a file, or a link, even a broken one)."""
    return os.path.lexists(folder / name)


def present(folder: Path, name: str) -> bool:
    """``name`` is a readable file in ``folder``: a link is followed to a complete blob."""
    path = folder / name
    if not path.is_file():
        return False
    return not (path.is_symlink() and os.path.realpath(path).endswith(".incomplete"))


def _weights(folder: Path, names: list[str]) -> list[str]:
    for index in (formats.SAFE_INDEX, PT_INDEX):
        if listed(folder, index):
            doc = json_object_or_none(folder / index) if present(folder, index) else None
            weight_map = (doc or {}).get("weight_map")
            shards = sorted({f for f in weight_map.values() if isinstance(f, str)}) \
                if isinstance(weight_map, dict) else []
            return [index, *shards]
    for single in (formats.SAFE_WEIGHTS, formats.PT_WEIGHTS):
        if listed(folder, single):
            return [single]
    # shards without their index, or nothing at all: the index (or the one file) is what is missing
    return [formats.SAFE_INDEX if any(_SHARD.match(n) for n in names) else formats.SAFE_WEIGHTS]


def _module_files(auto_map) -> list[str]:
    """The ``.py`` files an ``auto_map`` names in this repository (``repo--module.Class`` is another's)."""
    out = []
    for value in (auto_map or {}).values() if isinstance(auto_map, dict) else ():
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(v, str) and "--" not in v and "." in v:
                out.append(v.rsplit(".", 1)[0].replace(".", "/") + ".py")
    return out


def _tokenizer(folder: Path, names: list[str]) -> list[str]:
    files = [n for n in names if formats.is_tokenizer_file(n)]
    doc = json_object_or_none(folder / "tokenizer_config.json") if present(folder, "tokenizer_config.json") else None
    for key, value in (doc or {}).items() if "tokenizer.json" not in names else ():
        # without tokenizer.json, the files the slow tokenizer is told to read (vocab_file, merges_file...)
        if key.endswith("_file") and isinstance(value, str) and value and "/" not in value and "\\" not in value:
            files.append(value)
    files += _module_files((doc or {}).get("auto_map"))
    return files


def needed_files(folder: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(needed, missing)``: the files of ``folder`` a merge reads, and those not (fully) there."""
    folder = Path(folder)
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        names = []
    needed = [formats.CONFIG, *_weights(folder, names), *_tokenizer(folder, names)]
    needed += [n for n in (formats.GENERATION_CONFIG, *formats.PROCESSOR_FILES) if n in names]
    config = json_object_or_none(folder / formats.CONFIG) if present(folder, formats.CONFIG) else None
    needed += _module_files((config or {}).get("auto_map"))
    needed = list(dict.fromkeys(needed))
    return tuple(needed), tuple(n for n in needed if not present(folder, n))


def is_essential(name: str) -> bool:
    """Without this file there is nothing to merge into: the config or the weights."""
    return name == formats.CONFIG or name in WEIGHT_NAMES or name.endswith((".safetensors", ".bin"))
