"""LLaVA in XTuner's layout: merged LLM at the root, projector/, visual_encoder/, xtuner_config.py."""

import json
from collections import OrderedDict

import torch

from fixtures.files import read_weights
from fixtures.adapters import peft_merged_xtuner
from fixtures.merge import assert_same
from mergesmith.core import detect
from mergesmith.core.engine.merge import merge, run_plan
from mergesmith.core.plan.base import PlanOptions
from mergesmith.core.plan.planners import make_plan
from fixtures.xtuner import full_state_dict, llava_config, projector_state_dict, work_dir


def _projector_checks(folder, sd):
    cfg = json.loads((folder / "config.json").read_text())
    assert cfg["architectures"] == ["ProjectorModel"] and cfg["model_type"] == "projector"
    assert cfg["auto_map"] == {"AutoConfig": "configuration_projector.ProjectorConfig",
                               "AutoModel": "modeling_projector.ProjectorModel"}
    assert (cfg["depth"], cfg["visual_hidden_size"], cfg["llm_hidden_size"], cfg["bias"], cfg["hidden_act"]) == \
        (2, 24, 32, True, "gelu")
    assert cfg["torch_dtype"] == "float32"
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "configuration_projector.py",
                                                        "model.safetensors", "modeling_projector.py"]
    want = {k[len("projector."):]: v for k, v in sd.items() if k.startswith("projector.")}
    assert_same(read_weights(folder), want)
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(folder), trust_remote_code=True)
    assert type(model).__name__ == "ProjectorModel"
    for k, v in model.state_dict().items():
        assert torch.equal(v, want[k]), k
    x = torch.randn(3, 24)
    ref = torch.nn.functional.gelu(x @ want["model.0.weight"].T + want["model.0.bias"]) @ want["model.2.weight"].T \
        + want["model.2.bias"]
    assert torch.allclose(model(x), ref, atol=1e-6)


def test_llava_lora_merge(llava_run, llm_base, vit_base, tmp_path):
    wd, sd = llava_run
    source = detect(wd)
    roles = [c.role for c in source.components]
    assert roles == ["llm-adapter", "visual-encoder-adapter", "projector", "training-config"]
    assert source.visual_encoder_hint == str(vit_base)
    result = merge(wd, llm_base, tmp_path / "out")
    out = tmp_path / "out"
    assert not [p for p in result.problems if p.is_error]
    assert_same(read_weights(out), peft_merged_xtuner(llm_base, sd, "llm.", r=4, lora_alpha=8))
    _projector_checks(out / "projector", sd)
    vit_out = read_weights(out / "visual_encoder")
    assert_same(vit_out, peft_merged_xtuner(vit_base, sd, "visual_encoder.", r=4, lora_alpha=16, vision=True,
                             module_prefix="vision_model."))
    assert all(v.dtype == torch.float32 for v in vit_out.values())
    assert (out / "visual_encoder" / "preprocessor_config.json").read_bytes() == \
        (vit_base / "preprocessor_config.json").read_bytes()
    assert json.loads((out / "visual_encoder" / "config.json").read_text())["model_type"] == "clip_vision_model"
    assert (out / "xtuner_config.py").read_text() == (wd / "llava_lora.py").read_text()
    assert (out / "tokenizer.json").is_file() and (out / "generation_config.json").is_file()


def test_llava_pretrain_writes_base_llm_and_projector(llm_base, tmp_path):
    sd = projector_state_dict(24, 32, seed=2)
    wd = work_dir(tmp_path / "pretrain", llava_config(str(llm_base), "/elsewhere/clip"), {2181: sd})
    plan = make_plan(detect(wd), llm_base, PlanOptions(out=tmp_path / "out"))
    assert plan.ok and any(p.code == "frozen-visual-encoder" for p in plan.problems)
    run_plan(plan)
    assert_same(read_weights(tmp_path / "out"), read_weights(llm_base))
    assert (tmp_path / "out" / "projector" / "model.safetensors").is_file()
    assert not (tmp_path / "out" / "visual_encoder").exists()


