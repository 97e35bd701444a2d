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
    "opt_source": "--source",
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
    "corrupt-gguf": ("Damaged GGUF file", "Copy the file again, or export it again from the model folder."),
    "incomplete-gguf": ("GGUF file lacks what llama.cpp needs", "Export it again from the model folder with its tokenizer (mergesmith export-gguf)."),
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
    "base-incomplete": ("Base model not fully downloaded", "Finish the download to include the missing files."),
    "bad-model-card": ("Model card metadata unusable", "Correct the YAML, or remove the block."),
    "bad-card-metadata": ("Model card metadata the Hub refuses", "Correct the field in the metadata block of README.md."),
    # refusals (MergesmithError with a key)
    "refusal": ("Mergesmith cannot do this", ""),
    "refusal/cancelled": ("Cancelled", ""),
    "refusal/no-base": ("No base model", ""),
    "refusal/base-not-found": ("Base model not found", ""),
    "refusal/base-not-found-vit": ("Visual encoder not found", ""),
    "refusal/base-is-file": ("Not a model folder", ""),
    "refusal/base-is-file-vit": ("Not a model folder", ""),
    "refusal/base-is-adapter": ("An adapter, not a base model", ""),
    "refusal/base-is-adapter-vit": ("An adapter, not a visual encoder", ""),
    "refusal/base-no-config": ("Not a full model folder", ""),
    "refusal/base-no-config-vit": ("Not a full model folder", ""),
    "refusal/base-quantized": ("Quantized base model", ""),
    "refusal/base-quantized-vit": ("Quantized visual encoder", ""),
    "refusal/source-not-found": ("Path not found", ""),
    "refusal/outputs-inside": ("Training outputs inside", ""),
    "refusal/output-inside": ("A training output inside", ""),
    "refusal/unknown-layout": ("Unknown layout", ""),
    "refusal/unknown-file": ("Unknown file", ""),
    "refusal/unsafe-pickle": ("Unsafe checkpoint refused", ""),
    "refusal/pickle-too-large": ("Unsafe checkpoint refused", ""),
    "refusal/output-appeared": ("Output folder exists", ""),
    "refusal/disk-full": ("Disk full", ""),
    "refusal/quota": ("Disk quota exceeded", ""),
    "refusal/file-too-big": ("File too large for the file system", ""),
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
    "corrupt-shard/truncated": Text("{name} is truncated: its header promises {expected} bytes but the file has "
                                    "{size}."),
    "corrupt-shard/longer": Text("{name} is {extra} bytes longer than its header says, which loaders refuse (the file "
                                 "is damaged or was appended to)."),
    "corrupt-shard/too-short": Text("{name} is {size} bytes long, too short to be a safetensors file; it is truncated "
                                    "or empty."),
    "corrupt-shard/header-size": Text("{name} does not start with a valid safetensors header (it claims a "
                                      "{header}-byte header in a {size}-byte file); it is not a safetensors file or "
                                      "is damaged."),
    "corrupt-shard/header-json": Text("The header of {name} is not valid JSON ({error}); the file is damaged."),
    "corrupt-shard/overlap": Text("{name} has overlapping tensors at {tensor}."),
    "corrupt-shard/gap": Text("{name} has a gap between tensors at {tensor}."),
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
    "bad-adapter/not-lora": Text("{label} is a {peft_type} adapter; Mergesmith merges LoRA adapters (with rsLoRA, "
                                 "DoRA, rank/alpha patterns, embedding LoRA, lora_bias and modules_to_save).",
                                 "Merge it with PEFT's own merge_and_unload."),
    "bad-adapter/empty": Text("{label} holds no LoRA tensors; it is empty or not a PEFT adapter."),
    "bad-adapter/incomplete": Text("{label}: module {module} has {have} but not both LoRA matrices; the adapter is "
                                   "incomplete."),
    "bad-adapter/rank": Text("{label}: {module} has rank {rank} in its tensors but {config_rank} in "
                             "adapter_config.json; the config does not belong to these weights."),
    "bad-adapter/weights-missing": Text("{folder} has adapter_config.json but no adapter_model.safetensors or "
                                        "adapter_model.bin; the adapter weights are missing."),
    "bad-adapter/no-weights": Text("adapter_config.json is here but the adapter weights (adapter_model.safetensors) "
                                   "are not."),
    # planning: pairing and shapes
    "wrong-base/llm": Text("{label} was trained on {named} ({theirs}), but the base model chosen, {chosen}, is "
                           "{mine}."),
    "wrong-base/vit": Text("{label} was trained on {named} ({theirs}), but the visual encoder chosen, {chosen}, is "
                           "{mine}.", "Choose the visual encoder it was trained with ({opt_visual_encoder})."),
    "wrong-base/llm-family": Text("{label} names {named} as its base, but the base model chosen, {chosen}, is {mine}.",
                                  "If the merge fails or the model misbehaves, choose the model it was trained on "
                                  "({opt_base})."),
    "wrong-base/vit-family": Text("{label} names {named} as its visual encoder, but the visual encoder chosen, "
                                  "{chosen}, is {mine}.",
                                  "If the merge fails or the model misbehaves, choose the visual encoder it was "
                                  "trained with ({opt_visual_encoder})."),
    "shape-mismatch/replaced": Text("The adapter replaces {target} with a tensor of shape {got}, but the base has "
                                    "{want}.", "@adapter-other"),
    "shape-mismatch/lora": Text("The adapter's {kind} LoRA for {module} needs a weight of shape {want}, but the "
                                "base's {target} is {got} (if the vocabulary was resized, the adapter did not save "
                                "it).", "@adapter-other"),
    "shape-mismatch/dora": Text("The DoRA magnitude of {module} has shape {got}, expected {want}.", "@adapter-other"),
    "shape-mismatch/token-rows": Text("The adapter trains token rows {indices} of {target}, which has only {rows} "
                                      "rows.", "@adapter-other"),
    "missing-module/lora-bias": Text("The adapter was trained with lora_bias, but the base layer {module} has no bias "
                                     "to add it to.", "@adapter-other"),
    "missing-module/adapter": Text("The adapter changes {count} tensor(s) the base model does not have ({names}).",
                                   "@adapter-other"),
    "vocab-mismatch/adapter": Text("The adapter grows the vocabulary to {rows} rows but leaves {name} at {kept}; it "
                                   "did not save that layer, so its new rows are unknown.",
                                   "Save the adapter with save_embedding_layers=True."),
    "shape-mismatch/checkpoint": Text("The checkpoint's {tensor} has shape {got} but the base's {target} is {want}.",
                                      "@checkpoint-other"),
    "shape-mismatch/checkpoint-vit": Text("The checkpoint's {tensor} has shape {got} but the base's {target} is "
                                          "{want}.", "@checkpoint-other-vit"),
    "missing-module/checkpoint": Text("The checkpoint has {count} tensor(s) the base model does not have ({names}).",
                                      "@checkpoint-other"),
    "missing-module/checkpoint-vit": Text("The checkpoint has {count} tensor(s) the base model does not have "
                                          "({names}).", "@checkpoint-other-vit"),
    "missing-module/checkpoint-none": Text("None of the checkpoint's tensors is in the base model {name}.",
                                           "@checkpoint-other"),
    "missing-module/checkpoint-none-vit": Text("None of the checkpoint's tensors is in the base model {name}.",
                                               "@checkpoint-other-vit"),
    "vocab-mismatch/checkpoint": Text("The checkpoint's embeddings disagree on the vocabulary size ({sizes}).",
                                      "The checkpoint is damaged or from another model: use another one."),
    "shape-mismatch/projector": Text("The projector outputs {got} features but the base LLM's hidden size is {want}; "
                                     "the base {base} is not the LLM this LLaVA was trained with.",
                                     "Choose the LLM this LLaVA was trained with ({opt_base})."),
    "unknown-tensors": Text("The checkpoint holds {count} tensor(s) that belong to no part Mergesmith knows ({names}); "
                            "writing the output would lose them."),
    # planning: LLaVA
    "missing-projector/checkpoint": Text("{label} is a LLaVA checkpoint without projector weights; it cannot be used.",
                                         "Point at the checkpoint of the stage that trained the projector."),
    "missing-projector/convert": Text("This LLaVA checkpoint has no projector weights.",
                                      "Point at the checkpoint of the stage that trained the projector."),
    "missing-visual-encoder/lora": Text("The visual encoder was LoRA-tuned, so its base model is needed to write it."),
    "missing-visual-encoder/lora-named": Text("The visual encoder was LoRA-tuned, so its base model is needed to write "
                                              "it. The training names {named}, which is not on this machine."),
    "missing-visual-encoder/trained": Text("The visual encoder was fully trained, so its base model is needed to write "
                                           "it."),
    "missing-visual-encoder/trained-named": Text("The visual encoder was fully trained, so its base model is needed to "
                                                 "write it. The training names {named}, which is not on this machine."),
    "missing-visual-encoder/llava-hf": Text("A llava-hf folder holds the vision tower, so the visual encoder's folder "
                                            "is needed even when it was frozen."),
    "missing-visual-encoder/llava-hf-named": Text("A llava-hf folder holds the vision tower, so the visual encoder's "
                                                  "folder is needed even when it was frozen. The training names "
                                                  "{named}, which is not on this machine."),
    "missing-preprocessor": Text("Neither {folder} nor the config's image processor path has "
                                 "preprocessor_config.json."),
    "frozen-visual-encoder": Text("The visual encoder was frozen, so it is not written; use {folder} with this output "
                                  "(e.g. {command})."),
    "frozen-visual-encoder/unnamed": Text("The visual encoder was frozen, so it is not written; use the original "
                                          "visual encoder with this output (e.g. {command})."),
    "untied-embeddings/llava-hf": Text("{name} is written again as lm_head.weight (tie_word_embeddings false): "
                                       "LlavaForConditionalGeneration can only tie an embedding named embed_tokens."),
    "format-not-applicable": Text("The llava-hf format applies to LLaVA training outputs only, and {name} is a "
                                  "{kind} ({format})."),
    # planning: dtypes and notes
    "qlora": Text("QLoRA: the training loaded the base in {quant}; as XTuner and PEFT do, the adapter is merged into "
                  "the original {dtype} weights of the base model, not into quantized ones, so the output is an "
                  "ordinary {dtype} model."),
    "dtype-kept": Text("The training config loads the LLM as {said} (torch_dtype), but the base model is stored in "
                       "{stored}; the output keeps {stored}, as the base.",
                       "Choose {said} as the output dtype ({opt_dtype}) to change that."),
    "dtype-mismatch/float32-base": Text("The base's config says {named} but its weights are stored in float32, so the "
                                        "merged model will be too (twice the size).",
                                        "Choose {named} as the output dtype ({opt_dtype}) to write what the config "
                                        "says."),
    "dtype-narrowing": Text("The base is bfloat16 and you asked for float16, whose range is much smaller; weights or "
                            "activations may overflow."),
    "frozen-tensors": Text("{count} tensor(s) are not in the checkpoint (they were frozen during training) and are "
                           "copied from the base model."),
    "dropped-tensors": Text("{count} tensor(s) of the checkpoint are not written: buffers transformers rebuilds, or an "
                            "output embedding tied to the input one ({names})."),
    "untied-embeddings": Text("The adapter changes {output}, which the base ties to {input}; the merged model stores "
                              "both and sets tie_word_embeddings to false, as training saw them."),
    # planning: files and the output folder
    "broken-link": Text("{path} is a symbolic link to {target}, which does not exist, so it is not copied."),
    "missing-generation-config/plan": Text("Neither the training output nor the base has generation_config.json; the "
                                           "merged model will use transformers' defaults for generation (EOS, "
                                           "sampling)."),
    "missing-tokenizer/plan": Text("Neither the training output nor the base ({base}) has tokenizer files; the merged "
                                   "folder will have no tokenizer.", "Copy them from where the base came from."),
    "output-overlaps-input": Text("The output folder {out} overlaps the input {input}; Mergesmith never writes into "
                                  "its inputs."),
    "output-exists": Text("The output folder {out} already exists and is not empty.",
                          "Choose another folder, or allow replacing it ({opt_overwrite}); it is replaced only when "
                          "the merge succeeds."),
    "output-exists/file": Text("{out} exists and is a file.", "Choose a folder name that is free ({opt_out})."),
    "output-not-writable": Text("Cannot write in {folder}."),
    "leftover-partial": Text("{name} was left by an interrupted run; it is removed when this one starts."),
    "disk-space": Text("This writes {size} but only {free} is free on the disk of {folder}."),
    # verify
    "merge-mismatch/more": Text("...and {count} more tensor(s) differ beyond {ulp} ulp."),
    "missing-weights/verify": Text("{name} should be in the folder but is not.", "Merge again."),
    "missing-weights/verify-part": Text("{name} should be in {part} but is not.", "Merge again."),
    "missing-weights/not-in-base": Text("The adapter changes {name}, but the base model has no such tensor.",
                                        "Check the base model ({opt_base})."),
    "shape-mismatch/verify": Text("{name} is {got} in the folder but the inputs give {want}; the folder was merged "
                                  "from other inputs.", "Merge again from the right inputs."),
    "unexpected-weights/verify": Text("The folder holds {count} tensor(s) the inputs do not give ({names})."),
    "unexpected-weights/no-part": Text("The folder holds {count} tensor(s) that belong to no part of the inputs "
                                       "({names}); it was not merged from these inputs.",
                                       "Check the training output, the base model and the visual encoder "
                                       "({opt_source}, {opt_base}, {opt_visual_encoder}), or merge again."),
    "logits-mismatch": Text("On a test prompt the merged model's logits differ from base + adapter by {merged}, "
                            "{ratio} of the adapter's own effect ({adapter}); the merge does not reproduce the "
                            "adapter."),
    "base-incomplete/hf": Text("The base model {name} in the Hugging Face cache (snapshot {version}) lacks {files}; "
                               "the output will be written without what is missing."),
    "base-incomplete/ms": Text("The base model {name} in the ModelScope cache (revision {version}) lacks {files}; "
                               "the output will be written without what is missing."),
    "bad-model-card": Text("The metadata block at the top of {card} (between the --- lines) is unusable: {error}. "
                           "The Hub refuses such a card and huggingface_hub cannot load it."),
    # refusals
    "refusal/cancelled": Text("Cancelled; nothing was written.", " "),
    "refusal/base-not-found": Text("The base model folder {folder} does not exist.",
                                   "Choose the folder of the model the adapter was trained on ({opt_base})."),
    "refusal/base-not-found-vit": Text("The visual encoder folder {folder} does not exist.",
                                       "Choose the folder of the visual encoder the model was trained with "
                                       "({opt_visual_encoder})."),
    "refusal/base-is-file": Text("The base model {folder} is a file.", "Choose the model's folder ({opt_base})."),
    "refusal/base-is-file-vit": Text("The visual encoder {folder} is a file.",
                                     "Choose the model's folder ({opt_visual_encoder})."),
    "refusal/base-is-adapter": Text("{folder} is an adapter, not a base model.",
                                    "Choose the full model the adapter was trained on ({opt_base})."),
    "refusal/base-is-adapter-vit": Text("{folder} is an adapter, not a visual encoder.",
                                        "Choose the full visual encoder model ({opt_visual_encoder})."),
    "refusal/base-no-config": Text("{folder} has no config.json, so it is not a full model folder.",
                                   "Choose the base model the adapter was trained on ({opt_base})."),
    "refusal/base-no-config-vit": Text("{folder} has no config.json, so it is not a full model folder.",
                                       "Choose the visual encoder the model was trained with ({opt_visual_encoder})."),
    "refusal/base-quantized": Text("The base model {folder} is quantized ({method}); Mergesmith merges into 16-bit "
                                   "weights.", "Choose the original float16/bfloat16 model it was quantized from "
                                   "(for a QLoRA adapter, the model named before quantization) ({opt_base})."),
    "refusal/base-quantized-vit": Text("The visual encoder {folder} is quantized ({method}); Mergesmith merges into "
                                       "16-bit weights.", "Choose the original float16/bfloat16 model it was "
                                       "quantized from ({opt_visual_encoder})."),
    "refusal/source-not-found": Text("{path} does not exist.", "Check the path."),
    "refusal/outputs-inside": Text("{path} is not itself a training output, but it holds {names}.",
                                   "Point at one of those folders instead."),
    "refusal/output-inside": Text("{path} is not itself a training output, but it holds {names}.",
                                  "Point at that folder instead."),
    "refusal/unknown-layout": Text("{path} is not a training output Mergesmith knows: expected a PEFT adapter "
                                   "(adapter_config.json + adapter_model.safetensors), an XTuner work_dir or "
                                   "converted folder, a .pth checkpoint, or a model folder with config.json.",
                                   "Point at one of those."),
    "refusal/unknown-file": Text("{path} is not a file Mergesmith can read.",
                                 "Point at a training output folder, an XTuner .pth checkpoint or a DeepSpeed "
                                 "iter_N.pth folder."),
    "refusal/unsafe-pickle": Text("{name} asks to call {call} while loading; a checkpoint has no business doing that, "
                                  "so Mergesmith refused to read it (nothing was run).",
                                  "Do not open it with torch.load either; get the checkpoint again from a source "
                                  "you trust."),
    "refusal/pickle-too-large": Text("{name} asks to build far more data ({what}) than a checkpoint holds; it is "
                                     "crafted or damaged, so Mergesmith refused to read it (nothing was run).",
                                     "Get the checkpoint again from a source you trust."),
    "refusal/output-appeared": Text("{out} appeared while planning.",
                                    "Choose another output folder or allow replacing it ({opt_overwrite})."),
    "refusal/disk-full": Text("Writing {out} stopped because the disk ran out of space on the disk of {folder} "
                              "({free} free now); the partial output was removed.", "@disk"),
    "refusal/quota": Text("Writing {out} stopped because your disk quota ran out on the disk of {folder} ({free} free "
                          "now); the partial output was removed.", "@disk"),
    "refusal/file-too-big": Text("Writing {out} stopped because a file grew larger than the file system allows on "
                                 "the disk of {folder} ({free} free now); the partial output was removed.", "@disk"),
    # downloading the base from the Hub (core/hub/download.py); "-file" variants name a file of the repo
    "refusal/download-no-config": Text("{repo_id} on the Hub has no config.json, so it is not a transformers model "
                                       "Mergesmith can merge into; check the id."),
    "refusal/download-shards-missing": Text("{repo_id}'s {index} names {count} shard(s) the repo does not hold "
                                            "({first}); the repo is incomplete, choose another revision."),
    "refusal/download-no-weights": Text("{repo_id} on the Hub has no safetensors or PyTorch weights Mergesmith can "
                                        "read; choose a repo with model.safetensors or its shards."),
    "refusal/download-no-weights-others": Text("{repo_id} on the Hub has no safetensors or PyTorch weights Mergesmith "
                                               "can read (it holds {others}); choose a repo with model.safetensors "
                                               "or its shards."),
    "refusal/download-no-weight-map": Text("{index} of {repo_id} has no weight_map; the repo is broken, choose "
                                           "another."),
    "refusal/download-offline": Text("Cannot download {repo_id}: HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set, so "
                                     "huggingface_hub will not connect; unset it, or pass the base model's folder "
                                     "with {opt_base}."),
    "refusal/download-no-space": Text("Downloading {repo_id} needs {need} but the disk holding the Hugging Face cache "
                                      "{cache} has {free} free; free some space, or set HF_HUB_CACHE to a folder on a "
                                      "bigger disk."),
    "refusal/download-gated": Text("{repo_id} is gated: accept its conditions on its Hub page, then log in with "
                                   "huggingface-cli login (or set HF_TOKEN) and download again."),
    "refusal/download-no-repo": Text("There is no model {repo_id} on the Hub (or it is private): check the id, or log "
                                     "in with huggingface-cli login (or set HF_TOKEN) if it is yours."),
    "refusal/download-no-revision": Text("{repo_id} has no revision {revision} on the Hub; check the revision."),
    "refusal/download-network": Text("Cannot reach the Hub ({endpoint}) to download {what}: connect to the network "
                                     "and run again (finished files are kept), or pass the base model's folder "
                                     "with {opt_base}."),
    "refusal/download-no-file": Text("{repo_id} on the Hub has no file {name} at revision {revision}; check the id and "
                                     "revision, or pass the base model's folder with {opt_base}."),
    "refusal/download-disk-full": Text("The disk holding the Hugging Face cache {cache} is full (while downloading "
                                       "{what}); free some space, or set HF_HUB_CACHE to a folder on a bigger disk."),
    "refusal/download-http": Text("The Hub answered {status} while downloading {what}; try again later (finished "
                                  "files are kept), or pass the base model's folder with {opt_base}."),
    "refusal/download-os": Text("Downloading {what} failed: {error}; check the Hugging Face cache {cache} and run "
                                "again."),
    "refusal/no-base": Text("No base model given.",
                            "Choose the folder of the model the adapter was trained on ({opt_base})."),
}

