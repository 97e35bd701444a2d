"""The texts of problems and refusals, by key: a title, a sentence with named fields, what to do.

A key is a problem code (``missing-config``), a code with a variant (``missing-config/unparsable``)
or a refusal (``refusal/base-not-found``). The fields of a text are of two kinds:

- particulars, given where the problem is found (``Problem.params``): file and module names,
  counts, sizes, shapes, dtypes, a library's own error text;
- controls (:data:`CLI_CONTROLS`): an option or command to use. The command line names them as
  flags (``--base``, ```mergesmith fix```); the window names its own controls instead
  ("the Base model field", "Fix"), in its language (``gui/problem_text.py``).

The message a problem carries is ``render(key, params)``: the sentence, then what to do. The
window renders the same key and particulars through Qt's translation; nothing reads sentences back.
"""

# long: a table of texts, one entry per problem code and variant; splitting it would scatter them

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Mapping, Optional


@dataclass(frozen=True)
class Text:
    """``sentence`` says what is wrong, ``todo`` what to do (empty: the code's ``todo``)."""

    sentence: str
    todo: str = ""


# how the command line names the controls a text refers to
CLI_CONTROLS = {
    "opt_base": "--base",
    "opt_visual_encoder": "--visual-encoder DIR",
    "opt_overwrite": "--overwrite",
    "opt_dtype": "--dtype",
    "opt_format": "--format",
    "opt_iter": "--iter",
    "opt_out": "--out",
    "opt_source": "SOURCE",
    "fix": "`mergesmith fix`",
    "fix_from_base": "`mergesmith fix --from-base`",
    "fix_reshard": "`mergesmith fix --max-shard-size`",
    "scan_values": "`mergesmith inspect OUT --scan-values`",
}

