"""ZeRO-1/2/3 folders rebuild exactly; broken folders say why.

Two-rank folders are written by the real DeepSpeed (``real_zero``) and checked against DeepSpeed's
own ``zero_to_fp32``; other geometries (1, 3, 11 ranks, odd sizes that need padding, parameter
groups, frozen fragments, tied weights) are hand-made with ``save_deepspeed``."""

import shutil
from collections import OrderedDict

import pytest
import torch

from mergesmith.core.io.deepspeed import is_deepspeed_folder, read_zero_checkpoint
from mergesmith.core.errors import SourceError
from fixtures.xtuner import lora_state_dict, save_deepspeed


def _copy(run, tmp_path):
    """A copy of a real run's tag folder, to break."""
    return shutil.copytree(run.folder, tmp_path / run.folder.name)


@pytest.fixture(scope="module")
def params(llm_linears):
    sd = lora_state_dict(llm_linears, "llm.", r=4, seed=7)
    g = torch.Generator().manual_seed(0)
    sd["llm.base_model.model.model.odd"] = torch.randn(5, generator=g)  # needs padding on every world size
    sd["llm.base_model.model.model.one"] = torch.randn(1, 1, generator=g)
    return sd


def _check(folder, params, stage, world):
    z = read_zero_checkpoint(folder)
    assert (z.stage, z.world) == (stage, world)
    infos = z.store.infos()
    assert list(infos) == list(params)
    for name, want in params.items():
        got = z.store.tensor(name)
        assert got.dtype == torch.float32 and got.shape == want.shape, name
        assert torch.equal(got, want), name
    return z


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_real_zero_checkpoint_rebuilds_as_deepspeed_does(real_zero, stage):
    run = real_zero[stage]
    assert is_deepspeed_folder(run.folder)
    names = sorted(p.name for p in run.folder.iterdir())
    states = ["mp_rank_00_model_states.pt"] if stage < 3 else [f"zero_pp_rank_{r}_mp_rank_00_model_states.pt"
                                                               for r in range(2)]
    assert names == [f"bf16_zero_pp_rank_{r}_mp_rank_00_optim_states.pt" for r in range(2)] + states
    z = _check(run.folder, run.expected, stage, 2)
    assert z.meta["iter"] == 5 and "lora" in z.meta["cfg"]


@pytest.mark.parametrize("stage", [1, 2, 3])
@pytest.mark.parametrize("world", [1, 3])
def test_zero_rebuild_is_exact(tmp_path, params, stage, world):
    folder = save_deepspeed(tmp_path / "iter_500.pth", params, stage=stage, world=world, groups=2)
    assert is_deepspeed_folder(folder)
    names = sorted(p.name for p in folder.iterdir())
    if stage < 3:
        assert "mp_rank_00_model_states.pt" in names
    else:
        assert [f"zero_pp_rank_{r}_mp_rank_00_model_states.pt" for r in range(world)] == \
            sorted(n for n in names if n.endswith("model_states.pt"))
    assert sum(n.endswith("_optim_states.pt") for n in names) == world
    z = _check(folder, params, stage, world)
    assert z.meta["iter"] == 500


def test_eleven_ranks_are_sorted_naturally(tmp_path, params):
    small = OrderedDict(list(params.items())[:6])
    folder = save_deepspeed(tmp_path / "iter_1.pth", small, stage=3, world=11, groups=1, bf16=False)
    _check(folder, small, 3, 11)


def test_fp16_and_shared_params(tmp_path, params):
    folder = save_deepspeed(tmp_path / "iter_2.pth", params, stage=2, world=2, bf16=False,
                            shared={"llm.alias.weight": next(iter(params))})
    z = read_zero_checkpoint(folder)
    assert torch.equal(z.store.tensor("llm.alias.weight"), next(iter(params.values())))


def test_real_frozen_fragments_are_recognised(real_zero, llm_base):
    """ZeRO-3 saved with the frozen weights (exclude_frozen_parameters=False): noted, not served."""
    run = real_zero["zero3-frozen"]
    z = read_zero_checkpoint(run.folder)
    assert list(z.store.infos()) == list(run.expected) and z.notes
    assert "llm.base_model.model.model.layers.0.self_attn.q_proj.base_layer.weight" in z.frozen
    assert "llm.base_model.model.model.embed_tokens.weight" in z.frozen and not set(z.frozen) & set(run.expected)


def test_frozen_fragments_of_zero2_are_recognised(tmp_path, params):
    frozen = {"llm.base_model.model.model.layers.0.self_attn.q_proj.base_layer.weight": torch.randn(32, 32)}
    folder = save_deepspeed(tmp_path / "iter_3.pth", params, stage=2, world=2, frozen=frozen)
    z = read_zero_checkpoint(folder)
    assert list(z.frozen) == list(frozen) and z.notes
    assert list(z.store.infos()) == list(params)  # frozen weights are not served as trained ones


@pytest.mark.parametrize("stage", [2, 3])
def test_missing_rank_is_a_clear_error(real_zero, tmp_path, stage):
    folder = _copy(real_zero[stage], tmp_path)
    next(folder.glob("*zero_pp_rank_1_mp_rank_00_optim_states.pt")).unlink()
    with pytest.raises(SourceError, match=r"rank\(s\) 1 are missing \(1 of 2 found\)"):
        read_zero_checkpoint(folder)


def test_missing_zero3_model_state_rank(real_zero, tmp_path):
    folder = _copy(real_zero[3], tmp_path)
    (folder / "zero_pp_rank_1_mp_rank_00_model_states.pt").unlink()
    with pytest.raises(SourceError, match="model-state files of rank"):
        read_zero_checkpoint(folder)


def test_mixed_partition_counts(tmp_path, params):
    two = save_deepspeed(tmp_path / "a" / "iter_5.pth", params, stage=2, world=2)
    three = save_deepspeed(tmp_path / "b" / "iter_5.pth", params, stage=2, world=3)
    shutil.copy(next(three.glob("*rank_2_mp_rank_00_optim_states.pt")), two)
    with pytest.raises(SourceError, match="disagree on the number of ranks"):
        read_zero_checkpoint(two)


def test_partition_sizes_that_do_not_add_up(tmp_path, params):
    folder = save_deepspeed(tmp_path / "iter_6.pth", params, stage=3, world=2)
    other = OrderedDict(list(params.items())[:-3])
    save_deepspeed(tmp_path / "x" / "iter_6.pth", other, stage=3, world=2)
    shutil.copy(tmp_path / "x" / "iter_6.pth" / "bf16_zero_pp_rank_1_mp_rank_00_optim_states.pt", folder)
    with pytest.raises(SourceError, match="partition of rank 1"):
        read_zero_checkpoint(folder)


def test_zero2_without_optimizer_files_uses_16bit_copies(real_zero, tmp_path):
    run = real_zero[2]
    folder = _copy(run, tmp_path)
    for p in folder.glob("*_optim_states.pt"):
        p.unlink()
    z = read_zero_checkpoint(folder)
    assert "16-bit" in z.notes[0]
    assert list(z.store.infos()) == list(run.expected)
    for name, master in run.expected.items():  # DeepSpeed's bf16 weights: its fp32 masters, rounded
        assert torch.equal(z.store.tensor(name), master.to(torch.bfloat16)), name


def test_zero3_without_optimizer_files(real_zero, tmp_path):
    folder = _copy(real_zero[3], tmp_path)
    for p in folder.glob("*_optim_states.pt"):
        p.unlink()
    with pytest.raises(SourceError, match="no optimizer-state files"):
        read_zero_checkpoint(folder)
