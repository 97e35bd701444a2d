"""Fixtures for the XTuner tests: tiny bases (session-wide), work_dirs, reference merges."""

import pytest

from fixtures.xtuner import LORA, VIT_LORA


@pytest.fixture(scope="session")
def llm_base(model_cache):
    return model_cache("llama", "bfloat16")


@pytest.fixture(scope="session")
def vit_base(tmp_path_factory):
    from fixtures.xtuner import make_vit

    return make_vit(tmp_path_factory.mktemp("vit") / "clip")


@pytest.fixture(scope="session")
def llm_linears(llm_base):
    from fixtures.xtuner import base_linears

    return base_linears(llm_base)


@pytest.fixture(scope="session")
def real_zero(tmp_path_factory, llm_base, vit_base):
    """Work_dirs trained one step and saved by the real DeepSpeed on two CPU ranks, built once:
    ``{1, 2, 3}``: a LoRA run on ``llm_base`` (r=4, alpha=8, every linear) under that ZeRO stage;
    ``"zero3-frozen"``: the same under ZeRO-3 with the frozen weights saved (DeepSpeed < 0.13.2);
    ``"zero2-full"``: a full fine-tune under ZeRO-2 with layer 1 frozen;
    ``"llava-zero2"``: a LLaVA fine-tune (LLM LoRA, ``vit_base`` LoRA, projector) under ZeRO-2."""
    from fixtures.xtuner import ALL_LINEARS, CLIP_LINEARS, deepspeed_work_dirs

    runs = {1: {"stage": 1}, 2: {"stage": 2}, 3: {"stage": 3},
            "zero3-frozen": {"stage": 3, "exclude_frozen": False},
            "zero2-full": {"stage": 2, "full": True, "frozen": ["layers.1."]},
            "llava-zero2": {"stage": 2, "llava": True}}
    return deepspeed_work_dirs(tmp_path_factory.mktemp("zero"), llm_base, dict(LORA, target_modules=ALL_LINEARS), runs,
                               vit=vit_base, vit_lora=dict(VIT_LORA, target_modules=CLIP_LINEARS))


@pytest.fixture(scope="session")
def llava_run(tmp_path_factory, llm_base, vit_base):
    """A LLaVA fine-tune work_dir: LLM LoRA + ViT LoRA + projector (XTuner's keys): (work_dir, state_dict)."""
    from fixtures.xtuner import llava_work_dir

    return llava_work_dir(tmp_path_factory.mktemp("llava") / "llava_ft", llm_base, vit_base)
