"""Fixtures for the safety tests: tiny inputs built once per session (read-only by convention)."""

import pytest


@pytest.fixture(scope="session")
def base(model_cache):
    """A tiny Llama base (bf16, one safetensors file, tokenizer, generation config)."""
    return model_cache("llama", "bfloat16")


@pytest.fixture(scope="session")
def adapter(base, tmp_path_factory):
    """A PEFT LoRA adapter for ``base`` (r=4 on every linear layer), saved as safetensors."""
    from fixtures.adapters import make_adapter

    return make_adapter(base, tmp_path_factory.mktemp("adapter") / "lora")
