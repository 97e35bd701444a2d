"""The model card every merge and convert writes (README.md): read by huggingface_hub, valid for the
Hub, with the right relation, the base's licence, the lineage in words; never the base's own card."""

import json
from pathlib import Path

import pytest

from fixtures.adapters import make_adapter
from fixtures.cards import APACHE, MARKER, REVISION, hf_cache_copy, load_card, plain_copy
from fixtures.cli import run_cli
from fixtures.models import load_model
from fixtures.xtuner import LORA, full_state_dict, lora_state_dict, sft_config, work_dir
from mergesmith.core import __version__, detect
from mergesmith.core.engine.convert import convert
from mergesmith.core.engine.merge import merge
from mergesmith.core.inspect.folder import inspect_folder


@pytest.fixture(scope="module")
def cached_base(tmp_path_factory, model_cache):
    """A tiny Llama in a Hugging Face cache as ``acme/tiny-llama`` at REVISION, licence apache-2.0."""
    return hf_cache_copy(model_cache("llama", "bfloat16"), tmp_path_factory.mktemp("hf") / "hub")


@pytest.fixture(scope="module")
def peft_adapter(tmp_path_factory, cached_base):
    return make_adapter(cached_base, tmp_path_factory.mktemp("peft") / "adapter", r=4, lora_alpha=8,
                        target_modules=["q_proj", "v_proj"], use_rslora=True)


def test_peft_merge_writes_a_card_the_hub_reads(peft_adapter, cached_base, tmp_path):
    result = merge(peft_adapter, cached_base, tmp_path / "out")
    out = tmp_path / "out"
    card = load_card(out)
    data = card.data
    assert data.base_model == "acme/tiny-llama"
    assert data.base_model_relation == "merge"
    assert data.library_name == "transformers" and data.pipeline_tag == "text-generation"
    assert data.license == "apache-2.0"  # from the base's README front matter
    assert data.tags == ["mergesmith", "lora"]
    text = card.text
    assert f"revision `{REVISION}`" in text and "Hugging Face cache" in text
    assert "r=4, lora_alpha=8 (scale alpha/sqrt(r), rsLoRA)" in text and "q_proj, v_proj" in text
    assert f"`{peft_adapter}`" in text and "bfloat16 safetensors" in text
    assert f"Mergesmith {__version__} (`mergesmith merge`)" in text
    assert MARKER not in (out / "README.md").read_text()  # the base's own card is not copied
    assert ("README.md", (out / "README.md").stat().st_size) in result.files
    # still a clean model folder that transformers loads
    report = inspect_folder(out)
    assert report.problems == [], [p.to_dict() for p in report.problems]
    assert load_model(out) is not None


def test_base_readme_is_never_copied_even_from_a_plain_folder(peft_adapter, cached_base, tmp_path):
    base = plain_copy(cached_base, tmp_path / "base")  # follows the snapshot's links: a plain folder
    merge(peft_adapter, base, tmp_path / "out")
    card = load_card(tmp_path / "out")
    assert MARKER not in card.content
    # the adapter records the snapshot it was trained on: the Hub id comes from that name
    assert card.data.base_model == "acme/tiny-llama" and "as the training names it" in card.text
    assert f"`{base}`" in card.text and card.data.license == "apache-2.0"


def test_dry_run_lists_the_card(peft_adapter, cached_base, tmp_path):
    done = run_cli("merge", peft_adapter, "--base", cached_base, "--out", tmp_path / "out", "--dry-run", "--json")
    assert done.code == 0, done.err
    doc = json.loads(done.out)
    assert [f["from"] for f in doc["files"] if f["path"] == "README.md"] == ["generated"]
    assert doc["stats"]["card"] == {"base_model": ["acme/tiny-llama"], "base_model_relation": "merge",
                                    "license": "apache-2.0"}
    assert not (tmp_path / "out").exists()
    done = run_cli("merge", peft_adapter, "--base", cached_base, "--out", tmp_path / "out", "--dry-run")
    assert "README.md" in done.out


def test_card_is_written_inside_the_staged_output(peft_adapter, cached_base, tmp_path):
    """The card is in the staging folder before the one rename, and the output does not exist yet."""
    out = tmp_path / "out"
    seen = {}

    def progress(p):
        if p.phase == "finalize":
            staged = [d for d in tmp_path.iterdir() if d.name.startswith(".out.mergesmith-partial-")]
            seen["staged"] = [(d / "README.md").is_file() for d in staged]
            seen["out"] = out.exists()

    merge(peft_adapter, cached_base, out, progress=progress)
    assert seen == {"staged": [True], "out": False}


# --- XTuner runs ----------------------------------------------------------------------------------


def test_xtuner_lora_work_dir_card_names_the_config_hub_id(llm_base, llm_linears, tmp_path):
    lora = dict(LORA, use_rslora=False, target_modules=["q_proj", "k_proj"])
    sd = lora_state_dict(llm_linears, "llm.", 4, seed=3, targets=lora["target_modules"])
    wd = work_dir(tmp_path / "work_dirs" / "tiny", sft_config("acme/tiny-llama", lora), {300: sd})
    merge(wd, llm_base, tmp_path / "out")  # the base is a plain folder; the config names the Hub id
    card = load_card(tmp_path / "out")
    assert card.data.base_model == "acme/tiny-llama" and card.data.base_model_relation == "merge"
    assert card.data.tags == ["mergesmith", "xtuner", "lora"]
    assert card.data.license is None  # the base states none
    text = card.text
    assert f"XTuner work_dir `{wd}`, checkpoint `iter_300.pth` (iteration 300)" in text
    assert "training config stored in iter_300.pth" in text
    assert "LoRA r=4, lora_alpha=8 (scale alpha/r), on 4 modules (k_proj, q_proj)" in text
    assert "as the training names it" in text


