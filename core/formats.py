"""File names, dtype names and size strings: the constants every other module shares."""

from __future__ import annotations

import re

from .errors import MergesmithError

# --- file names -------------------------------------------------------------------------------

CONFIG = "config.json"
GENERATION_CONFIG = "generation_config.json"
SAFE_WEIGHTS = "model.safetensors"
SAFE_INDEX = "model.safetensors.index.json"
PT_WEIGHTS = "pytorch_model.bin"
PT_INDEX = "pytorch_model.bin.index.json"
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_SAFE = "adapter_model.safetensors"
ADAPTER_BIN = "adapter_model.bin"
XTUNER_CONFIG = "xtuner_config.py"
PREPROCESSOR_CONFIG = "preprocessor_config.json"

# XTuner's converted layout (pth_to_hf)
LLM_ADAPTER_DIR = "llm_adapter"
VISUAL_ENCODER_ADAPTER_DIR = "visual_encoder_adapter"
VISUAL_ENCODER_DIR = "visual_encoder"
PROJECTOR_DIR = "projector"

# mmengine's checkpoint names in an XTuner work_dir: iter_N.pth / epoch_N.pth (files, or DeepSpeed folders)
CHECKPOINT_NAME_RE = re.compile(r"^(iter|epoch)_(\d+)\.pth$")


def is_checkpoint_name(name: str) -> bool:
    return CHECKPOINT_NAME_RE.match(name) is not None

SHARD_NAME = "model-{index:05d}-of-{count:05d}.safetensors"
SHARD_RE = re.compile(r"^model-(\d{5})-of-(\d{5})\.safetensors$")

# Files a tokenizer may need, whichever exist. Matched by name or pattern.
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer.model",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
    "spiece.model",
    "sentencepiece.bpe.model",
    "chat_template.jinja",
    "chat_template.json",
)
TOKENIZER_PATTERNS = (
    re.compile(r"^.+\.tiktoken$"),
    re.compile(r"^chat_template.*\.(jinja|json)$"),  # also additional_chat_templates files
)
# Processor files of multimodal models: carried from the base when present.
PROCESSOR_FILES = (
    "preprocessor_config.json",
    "processor_config.json",
    "video_preprocessor_config.json",
)
# Licences travel with the weights they cover.
LICENSE_RE = re.compile(r"^(LICEN[CS]E|NOTICE|USE_POLICY)(\..*)?$", re.IGNORECASE)
# The model card the Hub reads (front matter: huggingface_hub's ModelCardData), and the values the
# Hub documents for its base_model_relation (docs/hub/model-cards.md, "Specifying a base model").
MODEL_CARD = "README.md"
BASE_MODEL_RELATIONS = ("adapter", "merge", "quantized", "finetune")
# Weight files that are never carried as plain files.
PICKLE_WEIGHT_SUFFIXES = (".bin", ".pth", ".pt", ".ckpt", ".pkl")


# Names of the embedding tensors across architectures (Llama/Qwen, GPT-2, InternLM, BLOOM, NeoX).
INPUT_EMBEDDING_SUFFIXES = ("embed_tokens.weight", "wte.weight", "tok_embeddings.weight",
                            "word_embeddings.weight", "embed_in.weight")
OUTPUT_EMBEDDING_NAMES = ("lm_head.weight", "output.weight", "embed_out.weight")


def is_tokenizer_file(name: str) -> bool:
    return name in TOKENIZER_FILES or any(p.match(name) for p in TOKENIZER_PATTERNS)


# --- kinds of input -----------------------------------------------------------------------------
# What a path is, as detect (Source.kind) and inspect (Report.kind) name it, with one title each.

KIND_MODEL = "model"
KIND_PEFT_ADAPTER = "peft-adapter"
KIND_XTUNER_CONVERTED = "xtuner-converted"
KIND_WORK_DIR = "xtuner-work-dir"
KIND_PTH = "xtuner-pth"                    # detect: one iter_N.pth file
KIND_DEEPSPEED = "xtuner-deepspeed"        # detect: one DeepSpeed iter_N.pth/ folder
KIND_CHECKPOINT = "xtuner-checkpoint"      # inspect: either of the two above
KIND_LLAVA = "llava"                       # inspect: a merged LLaVA, XTuner's layout
KIND_LLAVA_HF = "llava-hf"                 # inspect: a merged LLaVA, LlavaForConditionalGeneration
KIND_UNKNOWN = "unknown"                   # inspect: no model here
KIND_GGUF = "gguf"                         # inspect: one .gguf file (llama.cpp)

