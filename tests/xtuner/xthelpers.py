"""Shared values and reference maths for the XTuner tests (imported by name, not via conftest)."""

import torch

LORA = dict(r=4, lora_alpha=8, lora_dropout=0.05, bias="none", task_type="CAUSAL_LM")

VIT_LORA = dict(r=4, lora_alpha=16, lora_dropout=0.05, bias="none")


def reference_merge(base_weights: dict, sd: dict, wrapper: str, scale: float, out_dtype=None,
                    module_prefix: str = "") -> dict:
    """``base + s * (B @ A)`` in fp32 from the checkpoint's fp32 tensors, cast once: the expected output."""
    out = {}
    for name, w in base_weights.items():
        mod = name[: -len(".weight")] if name.endswith(".weight") else None
        key = f"{wrapper}base_model.model.{module_prefix}{mod}"
        a, b = sd.get(f"{key}.lora_A.default.weight"), sd.get(f"{key}.lora_B.default.weight")
        dtype = out_dtype or w.dtype
        if a is None:
            out[name] = w.to(dtype)
        else:
            out[name] = (w.float() + (b.float() @ a.float()) * scale).to(dtype)
    return out


def assert_same(actual: dict, expected: dict) -> None:
    assert sorted(actual) == sorted(expected)
    for k in expected:
        assert actual[k].dtype == expected[k].dtype, k
        assert torch.equal(actual[k], expected[k]), k