# code: (title, what to do). Every code of core.inspect.report.CODES and every code planning
# reports has one; refusals have theirs under "refusal/...".
CODES: dict[str, tuple[str, str]] = {
    "missing-config": ("config.json is missing", "Copy it from the model this one was made from ({fix_from_base})."),
    "unknown-architecture": ("Unknown architecture", "Check config.json against the base model's, or install a transformers version that supports this model type."),
    "missing-remote-code": ("Remote code file missing", "Copy it from the base model ({fix_from_base})."),
    "dtype-mismatch": ("Config dtype differs from the weights", "Set the config's dtype to what the weights are stored in ({fix})."),
    "missing-tokenizer": ("Tokenizer missing", "Copy the tokenizer files from the base model ({fix_from_base})."),
    "broken-tokenizer": ("Tokenizer does not load", "Replace the tokenizer files with the base model's."),
    "vocab-mismatch": ("Vocabulary and embeddings disagree", "Use the tokenizer and config the model was trained with, or resize the embeddings and save again."),
    "missing-chat-template": ("Chat template missing", "Copy the template from the base or instruct model ({fix_from_base})."),
    "missing-special-tokens": ("No end-of-sequence token", "Set eos_token in tokenizer_config.json (as the base model has it)."),
    "missing-generation-config": ("generation_config.json is missing", "Copy it from the base model, or let {fix} write one from config.json."),
    "bad-generation-config": ("generation_config.json is unusable", "Fix the value or replace the file ({fix})."),
    "generation-config-flags": ("Sampling flags without sampling", "Remove them, or set do_sample to true if sampling was meant ({fix} removes them)."),
    "missing-shard": ("Weight file missing", "Copy or download it again."),
    "orphan-shard": ("Weight file nothing names", "Delete it ({fix} leaves it out)."),
    "index-mismatch": ("Index and shards disagree", "Rebuild the index from the shard headers ({fix})."),
    "corrupt-shard": ("Damaged weight file", "Copy or write it again."),
    "pickle-weights": ("Pickled weights", "Convert them to safetensors ({fix}), which also removes the pickle."),
    "shard-oversize": ("Shard over the size limit", "Re-shard it ({fix_reshard})."),
    "missing-weights": ("Weights missing", "The folder is incomplete: copy the weights again, or merge again."),
    "unexpected-weights": ("Weights the model does not use", "Check config.json against the weights, or merge again from the right inputs."),
    "weights-unverified": ("Weight names unverified", "transformers renames or fuses weights for this model type on load, so check by loading it."),
    "shape-mismatch": ("Shapes do not fit", "Use the inputs that belong together: the base model and config the weights were trained with."),
    "tied-embeddings": ("Tied embeddings differ", "Set tie_word_embeddings to false ({fix})."),
    "missing-projector": ("Projector missing", "Point at the checkpoint of the stage that trained the projector, or copy projector/ from the training output."),
    "projector-mismatch": ("Projector does not fit", "Use the projector from the same training run."),
    "missing-processor": ("Image processor missing", "Copy it from the visual encoder the model was trained with ({fix_from_base})."),
    "bad-adapter": ("Adapter unusable", "Copy the adapter again as it was saved (adapter_config.json with its weights)."),
    "missing-module": ("Modules missing from the base", "Choose the base model the adapter was trained on ({opt_base})."),
    "corrupt-checkpoint": ("Damaged training checkpoint", "Use another checkpoint, or copy this one again."),
    "config-mismatch": ("Training configs differ", "Check which config the checkpoint was trained with."),
    "unsupported-model": ("Model type not supported", "Merge it with the tools of the project that trained it."),
    "non-finite": ("NaN or Inf in the weights", "The training diverged or the file is damaged: use an earlier checkpoint."),
    "merge-mismatch": ("Merged tensor differs", "Merge again from the right inputs."),
    "logits-mismatch": ("Merged model does not reproduce the adapter", "Merge again from the right inputs."),
    # planning
    "wrong-base": ("Another base model", "Choose the model it was trained on ({opt_base})."),
    "missing-preprocessor": ("Image processor missing", "Copy preprocessor_config.json from where the visual encoder came from."),
    "missing-visual-encoder": ("Visual encoder needed", "Choose the visual encoder's folder ({opt_visual_encoder})."),
    "unknown-tensors": ("Tensors of an unknown part", "This model type is not supported yet."),
    "qlora": ("QLoRA", ""),
    "dtype-kept": ("Output dtype kept", "Choose the other dtype as the output dtype ({opt_dtype}) to change that."),
    "frozen-tensors": ("Frozen tensors copied", ""),
    "dropped-tensors": ("Tensors not written", ""),
    "format-not-applicable": ("Format does not apply", "Leave the format at xtuner ({opt_format})."),
    "frozen-visual-encoder": ("Visual encoder not written", ""),
    "leftover-restored": ("Earlier output restored", ""),
    "output-overlaps-input": ("Output inside an input", "Choose an output folder outside the inputs ({opt_out})."),
    "output-exists": ("Output folder exists", "Choose another folder, or allow replacing it ({opt_overwrite})."),
    "output-not-writable": ("Output folder not writable", "Choose an output folder you can write to ({opt_out})."),
    "leftover-partial": ("Interrupted run left a folder", ""),
    "disk-space": ("Not enough disk space", "Free some space or choose an output folder on another disk ({opt_out})."),
    "untied-embeddings": ("Embeddings written untied", ""),
    "broken-link": ("Broken symbolic link", "Put the real file there (or into the output afterwards)."),
    "dtype-narrowing": ("float16 from a bfloat16 base", "Keep bfloat16 unless your runtime needs float16 ({opt_dtype})."),
    # refusals (MergesmithError with a key)
    "refusal": ("Mergesmith cannot do this", ""),
}

