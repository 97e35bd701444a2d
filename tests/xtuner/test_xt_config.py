"""The XTuner config is read by parsing, never executed."""

import pytest

from fixtures.specimens import ROOT as SPECIMENS_ROOT
from fixtures.xtuner import llava_config, sft_config
from mergesmith.core.errors import SourceError
from mergesmith.core.sources.xtuner.config import parse_config, read_config


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


# --- Python forms, checked against mmengine's own evaluation and dump -----------------------------
#
# Each config is written as an XTuner config is (imports, `type=LoraConfig`, `torch.float16`), with
# only transformers/peft/torch/mmengine imports, so that mmengine-lite's real `Config.fromfile` can
# run it here. mmengine's evaluated values are the truth for the expected values written below, and
# its `dump` (what the Runner writes into a work_dir) must read the same as the file as written.

import dataclasses  # noqa: E402
import textwrap  # noqa: E402

from mergesmith.core.sources.xtuner.config import XTunerConfig  # noqa: E402

HEAD = """\
import os
import pathlib

import torch
from mmengine.dataset import DefaultSampler
from peft import LoraConfig
from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

pretrained_model_name_or_path = '/models/base'
use_varlen_attn = False
lora_alpha = 16
"""
MODEL = """
model = dict(
    type='xtuner.model.SupervisedFinetune',
    use_varlen_attn=use_varlen_attn,
    llm=dict(
        type=AutoModelForCausalLM.from_pretrained,
        pretrained_model_name_or_path=pretrained_model_name_or_path,
        torch_dtype=torch.float16,
        quantization_config=dict(type=BitsAndBytesConfig, load_in_4bit=True, load_in_8bit=False,
                                 bnb_4bit_compute_dtype=torch.float16)),
    lora=dict(type=LoraConfig, r=64, lora_alpha=lora_alpha, lora_dropout=0.1, bias='none',
              task_type='CAUSAL_LM'))
tokenizer = dict(type=AutoTokenizer.from_pretrained, pretrained_model_name_or_path=pretrained_model_name_or_path)
custom_hooks = [dict(type='xtuner.engine.hooks.DatasetInfoHook', tokenizer=tokenizer)]
if use_varlen_attn:
    custom_hooks += [dict(type='xtuner.engine.hooks.VarlenAttnArgsToMessageHubHook')]
"""
DEFAULT = {"base": "/models/base", "r": 64, "lora_alpha": 16, "use_rslora": None, "target_modules": None,
           "dtype": "float16", "quantization": "4-bit"}


# mmengine runs a config that imports from site-packages in its lazy-import mode, where calling an
# imported object (os.path.join, os.environ.get, Path) fails; one that imports only the standard
# library runs as plain Python (`lazy_import=False`; mmengine picks it by itself when the standard
# library lies under the interpreter's prefix, as in conda). The cases with such calls use that
# form, with the classes as strings.
CLASSIC = {"import torch\n": "", "from mmengine.dataset import DefaultSampler\n": "",
           "from peft import LoraConfig\n": "",
           "from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig\n": "",
           "torch.float16": "'torch.float16'", "type=LoraConfig": "type='peft.LoraConfig'",
           "type=BitsAndBytesConfig": "type='transformers.BitsAndBytesConfig'",
           "type=AutoModelForCausalLM.from_pretrained": "type='transformers.AutoModelForCausalLM.from_pretrained'",
           "type=AutoTokenizer.from_pretrained": "type='transformers.AutoTokenizer.from_pretrained'"}


def _config(tmp_path, pre: str, post: str, classic: bool = False):
    text = HEAD + textwrap.dedent(pre) + MODEL + textwrap.dedent(post)
    for old, new in CLASSIC.items() if classic else ():
        text = text.replace(old, new)
    path = tmp_path / "cfg.py"
    path.write_text(text)
    return path


def _values(cfg: XTunerConfig) -> dict:
    lora = cfg.llm_lora or {}
    return {"base": cfg.llm_path, "r": lora.get("r"), "lora_alpha": lora.get("lora_alpha"),
            "use_rslora": lora.get("use_rslora"), "target_modules": lora.get("target_modules"),
            "dtype": cfg.llm_dtype, "quantization": cfg.quantization}


def _fromfile(path, **kwargs):
    # imported here: test_xt_checkpoint checks that reading a checkpoint never imports mmengine
    from mmengine.config import Config
    return Config.fromfile(str(path), **kwargs)


