"""--format llava-hf for any LLM transformers' LlavaConfig accepts: loads, processes a real image, generates."""

import json

import numpy as np
import pytest
import torch

from fixtures.files import read_weights
from fixtures.adapters import peft_merged_xtuner
from fixtures.merge import assert_same
from fixtures.xtuner import LORA, VIT_LORA
from mergesmith.core import detect
from mergesmith.core.engine.merge import run_plan
from mergesmith.core.plan.base import PlanOptions
from mergesmith.core.plan.planners import make_plan
from mergesmith.core.verify.compare import verify
from fixtures.xtuner import (base_linears, full_state_dict, llava_config, lora_state_dict,
                             projector_state_dict, work_dir)


def run_processor(out):
    """Load the folder as users do: processor + model; a PIL image through the processor, forward, generate."""
    from PIL import Image
    from transformers import AutoProcessor, LlavaForConditionalGeneration

    model, info = LlavaForConditionalGeneration.from_pretrained(str(out), output_loading_info=True)
    assert not any(info.values()), info  # no missing, unexpected or mismatched keys
    processor = AutoProcessor.from_pretrained(str(out))
    assert type(processor).__name__ == "LlavaProcessor"
    image = Image.fromarray((np.random.RandomState(0).rand(40, 50, 3) * 255).astype("uint8"))
    inputs = processor(images=image, text="describe <image> please", return_tensors="pt")
    # the processor expands <image> to one token per patch feature: (32 / 8)^2 = 16, CLS dropped
    assert int((inputs["input_ids"] == model.config.image_token_index).sum()) == 16
    assert tuple(inputs["pixel_values"].shape) == (1, 3, 32, 32)
    with torch.no_grad():
        logits = model(**inputs).logits
        generated = model.generate(**inputs, max_new_tokens=3, do_sample=False)
    assert torch.isfinite(logits.float()).all()
    assert generated.shape[1] == inputs["input_ids"].shape[1] + 3
    return model


def _vit_names(vit, prefix="vision_tower.vision_model."):
    return {prefix + (k[len("vision_model."):] if k.startswith("vision_model.") else k): v for k, v in vit.items()}


def test_llava_hf_qwen2_lora(model_cache, vit_base, tmp_path):
    llm = model_cache("qwen2", "bfloat16")
    sd = lora_state_dict(base_linears(vit_base), "visual_encoder.", 4, seed=1, module_prefix="vision_model.")
    sd.update(lora_state_dict(base_linears(llm), "llm.", 4, seed=2))
    sd.update(projector_state_dict(24, 32))
    wd = work_dir(tmp_path / "wd", llava_config(str(llm), str(vit_base), llm_lora=LORA, vit_lora=VIT_LORA), {9: sd})
    plan = make_plan(detect(wd), llm, PlanOptions(out=tmp_path / "out", format="llava-hf"))
    assert plan.ok, plan.problems
    run_plan(plan)
    model = run_processor(tmp_path / "out")
    assert model.config.text_config.model_type == "qwen2"
    merged = peft_merged_xtuner(llm, sd, "llm.", r=4, lora_alpha=8)
    vit = peft_merged_xtuner(vit_base, sd, "visual_encoder.", r=4, lora_alpha=16, vision=True,
                             module_prefix="vision_model.")
    written = read_weights(tmp_path / "out")
    assert_same({k: v for k, v in written.items() if k.startswith("language_model.")},
                {"language_model." + k: v for k, v in merged.items()})
    assert_same({k: v for k, v in written.items() if k.startswith("vision_tower.")},
                {k: v.to(torch.bfloat16) for k, v in _vit_names(vit).items()})
    result = verify(tmp_path / "out", wd, llm, visual_encoder=vit_base)
    assert result.ok, result.lines()
    merged_count = sum(1 for c in result.checks if c.kind == "merged")
    assert merged_count == sum(1 for k in sd if ".lora_A." in k)


