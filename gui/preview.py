"""The preview: what was detected and what the merge will write, as a Qt-free :class:`Node` tree.

Built from :class:`mergesmith.core.sources.source.Source` (components with rank, alpha, targets, tensor
counts, sizes, dtypes, the iteration chosen) and :class:`mergesmith.core.plan.base.Plan` (output
files and sizes, output dtype, config changes, disk space needed vs free). Nothing is computed
here that the core did not already decide; this module only words it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP
from typing import Iterable

from mergesmith.core.formats import KIND_WORK_DIR as WORK_DIR, dtype_name
from mergesmith.core.sources.source import (LLM_ADAPTER, LLM_FULL, PROJECTOR, TRAINING_CONFIG, VISUAL_ENCODER_ADAPTER,
                                            VISUAL_ENCODER_FULL)

from . import hub_words
from .i18n import kind_title, role_title, sentences, size_text, translate
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
    more = translate("Preview", " and {0} more").format(len(items) - limit) if len(items) > limit else ""
    return translate("Preview", ", ").join(items[:limit]) + more


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
            parts.append(translate("Preview", "{0} modules").format(d["modules"]))
    if c.tensors:
        parts.append(translate("Preview", "{0} tensors").format(c.tensors))
    if c.dtypes:
        parts.append("/".join(c.dtypes))
    if not parts:  # the training config: what it trains, and where it was read
        parts = [str(d["model_type"])] if d.get("model_type") else []
        if d.get("file"):
            parts.append(_config_origin(c))
    if not parts and c.path is not None:
        parts.append(Path(c.path).name)
    return translate("Preview", ", ").join(parts)


def _config_origin(c) -> str:
    """Where the training config was read: its .py file, or the checkpoint that stores it."""
    path = Path(c.path) if c.path is not None else None
    if c.role == TRAINING_CONFIG and path is not None and path.suffix != ".py":
        return translate("Preview", "stored in {0}").format(path.name)
    return str(c.details.get("file"))


def _detail_label(key: str) -> str:
    text = DETAIL_WORDS.get(key)
    return translate("Preview", text) if text else key.replace("_", " ").capitalize()


def _detail_value(value) -> str:
    if isinstance(value, bool):
        return translate("Preview", "yes") if value else translate("Preview", "no")
    return _join(value) if isinstance(value, (list, tuple, set)) else str(value)


def _num(x) -> str:
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def component_node(c) -> Node:
    node = Node(role_title(c.role, c.title), component_summary(c), c.bytes or None, icon=ROLE_ICONS.get(c.role, "file"),
                tooltip=str(c.path) if c.path else "", payload=c)
    d = c.details
    if d.get("targets"):
        node.add(Node(translate("Preview", "Targets"), _join(d["targets"]), tooltip=", ".join(map(str, d["targets"]))))
    if "r" in d:
        node.add(Node(translate("Preview", "Rank and alpha"), f"r={d['r']}, lora_alpha={_num(d.get('lora_alpha'))}"
                      + (translate("Preview", ", scale alpha/sqrt(r) (rsLoRA)") if d.get("use_rslora")
                         else translate("Preview", ", scale alpha/r"))))
    if d.get("replaced"):
        node.add(Node(translate("Preview", "Replaced tensors"), _join(d["replaced"], 4), tooltip="\n".join(d["replaced"])))
    if d.get("trainable_tokens"):
        node.add(Node(translate("Preview", "Trained token rows"), _join(
            translate("Preview", "{0}: {1} rows").format(k, len(v)) for k, v in d["trainable_tokens"].items())))
    if c.tensors or c.dtypes:
        node.add(Node(translate("Preview", "Tensors"), translate("Preview", "{0} tensors, {1}").format(
            c.tensors, "/".join(c.dtypes) or translate("Preview", "no dtype")), c.bytes or None))
    for key, value in d.items():
        if key in _WORDED or value in (None, "", [], {}):
            continue
        text = _detail_value(value)
        node.add(Node(_detail_label(key), text[:200], tooltip=text[:2000]))
    if c.path is not None:
        node.add(Node(translate("Preview", "Path"), str(c.path), icon="folder" if Path(c.path).is_dir() else "file"))
    return node


def source_node(source, base_chosen=None, visual_encoder_chosen=None) -> Node:
    """The training output: its kind, components, iteration and the base it names.

    A base (or visual encoder) the training names but this machine lacks is an error only while
    none was chosen: real XTuner configs name Hub ids, and once the user picks the folder the
    name is just where the training got it. ``base_chosen``/``visual_encoder_chosen`` are the
    folders chosen (or True when one is chosen but not known): the green tick goes to the named
    folder only when it is the one used.
    """
    node = Node(translate("Preview", "Training output"), kind_title(source.kind, source.title), sum(c.bytes for c in source.components) or None,
                icon="folder", tooltip=str(source.path), payload=source)
    node.add(Node(translate("Preview", "Path"), str(source.path),
                  icon="folder" if Path(source.path).is_dir() else "file"))
    its = source.iterations
    if its:
        chosen = source.iteration  # a work_dir's checkpoints are all named iter_N / epoch_N
        node.add(Node(translate("Preview", "Iteration"),
                      translate("Preview", "{0} (of {1})").format(chosen, _join(its)) if len(its) > 1 else str(chosen)))
    for c in source.components:
        node.add(component_node(c))
    if source.base_hint:
        node.add(_hint_node(translate("Preview", "Base named by the training"), source.base_hint,
                            source.base_located(), base_chosen, ERROR, BASE_WORDS))
    if source.visual_encoder_hint:
        node.add(_hint_node(translate("Preview", "Visual encoder named by the training"), source.visual_encoder_hint,
                            source.visual_encoder_located(), visual_encoder_chosen, WARNING, VISUAL_WORDS))
    for note in _notes(source):
        node.add(Node(translate("Preview", "Note"), note, icon="info", tooltip=note))
    return node


# the training config's and adapters' other details (Component.details keys), as row names
DETAIL_WORDS = {
    "model_type": QT_TRANSLATE_NOOP("Preview", "Model type"),
    "base": QT_TRANSLATE_NOOP("Preview", "Base"),
    "llm_dtype": QT_TRANSLATE_NOOP("Preview", "LLM dtype"),
    "quantization": QT_TRANSLATE_NOOP("Preview", "Quantization"),
    "tokenizer": QT_TRANSLATE_NOOP("Preview", "Tokenizer"),
    "visual_encoder": QT_TRANSLATE_NOOP("Preview", "Visual encoder"),
    "image_processor": QT_TRANSLATE_NOOP("Preview", "Image processor"),
    "lora": QT_TRANSLATE_NOOP("Preview", "LoRA"),
    "visual_encoder_lora": QT_TRANSLATE_NOOP("Preview", "Visual encoder LoRA"),
    "projector_depth": QT_TRANSLATE_NOOP("Preview", "Projector depth"),
    "freeze_llm": QT_TRANSLATE_NOOP("Preview", "Freeze LLM"),
    "freeze_visual_encoder": QT_TRANSLATE_NOOP("Preview", "Freeze visual encoder"),
    "lora_dropout": QT_TRANSLATE_NOOP("Preview", "LoRA dropout"),
    "bias": QT_TRANSLATE_NOOP("Preview", "Bias"),
    "task_type": QT_TRANSLATE_NOOP("Preview", "Task type"),
}
ORIGIN_WORDS = {  # PlannedFile.origin
    "base": QT_TRANSLATE_NOOP("Preview", "from the base"),
    "training output": QT_TRANSLATE_NOOP("Preview", "from the training output"),
    "generated": QT_TRANSLATE_NOOP("Preview", "generated"),
    "weights": QT_TRANSLATE_NOOP("Preview", "weights"),
}
BASE_WORDS = {
    "missing": QT_TRANSLATE_NOOP("Preview", "Not on this machine: choose the base model folder."),
    "not-here": QT_TRANSLATE_NOOP("Preview", "{0} (not on this machine; the base model you chose is used)"),
    "not-here-tip": QT_TRANSLATE_NOOP("Preview", "Not on this machine; the base model you chose is used instead."),
    "other": QT_TRANSLATE_NOOP("Preview", "{0} (another base model was chosen: {1})"),
    "other-tip": QT_TRANSLATE_NOOP("Preview", "Found on this machine, but the merge uses the base model you chose: {0}"),
}
VISUAL_WORDS = {
    "missing": QT_TRANSLATE_NOOP("Preview", "Not on this machine: choose the visual encoder's folder if the merge "
                                            "needs it."),
    "not-here": QT_TRANSLATE_NOOP("Preview", "{0} (not on this machine; the visual encoder you chose is used)"),
    "not-here-tip": QT_TRANSLATE_NOOP("Preview", "Not on this machine; the visual encoder you chose is used instead."),
    "other": QT_TRANSLATE_NOOP("Preview", "{0} (another visual encoder was chosen: {1})"),
    "other-tip": QT_TRANSLATE_NOOP("Preview", "Found on this machine, but the merge uses the visual encoder you "
                                              "chose: {0}"),
}


def _same_folder(a, b) -> bool:
    try:
        return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
    except OSError:
        return False


def _notes(source) -> list[str]:
    """The source's notes; a work_dir's first one (which checkpoint is used) in the window's words."""
    notes = list(source.notes)
    if source.kind == WORK_DIR and notes and source.checkpoint is not None:
        its, name = source.iterations, source.checkpoint.name
        if len(its) > 1:
            latest = source.iteration == max(its)
            notes[0] = (translate("Preview", "Using {0} (the latest of {1} checkpoints; choose another iteration "
                                             "to use that one instead).") if latest else
                        translate("Preview", "Using {0} (one of {1} checkpoints; choose another iteration to use "
                                             "that one instead).")).format(name, len(its))
        else:
            notes[0] = translate("Preview", "Using {0}.").format(name)
    return notes