def _mmengine(path, out, classic: bool = False):
    """mmengine's evaluated values (in the same terms) and its dump of the config to ``out``."""
    cfg = _fromfile(path, lazy_import=False if classic else None)
    cfg.dump(str(out))
    llm, lora = cfg.model.llm, cfg.model.get("lora") or {}
    quant = llm.get("quantization_config") or {}
    tm = lora.get("target_modules")
    return {"base": llm.pretrained_model_name_or_path, "r": lora.get("r"), "lora_alpha": lora.get("lora_alpha"),
            "use_rslora": lora.get("use_rslora"), "target_modules": list(tm) if tm is not None else None,
            "dtype": str(llm.torch_dtype).replace("torch.", ""),
            "quantization": "4-bit" if quant.get("load_in_4bit") else "8-bit" if quant.get("load_in_8bit") else None}


def _same(a: XTunerConfig, b: XTunerConfig) -> bool:
    fields = [f.name for f in dataclasses.fields(XTunerConfig) if f.name not in ("path", "notes", "unknown")]
    return {f: getattr(a, f) for f in fields} == {f: getattr(b, f) for f in fields} and \
        a.unknown == {} == b.unknown


KNOWN = {
    "augmented assignment": ("lora_alpha *= 2\n", "", {"lora_alpha": 32}),
    "+= on a list seen through another name": (
        "targets = ['q_proj']\nsame = targets\ntargets += ['v_proj']\n",
        "model['lora']['target_modules'] = same\n", {"target_modules": ["q_proj", "v_proj"]}),
    "subscript assignment into a nested dict": ("", "model['lora']['lora_alpha'] = 32\n", {"lora_alpha": 32}),
    "assignment into a dict seen through another name": (
        "", "lora = model['lora']\nlora['r'] = 8\n", {"r": 8}),
    ".update on a nested dict": ("", "model['lora'].update(lora_alpha=32, use_rslora=True)\n",
                                 {"lora_alpha": 32, "use_rslora": True}),
    ".update on a dict variable": (
        "extra = dict(r=16)\n", "lora = model['lora']\nlora.update(extra)\nextra['r'] = 4\n", {"r": 16}),
    "dict(a, **b) and {**a, **b}": (
        "", "model['lora'] = dict(model['lora'], **dict(r=8))\nmodel['llm'] = {**model['llm'], "
            "'torch_dtype': torch.bfloat16}\n", {"r": 8, "dtype": "bfloat16"}),
    "if/elif/else decided by a known condition": (
        "size = '7b'\nsmall = False\n"
        "if size == '13b':\n    lora_alpha = 64\nelif size in ('7b', '8b') and not small:\n    lora_alpha = 32\n"
        "else:\n    lora_alpha = 8\n", "", {"lora_alpha": 32}),
    "if/else expression": ("big = 2 > 1\nlora_alpha = 32 if big else 8\n", "", {"lora_alpha": 32}),
    "del, pop and setdefault": (
        "", "model['lora']['use_rslora'] = True\ndel model['lora']['use_rslora']\n"
            "model['llm'].pop('quantization_config')\nmodel['lora'].setdefault('r', 4)\n",
        {"quantization": None}),
    "f-string, os.path.join and concatenation (classic)": (
        "root = '/models'\npretrained_model_name_or_path = os.path.join(root, f'{\"ba\" + \"se\"}')\n", "", {}),
    "8-bit quantization": (
        "", "model['llm']['quantization_config'] = dict(type=BitsAndBytesConfig, load_in_8bit=True)\n",
        {"quantization": "8-bit"}),
    "'in' and 'is not None' on dicts that hold imported classes": (
        "", "lora = model.get('lora') if 'lora' in model else model.get('llm_lora')\n"
            "if lora is not None and 'llm_lora' not in model:\n    lora['r'] = 8\n", {"r": 8}),
    "while with a false condition, for over nothing": (
        "while False:\n    lora_alpha = 1\nfor x in []:\n    lora_alpha = 2\n", "", {}),
}


@pytest.mark.parametrize("name", KNOWN)
def test_python_form_is_evaluated_as_mmengine_does(tmp_path, name):
    pre, post, changed = KNOWN[name]
    written = _config(tmp_path, pre, post, classic="classic" in name)
    truth = _mmengine(written, tmp_path / "dumped.py", classic="classic" in name)
    ours = read_config(written)
    assert _values(ours) == {**DEFAULT, **changed} == truth
    assert ours.notes == []  # the decided `if use_varlen_attn:` and the rest need no note
    dumped = read_config(tmp_path / "dumped.py")
    assert "type='peft.LoraConfig'" in (tmp_path / "dumped.py").read_text()  # the dumped form indeed
    assert _same(ours, dumped)


