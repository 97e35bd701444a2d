"""inspect and model cards: a README without metadata is fine, a broken metadata block is reported.

The broken cards are written by hand: no tool writes them on purpose (they are what a person's
editing leaves).
"""

import json

import pytest

from fixtures.cli import run_cli
from fixtures.files import copy_folder
from mergesmith.core.inspect.folder import inspect_folder


@pytest.fixture(scope="module")
def model(model_cache):
    return model_cache("llama", "bfloat16")


def _with_card(model, tmp_path, text: str):
    folder = copy_folder(model, tmp_path / "m")
    (folder / "README.md").write_text(text, encoding="utf-8")
    return folder


def _card_problems(folder):
    return [p for p in inspect_folder(folder, deep=False).problems if p.code in ("bad-model-card", "bad-card-metadata")]


@pytest.mark.parametrize("text", [
    "# Just a README\n\nNo metadata at all.\n",
    "---\n---\n# An empty block\n",
    "---\nbase_model: Qwen/Qwen2-0.5B\nbase_model_relation: finetune\nlicense: apache-2.0\ntags: [a, b]\n---\n# ok\n",
    "---\nbase_model:\n- Qwen/Qwen2-0.5B\n- openai/clip-vit-large-patch14\nbase_model_relation: merge\n---\n",
    "---\nbase_model: gpt2\ntags: chat\n---\n",  # an old canonical id; one tag as a string (huggingface_hub accepts it)
    "---\nbase_model: /home/me/models/qwen\nlibrary_name: peft\n---\n",  # what PEFT writes for a local base
])
def test_good_cards_and_plain_readmes_pass(model, tmp_path, text):
    assert _card_problems(_with_card(model, tmp_path, text)) == []


@pytest.mark.parametrize("text, code, words", [
    ("---\nbase_model: [Qwen/Qwen2\nlicense: mit\n---\n# x\n", "bad-model-card", "not valid YAML (line"),
    ("---\n- base_model\n- license\n---\n", "bad-model-card", "not a mapping"),
    ("---\njust a sentence\n---\n", "bad-model-card", "not a mapping"),
    ("---\nbase_model: 42\n---\n", "bad-card-metadata", "base_model must be a Hub id"),
    ("---\nbase_model: [Qwen/Qwen2-0.5B, 7]\n---\n", "bad-card-metadata", "holds 7 (int)"),
    ("---\nbase_model: {id: Qwen/Qwen2-0.5B}\n---\n", "bad-card-metadata", "base_model must be a Hub id"),
    ("---\nbase_model: Qwen/Qwen2-0.5B\nbase_model_relation: lora-merged\n---\n", "bad-card-metadata",
     "'lora-merged', which the Hub does not know; use one of adapter, merge, quantized, finetune"),
    ("---\nbase_model_relation: merge\n---\n", "bad-card-metadata", "no base_model is given"),
    ("---\nbase_model: Qwen/Qwen2-0.5B\ntags: [1, 2]\n---\n", "bad-card-metadata", "tags must be a list of words"),
    ("---\nlicense: [mit]\n---\n", "bad-card-metadata", "license is a list, not text"),
])
def test_broken_cards_are_reported(model, tmp_path, text, code, words):
    found = _card_problems(_with_card(model, tmp_path, text))
    assert [p.code for p in found] == [code]
    p = found[0]
    assert p.severity == "warning" and p.file == "README.md" and words in p.message and not p.fixable


def test_the_reader_agrees_with_huggingface_hub(model, tmp_path):
    """What inspect calls unusable, ModelCard.load refuses; what it accepts, ModelCard.load reads."""
    from huggingface_hub import ModelCard

    for text, bad in [("---\nbase_model: [x\n---\n", True), ("---\n- a\n---\n", True),
                      ("---\nbase_model: Qwen/Qwen2-0.5B\n---\n# ok\n", False), ("# no block\n", False)]:
        folder = _with_card(model, tmp_path / str(len(text)) / str(bad), text)
        refused = False
        try:
            ModelCard.load(folder / "README.md")
        except Exception:  # yaml.YAMLError or ValueError, as huggingface_hub raises them
            refused = True
        assert refused == bad == any(p.code == "bad-model-card" for p in _card_problems(folder)), text


def test_hostile_cards_are_one_sentence(model, tmp_path):
    for text in ["---\n" + "[" * 100_000 + "\n---\n", "---\na: &a [*a, *a]\n---\n",
                 "---\n" + "x: " + "y" * 3_000_000 + "\n---\n"]:
        folder = _with_card(model, tmp_path / str(len(text)), text)
        assert len(_card_problems(folder)) <= 1
    folder = copy_folder(model, tmp_path / "bytes")
    (folder / "README.md").write_bytes(b"---\n\xff\xfe\n---\n")
    assert [p.code for p in _card_problems(folder)] == ["bad-model-card"]


def test_cli_json_shows_the_code(model, tmp_path):
    folder = _with_card(model, tmp_path, "---\nbase_model: 3\n---\n")
    done = run_cli("inspect", folder, "--json")
    assert done.code == 0  # a warning: the model itself is fine
    codes = [p["code"] for p in json.loads(done.out)["problems"]]
    assert "bad-card-metadata" in codes
