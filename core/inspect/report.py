"""The Report that inspection returns, and the table of problem codes (a contract, see design.md).

Each code has one severity and says whether ``mergesmith fix`` can repair it, and whether that
needs a base model (``--from-base``) to copy from. Front ends read :data:`CODES` to show the
right icon and offer a Fix button; :func:`mergesmith.core.fix.folder.plan_fix` says exactly what a fix
would do for a given folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..problems import ERROR, INFO, WARNING, Problem, errors, sort_problems
from ..texts import render

# fix: None (nothing automatic), "self" (from the folder itself), "base" (copies from --from-base)
CODES: dict[str, tuple[str, Optional[str], str]] = {
    # code: (severity, fix, what it means)
    "missing-config": (ERROR, "base", "config.json absent or unreadable"),
    "unknown-architecture": (WARNING, None, "transformers here cannot build the model the config names"),
    "missing-remote-code": (ERROR, "base", "a .py file named by auto_map is absent"),
    "dtype-mismatch": (WARNING, "self", "config dtype differs from the weights' dtype"),
    "missing-tokenizer": (ERROR, "base", "tokenizer files absent or incomplete"),
    "broken-tokenizer": (ERROR, None, "the tokenizer does not load"),
    "vocab-mismatch": (ERROR, None, "token ids or config vocab_size exceed the embedding rows"),
    "missing-chat-template": (WARNING, "base", "chat tokens but no chat template"),
    "missing-special-tokens": (WARNING, None, "no EOS token anywhere"),
    "missing-generation-config": (WARNING, "self", "generation_config.json absent"),
    "bad-generation-config": (ERROR, "self", "generation_config.json cannot be loaded"),
    "generation-config-flags": (WARNING, "self", "flags transformers ignores and refuses to save"),
    "missing-shard": (ERROR, None, "a weight file the index or numbering names is absent"),
    "orphan-shard": (WARNING, "self", "a safetensors file nothing names"),
    "index-mismatch": (ERROR, "self", "index and shard headers disagree, or no index"),
    "corrupt-shard": (ERROR, None, "a safetensors file is truncated or damaged"),
    "pickle-weights": (ERROR, "self", "pickled weights (.bin/.pth/.pt)"),
    "shard-oversize": (WARNING, "self", "a shard over --max-shard-size"),
    "missing-weights": (ERROR, None, "tensors the architecture needs are absent"),
    "unexpected-weights": (WARNING, None, "tensors the architecture does not use"),
    "weights-unverified": (WARNING, None, "names differ, but transformers may rename them on load"),
    "shape-mismatch": (ERROR, None, "a tensor's shape differs from the architecture's"),
    "tied-embeddings": (ERROR, "self", "config ties embeddings but lm_head differs"),
    "missing-projector": (ERROR, None, "a LLaVA layout without projector/"),
    "projector-mismatch": (ERROR, None, "projector sizes disagree with the LLM or the visual encoder"),
    "missing-processor": (ERROR, "base", "no preprocessor_config.json for the visual encoder"),
    "bad-adapter": (ERROR, None, "adapter_config.json or adapter weights unusable"),
    "missing-module": (ERROR, None, "the adapter targets modules the base lacks"),
    "corrupt-checkpoint": (ERROR, None, "a training checkpoint is truncated or incomplete"),
    "config-mismatch": (WARNING, None, "the work_dir's config .py differs from the config stored in the checkpoint"),
    "unsupported-model": (ERROR, None, "training output of a model type Mergesmith cannot merge yet (InternVL)"),
    "non-finite": (ERROR, None, "NaN or Inf in the weights (--scan-values)"),
    "bad-model-card": (WARNING, None, "README.md's metadata block is not YAML, or not a mapping"),
    "bad-card-metadata": (WARNING, None, "README.md's metadata: base_model, base_model_relation or another field the Hub refuses"),
    "corrupt-gguf": (ERROR, None, "a .gguf file's header is unreadable or its data is cut short"),
    "incomplete-gguf": (ERROR, None, "a .gguf file lacks metadata llama.cpp needs (hyper-parameters, tokenizer)"),
    # verify
    "merge-mismatch": (ERROR, None, "a merged tensor differs from the recomputed one"),
    "logits-mismatch": (ERROR, None, "merged model and base+adapter disagree on a prompt"),
}


def severity_of(code: str) -> str:
    return CODES.get(code, (ERROR, None, ""))[0]


def fix_kind(code: str) -> Optional[str]:
    """None, ``"self"`` or ``"base"`` (the fix copies from ``--from-base``)."""
    return CODES.get(code, (ERROR, None, ""))[1]


def join(rel: str, name: str) -> str:
    return f"{rel}/{name}" if rel else name


@dataclass
class Report:
    """What inspection found in one folder.

    ``problems`` carry a stable code, a severity, the file (relative to ``path``) and a
    sentence saying what to do; ``fixable`` says whether ``mergesmith fix`` can repair it.
    ``summary`` holds counts and sizes (``parts`` for sub-folders such as ``projector``),
    ``notes`` plain remarks (what was not checked and why).
    """

    path: Path
    kind: str
    problems: list[Problem] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, code: str, severity: Optional[str], file: str, message: Optional[str] = None, *,
            key: str = "", **params) -> None:
        """Add a problem; with no ``message``, its text is ``key`` (default: the code) rendered with
        ``params`` (:mod:`mergesmith.core.texts`)."""
        key = key or (code if message is None else "")
        if message is None:
            message = render(key, params)
        self.problems.append(Problem(code, severity or severity_of(code), file, message,
                                     fixable=fix_kind(code) is not None, params=params, key=key))

    def problem(self, code: str, file: str, message: Optional[str] = None, *, key: str = "", **params) -> None:
        """Add a problem with the severity the code table gives it."""
        self.add(code, None, file, message, key=key, **params)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def summary_for(self, rel: str) -> dict:
        if not rel:
            return self.summary
        return self.summary.setdefault("parts", {}).setdefault(rel, {})

    @property
    def ok(self) -> bool:
        return not errors(self.problems)

    # What the front ends read, by name; ``summary`` (printed by --json as is) stays the record.
    @property
    def title(self) -> str:
        """What the folder is, in words (``formats.KIND_TITLES``)."""
        return self.summary.get("title", self.kind)

    @property
    def parameters(self) -> Optional[int]:
        return self.summary.get("parameters")

    @property
    def shard_count(self) -> int:
        return self.summary.get("shards") or 0

    @property
    def disk_bytes(self) -> Optional[int]:
        """The folder's size on disk."""
        return self.summary.get("bytes")

    @property
    def dtypes(self) -> list[str]:
        return list(self.summary.get("dtypes") or [])

    @property
    def codes(self) -> set[str]:
        return {p.code for p in self.problems}

    def by_severity(self) -> dict[str, list[Problem]]:
        out: dict[str, list[Problem]] = {ERROR: [], WARNING: [], INFO: []}
        for p in sort_problems(self.problems):
            out.setdefault(p.severity, []).append(p)
        return out

    def to_dict(self) -> dict:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "ok": self.ok,
            "problems": [p.to_dict() for p in sort_problems(self.problems)],
            "summary": self.summary,
            "notes": self.notes,
        }
