"""The built-in demo: an XTuner work_dir and a base model, made with no download."""

from __future__ import annotations

import ast
import json

import torch

from mergesmith.core.demo import lora as demo_mod


def test_demo_layout(demo_inputs):
    source, base = demo_inputs
    root = base.parent
    assert {p.name for p in base.iterdir()} >= {"config.json", "model.safetensors", "tokenizer.json",
                                                "tokenizer_config.json", "generation_config.json"}
    work = root / demo_mod.DEMO_WORK_DIR
    assert sorted(p.name for p in work.glob("iter_*.pth")) == ["iter_100.pth", "iter_50.pth"]
    assert (work / "last_checkpoint").read_text().endswith("iter_100.pth")
    cfg = (work / demo_mod.DEMO_CONFIG).read_text()
    tree = ast.parse(cfg)  # Python, never executed
    names = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
             if isinstance(t, ast.Name)}
    assert {"pretrained_model_name_or_path", "model"} <= names
    assert repr(str(base)) in cfg
    ckpt = torch.load(work / "iter_100.pth", weights_only=True)
    assert set(ckpt) == {"state_dict", "meta"} and ckpt["meta"]["iter"] == 100
    keys = list(ckpt["state_dict"])
    assert keys and all(k.startswith("llm.base_model.model.model.layers.") for k in keys)
    assert any(k.endswith(".self_attn.q_proj.lora_A.default.weight") for k in keys)
    assert all(v.dtype == torch.float32 for v in ckpt["state_dict"].values())
    assert any(v.abs().sum() > 0 for k, v in ckpt["state_dict"].items() if "lora_B" in k)
    adapter = json.loads((root / demo_mod.DEMO_CONVERTED / "adapter_config.json").read_text())
    assert adapter["base_model_name_or_path"] == str(base) and adapter["r"] == demo_mod.LORA_R


def test_demo_is_detected_and_reused(demo_inputs):
    from mergesmith.core.sources.detect import detect

    source, base = demo_inputs
    found = detect(source)
    try:
        assert found.base_hint == str(base) and found.base_hint_exists
        assert found.llm_adapter is not None
    finally:
        found.close()
    before = (base / "model.safetensors").stat().st_mtime_ns
    assert demo_mod.make_demo(base.parent) == (source, base)  # a second call reuses the files
    assert (base / "model.safetensors").stat().st_mtime_ns == before


def test_llava_demo_merges_in_both_layouts(tmp_path):
    """The LLaVA demo: an XTuner LLaVA work_dir (LLM LoRA, ViT LoRA, projector) with both bases."""
    from mergesmith.core import detect
    from mergesmith.core.demo.llava import make_llava_demo
    from mergesmith.core.engine.merge import merge

    source, base, vit = make_llava_demo(tmp_path / "demo")
    found = detect(source)
    try:
        assert [c.role for c in found.components] == ["llm-adapter", "visual-encoder-adapter", "projector",
                                                      "training-config"]
        assert found.base_hint == str(base) and found.visual_encoder_hint == str(vit)
    finally:
        found.close()
    merge(source, base, tmp_path / "xtuner")
    assert {"projector", "visual_encoder", "model.safetensors"} <= {p.name for p in (tmp_path / "xtuner").iterdir()}
    merge(source, base, tmp_path / "hf", format="llava-hf")
    assert json.loads((tmp_path / "hf" / "config.json").read_text())["model_type"] == "llava"
    assert make_llava_demo(tmp_path / "demo") == (source, base, vit)  # a second call reuses the files


def test_llava_demo_from_the_window(window, qtbot, tmp_path):
    """File > Try the LLaVA demo: the three components and the visual encoder picker, filled in."""
    from fixtures.gui import wait_plan

    window.demo_root = str(tmp_path / "demo")
    window.start_llava_demo()
    plan = wait_plan(qtbot, window, timeout=30_000)
    page = window.merge_page
    assert page.visual_picker.isVisibleTo(page) and page.visual_picker.path().endswith("clip-vit")
    roles = {n.name for n in page.preview_model.root.find("Training output").children}
    assert {"LLM adapter", "Visual encoder adapter", "Projector"} <= roles
    assert plan.ok and any(f.rel == "visual_encoder" for f in plan.folders)