def _hint_node(name: str, hint: str, found, chosen, missing_status: str, words: dict) -> Node:
    """The folder (or Hub id) the training names: ticked only when it is on this machine and is (or will
    be) used. ``found``: where :func:`mergesmith.core.hub.cache.locate` found it (a folder, a cache)."""
    def w(key: str) -> str:
        return translate("Preview", words[key])

    there = found.found
    if chosen and not (there and (chosen is True or _same_folder(found.path, chosen))):
        if not there:
            return Node(name, w("not-here").format(hint), icon="info", tooltip=w("not-here-tip"))
        return Node(name, w("other").format(hint, chosen), icon="info", tooltip=w("other-tip").format(chosen))
    if there and found.in_cache:
        return Node(name, translate("Preview", "{0} ({1})").format(hint, hub_words.summary(found)),
                    status=WARNING if found.missing else OK, tooltip=hub_words.found_in(found))
    if there:
        return Node(name, hint, status=OK, tooltip=translate("Preview", "Found on this machine; this is the "
                                                                        "folder used."))
    tip = w("missing")
    if found.caches:
        tip = sentences(tip, hub_words.not_found_looked(found))
    return Node(name, hint, status=missing_status, tooltip=tip)


def base_node(base) -> Node:
    """The base model the plan merges into."""
    cfg = base.config or {}
    arch = _join(cfg.get("architectures") or [cfg.get("model_type") or translate("Preview", "unknown architecture")])
    infos = base.infos
    dtypes = sorted({dtype_name(i.dtype) for i in infos.values()})
    node = Node(translate("Preview", "Base model"), translate("Preview", "{0}, {1} tensors, {2}").format(
                arch, len(infos), "/".join(dtypes)),
                sum(i.nbytes for i in infos.values()) or None, icon="weights",
                tooltip=str(base.folder), payload=base)
    found = getattr(base, "located", None)
    if found is not None and found.in_cache:  # a Hub id, read from a local cache's snapshot
        missing = translate("Preview", "; missing: {0}").format(", ".join(found.missing)) if found.missing else ""
        node.add(Node(translate("Preview", "Found in"), translate("Preview", "{0}: {1}").format(
                      found.repo_id, hub_words.summary(found)),
                      status=WARNING if found.missing else OK, tooltip=f"{found.path}{missing}"))
    node.add(Node(translate("Preview", "Path"), str(base.folder), icon="folder"))
    return node


