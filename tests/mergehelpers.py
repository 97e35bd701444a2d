"""Helpers shared by the merge tests: run Mergesmith's pipeline and compare with references."""

from __future__ import annotations

from pathlib import Path

import torch

from builders import read_weights, ulp_diff


def ms_merge(source: Path, base: Path, out: Path, **options):
    """Detect, plan and run, as the CLI does; returns the Result."""
    from mergesmith.core.engine.merge import merge

    return merge(source, base, out, **options)


def ms_plan(source: Path, base: Path, out: Path, **options):
    from mergesmith.core.plan.base import PlanOptions
    from mergesmith.core.plan.planners import make_plan
    from mergesmith.core.sources.detect import detect

    return make_plan(detect(source), base, PlanOptions(out=out, **options))


def assert_same_as(model_state: dict, out: Path, max_ulp: int = 0, names=None, base=None) -> dict:
    """Every tensor we wrote equals the reference (bit-equal, or within ``max_ulp``).

    ``base`` (the base model's tensors) sets the scale of a unit in the last place where a
    merged value cancels to nearly zero.
    """
    ours = read_weights(out)
    base = base or {}
    worst = {}
    for name, ref in model_state.items():
        if names is not None and name not in names:
            continue
        if name not in ours:
            continue
        mine = ours[name]
        assert mine.dtype == ref.dtype, (name, mine.dtype, ref.dtype)
        assert mine.shape == ref.shape, (name, mine.shape, ref.shape)
        if max_ulp == 0:
            assert torch.equal(mine, ref), f"{name}: not bit-identical"
            worst[name] = 0
            continue
        scale = base.get(name)
        scale = scale.to(ref.dtype) if scale is not None and scale.shape == ref.shape else None
        d = ulp_diff(mine, ref.contiguous(), scale)
        worst[name] = d
        assert d <= max_ulp, f"{name}: {d} ulp apart"
    return worst


def state_without_tied(model) -> dict:
    """A model's state dict as a checkpoint stores it (tied duplicates dropped)."""
    sd = model.state_dict()
    tied = getattr(model, "_tied_weights_keys", None) or {}
    if model.config.tie_word_embeddings:
        for key in list(tied if isinstance(tied, (list, dict)) else []):
            sd.pop(key, None)
    return {k: v.detach() for k, v in sd.items()}


def logits(model, ids=None) -> torch.Tensor:
    ids = ids if ids is not None else torch.tensor([[1, 5, 9, 17, 33, 64, 2]])
    with torch.no_grad():
        return model(ids).logits
