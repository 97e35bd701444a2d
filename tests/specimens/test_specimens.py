"""Every command on the three real XTuner specimens (README here): merge, convert, inspect, verify.

The expected values never come from Mergesmith: the trained weights are read with torch (and,
for the ZeRO-2 folder, rebuilt from the ranks' fp32 optimizer partitions) in ``fixtures.specimens``,
the scale is read from the config text stored in the checkpoint, and the merge is recomputed
as ``base + s * (B @ A)`` in fp32, cast to the base dtype (``fixtures.merge.lora_reference``). Names, files and config fields
are compared with XTuner's own ``pth_to_hf`` (``ref_hf/``) and ``merge`` (``ref_merged/``) output.
The commands run through the CLI's ``main`` (as the other CLI tests do), with real arguments.
"""

from __future__ import annotations

import json
import math

import pytest
import torch

from fixtures.cli import cli_argv, run_cli
from fixtures.files import read_weights, same_bytes, tree_digest
from fixtures.merge import LLM_LORA_PREFIX, lora_pairs
from fixtures.specimens import (LORA_SPECIMENS, ROOT, SPECIMENS, config_text, expected_merge, lora_r_alpha, torch_load,
                                trained_weights)


# files that are the weights themselves (sharding is ours to choose: XTuner's merge wrote 2GB shards)
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json")
# config.json fields that are expected to differ from XTuner's merge: its name for the base, the
# transformers that wrote it, and the dtype (XTuner's merge always writes float16; we keep the base's)
CONFIG_DIFFERENT = {"_name_or_path", "transformers_version", "torch_dtype", "dtype"}


@pytest.fixture(scope="module", autouse=True)
def specimens_unchanged():
    """No command writes into (or touches the bytes of) the specimens."""
    before = tree_digest(ROOT)
    yield
    assert tree_digest(ROOT) == before


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    """merged(key, iteration=None, dtype=None) -> the output folder of `mergesmith merge` (run once each)."""
    done = {}

    def get(key, iteration=None, dtype=None):
        if (key, iteration, dtype) not in done:
            spec = SPECIMENS[key]
            out = tmp_path_factory.mktemp(f"merged-{key}") / "out"
            extra = (["--iter", iteration] if iteration else []) + (["--dtype", dtype] if dtype else [])
            code, stdout, err = run_cli("merge", spec.work_dir, *spec.merge_args(), "--out", out, *extra)
            assert code == 0, err + stdout
            assert "Traceback" not in err + stdout
            done[key, iteration, dtype] = out
        return done[key, iteration, dtype]

    return get


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """converted(key, dtype=None) -> the output folder of `mergesmith convert` (run once each)."""
    done = {}

    def get(key, dtype=None):
        if (key, dtype) not in done:
            spec = SPECIMENS[key]
            out = tmp_path_factory.mktemp(f"converted-{key}") / "out"
            code, stdout, err = run_cli("convert", spec.work_dir, "--out", out, *(["--dtype", dtype] if dtype else []))
            assert code == 0, err + stdout
            done[key, dtype] = out
        return done[key, dtype]

    return get


# -- the specimens are what the README says (so a check below cannot pass on a wrong premise)

@pytest.mark.parametrize("key", LORA_SPECIMENS)
def test_specimen_config_says_r64_alpha16(key):
    spec = SPECIMENS[key]
    assert lora_r_alpha(config_text(spec)) == (64, 16.0)
    assert lora_r_alpha(spec.config_file.read_text()) == (64, 16.0)


def test_zero2_rebuild_is_the_trained_fp32_weights():
    """The fp32 rebuild of the ZeRO-2 folder holds exactly the 28 LoRA tensors, and they were trained."""
    spec = SPECIMENS["zero2"]
    fp32 = trained_weights(spec)
    assert len(fp32) == 28 and all(t.dtype == torch.float32 for t in fp32.values())
    assert len(lora_pairs(fp32)) == 14
    assert any(b.abs().sum() > 0 for _, b in lora_pairs(fp32).values())  # B starts at 0: it moved
    # this run trained in fp32 (ds_config: fp16 and bf16 off), so DeepSpeed's module copy agrees
    states = torch_load(spec.checkpoint() / "mp_rank_00_model_states.pt")
    module = states["module"]
    assert set(module) == set(fp32)
    assert all(torch.equal(module[k].float(), fp32[k]) for k in fp32)
    # the frozen base weights DeepSpeed also kept are this base's, so merging into it is right
    base = read_weights(spec.base)
    frozen = {k[len(LLM_LORA_PREFIX):].replace(".base_layer.", "."): v
              for k, v in states["frozen_param_fragments"].items()}
    assert set(frozen) == set(base) and all(torch.equal(frozen[k], base[k].float()) for k in base)