def test_llava_hf_gpt2_full_llm(model_cache, vit_base, tmp_path):
    """GPT-2 keeps its base model under ``transformer.``, not ``model.``; tied embeddings stay tied."""
    llm = model_cache("gpt2", "float32", tie=True)
    sd = full_state_dict(llm, seed=6)
    sd.update(projector_state_dict(24, 32))
    cfg = llava_config(str(llm), str(vit_base), freeze_llm=False)
    wd = work_dir(tmp_path / "wd", cfg, {4: sd})
    plan = make_plan(detect(wd), llm, PlanOptions(out=tmp_path / "out", format="llava-hf"))
    assert plan.ok, plan.problems
    run_plan(plan)
    model = run_processor(tmp_path / "out")
    assert model.config.text_config.model_type == "gpt2" and model.dtype == torch.float32
    written = read_weights(tmp_path / "out")
    trained = {k[len("llm."):]: v for k, v in sd.items() if k.startswith("llm.")}
    assert not any(k.startswith("language_model.model.transformer.") for k in written)
    for name, want in trained.items():
        key = "language_model.model." + name[len("transformer."):]
        assert torch.equal(written[key], want), name
    # LlavaForConditionalGeneration ties lm_head only to an `embed_tokens`: GPT-2's tied wte is written twice
    # (and the config's torch_dtype=float16 is not the float32 base's: the base's is kept, and said)
    assert [p.code for p in plan.problems] == ["untied-embeddings", "dtype-kept"]
    wte = model.model.language_model.wte.weight
    assert torch.equal(wte, trained["transformer.wte.weight"]) and torch.equal(model.lm_head.weight, wte)
    assert model.config.text_config.tie_word_embeddings is False
    # verify finds GPT-2's names without its transformer. prefix, and lm_head as the trained wte
    result = verify(tmp_path / "out", wd, llm, visual_encoder=vit_base, all_tensors=True)
    assert result.ok, result.lines()
    head = next(c for c in result.checks if c.name == "language_model.lm_head.weight")
    assert head.kind == "replaced" and head.ulp == 0
    assert sum(1 for c in result.checks if c.kind == "replaced") == len(trained) + 1 + 4  # + lm_head, projector


def test_llava_hf_from_a_converted_folder(llava_run, llm_base, vit_base, tmp_path):
    """pth_to_hf's LLaVA folder (llm_adapter/, visual_encoder_adapter/, projector/) gives the same llava-hf."""
    from mergesmith.core.engine.convert import convert

    wd, _ = llava_run
    convert(wd, tmp_path / "converted")
    outs = []
    for name, src in (("from-ckpt", wd), ("from-converted", tmp_path / "converted")):
        plan = make_plan(detect(src), llm_base, PlanOptions(out=tmp_path / name, format="llava-hf"))
        assert plan.ok, plan.problems
        run_plan(plan)
        outs.append(tmp_path / name)
    a, b = (sorted(p.name for p in o.iterdir()) for o in outs)
    assert a == b
    for name in a:
        if name == "README.md":  # the model card names its source, which differs by design
            continue
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    cfg = json.loads((outs[1] / "processor_config.json").read_text())
    assert (cfg["patch_size"], cfg["vision_feature_select_strategy"], cfg["num_additional_image_tokens"]) == \
        (8, "default", 1)
    run_processor(outs[1])
    result = verify(outs[1], tmp_path / "converted", llm_base, visual_encoder=vit_base)
    assert result.ok, result.lines()


def test_llava_hf_refuses_an_llm_llava_cannot_hold(llm_base, vit_base, tmp_path):
    import shutil

    from mergesmith.core.errors import PlanError

    other = tmp_path / "llm"
    shutil.copytree(llm_base, other)
    cfg = json.loads((other / "config.json").read_text())
    cfg["model_type"] = "not-a-model"
    (other / "config.json").write_text(json.dumps(cfg))
    wd = work_dir(tmp_path / "p", llava_config(str(other), str(vit_base)), {1: projector_state_dict(24, 32)})
    with pytest.raises(PlanError, match="transformers knows without remote code"):
        make_plan(detect(wd), other, PlanOptions(out=tmp_path / "out", format="llava-hf"))


def test_llava_hf_siglip_tower(llm_base, tmp_path):
    """A SigLIP tower has no CLS feature: strategy "full", no additional image token."""
    from transformers import SiglipVisionConfig, SiglipVisionModel

    vit = tmp_path / "siglip"
    torch.manual_seed(0)
    SiglipVisionModel(SiglipVisionConfig(hidden_size=24, intermediate_size=40, num_hidden_layers=2,
                                         num_attention_heads=4, image_size=32, patch_size=8)).save_pretrained(str(vit))
    (vit / "preprocessor_config.json").write_text(json.dumps({
        "image_processor_type": "SiglipImageProcessor", "size": {"height": 32, "width": 32}, "do_resize": True,
        "do_normalize": True, "image_mean": [0.5] * 3, "image_std": [0.5] * 3, "do_rescale": True,
        "rescale_factor": 1 / 255}))
    wd = work_dir(tmp_path / "wd", llava_config(str(llm_base), str(vit)), {1: projector_state_dict(24, 32)})
    plan = make_plan(detect(wd), llm_base, PlanOptions(out=tmp_path / "out", format="llava-hf"))
    assert plan.ok, plan.problems
    run_plan(plan)
    cfg = json.loads((tmp_path / "out" / "processor_config.json").read_text())
    assert (cfg["vision_feature_select_strategy"], cfg["num_additional_image_tokens"]) == ("full", 0)
    run_processor(tmp_path / "out")
