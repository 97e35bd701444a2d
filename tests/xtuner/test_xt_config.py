"""The XTuner config is read by parsing, never executed."""

import pytest

from mergesmith.core.errors import SourceError
from mergesmith.core.xtuner_config import parse_config, read_config
from xt_builders import llava_config, sft_config


def test_sft_lora_config(tmp_path):
    text = sft_config("/models/internlm2-chat-7b", lora=dict(r=64, lora_alpha=16, lora_dropout=0.1, bias="none",
                                                              task_type="CAUSAL_LM", use_rslora=True,
                                                              target_modules=["wqkv", "wo"]),
                      tokenizer="/models/tok")
    (tmp_path / "cfg.py").write_text(text)
    cfg = read_config(tmp_path / "cfg.py")
    assert cfg.model_type == "SupervisedFinetune" and not cfg.is_llava
    assert cfg.llm_path == "/models/internlm2-chat-7b" and cfg.tokenizer_path == "/models/tok"
    assert cfg.llm_dtype == "float16"
    assert cfg.llm_lora == {"r": 64, "lora_alpha": 16, "lora_dropout": 0.1, "bias": "none",
                            "task_type": "CAUSAL_LM", "use_rslora": True, "target_modules": ["wqkv", "wo"]}


def test_full_finetune_config_has_no_lora():
    cfg = parse_config(sft_config("/m/base"))
    assert cfg.llm_lora is None and cfg.tokenizer_path == "/m/base"


def test_llava_config():
    cfg = parse_config(llava_config("/m/vicuna", "/m/clip", llm_lora=dict(r=8, lora_alpha=16),
                                    vit_lora=dict(r=4, lora_alpha=8, lora_dropout=0.05, bias="none"),
                                    freeze_llm=True, freeze_vit=True, depth=3))
    assert cfg.is_llava and cfg.llm_path == "/m/vicuna" and cfg.visual_encoder_path == "/m/clip"
    assert cfg.visual_encoder_class == "CLIPVisionModel" and cfg.image_processor_path == "/m/clip"
    assert cfg.llm_lora == {"r": 8, "lora_alpha": 16} and cfg.visual_encoder_lora["r"] == 4
    assert cfg.projector_depth == 3 and cfg.freeze_llm is True and cfg.freeze_visual_encoder is True


def test_mmengine_pretty_text_with_string_types():
    text = """model = dict(type='xtuner.model.SupervisedFinetune',
    llm=dict(type='transformers.AutoModelForCausalLM.from_pretrained',
             pretrained_model_name_or_path='/m/qwen', torch_dtype='torch.bfloat16'),
    lora=dict(type='peft.LoraConfig', r=16, lora_alpha=32, target_modules=None))
tokenizer = dict(type='transformers.AutoTokenizer.from_pretrained', pretrained_model_name_or_path='/m/qwen')
"""
    cfg = parse_config(text)
    assert cfg.model_type == "SupervisedFinetune" and cfg.llm_dtype == "bfloat16"
    assert cfg.llm_lora == {"r": 16, "lora_alpha": 32, "target_modules": None}


def test_config_code_is_never_run(tmp_path):
    marker = tmp_path / "ran"
    text = f"import os\nos.system('touch {marker}')\nopen({str(marker)!r}, 'w')\n" + sft_config("/m/b")
    cfg = parse_config(text)
    assert cfg.llm_path == "/m/b" and not marker.exists()


def test_expressions_and_inheritance(tmp_path):
    (tmp_path / "_base_").mkdir()
    (tmp_path / "_base_" / "models.py").write_text("root = '/data'\nlora_r = 32\n")
    (tmp_path / "common.py").write_text("alpha = 64\n")
    (tmp_path / "cfg.py").write_text("""
from mmengine.config import read_base
with read_base():
    from ._base_.models import *
_base_ = ['common.py']
import os.path as osp
name = f"{root}/llama"
model = dict(type='SupervisedFinetune',
             llm=dict(pretrained_model_name_or_path=osp.join(root, 'llama')),
             lora=dict(r=lora_r, lora_alpha=alpha * 2, lora_dropout=-0.0 + 0.05, target_modules={'q_proj'}))
tokenizer = dict(pretrained_model_name_or_path=name + '-tok')
""")
    cfg = read_config(tmp_path / "cfg.py")
    assert cfg.llm_path == "/data/llama" and cfg.tokenizer_path == "/data/llama-tok"
    assert cfg.llm_lora == {"r": 32, "lora_alpha": 128, "lora_dropout": 0.05, "target_modules": ["q_proj"]}


@pytest.mark.parametrize("text,match", [
    ("model = dict(type=SupervisedFinetune,\n  llm=dict(\n", r"not valid Python \(line \d+"),
    ("{\"model\": {\"type\": \"x\"}", "not valid Python"),
    ("print('hello')\n", "defines no `model = dict"),
])
def test_not_a_config(tmp_path, text, match):
    (tmp_path / "cfg.py").write_text(text)
    with pytest.raises(SourceError, match=match) as err:
        read_config(tmp_path / "cfg.py")
    assert "cfg.py" in str(err.value)


def test_binary_file_is_not_a_config(tmp_path):
    (tmp_path / "cfg.py").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SourceError, match="not a text file"):
        read_config(tmp_path / "cfg.py")
