"""Where a model named by a folder or a Hub id was found: :class:`Located`, and its words."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .needed import is_essential

FOLDER = "folder"
HF_CACHE = "huggingface-cache"
MODELSCOPE_CACHE = "modelscope-cache"
NOT_FOUND = "not-found"
WHERE_TITLES = {FOLDER: "folder", HF_CACHE: "Hugging Face cache", MODELSCOPE_CACHE: "ModelScope cache",
                NOT_FOUND: "not found"}
SHORT_HASH = 7  # as git shows a commit


@dataclass(frozen=True)
class Located:
    """What :func:`mergesmith.core.hub.cache.locate` found for one spec (a folder or a Hub id).

    ``path`` is the folder to read (a cache snapshot, or the folder given), None when not found;
    ``needed``/``missing`` name its files a merge reads and those absent or not fully downloaded;
    ``looked_in`` every folder looked at, ``caches`` the ``(title, root)`` of each cache searched.
    """

    spec: str
    path: Optional[Path]
    where: str
    repo_id: Optional[str] = None
    revision: Optional[str] = None      # the branch, tag or commit asked for (ModelScope: the cached one)
    snapshot: Optional[str] = None      # the Hugging Face commit hash of the snapshot
    needed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    looked_in: tuple[str, ...] = ()
    caches: tuple[tuple[str, str], ...] = ()
    problem: Optional[str] = None       # why a cache entry that exists could not be used

    @property
    def found(self) -> bool:
        return self.path is not None

    @property
    def in_cache(self) -> bool:
        return self.where in (HF_CACHE, MODELSCOPE_CACHE)

    @property
    def complete(self) -> bool:
        return self.found and not self.missing

    @property
    def essential_missing(self) -> tuple[str, ...]:
        return tuple(n for n in self.missing if is_essential(n))

    @property
    def title(self) -> str:
        return WHERE_TITLES[self.where]

    def summary(self) -> str:
        """"Hugging Face cache, snapshot 1a2b3c4, 3 files of 7 missing"; "folder"; "not found"."""
        parts = [self.title]
        if self.where == HF_CACHE and self.snapshot:
            ref = f" ({self.revision})" if self.revision and not self.snapshot.startswith(self.revision) else ""
            parts.append(f"snapshot {self.snapshot[:SHORT_HASH]}{ref}")
        elif self.where == MODELSCOPE_CACHE and self.revision:
            parts.append(f"revision {self.revision}")
        if self.found and self.missing:
            parts.append(f"{len(self.missing)} file{'s' if len(self.missing) != 1 else ''} of "
                         f"{len(self.needed)} missing")
        return ", ".join(parts)

    def line(self) -> str:
        """One line for a printout: ``Qwen/X (Hugging Face cache, snapshot 1a2b3c4): /path``."""
        if not self.found:
            return f"{self.spec} (not found)"
        if self.where == FOLDER:
            return str(self.path)
        return f"{self.repo_id or self.spec} ({self.summary()}): {self.path}"

    def looked(self) -> str:
        """"the Hugging Face cache (/a) or the ModelScope cache (/b)", or the folder looked at."""
        if not self.caches:
            return ", ".join(self.looked_in) or self.spec
        return " or ".join(f"the {title} ({root})" for title, root in self.caches)

    def not_found_message(self, what: str = "base model", option: str = "--base", download: bool = False) -> str:
        """One sentence: the id, where we looked, what to do."""
        return f"The {what} {self._absent()}; pass its folder with {option} FOLDER{_fetch(download)}."

    def named_sentence(self, option: str = "--base", download: bool = False) -> str:
        """What the front ends add when the training names a model that is not here."""
        if not self.caches:  # a path, not an id
            return f"The training names {self.spec}, which is not on this machine."
        return (f"The training names {self._absent()}; pass its folder with {option} FOLDER"
                f"{_fetch(download)}.")

    def _absent(self) -> str:
        if not self.caches:
            return f"{self.spec}, which is not on this machine"
        why = f" ({self.problem})" if self.problem else ""
        return f"{self.spec}, which is not a folder on this machine and is not in {self.looked()}{why}"

    def incomplete_message(self, what: str = "base model", option: str = "--base", download: bool = False) -> str:
        """One sentence: where it was found, what is missing, what to do."""
        shown = ", ".join(self.missing[:4]) + (f" and {len(self.missing) - 4} more" if len(self.missing) > 4 else "")
        fetch = "add --download to finish the download, or " if download else "finish its download, or "
        return (f"The {what} {self.repo_id or self.spec} was found in the {self.summary()} ({self.path}), "
                f"but {shown} {'is' if len(self.missing) == 1 else 'are'} not downloaded; "
                f"{fetch}pass a complete folder with {option} FOLDER.")

    def missing_note(self, what: str = "base model") -> str:
        """A warning's sentence: found, but files that only travel with the output are missing."""
        return (f"The {what} {self.repo_id or self.spec} ({self.summary()}) lacks "
                f"{', '.join(self.missing[:6])}; the output will not have {'it' if len(self.missing) == 1 else 'them'} "
                "from the base. Finish the download to include them.")

    def to_dict(self) -> dict:
        return {
            "spec": self.spec, "path": None if self.path is None else str(self.path), "where": self.where,
            "title": self.title, "summary": self.summary(), "repo_id": self.repo_id, "revision": self.revision,
            "snapshot": self.snapshot, "needed": list(self.needed), "missing": list(self.missing),
            "looked_in": list(self.looked_in), "problem": self.problem,
        }


def _fetch(download: bool) -> str:
    return ", or add --download to fetch it" if download else ""