# -- merge

MERGES = [("qwen2-qlora", None), ("qwen2-qlora", 20), ("zero2", None)]


@pytest.mark.parametrize("key, iteration", MERGES)
def test_merge_is_base_plus_scaled_lora_exactly(merged, key, iteration):
    spec = SPECIMENS[key]
    got = read_weights(merged(key, iteration))
    base = read_weights(spec.base)
    weights = trained_weights(spec, iteration)
    assert len(lora_pairs(weights)) == 14 and len(weights) == 28  # q,k,v,o,gate,up,down in 2 layers only
    expected, changed = expected_merge(spec, iteration)
    assert set(got) == set(expected) == set(base) and len(changed) == 14
    for name, want in expected.items():
        assert same_bytes(got[name], want), (f"{name}: not base + alpha/r * (B @ A)" if name in changed
                                             else f"{name} should be the base's, byte for byte")
        # every adapter changes its tensor: the check is not vacuous
        assert (name in changed) == (not torch.equal(want, base[name])), name


def test_iter_20_and_40_are_different_merges(merged):
    spec = SPECIMENS["qwen2-qlora"]
    w20, w40 = trained_weights(spec, 20), trained_weights(spec, 40)
    assert any(not torch.equal(w20[k], w40[k]) for k in w40)
    a, b = read_weights(merged("qwen2-qlora", 20)), read_weights(merged("qwen2-qlora"))
    assert any(not torch.equal(a[k], b[k]) for k in b)


@pytest.mark.parametrize("key", LORA_SPECIMENS)
def test_merge_matches_xtuner_merge_layout_and_loads(merged, key):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = SPECIMENS[key]
    out = merged(key)
    ref = spec.ref_merged
    assert set(read_weights(out)) == set(read_weights(ref))
    ref_files = {p.name for p in ref.iterdir() if not p.name.startswith("model")}
    assert ref_files <= {p.name for p in out.iterdir()}, "a file XTuner's merge writes is missing"
    ours, theirs = json.loads((out / "config.json").read_text()), json.loads((ref / "config.json").read_text())
    assert {k: v for k, v in ours.items() if k not in CONFIG_DIFFERENT} \
        == {k: v for k, v in theirs.items() if k not in CONFIG_DIFFERENT}
    base_cfg = json.loads((spec.base / "config.json").read_text())
    assert ours.get("torch_dtype", ours.get("dtype")) == base_cfg.get("torch_dtype", base_cfg.get("dtype"))

    model = AutoModelForCausalLM.from_pretrained(str(out))
    expected_dtype = getattr(torch, base_cfg["torch_dtype"])
    assert next(model.parameters()).dtype == expected_dtype
    files = read_weights(out)
    state = model.state_dict()
    for name, t in files.items():
        assert torch.equal(state[name], t), name
    tok = AutoTokenizer.from_pretrained(str(out))
    assert tok("Hello world")["input_ids"]
    assert len(tok) <= model.config.vocab_size


@pytest.mark.parametrize("key", LORA_SPECIMENS)
def test_float16_merge_is_within_one_rounding_of_xtuners_merge(merged, key):
    """XTuner's own merge (ref_merged: float16, adapter rounded to float16 first) is not exact, but it
    agrees with ours in float16 to a rounding step at each tensor's scale: same scale, same orientation,
    same modules. The tensors no adapter touches are the base in float16 in both, exactly."""
    spec = SPECIMENS[key]
    ours, theirs = read_weights(merged(key, dtype="float16")), read_weights(spec.ref_merged)
    base = read_weights(spec.base)
    touched = {m + ".weight" for m in lora_pairs(trained_weights(spec))}
    assert set(ours) == set(theirs)
    for name, ref in theirs.items():
        assert ours[name].dtype == ref.dtype == torch.float16, name
        if name not in touched:
            assert same_bytes(ours[name], ref) and torch.equal(ref, base[name].to(torch.float16)), name
            continue
        assert not torch.equal(ref, base[name].to(torch.float16)), name  # XTuner merged it too
        step = 2.0 ** (math.floor(math.log2(ref.float().abs().max().item())) - 10)  # float16 ulp at the top
        worst = (ours[name].float() - ref.float()).abs().max().item()
        assert worst <= 2 * step, f"{name}: {worst} from XTuner's merge (ulp {step})"


