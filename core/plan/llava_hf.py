"""``--format llava-hf``: one ``LlavaForConditionalGeneration`` folder, with its processor files.

What XTuner's ``pth_to_hf --save-format huggingface`` (and ``convert_xtuner_weights_to_hf.py``)
produce, written the streaming way. Tensor names are the llava-hf layout that transformers 4
writes and transformers 5 still reads (it is also what the llava-hf models on the Hub use)::

    LLM  model.*          -> language_model.model.*      lm_head.* -> language_model.lm_head.*
    ViT  [vision_model.]* -> vision_tower.vision_model.*
    projector model.0.*   -> multi_modal_projector.linear_1.*,  model.2.* -> linear_2.*

The tokenizer gets ``<image>`` (and ``<pad>`` when it has no pad token), and the embeddings grow to
a multiple of 64 rows, as XTuner does. XTuner fills the new rows with random samples around the
mean embedding; we use the mean itself, so the output is reproducible. Unlike XTuner, the vision
tower is always written (XTuner leaves a frozen one out and then fails to load it, issue #827),
so the visual encoder's folder is needed even when it was frozen; and the whole folder is written
in the LLM's dtype (XTuner keeps the vision tower and projector in float32), since transformers
loads one model in one dtype anyway.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Optional

import torch

from .. import formats
from ..model.base import BaseModel
from ..errors import PlanError
from .base import Plan, PlanOptions, PlannedFile, PlannedFolder, check_output
from .files import add_weights, copy_file, json_file
from ..problems import ERROR, INFO
from ..io.safetensors import TensorInfo
from ..sources.source import PROJECTOR, Source
from ..io.stores import TensorStore
from .llava import check_projector, plan_llm_tensors, plan_vit_tensors, preprocessor_file, visual_encoder_dir
from .xtuner import training_dirs, training_problems

PAD_TO = 64
IMAGE_TOKEN = "<image>"
VIT_DROP = ("text_model.", "logit_scale", "text_projection.", "visual_projection.")


def base_prefix(model_type: str) -> str:
    """The attribute under which a causal LM keeps its base model (``model``, ``transformer``, ...)."""
    import transformers
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    cls = getattr(transformers, MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.get(model_type, ""), None)
    return getattr(cls, "base_model_prefix", None) or "model"


def llm_name(name: str, prefix: str = "model") -> str:
    """A causal LM's tensor name in the llava-hf layout: ``language_model.model.*`` / ``.lm_head.*``.

    The LLM's own base-model prefix (``model.`` for Llama, ``transformer.`` for GPT-2) becomes
    ``language_model.model.``: the layout transformers 4 writes, which transformers >= 4.52 and 5
    map onto their ``model.language_model`` (a bare base model) for any architecture.
    """
    if name.startswith("lm_head."):
        return "language_model." + name
    if name.startswith(prefix + "."):
        name = name[len(prefix) + 1:]
    return "language_model.model." + name


def vit_name(name: str) -> str:
    return "vision_tower." + (name if name.startswith("vision_model.") else "vision_model." + name)


class PadRowsStore:
    """An embedding matrix followed by copies of its mean row (the rows of new tokens)."""

    def __init__(self, inner: TensorStore, name: str, rows: int) -> None:
        self.label = inner.label
        self._inner, self._name, self._rows = inner, name, rows
        info = inner.infos()[name]
        self._infos = {name: TensorInfo(name, info.dtype, (rows,) + tuple(info.shape[1:]))}

    def infos(self) -> dict[str, TensorInfo]:
        return self._infos

    def tensor(self, name: str) -> torch.Tensor:
        t = self._inner.tensor(name)
        extra = self._rows - t.shape[0]
        mean = t.float().mean(0, keepdim=True).to(t.dtype)
        return torch.cat([t, mean.expand(extra, *t.shape[1:])])

    def release(self, name: str) -> None:
        self._inner.release(name)

    def raw(self, name: str) -> None:
        return None

    def close(self) -> None:
        pass


def tokenizer_with_image_token(tok_dir: Path) -> tuple[dict[str, bytes], int, Optional[int], int]:
    """The tokenizer files with ``<image>`` (and a pad token) added: (files, image id, pad id, size)."""
    from transformers import AddedToken, AutoTokenizer

    try:
        # never the folder's own code, and never a prompt asking whether to run it
        tok = AutoTokenizer.from_pretrained(str(tok_dir), trust_remote_code=False, local_files_only=True)
    except Exception as exc:  # remote-code or broken tokenizers
        raise PlanError(f"Cannot load the tokenizer in {tok_dir} to add the {IMAGE_TOKEN} token "
                        f"({str(exc).splitlines()[0][:160]}); --format llava-hf needs a standard tokenizer.") from None
    if IMAGE_TOKEN not in tok.get_vocab():
        tok.add_tokens([AddedToken(IMAGE_TOKEN, special=True, normalized=False)], special_tokens=True)
    if tok.pad_token is None:
        tok.add_special_tokens({"pad_token": "<pad>"})
    with tempfile.TemporaryDirectory() as d:
        tok.save_pretrained(d)
        files = {p.name: p.read_bytes() for p in sorted(Path(d).iterdir()) if p.is_file()}
    return files, tok.convert_tokens_to_ids(IMAGE_TOKEN), tok.pad_token_id, len(tok)


def _clean(config: dict) -> dict:
    return {k: v for k, v in config.items()
            if k not in ("architectures", "auto_map", "_name_or_path", "transformers_version")}


def vision_config(vit: BaseModel) -> dict:
    cfg = vit.config
    if isinstance(cfg.get("vision_config"), dict):  # a whole CLIP/SigLIP model
        vision = dict(cfg["vision_config"])
        vision.setdefault("model_type", f"{cfg.get('model_type', 'clip')}_vision_model")
        return _clean(vision)
    return _clean(cfg)


def plan_llava_hf(plan: Plan, source: Source, base: BaseModel, options: PlanOptions) -> None:
    """Fill ``plan`` with one llava-hf folder (see the module docstring)."""
    checked = _checked_inputs(plan, source, base, options)
    if checked is None:
        return
    layout, vit_dir = checked
    explicit = None if options.dtype in ("auto", "keep") else formats.dtype_code(options.dtype)

    # the LLM, with its vocabulary grown for <image> (and <pad>)
    llm_tensors, text = plan_llm_tensors(plan, source, base, options)
    tok_dirs = training_dirs(source)
    tok_dir = tok_dirs[0] if tok_dirs else base.folder
    tok_files, image_id, pad_id, vocab = tokenizer_with_image_token(tok_dir)
    rows, new_rows = _grow_embeddings(base, llm_tensors, text, vocab)
    text = _llava_text(plan, base, llm_tensors, text, new_rows)

    # the projector and the vision tower, in the LLM's dtype: one model is loaded in one dtype
    llm_dtype = next((t.dtype for t in llm_tensors if t.dtype in formats.FLOAT_CODES), "F16")
    explicit = explicit or llm_dtype
    proj_tensors = _projector_tensors(source, explicit)
    vit_tensors, vit = _vision_tensors(plan, source, vit_dir, explicit)

    folder = PlannedFolder("", title="LLaVA (llava-hf)")
    add_weights(folder, llm_tensors + proj_tensors + vit_tensors, options.max_shard_size)
    vision = vision_config(vit)
    config = _llava_config(source, base, text, vision, layout, llm_dtype, image_id, pad_id)
    _add_files(plan, source, base, folder, config, tok_dirs, tok_files, vision, vit_dir)
    plan.folders.append(folder)
    plan.config_changes["vocab_size"] = {"from": rows, "to": new_rows}
    plan.stats.update({"format": "llava-hf", "shards": len(folder.shards), "image_token_index": image_id,
                       "tensors": len(llm_tensors) + len(proj_tensors) + len(vit_tensors)})
    training_problems(plan, source)
    check_output(plan, [source.path, base.folder, vit_dir])


def _checked_inputs(plan: Plan, source: Source, base: BaseModel,
                    options: PlanOptions) -> Optional[tuple[dict, Path]]:
    """The projector's layout and the visual encoder's folder, or None (the problem is in ``plan``);
    raises PlanError for what llava-hf cannot hold (an LLM transformers lacks, a deeper projector)."""
    from transformers import CONFIG_MAPPING

    text_type = base.config.get("model_type")
    if text_type not in CONFIG_MAPPING:
        raise PlanError(f"--format llava-hf needs an LLM that transformers knows without remote code; "
                        f"{base.folder.name} is a {text_type!r} model. Use the default --format xtuner.")
    if not check_projector(plan, source, base):
        return None
    layout = source.component(PROJECTOR).details
    if layout["depth"] != 2:
        raise PlanError(f"The projector has {layout['depth']} linear layers; LlavaForConditionalGeneration has "
                        "two (linear_1, linear_2). Use the default --format xtuner.")
    vit_dir = visual_encoder_dir(source, options)
    if vit_dir is None:
        hint = source.visual_encoder_hint
        plan.problem("missing-visual-encoder", ERROR, "vision_tower",
                     key="missing-visual-encoder/llava-hf" + ("-named" if hint else ""),
                     **({"named": hint} if hint else {}))
        return None
    return layout, vit_dir


def _grow_embeddings(base: BaseModel, llm_tensors: list, text: dict, vocab: int) -> tuple[int, int]:
    """Pads the embeddings' rows to hold the tokenizer's ``vocab`` (a multiple of PAD_TO); returns
    the rows before and after."""
    embed_names = {n for n in (base.input_embedding, base.output_embedding) if n}
    embeds = [t for t in llm_tensors if t.name in embed_names]
    rows = max((t.shape[0] for t in embeds), default=text.get("vocab_size") or 0)
    new_rows = max(rows, PAD_TO * math.ceil(vocab / PAD_TO))
    for t in embeds:
        if new_rows > t.shape[0]:
            if t.terms:
                raise PlanError(f"The adapter changes {t.name}, whose rows --format llava-hf must extend for "
                                f"{IMAGE_TOKEN}; use the default --format xtuner.")
            t.store = PadRowsStore(t.store, t.source_name, new_rows)
            t.shape = (new_rows,) + tuple(t.shape[1:])
    return rows, new_rows


def _llava_text(plan: Plan, base: BaseModel, llm_tensors: list, text: dict, new_rows: int) -> dict:
    """The text_config; renames ``llm_tensors`` to llava-hf's names (and unties an embedding that
    LlavaForConditionalGeneration cannot tie)."""
    text = _clean(text)
    if base.tied and base.input_embedding and not base.input_embedding.endswith("embed_tokens.weight"):
        # LlavaForConditionalGeneration ties lm_head to a tensor called embed_tokens; an LLM whose
        # embedding has another name (GPT-2's wte) gets its output embedding written out instead
        emb = next(t for t in llm_tensors if t.name == base.input_embedding)
        llm_tensors.append(replace(emb, name="lm_head.weight"))
        text["tie_word_embeddings"] = False
        plan.problem("untied-embeddings", INFO, formats.CONFIG, key="untied-embeddings/llava-hf",
                     name=base.input_embedding)
    prefix = base_prefix(base.config.get("model_type"))
    for t in llm_tensors:
        t.name = llm_name(t.name, prefix)
    text["vocab_size"] = new_rows
    return text


def _projector_tensors(source: Source, explicit: Optional[str]) -> list:
    """The projector's tensors as multi_modal_projector.linear_1/linear_2, floats in ``explicit``."""
    from .base import PlannedTensor

    proj_store = source.component(PROJECTOR).store
    pinfos = proj_store.infos()
    proj_tensors = []
    for n in sorted(pinfos):
        layer = {"0": "linear_1", "2": "linear_2"}[n.split(".")[1]]
        dtype = explicit if explicit and pinfos[n].dtype in formats.FLOAT_CODES else pinfos[n].dtype
        proj_tensors.append(PlannedTensor(f"multi_modal_projector.{layer}.{n.rsplit('.', 1)[1]}", dtype,
                                          pinfos[n].shape, proj_store, n))
    return proj_tensors