UNKNOWN = {
    # name: (pre, post, the field left unknown, text on the line the sentence must name)
    "str.format": ("pretrained_model_name_or_path = '/models/{}'.format('base')\n", "", "llm_path", ".format("),
    "os.environ.get": ("pretrained_model_name_or_path = os.environ.get('MS_NO_SUCH_VAR', '/models/base')\n",
                       "", "llm_path", "os.environ.get"),
    "pathlib": ("pretrained_model_name_or_path = str(pathlib.Path('/models') / 'base')\n", "", "llm_path",
                "pathlib.Path("),
    "mmengine's {{$ENV}}": ("pretrained_model_name_or_path = '{{$MS_NO_SUCH_VAR:/models/base}}'\n", "",
                            "llm_path", "{{$"),
    "try/except": ("try:\n    pretrained_model_name_or_path = '/models/base'\nexcept ImportError:\n"
                   "    pretrained_model_name_or_path = '/models/other'\n", "", "llm_path", "try:"),
    "if on an unknown condition whose branches disagree": (
        "if os.environ.get('MS_NO_SUCH_VAR'):\n    lora_alpha = 32\nelse:\n    lora_alpha = 16\n", "",
        "llm_lora", "if os.environ"),
    "for loop changing the LoRA": ("", "for key in ['lora_alpha']:\n    model['lora'][key] = 16\n",
                                   "llm_lora", "for key"),
    "function that changes a dict inside its argument": (
        "", "def tweak(w):\n    w['inner']['lora_alpha'] = 16\n\nwrapper = dict(inner=model['lora'])\n"
            "tweak(wrapper)\n", "llm_lora", "tweak(wrapper)"),
    "function that changes the LoRA": (
        "", "def double(cfg):\n    cfg['lora_alpha'] = 16\n\ndouble(model['lora'])\n", "llm_lora", "double(model"),
}


@pytest.mark.parametrize("name", UNKNOWN)
def test_unknown_value_is_none_with_a_sentence_naming_the_line(tmp_path, name):
    pre, post, field, marker = UNKNOWN[name]
    written = _config(tmp_path, pre, post, classic=True)
    truth = _mmengine(written, tmp_path / "dumped.py", classic=True)
    line = next(i for i, text in enumerate(written.read_text().splitlines(), 1) if marker in text)
    ours = read_config(written)
    assert getattr(ours, field) is None
    sentence = ours.unknown[field]
    assert f"line {line}:" in sentence and "cfg.py" in sentence and sentence in ours.notes
    assert len(sentence) < 400 and "Traceback" not in sentence
    if field == "llm_path":
        assert "--base" in sentence
    others = {k: v for k, v in _values(ours).items() if v is not None}
    assert others.items() <= DEFAULT.items()  # nothing else is lost or guessed
    # the work_dir's dump holds what mmengine evaluated: read exactly
    assert _values(read_config(tmp_path / "dumped.py")) == truth == DEFAULT


# A change made through a name that may be any of several dicts may reach any of them: the whole
# config is then unknown, and refused with the line (never the value from before the change).
ALIASED = {
    "change through an unknown if-expression": (
        "", "other = dict(r=1)\nx = model['lora'] if os.environ.get('MS_NO_SUCH_VAR') is None else other\n"
            "x['lora_alpha'] = 16\n", "llm_lora", "x['lora_alpha']"),
    "change through a name an unknown if binds to different dicts": (
        "", "other = dict(r=1)\nif os.environ.get('MS_NO_SUCH_VAR') is None:\n    x = model['lora']\nelse:\n"
            "    x = other\nx['lora_alpha'] = 16\n", "llm_lora", "x['lora_alpha']"),
    "change through a loop variable": (
        "", "for d in [model['lora']]:\n    d['lora_alpha'] = 16\n", "llm_lora", "for d in"),
    "change through what a function returns": (
        "", "def lora_of(cfg):\n    return cfg['lora']\n\nlora_of(model)['lora_alpha'] = 16\n", "llm_lora",
        "lora_of(model)"),
}