def test_llava_merge_writes_the_projector_of_the_checkpoint(merged):
    spec = SPECIMENS["llava-pretrain"]
    out = merged("llava-pretrain")
    weights = trained_weights(spec)
    assert sorted(weights) == ["projector.model.0.bias", "projector.model.0.weight",
                               "projector.model.2.bias", "projector.model.2.weight"]  # pretrain: projector only
    projector = read_weights(out / "projector")
    assert set(projector) == set(read_weights(spec.ref_hf / "projector"))
    for key, t in weights.items():
        assert same_bytes(projector[key[len("projector."):]], t), key
    ours = json.loads((out / "projector" / "config.json").read_text())
    theirs = json.loads((spec.ref_hf / "projector" / "config.json").read_text())
    assert {k: v for k, v in ours.items() if k != "transformers_version"} \
        == {k: v for k, v in theirs.items() if k != "transformers_version"}
    assert {p.name for p in (spec.ref_hf / "projector").iterdir()} == {p.name for p in (out / "projector").iterdir()}
    # the LLM and the visual encoder were frozen: the LLM at the root is the base, no visual_encoder/
    base, llm = read_weights(spec.base), read_weights(out)
    assert set(llm) == set(base) and all(same_bytes(llm[k], base[k]) for k in base)
    assert not (out / "visual_encoder").exists() and not (out / "llm_adapter").exists()
    assert (out / "xtuner_config.py").read_text() == spec.config_file.read_text()


def test_llava_merge_loads_with_transformers(merged):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = merged("llava-pretrain")
    model = AutoModelForCausalLM.from_pretrained(str(out))
    assert next(model.parameters()).dtype == torch.float16
    assert AutoTokenizer.from_pretrained(str(out))("a picture")["input_ids"]


# -- convert

@pytest.mark.parametrize("key", LORA_SPECIMENS)
def test_convert_is_xtuner_pth_to_hf(converted, key):
    spec = SPECIMENS[key]
    out = converted(key)
    ours, theirs = read_weights(out), read_weights(spec.ref_hf)
    assert set(ours) == set(theirs)
    weights = trained_weights(spec)
    for key_ in weights:  # llm.base_model.model.X.lora_A.default.weight -> base_model.model.X.lora_A.weight
        name = key_[len("llm."):].replace(".default.", ".")
        assert same_bytes(ours[name], weights[key_]), name  # --dtype keep: the fp32 training values
    cfg = json.loads((out / "adapter_config.json").read_text())
    ref = json.loads((spec.ref_hf / "adapter_config.json").read_text())
    assert set(cfg["target_modules"]) == set(ref["target_modules"])
    for field, value in ref.items():
        if field != "target_modules":
            assert cfg.get(field) == value, field
    assert {p.name for p in spec.ref_hf.iterdir()} <= {p.name for p in out.iterdir()}
    assert (out / "xtuner_config.py").read_text() == spec.config_file.read_text()


@pytest.mark.parametrize("key", list(SPECIMENS))
def test_convert_to_float16_is_xtuners_pth_to_hf_byte_for_byte(converted, key):
    """pth_to_hf writes the adapter in float16 (DeepSpeed weights via fp16 too) and the projector in
    the visual encoder's float32: `convert --dtype float16` gives the same tensors, bit for bit."""
    spec = SPECIMENS[key]
    out = converted(key, "float16")
    rel = "" if spec.lora else "projector"
    ours, theirs = read_weights(out / rel), read_weights(spec.ref_hf / rel)
    assert set(ours) == set(theirs) and theirs
    for name, ref in theirs.items():
        assert same_bytes(ours[name], ref), name


def test_convert_llava_projector(converted):
    spec = SPECIMENS["llava-pretrain"]
    out = converted("llava-pretrain")
    # XTuner writes no card at the root of a LLaVA conversion; ours is the model card (test_xt_model_card.py)
    assert {p.name for p in out.iterdir()} == {p.name for p in spec.ref_hf.iterdir()} | {"README.md"}
    projector = read_weights(out / "projector")
    assert set(projector) == set(read_weights(spec.ref_hf / "projector"))
    for key, t in trained_weights(spec).items():
        assert same_bytes(projector[key[len("projector."):]], t), key
    ours = json.loads((out / "projector" / "config.json").read_text())
    theirs = json.loads((spec.ref_hf / "projector" / "config.json").read_text())
    assert {k: v for k, v in ours.items() if k != "transformers_version"} \
        == {k: v for k, v in theirs.items() if k != "transformers_version"}


# -- inspect

