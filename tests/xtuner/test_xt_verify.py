"""verify on XTuner checkpoints the specimens do not cover: ZeRO-3 with frozen copies, modules_to_save, LLaVA LoRA."""

import torch

from mergesmith.core.engine.merge import merge
from mergesmith.core.verify.compare import verify
from fixtures.xtuner import LORA, lora_state_dict, save_deepspeed, sft_config, work_dir


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


# --- --format llava-hf: one LlavaForConditionalGeneration folder ---------------------------------------

Q_PROJ = "language_model.model.layers.0.self_attn.q_proj.weight"


def _llava_hf(source, llm, vit, out):
    merge(source, llm, out, visual_encoder=vit, format="llava-hf")
    return out


def _rewrite(out, name, change):
    """Change one tensor of a single-file output in place (what damage or another tool would do)."""
    from safetensors.torch import load_file, save_file

    weights = out / "model.safetensors"
    state = load_file(str(weights))
    state[name] = change(state[name].clone())
    save_file(state, str(weights), metadata={"format": "pt"})


def test_llava_hf_with_llm_and_vit_lora(llava_run, llm_base, vit_base, tmp_path):
    wd, sd = llava_run
    out = _llava_hf(wd, llm_base, vit_base, tmp_path / "out")
    result = verify(out, wd, llm_base, visual_encoder=vit_base, all_tensors=True)
    assert result.ok, result.lines()
    counts = kinds(result)
    vit_lora = sum(1 for k in sd if k.startswith("visual_encoder.") and ".lora_A." in k)
    assert counts[("", "merged")] == 14 + vit_lora and counts[("", "replaced")] == 4
    checked = {c.name: c for c in result.checks}
    assert checked[Q_PROJ].kind == "merged"
    assert checked["multi_modal_projector.linear_2.bias"].kind == "replaced"
    assert checked["vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight"].kind == "merged"
    assert checked["vision_tower.vision_model.post_layernorm.weight"].kind == "copied"
    assert "visual_encoder: lora_alpha 16 / r 4 = scale 4" in result.settings
    assert any("vision_tower stores bfloat16 where the base has float32" in n for n in result.notes)


def test_llava_hf_one_changed_row_is_a_merge_mismatch(llava_run, llm_base, vit_base, tmp_path):
    wd, _ = llava_run
    out = _llava_hf(wd, llm_base, vit_base, tmp_path / "out")

    def bump(t):
        t[3] += 0.05
        return t

    _rewrite(out, Q_PROJ, bump)
    result = verify(out, wd, llm_base, visual_encoder=vit_base)
    assert not result.ok
    assert [(p.code, p.file) for p in result.problems] == [("merge-mismatch", Q_PROJ)]
    assert "differs from base + adapter" in result.problems[0].message


def test_llava_hf_merged_with_another_lora_alpha(llava_run, llm_base, vit_base, tmp_path):
    """The same tensors merged from a config with lora_alpha 16 where training used 8: every LLM weight is off."""
    from fixtures.xtuner import VIT_LORA, llava_config

    wd, sd = llava_run
    wrong = work_dir(tmp_path / "wrong", llava_config(str(llm_base), str(vit_base), llm_lora=dict(LORA, lora_alpha=16),
                                                      vit_lora=VIT_LORA), {30: sd}, name="llava_lora")
    out = _llava_hf(wrong, llm_base, vit_base, tmp_path / "out")
    result = verify(out, wd, llm_base, visual_encoder=vit_base)
    assert not result.ok
    assert {p.code for p in result.problems} == {"merge-mismatch"}
    assert len(result.problems) == 14 and all(p.file.startswith("language_model.model.layers.")
                                               for p in result.problems)
    assert "scale 4 (lora_alpha 16 at r 4)" in result.problems[0].message
    assert "lora_alpha 8 / r 4 from the training config stored in iter_30.pth gives 2" in result.problems[0].message


def test_llava_hf_added_embedding_rows(model_cache, vit_base, tmp_path):
    """A vocabulary of 120 grows to 128 rows for <image>: the base rows are compared, the added ones must be the
    mean; an added row changed is named as such."""
    from fixtures.xtuner import base_linears, llava_config, lora_state_dict, projector_state_dict

    llm = model_cache("llama", "bfloat16", vocab_size=120)
    sd = lora_state_dict(base_linears(llm), "llm.", 4, seed=3)
    sd.update(projector_state_dict(24, 32))
    wd = work_dir(tmp_path / "wd", llava_config(str(llm), str(vit_base), llm_lora=LORA), {5: sd})
    out = _llava_hf(wd, llm, vit_base, tmp_path / "out")
    result = verify(out, wd, llm, visual_encoder=vit_base)
    assert result.ok, result.lines()
    grown = {c.name for c in result.checks if c.kind == "copied"}
    assert grown == {"language_model.model.embed_tokens.weight", "language_model.lm_head.weight"}

    def last_row(t):
        t[-1] += 0.05
        return t

    _rewrite(out, "language_model.lm_head.weight", last_row)
    result = verify(out, wd, llm, visual_encoder=vit_base)
    assert [(p.code, p.file) for p in result.problems] == [("merge-mismatch", "language_model.lm_head.weight")]
    assert result.problems[0].message.startswith("language_model.lm_head.weight: rows 120 to 127, added for new tokens")


def test_llava_hf_in_the_layout_of_transformers_5(llava_run, llm_base, vit_base, tmp_path):
    """The same folder with its tensors named as transformers >= 4.52 names them (model.language_model.*, lm_head.*,
    model.vision_tower.*, model.multi_modal_projector.*) is checked the same way; a changed projector is named."""
    from safetensors.torch import load_file, save_file

    wd, _ = llava_run
    out = _llava_hf(wd, llm_base, vit_base, tmp_path / "out")
    state = load_file(str(out / "model.safetensors"))
    renamed = {}
    for name, t in state.items():
        if name.startswith("language_model.lm_head."):
            name = name[len("language_model."):]
        elif name.startswith("language_model.model."):
            name = "model.language_model." + name[len("language_model.model."):]
        else:
            name = "model." + name
        renamed[name] = t
    save_file(renamed, str(out / "model.safetensors"), metadata={"format": "pt"})
    result = verify(out, wd, llm_base, visual_encoder=vit_base)
    assert result.ok, result.lines()
    assert kinds(result) == {("", "merged"): 26, ("", "replaced"): 4}

    def bump(t):
        t[0] += 0.05
        return t

    _rewrite(out, "model.multi_modal_projector.linear_1.bias", bump)
    result = verify(out, wd, llm_base, visual_encoder=vit_base)
    assert [(p.code, p.file) for p in result.problems] == [("merge-mismatch",
                                                            "model.multi_modal_projector.linear_1.bias")]
    assert "differs from the trained tensor in the source" in result.problems[0].message
