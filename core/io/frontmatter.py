"""A README.md's YAML front matter (the metadata block the Hub and huggingface_hub read).

The block is found the way ``huggingface_hub.repocard`` finds it (``REGEX_YAML_BLOCK``: a first
line ``---``, the YAML, a line ``---``), and parsed with PyYAML's safe loader, as huggingface_hub
does, so that what this reader accepts is what ``ModelCard.load`` accepts. Used for the base's
licence when a card is written, and by inspect to check a folder's card. Never raises on a bad
file: the result says what is wrong, in words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

MAX_CARD_BYTES = 1 << 20  # a model card is text; more than this is not read (the block is near the top)

# huggingface_hub.repocard.REGEX_YAML_BLOCK, as of huggingface_hub 2.4
YAML_BLOCK = re.compile(r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))")


@dataclass
class FrontMatter:
    """What a README's metadata block holds.

    ``present``: the file has a block at all (a README without one is an ordinary README);
    ``data``: the block as a mapping (``{}`` for an empty block), None when it is unusable;
    ``error``: why it is unusable (not YAML, not a mapping, unreadable file), else None;
    ``text``: the Markdown after the block (the whole file when there is no block).
    """

    present: bool
    data: Optional[dict]
    error: Optional[str] = None
    text: str = ""


def parse_front_matter(content: str) -> FrontMatter:
    """Split ``content`` (a README's text) into its metadata block and its Markdown."""
    import yaml

    if content.startswith("\ufeff"):
        content = content[1:]
    match = YAML_BLOCK.search(content)
    if not match:
        return FrontMatter(False, {}, None, content)
    text = content[match.end():]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(match.group(2), Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2} of the file)" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return FrontMatter(True, None, f"it is not valid YAML{where}: {problem}", text)
    except (RecursionError, MemoryError, ValueError):
        return FrontMatter(True, None, "it is not valid YAML (nested too deeply, or too large)", text)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return FrontMatter(True, None, f"it is a YAML {type(data).__name__}, not a mapping of keys to values", text)
    return FrontMatter(True, data, None, text)


def read_front_matter(path: Path) -> FrontMatter:
    """The metadata block of the README at ``path`` (see :func:`parse_front_matter`)."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_CARD_BYTES + 1)
    except OSError as exc:
        return FrontMatter(False, None, f"it cannot be read ({exc.strerror or exc})")
    truncated = len(raw) > MAX_CARD_BYTES
    try:  # a long card is cut, perhaps inside a character: what comes after the block does not matter
        content = raw[:MAX_CARD_BYTES].decode("utf-8", errors="ignore" if truncated else "strict")
    except UnicodeDecodeError:
        return FrontMatter(False, None, "it is not UTF-8 text")
    return parse_front_matter(content)