def output_node(plan) -> Node:
    """Everything the plan writes: folders, files with sizes and origins, dtype, disk space."""
    files = plan.files()
    node = Node(translate("Preview", "Output"), translate("Preview", "{0} files, {1}").format(
                len(files), plan.dtype or translate("Preview", "dtype as the base")),
                plan.total_bytes, icon="folder", tooltip=str(plan.out), payload=plan)
    node.add(Node(translate("Preview", "Folder"), str(plan.out), icon="folder"))
    if plan.dtype:
        node.add(Node(translate("Preview", "Output dtype"), str(plan.dtype)))
    if plan.merged_tensors is not None:
        node.add(Node(translate("Preview", "Tensors"), translate(
            "Preview", "{0} tensors, {1} changed by the adapter").format(plan.tensor_count, plan.merged_tensors)
            + (translate("Preview", ", {0} replaced").format(plan.replaced_tensors) if plan.replaced_tensors else "")))
    free = plan.disk_free
    enough = free is None or free >= plan.disk_needed
    node.add(Node(translate("Preview", "Disk space"), translate("Preview", "needs {0}, {1}").format(
        size_text(plan.disk_needed), translate("Preview", "free space unknown") if free is None
        else translate("Preview", "{0} free").format(size_text(free))), status=OK if enough else ERROR))
    for key, change in (plan.config_changes or {}).items():
        node.add(Node(translate("Preview", "Config change"), f"{key}: {change.get('from')!r} \u2192 {change.get('to')!r}", icon="config"))
    folders: dict[str, Node] = {}
    shard_tensors = {(f.rel, s.file): s.tensors for f in plan.folders for s in f.shards}
    for rel_path, size, origin in files:
        parent_rel, _, name = rel_path.rpartition("/")
        parent = node
        if parent_rel:
            parent = folders.get(parent_rel) or folders.setdefault(
                parent_rel, node.add(Node(parent_rel + "/", translate("Preview", "folder"), icon="folder")))
        details = translate("Preview", ORIGIN_WORDS[origin]) if origin in ORIGIN_WORDS else origin
        tensors = shard_tensors.get((parent_rel, name))
        if tensors is not None:
            changed = sum(1 for t in tensors if t.terms)
            details = translate("Preview", "{0} tensors").format(len(tensors)) + (
                translate("Preview", ", {0} merged").format(changed) if changed else "")
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
        root.add(source_node(source, base_chosen=getattr(base, "folder", None) or base is not None,
                             visual_encoder_chosen=getattr(options, "visual_encoder", None)))
    if base is not None:
        root.add(base_node(base))
    if plan is not None:
        root.add(gguf_output_node(plan) if hasattr(plan, "gguf") else output_node(plan))
    return root