def test_llava_vit_lora_needs_the_visual_encoder(llava_run, llm_base, vit_base, tmp_path):
    wd, sd = llava_run
    cfg = (wd / "llava_lora.py").read_text().replace(str(vit_base), "/nowhere/clip-vit-large-patch14-336")
    other = work_dir(tmp_path / "wd", cfg, {30: sd})
    plan = make_plan(detect(other), llm_base, PlanOptions(out=tmp_path / "out"))
    [p] = [p for p in plan.problems if p.is_error]
    assert p.code == "missing-visual-encoder" and "--visual-encoder" in p.message
    assert "/nowhere/clip-vit-large-patch14-336, which is not on this machine" in p.message
    plan = make_plan(detect(other), llm_base, PlanOptions(out=tmp_path / "out", visual_encoder=vit_base))
    assert plan.ok


def test_llava_full_llm_and_full_vit(llm_base, vit_base, tmp_path):
    sd = OrderedDict()
    sd.update(full_state_dict(vit_base, seed=3, prefix="visual_encoder.vision_model."))
    sd.update(full_state_dict(llm_base, seed=4))
    sd.update(projector_state_dict(24, 32))
    cfg = llava_config(str(llm_base), str(vit_base), freeze_llm=False, freeze_vit=False)
    wd = work_dir(tmp_path / "full", cfg, {5: sd})
    assert [c.role for c in detect(wd).components] == ["projector", "llm", "visual-encoder", "training-config"]
    merge(wd, llm_base, tmp_path / "out")
    assert_same(read_weights(tmp_path / "out"),
                {k[4:]: v.to(torch.bfloat16) for k, v in sd.items() if k.startswith("llm.")})
    assert_same(read_weights(tmp_path / "out" / "visual_encoder"),
                {k[len("visual_encoder.vision_model."):]: v for k, v in sd.items() if k.startswith("visual_encoder.")})


def test_projector_for_another_llm(llm_base, tmp_path):
    wd = work_dir(tmp_path / "p", llava_config(str(llm_base), "/x/clip"), {1: projector_state_dict(24, 40)})
    plan = make_plan(detect(wd), llm_base, PlanOptions(out=tmp_path / "out"))
    assert [p.code for p in plan.problems if p.is_error] == ["shape-mismatch"]


def test_llava_hf_format(llava_run, llm_base, vit_base, tmp_path):
    from transformers import AutoTokenizer, LlavaForConditionalGeneration

    wd, sd = llava_run
    plan = make_plan(detect(wd), llm_base, PlanOptions(out=tmp_path / "out", format="llava-hf"))
    assert plan.ok, plan.problems
    run_plan(plan)
    out = tmp_path / "out"
    cfg = json.loads((out / "config.json").read_text())
    tok = AutoTokenizer.from_pretrained(str(out))
    assert cfg["model_type"] == "llava" and cfg["image_token_index"] == tok.convert_tokens_to_ids("<image>")
    assert cfg["text_config"]["vocab_size"] == 128 and cfg["vision_feature_layer"] == -2
    assert json.loads((out / "processor_config.json").read_text())["processor_class"] == "LlavaProcessor"
    assert (out / "preprocessor_config.json").is_file()
    written = read_weights(out)
    assert "language_model.model.embed_tokens.weight" in written
    assert "vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight" in written
    llm = peft_merged_xtuner(llm_base, sd, "llm.", r=4, lora_alpha=8)
    vit = peft_merged_xtuner(vit_base, sd, "visual_encoder.", r=4, lora_alpha=16, vision=True,
                             module_prefix="vision_model.")
    want = {f"language_model.{k}": v for k, v in llm.items()}
    bf16 = torch.bfloat16  # one model, one dtype: the LLM's
    want.update({f"vision_tower.vision_model.{k}": v.to(bf16) for k, v in vit.items()})
    want.update({f"multi_modal_projector.linear_{1 if k.split('.')[2] == '0' else 2}.{k.rsplit('.', 1)[1]}": v.to(bf16)
                 for k, v in sd.items() if k.startswith("projector.")})
    assert_same(written, want)
    model, info = LlavaForConditionalGeneration.from_pretrained(str(out), output_loading_info=True)
    assert not any(info.values()), info  # no missing, unexpected or mismatched keys
    assert model.dtype == torch.bfloat16
    assert torch.equal(model.model.language_model.state_dict()["layers.0.self_attn.q_proj.weight"],
                       llm["model.layers.0.self_attn.q_proj.weight"])
    assert torch.equal(model.model.vision_tower.state_dict()["encoder.layers.1.mlp.fc2.weight"],
                       vit["encoder.layers.1.mlp.fc2.weight"].to(torch.bfloat16))
    with torch.no_grad():  # one image token in the prompt per patch (32/8)^2 = 16, plus text
        ids = torch.tensor([[1] + [cfg["image_token_index"]] * 16 + [5, 6]])
        logits = model(input_ids=ids, pixel_values=torch.randn(1, 3, 32, 32, dtype=torch.bfloat16)).logits
    assert logits.shape == (1, 19, 128) and torch.isfinite(logits.float()).all()


