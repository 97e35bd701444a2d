"""Tiny models, tokenizers and adapters built on the fly: nothing is downloaded, nothing committed.

Every test that needs a model builds one here from a transformers config (a few hundred KB),
with a real byte-level BPE tokenizer trained by the ``tokenizers`` library on a line of text,
and adapters made by PEFT itself with non-zero ``lora_B`` (``init_lora_weights=False``).
"""

from __future__ import annotations

import functools
import json
import os
import warnings
from pathlib import Path
from typing import Optional

import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

def quiet(fn):
    """Silence the library chatter (PEFT/transformers warnings) of a builder; tests run with -W error."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)

    return wrapper


CORPUS = ["hello world, this is a tiny corpus for a tiny tokenizer.",
          "Mergesmith merges adapters into base models, one tensor at a time."]
CHAT_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}</s>{% endfor %}"
                 "{% if add_generation_prompt %}<|assistant|>{% endif %}")


def make_tokenizer(folder: Path, vocab_size: int = 120, chat_template: bool = True):
    """A byte-level BPE tokenizer saved as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<unk>", "<s>", "</s>", "<pad>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet()[:40], show_progress=False)
    tok.train_from_iterator(CORPUS * 4, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                                   unk_token="<unk>", pad_token="<pad>")
    if chat_template:
        fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(str(folder))
    return fast


ARCHS = ("llama", "qwen2", "gpt2")


def model_config(arch: str = "llama", vocab_size: int = 128, tie: bool = False, **kw):
    from transformers import GPT2Config, LlamaConfig, Qwen2Config

    if arch == "llama":
        return LlamaConfig(hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                           num_key_value_heads=2, vocab_size=vocab_size, tie_word_embeddings=tie,
                           max_position_embeddings=64, bos_token_id=1, eos_token_id=2, pad_token_id=3, **kw)
    if arch == "qwen2":
        return Qwen2Config(hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                           num_key_value_heads=2, vocab_size=vocab_size, tie_word_embeddings=tie,
                           max_position_embeddings=64, bos_token_id=1, eos_token_id=2, pad_token_id=3, **kw)
    if arch == "gpt2":
        return GPT2Config(n_embd=32, n_layer=2, n_head=4, n_positions=64, vocab_size=vocab_size,
                          tie_word_embeddings=tie, bos_token_id=1, eos_token_id=2, **kw)
    raise ValueError(arch)


@quiet
def make_model(folder: Path, arch: str = "llama", dtype: torch.dtype = torch.bfloat16,
               max_shard_size: Optional[str] = None, tie: bool = False, vocab_size: int = 128,
               seed: int = 0, tokenizer: bool = True, generation_config: bool = True) -> Path:
    """A randomly initialised tiny model saved as safetensors (sharded if ``max_shard_size``)."""
    from transformers import AutoModelForCausalLM, GenerationConfig

    folder = Path(folder)
    torch.manual_seed(seed)
    config = model_config(arch, vocab_size=vocab_size, tie=tie)
    model = AutoModelForCausalLM.from_config(config).to(dtype)
    with torch.no_grad():  # make every tensor non-trivial (norms start at exactly 1)
        for name, p in model.named_parameters():
            if "norm" in name or name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")):
                p.add_(torch.randn_like(p) * 0.1)
    kwargs = {"max_shard_size": max_shard_size} if max_shard_size else {}
    model.save_pretrained(str(folder), **kwargs)
    if generation_config:
        GenerationConfig(bos_token_id=1, eos_token_id=[2, 3], max_new_tokens=16).save_pretrained(str(folder))
    elif (folder / "generation_config.json").exists():
        (folder / "generation_config.json").unlink()
    if tokenizer:
        make_tokenizer(folder, vocab_size=min(vocab_size, 120))
    return folder


@quiet
def load_model(folder: Path, dtype: Optional[torch.dtype] = None):
    from transformers import AutoModelForCausalLM

    kwargs = {"dtype": dtype} if dtype is not None else {}
    return AutoModelForCausalLM.from_pretrained(str(folder), **kwargs)