@pytest.mark.parametrize("name", ALIASED)
def test_change_through_a_name_that_may_be_any_dict_refuses_naming_the_line(tmp_path, name):
    pre, post, _, marker = ALIASED[name]
    written = _config(tmp_path, pre, post, classic=True)
    truth = _mmengine(written, tmp_path / "dumped.py", classic=True)
    line = next(i for i, text in enumerate(written.read_text().splitlines(), 1) if marker in text)
    with pytest.raises(SourceError, match=rf"cfg.py: `model` is not known \(line {line}: ") as err:
        read_config(written)
    assert "Traceback" not in str(err.value) and len(str(err.value)) < 400
    assert _values(read_config(tmp_path / "dumped.py")) == truth == DEFAULT


def test_an_unknown_if_that_the_merge_does_not_depend_on_gives_no_note():
    cfg = parse_config(HEAD + "if os.environ.get('FAST'):\n    batch_size = 8\nelse:\n    batch_size = 1\n" + MODEL)
    assert cfg.notes == [] and cfg.unknown == {} and _values(cfg) == DEFAULT


def test_an_unknown_if_on_the_base_names_the_if():
    text = HEAD + "if os.environ.get('BIG'):\n    pretrained_model_name_or_path = '/m/13b'\n" + MODEL
    cfg = parse_config(text, label="cfg.py")
    line = text.splitlines().index("if os.environ.get('BIG'):") + 1
    assert cfg.llm_path is None and cfg.tokenizer_path is None
    assert f"line {line}: `if os.environ.get('BIG'):`" in cfg.unknown["llm_path"]
    assert cfg.llm_lora["lora_alpha"] == 16  # the branches agree on the rest


def test_attribute_assignment_into_an_inherited_config_dict(tmp_path):
    # mmengine's pure-Python configs: what `with read_base():` imports are ConfigDicts, which take
    # `model.lora.r = 8` (a plain dict(...) made in the file itself would not)
    (tmp_path / "base_cfg.py").write_text(HEAD + MODEL)
    child = tmp_path / "cfg.py"
    child.write_text("import torch\nfrom mmengine.config import read_base\nwith read_base():\n"
                     "    from .base_cfg import *\nmodel.lora.r = 8\nmodel.llm.torch_dtype = torch.bfloat16\n")
    truth = _mmengine(child, tmp_path / "dumped.py")
    assert _values(read_config(child)) == {**DEFAULT, "r": 8, "dtype": "bfloat16"} == truth
    assert _values(read_config(tmp_path / "dumped.py")) == truth


def test_mutation_reaches_every_name_of_the_same_dict():
    text = HEAD + "lora = dict(type=LoraConfig, r=64, lora_alpha=16)\n" + MODEL.replace(
        "lora=dict(type=LoraConfig, r=64, lora_alpha=lora_alpha, lora_dropout=0.1, bias='none',\n"
        "              task_type='CAUSAL_LM'))", "lora=lora)") + "lora['lora_alpha'] = 32\n"
    assert parse_config(text).llm_lora == {"r": 64, "lora_alpha": 32}


def test_internvl_names_its_base_by_model_path(tmp_path):
    written = tmp_path / "internvl.py"
    written.write_text(textwrap.dedent("""\
        from peft import LoraConfig
        path = 'OpenGVLab/InternVL-Chat-V1-5'
        model = dict(
            type='xtuner.model.InternVL_V1_5',
            model_path=path,
            freeze_llm=True,
            freeze_visual_encoder=True,
            quantization_llm=True,
            quantization_vit=False,
            llm_lora=dict(type=LoraConfig, r=128, lora_alpha=256, lora_dropout=0.05, target_modules=None,
                          task_type='CAUSAL_LM'))
        """))
    _fromfile(written).dump(str(tmp_path / "dumped.py"))
    for cfg in (read_config(written), read_config(tmp_path / "dumped.py")):
        assert cfg.model_type == "InternVL_V1_5" and cfg.llm_path == "OpenGVLab/InternVL-Chat-V1-5"
        assert cfg.quantization == "4-bit" and cfg.llm_dtype == "bfloat16"
        assert cfg.llm_lora["r"] == 128 and cfg.llm_lora["lora_alpha"] == 256
        assert cfg.freeze_llm is True and cfg.notes == []