def test_llava_hf_grows_the_vocabulary(llm_base, vit_base, tmp_path):
    """A tokenizer that fills the embedding: <image> and <pad> make it grow to a multiple of 64."""
    from fixtures.models import make_tokenizer


    tok = tmp_path / "tok"
    make_tokenizer(tok, vocab_size=128)
    (tok / "special_tokens_map.json").unlink(missing_ok=True)
    cfg = llava_config(str(llm_base), str(vit_base))
    cfg = cfg.replace("pretrained_model_name_or_path=llm_name_or_path,\n    trust_remote_code=True,\n    padding_side",
                      f"pretrained_model_name_or_path={str(tok)!r},\n    trust_remote_code=True,\n    padding_side")
    wd = work_dir(tmp_path / "wd", cfg, {1: projector_state_dict(24, 32)})
    plan = make_plan(detect(wd), llm_base, PlanOptions(out=tmp_path / "out", format="llava-hf", dtype="float32"))
    assert plan.ok, plan.problems
    run_plan(plan)
    w = read_weights(tmp_path / "out")
    emb = w["language_model.model.embed_tokens.weight"]
    assert emb.shape[0] == 192 and emb.dtype == torch.float32
    base_emb = read_weights(llm_base)["model.embed_tokens.weight"].float()
    assert torch.equal(emb[:128], base_emb)
    assert torch.equal(emb[150], base_emb.mean(0).to(torch.bfloat16).float())  # the mean, in the base dtype
    assert w["vision_tower.vision_model.pre_layrnorm.weight"].dtype == torch.float32


def test_llava_hf_needs_the_vision_tower(llm_base, tmp_path):
    wd = work_dir(tmp_path / "p", llava_config(str(llm_base), "/x/clip"), {1: projector_state_dict(24, 32)})
    plan = make_plan(detect(wd), llm_base, PlanOptions(out=tmp_path / "out", format="llava-hf"))
    [p] = [p for p in plan.problems if p.is_error]
    assert p.code == "missing-visual-encoder" and "even when it was frozen" in p.message


def _same_folders(a, b):
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for rel in files:
        if rel.name == "README.md":  # the model card names its source, which differs by design
            continue
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_converted_llava_folder_merges_like_the_checkpoint(llava_run, llm_base, vit_base, tmp_path):
    """pth_to_hf's layout (llm_adapter/, visual_encoder_adapter/, projector/, xtuner_config.py) is a source too."""
    from mergesmith.core.engine.convert import convert

    wd, _ = llava_run
    convert(wd, tmp_path / "converted")
    source = detect(tmp_path / "converted")
    assert [c.role for c in source.components] == ["llm-adapter", "visual-encoder-adapter", "projector",
                                                   "training-config"]
    assert source.visual_encoder_hint == str(vit_base) and source.base_hint == str(llm_base)
    assert source.component("projector").details["llm_hidden_size"] == 32
    merge(wd, llm_base, tmp_path / "a")
    merge(tmp_path / "converted", llm_base, tmp_path / "b")  # the visual encoder found from xtuner_config.py
    _same_folders(tmp_path / "a", tmp_path / "b")


def test_llava_deepspeed_checkpoint(real_zero, llm_base, tmp_path):
    """A ZeRO-2 LLaVA checkpoint (2 ranks, bf16 training, real DeepSpeed) merges like a .pth of the same weights."""
    run = real_zero["llava-zero2"]
    source = detect(run.work_dir)
    assert source.kind == "xtuner-work-dir"
    assert [c.role for c in source.components][:3] == ["llm-adapter", "visual-encoder-adapter", "projector"]
    cfg = (run.work_dir / "tiny_lora.py").read_text()
    wd = work_dir(tmp_path / "pth_run", cfg, {5: run.expected}, as_written=True)  # already mmengine's dump
    merge(run.work_dir, llm_base, tmp_path / "ds_out")
    merge(wd, llm_base, tmp_path / "pth_out")
    _same_folders(tmp_path / "ds_out", tmp_path / "pth_out")