def _vision_tensors(plan: Plan, source: Source, vit_dir: Path, explicit: Optional[str]) -> tuple[list, BaseModel]:
    """The vision tower's tensors under llava-hf's names, floats in ``explicit``; and the encoder."""
    vit_tensors, _, vit = plan_vit_tensors(plan, source, vit_dir, lambda b, c: b)
    vit_tensors = [t for t in vit_tensors if not t.name.startswith(VIT_DROP)]
    for t in vit_tensors:
        t.name = vit_name(t.name)
        if explicit and t.dtype in formats.FLOAT_CODES:
            t.dtype = explicit
    return vit_tensors, vit


def _feature_strategy(vision: dict) -> tuple[bool, str, int, int]:
    """``(siglip, vision_feature_select_strategy, patch size, image size)``: CLIP prepends a CLS
    feature, which LLaVA drops ("default"); SigLIP has none ("full")."""
    siglip = str(vision.get("model_type", "")).startswith("siglip")
    return siglip, "full" if siglip else "default", vision.get("patch_size", 14), vision.get("image_size", 336)


def _llava_config(source: Source, base: BaseModel, text: dict, vision: dict, layout: dict, llm_dtype: str,
                  image_id: int, pad_id: Optional[int]) -> dict:
    """config.json of the LlavaForConditionalGeneration."""
    _, strategy, patch, size = _feature_strategy(vision)
    dtype_key = "dtype" if "dtype" in base.config else "torch_dtype"
    return {
        "architectures": ["LlavaForConditionalGeneration"],
        dtype_key: formats.dtype_name(llm_dtype),
        "image_seq_length": (size // patch) ** 2,
        "image_token_index": image_id,
        "model_type": "llava",
        "multimodal_projector_bias": layout["bias"],
        "pad_token_id": pad_id,
        "projector_hidden_act": "gelu",
        "text_config": text,
        "tie_word_embeddings": bool(text.get("tie_word_embeddings", base.tie_word_embeddings)),
        "vision_config": vision,
        "vision_feature_layer": (source.settings.visual_select_layer if source.settings and source.settings.visual_select_layer is not None else -2),
        "vision_feature_select_strategy": strategy,
    }


def _add_files(plan: Plan, source: Source, base: BaseModel, folder: PlannedFolder, config: dict,
               tok_dirs: list[Path], tok_files: dict[str, bytes], vision: dict, vit_dir: Path) -> None:
    """The folder's other files: config, generation config, tokenizer, processor, preprocessor, licenses."""
    siglip, strategy, patch, _ = _feature_strategy(vision)
    folder.files.append(json_file(formats.CONFIG, config))
    gen_dir = next((d for d in tok_dirs if (d / formats.GENERATION_CONFIG).is_file()), base.folder)
    if (gen_dir / formats.GENERATION_CONFIG).is_file():
        folder.files.append(copy_file(gen_dir / formats.GENERATION_CONFIG, "base"))
    for name, data in tok_files.items():
        folder.files.append(PlannedFile(name, len(data), "generated", content=data))
    folder.files.append(json_file("processor_config.json", {
        "image_token": IMAGE_TOKEN, "num_additional_image_tokens": 0 if siglip else 1, "patch_size": patch,
        "processor_class": "LlavaProcessor", "vision_feature_select_strategy": strategy}))
    pre = preprocessor_file(plan, source, vit_dir, formats.PREPROCESSOR_CONFIG)
    if pre is not None:
        folder.files.append(pre)
    for path in base.files():
        if formats.LICENSE_RE.match(path.name):
            folder.files.append(copy_file(path, "base"))