KIND_TITLES = {
    KIND_MODEL: "Hugging Face model folder",
    KIND_PEFT_ADAPTER: "PEFT adapter",
    KIND_XTUNER_CONVERTED: "XTuner converted output (pth_to_hf)",
    KIND_WORK_DIR: "XTuner work_dir",
    KIND_PTH: "XTuner checkpoint (.pth)",
    KIND_DEEPSPEED: "XTuner DeepSpeed checkpoint",
    KIND_CHECKPOINT: "XTuner training checkpoint",
    KIND_LLAVA: "LLaVA model (XTuner layout: LLM, projector/, visual_encoder/)",
    KIND_LLAVA_HF: "LLaVA model (Hugging Face LlavaForConditionalGeneration)",
    KIND_UNKNOWN: "folder without a model",
    KIND_GGUF: "GGUF file (llama.cpp, Ollama, LM Studio)",
}


# --- dtypes -----------------------------------------------------------------------------------

# safetensors dtype codes <-> torch dtypes: ``ST_TO_TORCH`` and ``TORCH_TO_ST``, built on first use
# (module ``__getattr__``) so that importing this module, and every command that only reads headers
# and JSON, does not import torch (about a second).
_TORCH_NAMES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64",
                "I32": "int32", "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool",
                "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2"}


def __getattr__(name: str):
    if name not in ("ST_TO_TORCH", "TORCH_TO_ST"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import torch

    st_to_torch = {code: getattr(torch, attr) for code, attr in _TORCH_NAMES.items() if hasattr(torch, attr)}
    globals().update(ST_TO_TORCH=st_to_torch, TORCH_TO_ST={v: k for k, v in st_to_torch.items()})
    return globals()[name]


ST_ITEMSIZE = {
    "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1,
    "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1, "U16": 2, "U32": 4, "U64": 8,
}

# names people and configs use <-> safetensors codes
DTYPE_NAMES = {"float32": "F32", "float16": "F16", "bfloat16": "BF16", "float64": "F64"}
ST_TO_NAME = {v: k for k, v in DTYPE_NAMES.items()}
FLOAT_CODES = {"F64", "F32", "F16", "BF16"}


def dtype_name(code: str) -> str:
    """``"BF16"`` -> ``"bfloat16"`` (other codes are returned as they are, lower-cased)."""
    return ST_TO_NAME.get(code, code.lower())


def dtype_code(name: str) -> str:
    """``"bfloat16"``/``"bf16"``/``"torch.bfloat16"`` -> ``"BF16"``."""
    key = str(name).lower().replace("torch.", "")
    aliases = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16", "half": "float16",
               "float": "float32", "f32": "float32", "f16": "float16"}
    key = aliases.get(key, key)
    if key not in DTYPE_NAMES:
        raise MergesmithError(
            f"Unknown dtype {name!r}; use one of float16, bfloat16 or float32."
        )
    return DTYPE_NAMES[key]


def config_dtype(config: dict):
    """The dtype a model's config.json names (``torch_dtype`` or ``dtype``, or its text config's),
    as a safetensors code; None when it names none (or one we do not know)."""
    text = config.get("text_config")
    for doc in (config, text if isinstance(text, dict) else {}):
        for key in ("torch_dtype", "dtype"):
            value = doc.get(key)
            if isinstance(value, str):
                try:
                    return dtype_code(value)
                except MergesmithError:
                    return None
    return None


# --- sizes ------------------------------------------------------------------------------------

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*$", re.IGNORECASE)
_UNITS = {
    "B": 1,
    "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
    "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40,
}


def parse_size(text: str | int) -> int:
    """Parse a size as transformers writes it: ``5GB`` (powers of 1000) or ``5GiB`` (1024)."""
    if isinstance(text, int):
        if text <= 0:
            raise MergesmithError(f"A size must be positive, not {text}.")
        return text
    m = _SIZE_RE.match(str(text))
    if not m:
        raise MergesmithError(
            f"Cannot read the size {text!r}; write it like 5GB, 500MB or 2GiB."
        )
    number, unit = float(m.group(1)), (m.group(2) or "B").upper()
    value = int(number * _UNITS[unit])
    if value <= 0:
        raise MergesmithError(f"A size must be positive, not {text!r}.")
    return value


def format_size(n: int | float) -> str:
    """A short human size in powers of 1000, as file managers and the Hub show them."""
    n = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{int(n)} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover


def format_seconds(seconds: float, *, whole: bool = False) -> str:
    """``0.04 s``, ``3.2 s``, ``2 min 05 s``: as precise as a person needs.

    ``whole``: seconds rounded to whole ones (``45 s``), for estimates such as time left.
    """
    if whole:
        seconds = max(0, int(round(seconds)))
        if seconds < 60:
            return f"{seconds} s"
    elif seconds < 1:
        return f"{seconds:.2f} s"
    elif seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