@pytest.mark.parametrize("key", list(SPECIMENS))
def test_inspect_work_dir(key):
    spec = SPECIMENS[key]
    code, out, err = run_cli("inspect", spec.work_dir)
    assert code == 0, err + out
    assert "XTuner work_dir" in out
    code, out, err = run_cli("inspect", spec.work_dir, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert not [p for p in doc["problems"] if p["severity"] == "error"], doc["problems"]


@pytest.mark.parametrize("key", list(SPECIMENS))
def test_inspect_merged_output_is_clean(merged, key):
    out_dir = merged(key)
    code, out, err = run_cli("inspect", out_dir)
    assert code == 0, err + out
    code, out, err = run_cli("inspect", out_dir, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["kind"] == ("llava" if key == "llava-pretrain" else "model")
    bad = [p for p in doc["problems"] if p["severity"] in ("error", "warning")]
    assert bad == [], bad


# -- fix

@pytest.mark.parametrize("key", list(SPECIMENS))
def test_fix_finds_nothing_to_do(merged, key):
    """The merged output, the work_dir, one checkpoint and XTuner's ref_hf: nothing to repair."""
    spec = SPECIMENS[key]
    for folder in (merged(key), spec.work_dir, spec.checkpoint(), spec.ref_hf):
        code, out, err = run_cli("fix", folder, "--dry-run", "--json")
        assert code == 0, err + out
        assert json.loads(out) == {"path": str(folder), "base": None, "actions": [], "unfixed": []}


# -- verify

def verify(key, out, *extra):
    spec = SPECIMENS[key]
    args = ["verify", out, "--source", spec.work_dir, "--base", spec.base, "--json", *extra]
    if spec.vit is not None:
        args += ["--visual-encoder", spec.vit]
    code, stdout, err = run_cli(*args)
    return code, (json.loads(stdout) if stdout.strip() else None), err


@pytest.mark.parametrize("key, iteration", MERGES + [("llava-pretrain", None)])
def test_verify_passes(merged, key, iteration):
    extra = ["--iter", iteration] if iteration else []
    code, doc, err = verify(key, merged(key, iteration), *extra)
    assert code == 0, err
    assert doc["ok"] is True and doc["problems"] == []
    kinds = [t["kind"] for t in doc["tensors"]]
    if SPECIMENS[key].lora:
        assert kinds.count("merged") == 14
    else:
        assert [t["name"] for t in doc["tensors"] if t.get("folder") == "projector"] != []


def test_verify_tells_the_iterations_apart(merged):
    """iter_20's merge checked against iter_40 fails: verify really recomputes."""
    code, doc, err = verify("qwen2-qlora", merged("qwen2-qlora", 20))
    assert code != 0 and doc is not None and doc["ok"] is False


def test_llava_frozen_visual_encoder_note_names_the_chosen_folder(tmp_path):
    """The config names a Hub id; the note must point at the folder the user gave with --visual-encoder."""
    spec = SPECIMENS["llava-pretrain"]
    code, out, err = run_cli("merge", spec.work_dir, *spec.merge_args(), "--out", tmp_path / "o", "--dry-run")
    assert code == 0, err
    note = next(line for line in out.splitlines() if "[frozen-visual-encoder]" in line)
    assert f"use {spec.vit} with this output" in note and f"--visual-encoder {spec.vit}" in note
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("key", list(SPECIMENS))
def test_inspect_one_checkpoint(key):
    """A checkpoint alone (the .pth file, or DeepSpeed's iter_N.pth/ folder) is a training checkpoint,
    not a model folder with pickled weights and no config to "fix"."""
    spec = SPECIMENS[key]
    for iteration in spec.checkpoints:
        path = spec.checkpoint(iteration)
        code, out, err = run_cli("inspect", path, "--json")
        assert code == 0, err + out
        doc = json.loads(out)
        assert doc["kind"] == "xtuner-checkpoint" and doc["problems"] == [], doc
        assert doc["summary"]["checkpoints"] == [{"name": path.name, "bytes": doc["summary"]["bytes"],
                                                  "deepspeed": spec.deepspeed}]
        assert doc["summary"]["configs"] == [spec.config_file.name]
        code, out, err = run_cli("inspect", path)
        assert code == 0 and "XTuner training checkpoint" in out and "mergesmith merge" in out, err + out


def test_inspect_damaged_deepspeed_checkpoint(tmp_path):
    import shutil

    tag = tmp_path / "iter_24.pth"
    shutil.copytree(SPECIMENS["zero2"].checkpoint(), tag)
    victim = tag / "zero_pp_rank_1_mp_rank_00_optim_states.pt"
    victim.write_bytes(victim.read_bytes()[:1000])
    code, out, err = run_cli("inspect", tag, "--json")
    assert code == 1, err
    problems = json.loads(out)["problems"]
    assert [(p["code"], p["severity"]) for p in problems] == [("corrupt-checkpoint", "error")]
    assert victim.name in problems[0]["message"]


def test_inspect_work_dir_lists_the_training_config_only():
    """DeepSpeed's zero_to_fp32.py, left in the work_dir, is not a training config."""
    spec = SPECIMENS["zero2"]
    assert (spec.work_dir / "zero_to_fp32.py").is_file()
    code, out, err = run_cli("inspect", spec.work_dir, "--json")
    assert code == 0, err
    summary = json.loads(out)["summary"]
    assert summary["configs"] == [spec.config_file.name] and summary["base_hint"] == "internlm/internlm2-chat-7b"


def test_a_training_checkpoint_used_as_model_weights_is_refused_in_words(tmp_path):
    """iter_40.pth renamed pytorch_model.bin beside a config: fix and merge refuse it in one sentence,
    without torch's advice to load it with weights_only=False and without its terminal escape codes."""
    import shutil

    spec = SPECIMENS["qwen2-qlora"]
    folder = tmp_path / "model"
    folder.mkdir()
    for name in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(spec.base / name, folder / name)
    shutil.copy(spec.checkpoint(), folder / "pytorch_model.bin")
    for args in (["fix", folder, "--out", tmp_path / "fixed"],
                 ["merge", spec.work_dir, "--base", folder, "--out", tmp_path / "merged"]):
        code, out, err = run_cli(*args)
        assert code == 2, err + out
        about = "--base: " if args[0] == "merge" else ""  # the argument the folder was given as
        assert err.startswith(f"mergesmith: {about}Cannot read pytorch_model.bin as plain weights: it holds objects "
                              "other than tensors (mmengine.logging.history_buffer.HistoryBuffer)"), err
        assert "\x1b" not in err and "weights_only" not in err and "Traceback" not in err
    assert not (tmp_path / "fixed").exists() and not (tmp_path / "merged").exists()


def test_output_into_a_closed_pipe_is_not_an_internal_error():
    """`mergesmith inspect DIR --json | head -1`: the reader leaves early; no 'internal error ... bug'."""
    import os
    import subprocess

    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read: every write fails with EPIPE, deterministically
    try:
        proc = subprocess.run(cli_argv("inspect", SPECIMENS["zero2"].work_dir, "--json"),
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert proc.returncode == 141, proc.stderr
    assert proc.stderr == ""


@pytest.mark.parametrize("key", list(SPECIMENS))
def test_pointing_at_work_dirs_names_the_work_dir_inside(key, tmp_path):
    """XTuner writes work_dirs/<config name>/; people point at work_dirs. Say which folder to use,
    and never offer to "fix" it by copying a config.json into it."""
    spec = SPECIMENS[key]
    parent = spec.work_dir.parent
    wanted = f"holds {spec.config_name}"
    for args in (["merge", parent, *spec.merge_args(), "--out", tmp_path / "m"],
                 ["convert", parent, "--out", tmp_path / "c"]):
        code, out, err = run_cli(*args)
        assert code == 2 and wanted in err and "Point at that folder" in err, err + out
    code, out, err = run_cli("inspect", parent, "--json")
    assert code == 2
    problems = json.loads(out)["problems"]
    assert [(p["code"], p["fixable"]) for p in problems] == [("missing-config", False)]
    assert wanted in problems[0]["message"]
    code, out, err = run_cli("fix", parent, "--from-base", spec.base, "--out", tmp_path / "fixed")
    assert code == 1 and "Would do" not in out and "holds no model to repair" in out, err + out
    assert not (tmp_path / "m").exists() and not (tmp_path / "c").exists() and not (tmp_path / "fixed").exists()


@pytest.mark.parametrize("key", list(SPECIMENS))
def test_convert_of_xtuners_converted_output_says_it_needs_none(key, tmp_path):
    spec = SPECIMENS[key]
    code, out, err = run_cli("convert", spec.ref_hf, "--out", tmp_path / "c")
    assert code == 2 and not (tmp_path / "c").exists()
    assert err == (f"mergesmith: {spec.ref_hf} (XTuner converted output (pth_to_hf)) is not an XTuner checkpoint; "
                   "it needs no conversion. Merge it with `mergesmith merge`.\n")


def test_convert_notes_speak_of_converting(tmp_path):
    spec = SPECIMENS["qwen2-qlora"]
    code, out, err = run_cli("convert", spec.work_dir, "--out", tmp_path / "c")
    assert code == 0, err
    assert "Using iter_40.pth" in out and "merge" not in out.lower()
