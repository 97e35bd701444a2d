"""verify on XTuner checkpoints the specimens do not cover: ZeRO-3 with frozen copies, modules_to_save, LLaVA LoRA."""

from collections import OrderedDict

import torch

from mergesmith.core.merge import merge
from mergesmith.core.verify import verify
from xt_builders import lora_state_dict, save_deepspeed, sft_config, work_dir
from xthelpers import LORA


def kinds(result) -> dict:
    out: dict = {}
    for c in result.checks:
        out[(c.folder, c.kind)] = out.get((c.folder, c.kind), 0) + 1
    return out


def test_frozen_copies_in_a_zero3_checkpoint_are_not_taken_as_trained(llm_base, llm_linears, tmp_path):
    sd = lora_state_dict(llm_linears, "llm.", 4, seed=5)
    frozen = {"llm.base_model.model.model.layers.0.self_attn.q_proj.base_layer.weight": torch.zeros(32, 32),
              "llm.base_model.model.model.embed_tokens.weight": torch.zeros(128, 32)}
    folder = save_deepspeed(tmp_path / "iter_1.pth", sd, stage=3, world=2, cfg_text=sft_config(str(llm_base), LORA),
                            frozen=frozen)
    merge(folder, llm_base, tmp_path / "out")
    result = verify(tmp_path / "out", folder, llm_base, all_tensors=True)
    assert result.ok, result.lines()
    assert kinds(result) == {("", "merged"): 14, ("", "copied"): 7}


def test_modules_to_save_and_dpo_reference_keys(llm_base, llm_linears, tmp_path):
    sd = lora_state_dict(llm_linears, "llm.", 4, seed=4)
    sd["llm.base_model.model.lm_head.modules_to_save.default.weight"] = torch.randn(128, 32) * 0.02
    sd["llm.base_model.model.lm_head.original_module.weight"] = torch.zeros(128, 32)
    sd["ref_llm.model.norm.weight"] = torch.ones(32)
    wd = work_dir(tmp_path / "wd", sft_config(str(llm_base), dict(LORA, modules_to_save=["lm_head"])), {10: sd})
    merge(wd, llm_base, tmp_path / "out")
    result = verify(tmp_path / "out", wd, llm_base)
    assert result.ok, result.lines()
    assert kinds(result) == {("", "merged"): 14, ("", "replaced"): 1}
    head = next(c for c in result.checks if c.kind == "replaced")
    assert head.name == "lm_head.weight" and head.ulp == 0


def test_llava_with_llm_and_vit_lora(llava_run, llm_base, vit_base, tmp_path):
    wd, _ = llava_run
    merge(wd, llm_base, tmp_path / "out", visual_encoder=vit_base)
    result = verify(tmp_path / "out", wd, llm_base, visual_encoder=vit_base)
    assert result.ok, result.lines()
    counts = kinds(result)
    assert counts[("", "merged")] == 14 and counts[("projector", "replaced")] == 4
    assert counts[("visual_encoder", "merged")] > 0
    assert "visual_encoder: lora_alpha 16 / r 4 = scale 4" in result.settings