@quiet
def make_adapter(base: Path, folder: Path, *, dtype: Optional[torch.dtype] = None, seed: int = 1,
                 resize_vocab: Optional[int] = None, tokenizer: bool = False,
                 save_embedding_layers=None, **lora_kwargs) -> Path:
    """A PEFT LoRA adapter for ``base`` with random, non-zero A and B (and magnitudes for DoRA)."""
    from peft import LoraConfig, get_peft_model

    model = load_model(base, dtype=torch.float32)
    if resize_vocab:
        torch.manual_seed(seed + 100)
        model.resize_token_embeddings(resize_vocab, mean_resizing=False)
    lora_kwargs.setdefault("r", 4)
    lora_kwargs.setdefault("lora_alpha", 8)
    lora_kwargs.setdefault("target_modules", "all-linear")
    lora_kwargs.setdefault("init_lora_weights", False)
    torch.manual_seed(seed)
    peft_model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", **lora_kwargs))
    with torch.no_grad():  # trained-looking values everywhere, scaled so merges stay finite
        for name, p in peft_model.named_parameters():
            if p.requires_grad:
                if "lora_magnitude_vector" in name:
                    p.mul_(1 + 0.05 * torch.randn_like(p))
                elif "lora_" in name:
                    p.copy_(torch.randn_like(p) * 0.05)
                else:  # modules_to_save copies, saved embeddings, trainable tokens
                    p.add_(torch.randn_like(p) * 0.02)
    if dtype is not None:
        peft_model = peft_model.to(dtype)
    save_kwargs = {}
    if save_embedding_layers is not None:
        save_kwargs["save_embedding_layers"] = save_embedding_layers
    peft_model.save_pretrained(str(folder), **save_kwargs)
    if tokenizer:
        make_tokenizer(folder, vocab_size=120)
    return Path(folder)


@quiet
def peft_merged(base: Path, adapter: Path, dtype: torch.dtype, resize_vocab: Optional[int] = None):
    """PEFT's own load + merge_and_unload, the reference we compare against."""
    from peft import PeftModel

    model = load_model(base, dtype=dtype)
    if resize_vocab:
        model.resize_token_embeddings(resize_vocab, mean_resizing=False)
    return PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()


@quiet
def peft_unmerged(base: Path, adapter: Path, dtype: torch.dtype):
    from peft import PeftModel

    return PeftModel.from_pretrained(load_model(base, dtype=dtype), str(adapter))


def read_weights(folder: Path) -> dict[str, torch.Tensor]:
    """Every tensor of a safetensors model folder (sharded or not)."""
    from safetensors.torch import load_file

    folder = Path(folder)
    out: dict[str, torch.Tensor] = {}
    for f in sorted(folder.glob("*.safetensors")):
        out.update(load_file(str(f)))
    return out


def read_json(path: Path) -> dict:
    return json.loads(Path(path).read_text())


MANTISSA_BITS = {torch.float32: 23, torch.float16: 10, torch.bfloat16: 7}


def ulp_diff(a: torch.Tensor, b: torch.Tensor, scale: Optional[torch.Tensor] = None) -> float:
    """The largest difference between two same-dtype float tensors, in units in the last place.

    The unit is the spacing of the dtype at the larger magnitude of the two values (or of
    ``scale``, e.g. the base weight, when given): two roundings done in a different order differ
    by at most about one such unit, also where a sum cancels to nearly zero.
    """
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    if a.numel() == 0 or torch.equal(a, b):
        return 0.0
    af, bf = a.double(), b.double()
    mag = torch.maximum(af.abs(), bf.abs())
    if scale is not None:
        mag = torch.maximum(mag, scale.double().abs())
    _, exp = torch.frexp(mag)
    spacing = torch.ldexp(torch.ones_like(mag), exp - 1 - MANTISSA_BITS[a.dtype])
    tiny = torch.finfo(a.dtype).tiny * 2.0 ** -MANTISSA_BITS[a.dtype]
    spacing = torch.clamp(spacing, min=tiny)
    return float(((af - bf).abs() / spacing).max())
