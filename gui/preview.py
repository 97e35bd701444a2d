"""The preview: what was detected and what the merge will write, as a Qt-free :class:`Node` tree.

Built from :class:`mergesmith.core.sources.source.Source` (components with rank, alpha, targets, tensor
counts, sizes, dtypes, the iteration chosen) and :class:`mergesmith.core.plan.base.Plan` (output
files and sizes, output dtype, config changes, disk space needed vs free). Nothing is computed
here that the core did not already decide; this module only words it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from mergesmith.core.formats import dtype_name, format_size
from mergesmith.core.sources.source import (LLM_ADAPTER, LLM_FULL, PROJECTOR, TRAINING_CONFIG, VISUAL_ENCODER_ADAPTER,
                                            VISUAL_ENCODER_FULL)

from .tree import ERROR, OK, WARNING, Node

ROLE_ICONS = {
    LLM_ADAPTER: "adapter",
    VISUAL_ENCODER_ADAPTER: "adapter",
    PROJECTOR: "weights",
    LLM_FULL: "weights",
    VISUAL_ENCODER_FULL: "weights",
    TRAINING_CONFIG: "config",
}
# details every adapter carries, worded by component_rows(); anything else is listed as it is
_WORDED = {"r", "lora_alpha", "ranks", "use_rslora", "use_dora", "targets", "modules", "replaced",
           "trainable_tokens", "weights_file", "file"}


def _join(items: Iterable, limit: int = 8) -> str:
    items = [str(i) for i in items]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def component_summary(c) -> str:
    """One line for a component: LoRA settings or tensor count, dtypes."""
    d = c.details
    parts = []
    if "r" in d:
        ranks = d.get("ranks") or []
        rank = f"r={d['r']}" if len(ranks) <= 1 else f"r={'/'.join(map(str, ranks))}"
        parts.append(f"{rank}, alpha={_num(d.get('lora_alpha'))}")
        flavours = [n for n, k in (("rsLoRA", "use_rslora"), ("DoRA", "use_dora")) if d.get(k)]
        if flavours:
            parts.append("+".join(flavours))
        if d.get("modules"):
            parts.append(f"{d['modules']} modules")
    if c.tensors:
        parts.append(f"{c.tensors} tensors")
    if c.dtypes:
        parts.append("/".join(c.dtypes))
    if not parts:  # the training config: what it trains, and where it was read
        parts = [str(d[k]) for k in ("model_type", "file") if d.get(k)]
    if not parts and c.path is not None:
        parts.append(Path(c.path).name)
    return ", ".join(parts)


def _num(x) -> str:
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def component_node(c) -> Node:
    node = Node(c.title, component_summary(c), c.bytes or None, icon=ROLE_ICONS.get(c.role, "file"),
                tooltip=str(c.path) if c.path else "", payload=c)
    d = c.details
    if d.get("targets"):
        node.add(Node("Targets", _join(d["targets"]), tooltip=", ".join(map(str, d["targets"]))))
    if "r" in d:
        node.add(Node("Rank and alpha", f"r={d['r']}, lora_alpha={_num(d.get('lora_alpha'))}"
                      + (", scale alpha/sqrt(r) (rsLoRA)" if d.get("use_rslora") else ", scale alpha/r")))
    if d.get("replaced"):
        node.add(Node("Replaced tensors", _join(d["replaced"], 4), tooltip="\n".join(d["replaced"])))
    if d.get("trainable_tokens"):
        node.add(Node("Trained token rows", _join(f"{k}: {len(v)} rows" for k, v in d["trainable_tokens"].items())))
    if c.tensors or c.dtypes:
        node.add(Node("Tensors", f"{c.tensors} tensors, {'/'.join(c.dtypes) or 'no dtype'}", c.bytes or None))
    for key, value in d.items():
        if key in _WORDED or value in (None, "", [], {}):
            continue
        text = _join(value) if isinstance(value, (list, tuple, set)) else str(value)
        node.add(Node(key.replace("_", " ").capitalize(), text[:200], tooltip=text[:2000]))
    if c.path is not None:
        node.add(Node("Path", str(c.path), icon="folder" if Path(c.path).is_dir() else "file"))
    return node


def source_node(source, base_chosen: bool = False, visual_encoder_chosen: bool = False) -> Node:
    """The training output: its kind, components, iteration and the base it names.

    A base (or visual encoder) the training names but this machine lacks is an error only while
    none was chosen: real XTuner configs name Hub ids, and once the user picks the folder the
    name is just where the training got it.
    """
    node = Node("Training output", source.title, sum(c.bytes for c in source.components) or None,
                icon="folder", tooltip=str(source.path), payload=source)
    node.add(Node("Path", str(source.path), icon="folder" if Path(source.path).is_dir() else "file"))
    its = source.iterations
    if its:
        chosen = source.iteration  # a work_dir's checkpoints are all named iter_N / epoch_N
        node.add(Node("Iteration", f"{chosen} (of {_join(its)})" if len(its) > 1 else str(chosen)))
    for c in source.components:
        node.add(component_node(c))
    if source.base_hint:
        node.add(_hint_node("Base named by the training", source.base_hint, source.base_located(),
                            base_chosen, ERROR, "the base model", "Not on this machine: choose the base "
                            "model folder."))
    if source.visual_encoder_hint:
        node.add(_hint_node("Visual encoder named by the training", source.visual_encoder_hint,
                            source.visual_encoder_located(), visual_encoder_chosen,
                            WARNING, "the visual encoder", "Not on this machine: choose the visual encoder's "
                            "folder if the merge needs it."))
    for note in source.notes:
        node.add(Node("Note", note, icon="info", tooltip=note))
    return node


def _hint_node(name: str, hint: str, found, chosen: bool, missing_status: str, what: str,
               missing_tip: str) -> Node:
    """``found``: where :func:`mergesmith.core.hub.cache.locate` found ``hint`` (a folder, a cache)."""
    if found.found and found.in_cache:
        return Node(name, f"{hint} ({found.summary()})", status=WARNING if found.missing else OK,
                    tooltip=f"Found in the {found.summary()}: {found.path}")
    if found.found:
        return Node(name, hint, status=OK, tooltip="Found on this machine.")
    if found.caches:
        missing_tip += f" Looked in {found.looked()}."
    if chosen:
        return Node(name, f"{hint} (not on this machine; {what} you chose is used)", icon="info",
                    tooltip=f"Not on this machine; {what} you chose is used instead.")
    return Node(name, hint, status=missing_status, tooltip=missing_tip)


def base_node(base) -> Node:
    """The base model the plan merges into."""
    cfg = base.config or {}
    arch = _join(cfg.get("architectures") or [cfg.get("model_type") or "unknown architecture"])
    infos = base.infos
    dtypes = sorted({dtype_name(i.dtype) for i in infos.values()})
    node = Node("Base model", f"{arch}, {len(infos)} tensors, {'/'.join(dtypes)}",
                sum(i.nbytes for i in infos.values()) or None, icon="weights",
                tooltip=str(base.folder), payload=base)
    found = getattr(base, "located", None)
    if found is not None and found.in_cache:  # a Hub id, read from a local cache's snapshot
        missing = f"; missing: {', '.join(found.missing)}" if found.missing else ""
        node.add(Node("Found in", f"{found.repo_id}: {found.summary()}", status=WARNING if found.missing else OK,
                      tooltip=f"{found.path}{missing}"))
    node.add(Node("Path", str(base.folder), icon="folder"))
    return node


def output_node(plan) -> Node:
    """Everything the plan writes: folders, files with sizes and origins, dtype, disk space."""
    files = plan.files()
    node = Node("Output", f"{len(files)} files, {plan.dtype or 'dtype as the base'}",
                plan.total_bytes, icon="folder", tooltip=str(plan.out), payload=plan)
    node.add(Node("Folder", str(plan.out), icon="folder"))
    if plan.dtype:
        node.add(Node("Output dtype", str(plan.dtype)))
    if plan.merged_tensors is not None:
        node.add(Node("Tensors", f"{plan.tensor_count} tensors, {plan.merged_tensors} changed by the adapter"
                      + (f", {plan.replaced_tensors} replaced" if plan.replaced_tensors else "")))
    free = plan.disk_free
    enough = free is None or free >= plan.disk_needed
    node.add(Node("Disk space", f"needs {format_size(plan.disk_needed)}, "
                  + ("free space unknown" if free is None else f"{format_size(free)} free"),
                  status=OK if enough else ERROR))
    for key, change in (plan.config_changes or {}).items():
        node.add(Node("Config change", f"{key}: {change.get('from')!r} \u2192 {change.get('to')!r}", icon="config"))
    folders: dict[str, Node] = {}
    shard_tensors = {(f.rel, s.file): s.tensors for f in plan.folders for s in f.shards}
    for rel_path, size, origin in files:
        parent_rel, _, name = rel_path.rpartition("/")
        parent = node
        if parent_rel:
            parent = folders.get(parent_rel) or folders.setdefault(
                parent_rel, node.add(Node(parent_rel + "/", "folder", icon="folder")))
        details = f"from the {origin}" if origin in ("base", "training output") else origin
        tensors = shard_tensors.get((parent_rel, name))
        if tensors is not None:
            changed = sum(1 for t in tensors if t.terms)
            details = f"{len(tensors)} tensors" + (f", {changed} merged" if changed else "")
        parent.add(Node(name, details, size, icon="weights" if tensors is not None else "file"))
    for folder in folders.values():
        folder.size = sum(c.size or 0 for c in folder.children)
    return node


def preview_tree(source=None, plan=None, base=None) -> Node:
    """The whole preview: training output, base model, output (those that are known)."""
    root = Node("")
    base = base if base is not None else getattr(plan, "base", None)
    options = getattr(plan, "options", None)
    if source is not None:
        root.add(source_node(source, base_chosen=base is not None,
                             visual_encoder_chosen=getattr(options, "visual_encoder", None) is not None))
    if base is not None:
        root.add(base_node(base))
    if plan is not None:
        root.add(output_node(plan))
    return root