# what to do, shared by several texts (a ``todo`` of "@name")
TODOS = {
    "disk": "Free some space or choose an output folder on another disk ({opt_out}).",
    "adapter-other": "This adapter was trained on another model than the base {base} ({base_desc}); choose the base "
                     "it was trained on ({opt_base}).",
    "checkpoint-other": "It was trained from another model than {base} ({base_desc}); choose the model it was "
                        "trained from ({opt_base}).",
    "adapter-other-named": "This adapter was trained on {named}, not on the base {base} ({base_desc}); choose the "
                           "base it was trained on ({opt_base}).",
    "checkpoint-other-named": "It was trained from {named}, not from {base} ({base_desc}); choose that model "
                              "({opt_base}).",
    "checkpoint-other-vit-named": "It was trained from {named}, not from {base} ({base_desc}); choose that visual "
                                  "encoder ({opt_visual_encoder}).",
    "checkpoint-other-vit": "It was trained from another model than {base} ({base_desc}); choose the visual encoder "
                            "it was trained from ({opt_visual_encoder}).",
}


def title(key: str) -> str:
    return CODES.get(code_of(key), CODES["refusal"])[0]


def code_of(key: str) -> str:
    return key.split("/", 1)[0] if not key.startswith("refusal/") else key


def todo_template(key: str, params: Optional[Mapping] = None) -> str:
    """What to do for ``key``. A shared one (``@name``) has a variant naming the model the training
    names (``name-named``), used when the particulars include ``named``."""
    text = SENTENCES.get(key)
    if text is not None and text.todo:
        if not text.todo.startswith("@"):
            return text.todo.strip()
        name = text.todo[1:]
        return TODOS[f"{name}-named"] if params and "named" in params and f"{name}-named" in TODOS else TODOS[name]
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
    parts = [SENTENCES[key].sentence, todo_template(key, params)]
    return " ".join(p.format_map(values) for p in parts if p)