def gguf_output_node(plan) -> Node:
    """A merge into one GGUF file (corecalls.GgufMerge): the file, its type, architecture, tokenizer,
    tensors, size and disk space, and the Ollama Modelfile beside it."""
    g = plan.gguf
    if g is None:  # the merge plan has errors (listed below the preview): only where it would go
        node = Node(translate("Preview", "Output"), translate("Preview", "GGUF file"), icon="file",
                    tooltip=str(plan.out), payload=plan)
        node.add(Node(translate("Preview", "File"), str(plan.out), icon="file"))
        return node
    node = Node(translate("Preview", "Output"), translate("Preview", "GGUF file, {0}").format(g.qtype),
                g.data_bytes, icon="file", tooltip=str(g.out), payload=plan)
    node.add(Node(translate("Preview", "File"), str(g.out), g.data_bytes, icon="file"))
    node.add(Node(translate("Preview", "GGUF type"), g.qtype, tooltip=translate(
        "Preview", "Matrices in {0}; norms and other vectors stay f32").format(g.qtype)))
    node.add(Node(translate("Preview", "Architecture"), g.arch.gguf))
    node.add(Node(translate("Preview", "Tokenizer"), translate("Preview", "{0} ({1}), {2} tokens").format(
        g.vocab.model, g.vocab.pre, len(g.vocab)), tooltip=str(g.vocab.source)))
    node.add(Node(translate("Preview", "Tensors"), translate("Preview", "{0} tensors").format(len(g.jobs))))
    free = g.disk_free
    node.add(Node(translate("Preview", "Disk space"), translate("Preview", "needs {0}, {1}").format(
        size_text(g.data_bytes), translate("Preview", "free space unknown") if free is None
        else translate("Preview", "{0} free").format(size_text(free))), status=OK))
    for note in g.notes:
        node.add(Node(translate("Preview", "Note"), note, icon="info", tooltip=note))
    node.add(Node(g.modelfile.name, translate("Preview", "Ollama Modelfile (ollama create NAME -f {0})").format(
        g.modelfile.name), icon="file", tooltip=str(g.modelfile)))
    return node