# key: the sentence (and what to do, when it differs from the code's)
SENTENCES: dict[str, Text] = {
    # config.json
    "missing-config": Text("There is no config.json, so no library can load this model."),
    "missing-config/part": Text("There is no config.json in {folder}/, so no library can load this part."),
    "missing-config/unparsable": Text("{name} cannot be parsed ({error}).", "Fix it or copy it from the base model."),
    "missing-config/no-model": Text("This folder holds no model: no config.json, no weights, no adapter and no training checkpoints.",
                                    "Point at the folder that holds them."),
    "missing-config/no-model-inside": Text("This folder holds no model: no config.json, no weights, no adapter and no "
                                           "training checkpoints. It holds {inside}.", "Inspect that instead."),
    "missing-remote-code": Text("config.json's auto_map names {name}, which is not in the folder; "
                                "AutoModel(trust_remote_code=True) will fail."),
    "unknown-architecture": Text("transformers {version} does not know the model type {model_type} and config.json has "
                                 "no auto_map to code that does; loaders may fail.",
                                 "Check the model_type, or install a transformers version that supports it."),
    "unknown-architecture/build": Text("transformers cannot build the model config.json describes ({error}); loading it "
                                       "will fail with this transformers.", "Check the config against the base model's."),
    "dtype-mismatch": Text("config.json says {named} but the weights are stored in {stored}; loaders that follow the "
                           "config will convert them.", "Set the config's dtype to {stored} ({fix})."),
    # generation config
    "missing-generation-config": Text("There is no generation_config.json; generate() will use transformers' defaults "
                                      "(EOS tokens, sampling)."),
    "bad-generation-config": Text("generation_config.json cannot be parsed ({error}); transformers ignores it.",
                                  "Replace it ({fix})."),
    "bad-generation-config/refused": Text("transformers refuses generation_config.json ({error}), so the model does not load."),
    "generation-config-flags": Text("generation_config.json sets {flags}, which only apply with sampling (or beam "
                                    "search) and are off; transformers ignores them and refuses to save this config."),
    # tokenizer
    "missing-tokenizer": Text("There are no tokenizer files (tokenizer.json, or tokenizer.model, or vocab.json + "
                              "merges.txt, with tokenizer_config.json)."),
    "missing-tokenizer/incomplete": Text("The tokenizer is incomplete: {missing} missing."),
    "broken-tokenizer/config": Text("tokenizer_config.json cannot be parsed.",
                                    "Replace it with the base model's."),
    "broken-tokenizer/json": Text("tokenizer.json cannot be parsed; the tokenizer does not load.",
                                  "Replace it with the base model's."),
    "broken-tokenizer/load": Text("transformers cannot load the tokenizer ({error})."),
    "vocab-mismatch/tokenizer": Text("The tokenizer has {tokens} tokens but {embedding} has only {rows} rows; any token "
                                     "id from {rows} up crashes the model.",
                                     "Use the tokenizer the model was trained with, or resize the embeddings "
                                     "(model.resize_token_embeddings) and save again."),
    "vocab-mismatch/config": Text("config.json's vocab_size makes {tensor} {want}, but the weights have {have}; the "
                                  "model does not load.",
                                  "Set vocab_size to {rows} in config.json (it must match the embedding rows)."),
    "missing-chat-template": Text("The tokenizer has chat tokens ({tokens}) but no chat template, so "
                                  "apply_chat_template and chat servers fail."),
    "missing-special-tokens": Text("Neither the tokenizer nor the generation config names an end-of-sequence token, "
                                   "so generation never stops on its own."),
    # weights
    "pickle-weights": Text("{name} holds pickled weights; pickles can run code when loaded and vLLM or TGI may "
                           "refuse them."),
    "pickle-weights/beside": Text("{name} holds pickled weights beside the safetensors files; pickles can run code "
                                  "when loaded and vLLM or TGI may refuse them."),
    "pickle-weights/adapter": Text("{name} holds pickled weights.", "Convert it to adapter_model.safetensors ({fix})."),
    "missing-shard/none": Text("There are no weight files in this folder (model.safetensors or "
                               "model-0000k-of-0000n.safetensors).", "Copy them again."),
    "missing-shard/indexed": Text("The index puts {count} tensor(s) in {name}, which is not in the folder."),
    "missing-shard/numbered": Text("{name} is missing from the numbered shards (1 to {count})."),
    "corrupt-shard/layout": Text("{name} {reason}."),
    "index-mismatch": Text("The index and the shards disagree: {details}."),
    "index-mismatch/unparsable": Text("{name} cannot be parsed (no weight_map)."),
    "index-mismatch/no-index": Text("There are {count} safetensors file(s) ({names}) but no {index}, so loaders "
                                    "cannot find the weights."),
    "orphan-shard": Text("{name} is not named by the index and holds nothing the other shards lack; loaders ignore it."),
    "shard-oversize": Text("{name} is {size}, over the {limit} limit."),
    "non-finite": Text("{name} holds {bad} NaN/Inf value(s) of {total}; the model will produce NaN."),
    "non-finite/more": Text("...and {count} more tensor(s) with NaN/Inf values."),
    "non-finite/adapter": Text("{label}: {name} holds {bad} NaN/Inf value(s); merged, it would make the layer's "
                               "output NaN."),
    "non-finite/adapter-more": Text("{label}: {name} holds {bad} NaN/Inf value(s) (and {more} more tensor(s) do too); "
                                    "merged, it would make the layer's output NaN."),
    "non-finite/too-large": Text("The adapter is too large to check every value for NaN/Inf before merging.",
                                 "After the merge, {scan_values} checks the result."),
    # architecture
    "missing-weights/arch": Text("The {model} that config.json describes needs {count} tensor(s) the weights lack "
                                 "({names}). Loading would leave them randomly initialised."),
    "weights-unverified/missing": Text("The {model} that config.json describes needs {count} tensor(s) the weights "
                                       "lack ({names})."),
    "unexpected-weights/arch": Text("The weights hold {count} tensor(s) the {model} of config.json does not use "
                                    "({names}); loaders ignore them. They may belong to another architecture."),
    "weights-unverified/unexpected": Text("The weights hold {count} tensor(s) the {model} of config.json does not use "
                                          "({names}); loaders ignore them."),
    "shape-mismatch/config": Text("{count} tensor(s) do not have the shape config.json implies: {details}. The config "
                                  "belongs to another model.", "Use the config these weights were saved with."),
    "tied-embeddings": Text("config.json ties {target} to {source}, but the folder stores a different {stored}; "
                            "loaders will drop it and use the embeddings, losing what training did to it."),
    # LLaVA layouts
    "projector-mismatch": Text("The projector does not fit: {details}. It was trained for another LLM or visual encoder."),
    "missing-processor/llava": Text("This LLaVA model has no preprocessor_config.json, so images cannot be prepared for it."),
    "missing-processor/folder": Text("{part} has no preprocessor_config.json, so images cannot be prepared for it."),
    "missing-processor/vision": Text("This vision model has no preprocessor_config.json, so images cannot be prepared for it."),
    "missing-projector/layout": Text("This is a LLaVA layout ({evidence}) but there is no projector/ folder, so images "
                                     "cannot reach the LLM.",
                                     "Copy projector/ from the training output (XTuner's pth_to_hf writes it)."),
    # training output
    "config-mismatch": Text("The work_dir's config {config} differs from the config stored in {checkpoint}, which "
                            "trained it (the .py's value first): {details}. Mergesmith uses the checkpoint's.",
                            "If the .py was edited after training, that is expected; otherwise the checkpoint comes "
                            "from another run: check the folder and the iteration."),
    "unsupported-model": Text("InternVL training output is not supported yet: {name} trains {model}. Mergesmith "
                              "merges XTuner's SupervisedFinetune (LoRA, QLoRA, full fine-tune) and LLaVA runs.",
                              "For InternVL use xtuner/configs/internvl/v1_5/convert_to_official.py, which XTuner "
                              "ships for it."),
    "corrupt-checkpoint/no-model-states": Text("{name} is a DeepSpeed checkpoint folder without its *_model_states.pt "
                                               "file; the save was interrupted.", "Use another iteration."),
    "corrupt-checkpoint/damaged-part": Text("{name} holds {part}, which is truncated or damaged; the save was "
                                            "interrupted.", "Use another iteration."),
    "corrupt-checkpoint/truncated": Text("{name} is truncated or damaged (not a complete torch checkpoint).",
                                         "Use another iteration."),
    # adapters
    "bad-adapter/no-config": Text("The adapter has weights but no adapter_config.json.", "Copy the config saved with it."),
    "bad-adapter/no-weights": Text("adapter_config.json is here but the adapter weights (adapter_model.safetensors) "
                                   "are not."),
    # refusals
    "refusal/cancelled": Text("Cancelled; nothing was written.", " "),
}


def title(key: str) -> str:
    return CODES.get(code_of(key), ("", ""))[0]


def code_of(key: str) -> str:
    return key.split("/", 1)[0] if not key.startswith("refusal/") else key


def todo_template(key: str) -> str:
    text = SENTENCES.get(key)
    if text is not None and text.todo:
        return text.todo.strip()
    return CODES.get(code_of(key), ("", ""))[1]


def fields(template: str) -> set[str]:
    """The names a template's ``{fields}`` use."""
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(template) if name}


def particulars(key: str) -> set[str]:
    """The fields of ``key``'s texts that its call sites must give (all but the controls)."""
    text = SENTENCES[key]
    return (fields(text.sentence) | fields(todo_template(key))) - set(CLI_CONTROLS)


def render(key: str, params: Mapping, controls: Optional[Mapping] = None) -> str:
    """The sentence and what to do, for the command line (or with other ``controls``)."""
    values = {**(CLI_CONTROLS if controls is None else controls), **params}
    parts = [SENTENCES[key].sentence, todo_template(key)]
    return " ".join(p.format_map(values) for p in parts if p)