def test_full_fine_tune_convert_is_a_finetune_with_the_licence_file(llm_base, tmp_path):
    base = plain_copy(llm_base, tmp_path / "base", licence_text=APACHE)
    wd = work_dir(tmp_path / "wd", sft_config("acme/tiny-llama"), {50: full_state_dict(base)})
    convert(wd, tmp_path / "out", base=base)
    card = load_card(tmp_path / "out")
    assert card.data.base_model == "acme/tiny-llama" and card.data.base_model_relation == "finetune"
    assert card.data.library_name == "transformers" and card.data.license == "apache-2.0"
    assert "full fine-tune" in card.text and "(LICENSE)" in card.text and "`mergesmith convert`" in card.text
    assert (tmp_path / "out" / "LICENSE").read_text() == APACHE
    assert not [p for p in inspect_folder(tmp_path / "out", deep=False).problems if "card" in p.code]


def test_full_fine_tune_merge_is_a_finetune(llm_base, tmp_path):
    wd = work_dir(tmp_path / "wd", sft_config("acme/tiny-llama"), {50: full_state_dict(llm_base)})
    merge(wd, llm_base, tmp_path / "out")
    card = load_card(tmp_path / "out")
    assert card.data.base_model_relation == "finetune" and card.data.tags == ["mergesmith", "xtuner"]


def test_lora_convert_writes_an_adapter_card(llm_base, llm_linears, tmp_path):
    sd = lora_state_dict(llm_linears, "llm.", 4, seed=4)
    named = work_dir(tmp_path / "named", sft_config("acme/tiny-llama", dict(LORA, target_modules=None)), {10: sd})
    convert(named, tmp_path / "out")
    card = load_card(tmp_path / "out")
    assert card.data.base_model == "acme/tiny-llama" and card.data.base_model_relation == "adapter"
    assert card.data.library_name == "peft" and card.data.pipeline_tag == "text-generation"
    # a config naming a folder: no base_model at all (an empty one is what the Hub refuses)
    local = work_dir(tmp_path / "local", sft_config(str(llm_base), dict(LORA, target_modules=None)), {10: sd})
    convert(local, tmp_path / "out2")
    card = load_card(tmp_path / "out2")
    assert "base_model" not in card.data.to_dict() and "base_model_relation" not in card.data.to_dict()
    assert f"**Base model**: `{llm_base}`, as the training names it (no Hub id known for it)" in card.text


def test_llava_merge_and_llava_hf_cards(llava_run, llm_base, vit_base, tmp_path):
    wd, _ = llava_run
    base = hf_cache_copy(llm_base, tmp_path / "hub")  # the LLM from the cache; the ViT a plain folder
    merge(wd, base, tmp_path / "out", visual_encoder=vit_base)
    card = load_card(tmp_path / "out")
    assert card.data.base_model == "acme/tiny-llama" and card.data.base_model_relation == "merge"
    assert card.data.tags == ["mergesmith", "xtuner", "lora", "qlora", "llava"] and card.data.pipeline_tag is None
    assert "QLoRA: trained on the base loaded in 4-bit, merged into the original 16-bit weights" in card.text
    assert "**Trained (visual encoder)**: LoRA r=4, lora_alpha=16" in card.text
    assert "**Trained (projector)**" in card.text and f"`{vit_base}` (no Hub id known for it)" in card.text
    assert not (tmp_path / "out" / "projector" / "README.md").exists()
    merge(wd, base, tmp_path / "hf", visual_encoder=vit_base, format="llava-hf")
    card = load_card(tmp_path / "hf")
    assert card.data.base_model_relation == "merge" and card.data.pipeline_tag == "image-text-to-text"
    assert "LlavaForConditionalGeneration" in card.text
    assert not [p for p in inspect_folder(tmp_path / "hf", deep=False).problems if "card" in p.code]


def test_llava_convert_cards(llava_run, tmp_path):
    wd, _ = llava_run
    convert(wd, tmp_path / "out")
    root = load_card(tmp_path / "out")
    assert root.data.library_name is None and "llava" in root.data.tags
    for sub in ("llm_adapter", "visual_encoder_adapter"):
        card = load_card(tmp_path / "out" / sub)
        assert card.data.library_name == "peft" and "base_model_relation" not in card.data.to_dict()


def test_detect_is_unchanged_by_a_card(peft_adapter, cached_base, tmp_path):
    """A merged folder with its card is still a model folder to every reader."""
    merge(peft_adapter, cached_base, tmp_path / "out")
    assert detect(tmp_path / "out").kind == "model"
    assert Path(tmp_path / "out" / "README.md").read_text().startswith("---\nbase_model: acme/tiny-llama\n")
