"""Fix planning: for the problems of one folder (the root, projector/, visual_encoder/, ...), the
actions that repair them, or the reason they cannot be repaired automatically."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..io.jsonfile import json_object_or_none
from . import actions as fa
from .actions import FixAction
from .. import formats
from ..inspect.report import fix_kind, join
from ..problems import Problem

WEIGHT_CODES = ("pickle-weights", "index-mismatch", "orphan-shard", "shard-oversize")
BLOCKING = ("corrupt-shard", "missing-shard")


def plan_scope(plan, rel: str, problems: list[Problem]) -> None:
    folder = plan.path / rel if rel else plan.path
    by_code: dict[str, list[Problem]] = {}
    for p in problems:
        by_code.setdefault(p.code, []).append(p)
    handled: set[int] = set()

    def add(title: str, probs: list[Problem], apply, writes=(), removes=()) -> None:
        plan.actions.append(FixAction(title, list(probs), [join(rel, w) for w in writes],
                                      [join(rel, r) for r in removes], apply))
        handled.update(id(p) for p in probs)

    def refuse(probs: list[Problem], why: str, needs_base: bool = False) -> None:
        for p in probs:
            plan.unfixed.append((p, why))
            if needs_base:
                plan.needs_base.append(p)
            handled.add(id(p))

    for plan_part in FIX_PLANNERS:
        plan_part(plan, rel, folder, by_code, add, refuse)
    for p in problems:
        if id(p) in handled:
            continue
        kind = fix_kind(p.code)
        if kind == "base" and plan.base is None:
            plan.unfixed.append((p, "needs the base model to copy from: pass --from-base DIR"))
            plan.needs_base.append(p)
        else:
            plan.unfixed.append((p, "no automatic fix; the message says what to do"))


# --- weights --------------------------------------------------------------------------------------


def _plan_weights(plan, rel, folder, by_code, add, refuse) -> None:
    probs = [p for c in WEIGHT_CODES for p in by_code.get(c, [])]
    if not probs:
        return
    adapter_bins = [p for p in probs if p.code == "pickle-weights" and p.file.endswith(formats.ADAPTER_BIN)]
    if adapter_bins:
        both = (folder / formats.ADAPTER_SAFE).is_file()

        def convert(src, stage, progress, cancel, both=both):
            if not both:
                fa.convert_adapter(folder, stage / rel if rel else stage)

        add(f"{'Remove' if both else 'Convert'} {join(rel, formats.ADAPTER_BIN)}"
            f"{' (adapter_model.safetensors already holds the adapter)' if both else ' to adapter_model.safetensors'}",
            adapter_bins, convert, writes=[] if both else [formats.ADAPTER_SAFE], removes=[formats.ADAPTER_BIN])
        probs = [p for p in probs if p not in adapter_bins]
        if not probs:
            return
    blockers = [p for c in BLOCKING for p in by_code.get(c, [])]
    if blockers:
        refuse(probs, f"{blockers[0].file} is missing or damaged; copy it again first, then run fix")
        return
    if _single_beside_index(folder):
        refuse(probs, "both model.safetensors and a sharded index are here and either may be the current "
                      "weights; delete the stale one, then run fix")
        return
    rewrite = by_code.get("pickle-weights") or (by_code.get("shard-oversize") and plan.max_shard_size)
    if rewrite:
        _plan_rewrite(plan, rel, folder, probs, add)
        return
    unused = fa.unused_shards(folder)
    if by_code.get("index-mismatch"):
        def rebuild(src, stage, progress, cancel):
            fa.rebuild_index(folder, stage / rel if rel else stage)

        extra = f", leaving out {', '.join(unused)}" if unused else ""
        add(f"Rebuild {join(rel, formats.SAFE_INDEX)} from the shard headers{extra}", probs, rebuild,
            writes=[formats.SAFE_INDEX], removes=unused)
    elif unused:
        add(f"Leave out {', '.join(join(rel, u) for u in unused)}, which nothing names", probs,
            lambda *a: None, removes=unused)


def _plan_rewrite(plan, rel, folder, probs, add) -> None:
    from ..plan.base import DEFAULT_SHARD_SIZE
    from ..plan.files import shard

    size = plan.max_shard_size or DEFAULT_SHARD_SIZE
    tie = _ties(folder)
    ts = fa.TensorSet(folder, tie_embeddings=tie)
    try:
        shards = shard(ts.tensors, size)
        names = [s.file for s in shards] + ([formats.SAFE_INDEX] if len(shards) > 1 else [])
        removes = sorted(ts.from_files | ({formats.SAFE_INDEX} if (folder / formats.SAFE_INDEX).is_file() else set()))
        pickles = [f for f in sorted(ts.from_files) if not f.endswith((".safetensors", ".json"))]
    finally:
        ts.close()

    def rewrite(src, stage, progress, cancel):
        tensors = fa.TensorSet(folder, tie_embeddings=tie)
        try:
            fa.write_weights(tensors.tensors, stage / rel if rel else stage, size, progress=progress, cancel=cancel)
        finally:
            tensors.close()

    what = (f"Convert {', '.join(pickles)} to safetensors" if pickles else "Re-shard the weights")
    add(f"{what}: {len(shards)} shard(s) of at most {formats.format_size(size)}"
        f"{', removing the pickles' if pickles else ''}", probs, rewrite, writes=names,
        removes=[r for r in removes if r not in names])


def _single_beside_index(folder: Path) -> bool:
    if not ((folder / formats.SAFE_WEIGHTS).is_file() and (folder / formats.SAFE_INDEX).is_file()):
        return False
    doc = _read(folder / formats.SAFE_INDEX) or {}
    return formats.SAFE_WEIGHTS not in set((doc.get("weight_map") or {}).values())


def _ties(folder: Path) -> bool:
    doc = _read(folder / formats.CONFIG) or {}
    text = doc.get("text_config") if isinstance(doc.get("text_config"), dict) else {}
    return bool(doc.get("tie_word_embeddings", text.get("tie_word_embeddings", True)))


def _read(path: Path) -> Optional[dict]:
    return json_object_or_none(path)


# --- config ---------------------------------------------------------------------------------------


def _plan_config(plan, rel, folder, by_code, add, refuse) -> None:
    cfg_rel = join(rel, formats.CONFIG)
    base_cfg = plan.base / formats.CONFIG if plan.base is not None else None
    if by_code.get("missing-config") and not rel and base_cfg is not None and base_cfg.is_file():
        def copy_config(src, stage, progress, cancel):
            fa.copy_in(base_cfg, stage / cfg_rel)
            fa.set_config_keys(src, stage, cfg_rel, _fit_config(folder, fa.read_json(stage / cfg_rel)))

        add(f"Copy config.json from {plan.base} (vocab_size and dtype set to match the weights)",
            by_code["missing-config"], copy_config, writes=[formats.CONFIG])
    if by_code.get("dtype-mismatch"):
        stored = _stored_dtype(plan.report, rel)
        if stored:
            def set_dtype(src, stage, progress, cancel, stored=stored):
                doc = fa.read_json(fa.current(src, stage, cfg_rel))
                fa.set_config_keys(src, stage, cfg_rel, fa.dtype_keys(doc, stored))

            add(f"Set the dtype in {cfg_rel} to {stored}, the dtype the weights are stored in",
                by_code["dtype-mismatch"], set_dtype, writes=[formats.CONFIG])
    if by_code.get("tied-embeddings"):
        add(f"Set tie_word_embeddings to false in {cfg_rel}, so the stored lm_head is used",
            by_code["tied-embeddings"],
            lambda src, stage, *a: fa.set_config_keys(src, stage, cfg_rel, {"tie_word_embeddings": False}),
            writes=[formats.CONFIG])


def _stored_dtype(report, rel: str) -> Optional[str]:
    s = report.summary_for(rel)
    by = {k: v for k, v in (s.get("dtype_bytes") or {}).items() if k in formats.DTYPE_NAMES}
    return max(by, key=by.get) if by else None


def _fit_config(folder: Path, config: dict) -> dict:
    """vocab_size and dtype of a base config made to match the weights in ``folder``."""
    from ..io.stores import open_model_weights

    changes: dict = {}
    try:
        store = open_model_weights(folder)
    except Exception:
        return changes
    try:
        infos = store.infos()
        embed = next((n for n in sorted(infos) if n.endswith(formats.INPUT_EMBEDDING_SUFFIXES)), None)
        if embed and config.get("vocab_size") != infos[embed].shape[0]:
            changes["vocab_size"] = infos[embed].shape[0]
        by: dict[str, int] = {}
        for i in infos.values():
            if i.dtype in formats.FLOAT_CODES:
                by[i.dtype] = by.get(i.dtype, 0) + i.nbytes
        if by:
            changes.update(fa.dtype_keys(config, formats.dtype_name(max(by, key=by.get))))
    finally:
        store.close()
    return changes


# --- generation config ---------------------------------------------------------------------------


def _plan_generation(plan, rel, folder, by_code, add, refuse) -> None:
    gen_rel = join(rel, formats.GENERATION_CONFIG)
    replace = by_code.get("missing-generation-config", []) + by_code.get("bad-generation-config", [])
    if replace:
        base_gen = plan.base / formats.GENERATION_CONFIG if plan.base is not None else None
        if base_gen is not None and base_gen.is_file():
            add(f"Copy generation_config.json from {plan.base}", replace,
                lambda src, stage, *a: fa.copy_in(base_gen, stage / gen_rel), writes=[formats.GENERATION_CONFIG])
        elif (folder / formats.CONFIG).is_file() or any(a.writes == [join(rel, formats.CONFIG)] for a in plan.actions):
            def generate(src, stage, progress, cancel):
                config = fa.read_json(fa.current(src, stage, join(rel, formats.CONFIG)))
                fa.write_json(stage / gen_rel, fa.generation_config_from(config))

            add("Write generation_config.json from config.json's token ids (bos, eos, pad)", replace, generate,
                writes=[formats.GENERATION_CONFIG])
        else:
            refuse(replace, "no config.json to derive it from and no --from-base to copy it from", needs_base=True)
    if by_code.get("generation-config-flags"):
        from ..inspect.config import validate_generation_config

        doc = _read(folder / formats.GENERATION_CONFIG) or {}
        _, flags = validate_generation_config(doc)
        flags = [f for f in flags if f in doc]
        if flags:
            add(f"Remove {', '.join(flags)} from {gen_rel} (they are ignored without sampling)",
                by_code["generation-config-flags"],
                lambda src, stage, *a, flags=flags: fa.remove_generation_flags(src, stage, gen_rel, flags),
                writes=[formats.GENERATION_CONFIG])


# --- files from the base (tokenizer, chat template, remote code, processor) ------------------------


def _plan_files(plan, rel, folder, by_code, add, refuse) -> None:
    base: Optional[Path] = plan.base
    have = {p.name for p in folder.iterdir() if p.is_file()} if folder.is_dir() else set()

    def copier(files: list[tuple[Path, str]]):
        def apply(src, stage, *a):
            for source, name in files:
                fa.copy_in(source, stage / join(rel, name))
        return apply

    if by_code.get("missing-tokenizer") and base is not None and not rel:
        from ..sources.source import has_tokenizer, tokenizer_files

        if has_tokenizer(base):
            names = [n for n in tokenizer_files(base) if n not in have]
            if names:
                add(f"Copy the tokenizer files {', '.join(names)} from {base}", by_code["missing-tokenizer"],
                    copier([(base / n, n) for n in names]), writes=names)
        else:
            refuse(by_code["missing-tokenizer"], f"the base {base} has no tokenizer files either")
    if by_code.get("missing-chat-template") and base is not None:
        files = [p for p in sorted(base.iterdir()) if p.is_file() and p.name.startswith("chat_template")]
        template = (_read(base / "tokenizer_config.json") or {}).get("chat_template")
        if files:
            add(f"Copy {', '.join(p.name for p in files)} from {base}", by_code["missing-chat-template"],
                copier([(p, p.name) for p in files]), writes=[p.name for p in files])
        elif isinstance(template, str) and template:
            def write_template(src, stage, *a, template=template):
                path = stage / join(rel, "chat_template.jinja")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(template, encoding="utf-8")

            add(f"Write chat_template.jinja with the chat template of {base}", by_code["missing-chat-template"],
                write_template, writes=["chat_template.jinja"])
        else:
            refuse(by_code["missing-chat-template"], f"the base {base} has no chat template either")
    for p in by_code.get("missing-remote-code", []):
        name = p.file.rsplit("/", 1)[-1]
        shipped = _shipped_projector_file(name) if rel == formats.PROJECTOR_DIR else None
        source = shipped or (base / name if base is not None and (base / name).is_file() else None)
        if source is not None:
            add(f"Copy {name} from {'Mergesmith' if shipped else base} into {rel or 'the folder'}", [p],
                copier([(source, name)]), writes=[name])
    if by_code.get("missing-processor") and base is not None:
        files = [n for n in formats.PROCESSOR_FILES if (base / n).is_file()]
        if files:
            add(f"Copy {', '.join(files)} from {base} into {rel or 'the folder'}", by_code["missing-processor"],
                copier([(base / n, n) for n in files]), writes=files)
        else:
            refuse(by_code["missing-processor"], f"the base {base} has no preprocessor_config.json")


def _shipped_projector_file(name: str) -> Optional[Path]:
    """XTuner's projector code as Mergesmith ships it (resources/projector/), if present."""
    import mergesmith.resources as res

    for folder in list(getattr(res, "__path__", [])):  # a regular or (editable) namespace package
        path = Path(folder) / "projector" / name
        if path.is_file():
            return path
    return None


# Each looks at the problems of one folder and adds the actions that repair some of them, or
# refuses them with a reason. Their order is the order of the actions in the plan: the order they
# are shown in (`mergesmith fix --dry-run`, the window) and applied in, so keep it: the weights
# (shards, index, pickles), config.json, generation_config.json, then files copied from the base.
FIX_PLANNERS = (_plan_weights, _plan_config, _plan_generation, _plan_files)