@pytest.mark.parametrize("folder,expected", [
    ("qwen2_qlora_workdir", dict(model_type="SupervisedFinetune", llm_path="Qwen/Qwen1.5-0.5B-Chat",
                                 llm_dtype="float16", quantization="4-bit", r=64, lora_alpha=16)),
    ("zero2_workdir", dict(model_type="SupervisedFinetune", llm_path="internlm/internlm2-chat-7b",
                           llm_dtype="float16", quantization="4-bit", r=64, lora_alpha=16)),
    ("llava_pretrain_workdir", dict(model_type="LLaVAModel", llm_path="lmsys/vicuna-7b-v1.5", llm_dtype="float16",
                                    quantization="4-bit", r=None, lora_alpha=None)),
])
def test_the_specimens_dumped_configs(folder, expected):
    (path,) = [p for p in (SPECIMENS_ROOT / folder / "work_dirs").glob("*/*.py") if p.stem == p.parent.name]
    cfg = read_config(path)
    lora = cfg.llm_lora or {}
    got = dict(model_type=cfg.model_type, llm_path=cfg.llm_path, llm_dtype=cfg.llm_dtype,
               quantization=cfg.quantization, r=lora.get("r"), lora_alpha=lora.get("lora_alpha"))
    assert got == expected and cfg.notes == [] and cfg.unknown == {}
    assert cfg.tokenizer_path == cfg.llm_path
    if cfg.is_llava:
        assert cfg.visual_encoder_path == "openai/clip-vit-large-patch14-336" == cfg.image_processor_path
        assert cfg.freeze_llm is True and cfg.freeze_visual_encoder is True and cfg.llm_lora is None


@pytest.mark.parametrize("text,match", [
    # hand-made hostile configs: refused with a sentence naming the file, never a traceback
    ("lora = dict(r=8)\nlora['target_modules'] = [lora]\nmodel = dict(type='S', lora=lora)\n", "holds itself"),
    ("import os\nif os.environ.get('A'):\n    model = dict(type='S')\n", r"`model` is not known \(line 2: `if os"),
    ("a = [1]\na.append(a)\nsame = a == a\nmodel = dict(type='S')\n", "nests its expressions too deeply"),
])
def test_hostile_config_is_refused_with_a_sentence(tmp_path, text, match):
    (tmp_path / "cfg.py").write_text(text)
    with pytest.raises(SourceError, match=match) as err:
        read_config(tmp_path / "cfg.py")
    assert "cfg.py" in str(err.value)


def test_a_huge_value_is_unknown_not_built():
    cfg = parse_config("x = 'a' * 10**9\nmodel = dict(type='S', llm=dict(pretrained_model_name_or_path=x))\n",
                       label="cfg.py")
    assert cfg.llm_path is None and "line 1: `'a' * 10**9` would build a value far too large" in cfg.unknown["llm_path"]


def test_names_of_one_dict_stay_together_across_an_unknown_if_and_print_changes_nothing():
    text = HEAD + MODEL + ("lora = model['lora']\nif os.environ.get('FAST'):\n    batch_size = 8\n"
                           "print(model)\nlora['lora_alpha'] = 32\n")
    cfg = parse_config(text)
    assert _values(cfg) == {**DEFAULT, "lora_alpha": 32} and cfg.notes == []


def test_mmengine_placeholders_are_unknown(tmp_path):
    # filled in by mmengine's classic loader only, not in its lazy-import mode (what XTuner's configs get)
    path = _config(tmp_path, "pretrained_model_name_or_path = '{{ fileDirname }}/base'\n", "")
    cfg = read_config(path)
    assert cfg.llm_path is None and "line 12: `'{{ fileDirname }}/base'`" in cfg.unknown["llm_path"]


def test_internvl_with_an_unknown_model_path_leaves_base_and_tokenizer_unknown():
    cfg = parse_config("import os\nmodel = dict(type='xtuner.model.InternVL_V1_5', "
                       "model_path=os.environ['INTERNVL'])\n", label="cfg.py")
    assert cfg.llm_path is None and cfg.tokenizer_path is None
    assert "line 2: `os.environ['INTERNVL']`" in cfg.unknown["llm_path"] == cfg.unknown["tokenizer_path"]


@pytest.mark.parametrize("expr", ["sorted([1, 'a'])", "max([])", "1 / 0", "[1][5]", "2.0 ** 5000", "int('9' * 5000)"])
def test_an_expression_that_fails_is_unknown_not_a_crash(expr):
    cfg = parse_config(f"alpha = {expr}\nmodel = dict(type='S', lora=dict(r=8, lora_alpha=alpha))\n", label="cfg.py")
    assert cfg.llm_lora is None and "line 1:" in cfg.unknown["llm_lora"]
