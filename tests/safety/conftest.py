"""Fixtures for the safety tests: tiny inputs built once per session (read-only by convention)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "xtuner"))


@pytest.fixture(scope="session")
def base(model_cache):
    """A tiny Llama base (bf16, one safetensors file, tokenizer, generation config)."""
    return model_cache("llama", "bfloat16")


@pytest.fixture(scope="session")
def adapter(base, tmp_path_factory):
    """A PEFT LoRA adapter for ``base`` (r=4 on every linear layer), saved as safetensors."""
    from builders import make_adapter

    return make_adapter(base, tmp_path_factory.mktemp("adapter") / "lora")
