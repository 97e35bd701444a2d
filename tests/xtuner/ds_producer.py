"""Train a tiny XTuner-style LoRA model for one step with the real DeepSpeed and save its checkpoint.

Run as a script (never imported by the tests' own process, which must not import DeepSpeed):

    python ds_producer.py SPEC.json

SPEC: ``base`` (a tiny Llama folder), ``lora`` (r, lora_alpha, target_modules), ``world`` (ranks),
``port``, and ``runs``, each with ``client_state`` (a torch.save'd dict: what mmengine's strategy
passes, meta and message_hub), ``stage`` (1-3), ``dtype`` ("bf16", "fp16" or "fp32"),
``work_dir``, ``tag`` ("iter_N.pth"), ``expected`` (where DeepSpeed's own ``zero_to_fp32``
consolidation of the trained weights in that checkpoint is saved: the tests' reference values) and optionally
``full`` (a full fine-tune instead of LoRA, parameters whose names contain a ``frozen`` entry
frozen), ``exclude_frozen`` (default true, as XTuner asks; false saves the frozen weights too,
as DeepSpeed < 0.13.2 did for XTuner) and ``llava`` (XTuner's LLaVAModel: the LoRA LLM, a CLIP
vision tower with LoRA from the spec's ``vit`` and ``vit_lora``, and a trained projector). The runs share the ranks'
processes, so DeepSpeed, torch and transformers are imported once.

Each rank is a process on the CPU accelerator with gloo, as the specimens in tests/specimens were
made: ``deepspeed.initialize`` on the model inside an XTuner-like wrapper (the PEFT model under
``llm``), one optimizer step, then ``engine.save_checkpoint`` exactly as mmengine's DeepSpeedStrategy
calls it for XTuner (``save_latest=False``, ``exclude_frozen_parameters=True``).
"""

import json
import os
import sys

import torch


class SupervisedFinetune(torch.nn.Module):
    """XTuner's wrapper, as far as the checkpoint sees it: the (PEFT-wrapped) LLM under ``llm``."""

    def __init__(self, llm):
        super().__init__()
        self.llm = llm

    def forward(self, input_ids):
        return self.llm(input_ids=input_ids, labels=input_ids).loss


class ProjectorModel(torch.nn.Module):
    """XTuner's projector: Linear, GELU, Linear under ``model``."""

    def __init__(self, vit_hidden: int, llm_hidden: int):
        super().__init__()
        self.model = torch.nn.Sequential(torch.nn.Linear(vit_hidden, llm_hidden), torch.nn.GELU(),
                                         torch.nn.Linear(llm_hidden, llm_hidden))


class LLaVAModel(torch.nn.Module):
    """XTuner's LLaVAModel, as far as the checkpoint sees it: ``llm``, ``visual_encoder``, ``projector``."""

    def __init__(self, llm, visual_encoder, projector):
        super().__init__()
        self.llm, self.visual_encoder, self.projector = llm, visual_encoder, projector

    def forward(self, input_ids):
        size = self.visual_encoder.config.image_size
        pixels = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(1))
        dtype = next(self.projector.parameters()).dtype
        image = self.visual_encoder(pixel_values=pixels.to(dtype), output_hidden_states=True).hidden_states[-2]
        image = self.projector.model(image[:, 1:])
        text = self.llm.get_input_embeddings()(input_ids)
        labels = torch.cat([torch.full(image.shape[:2], -100), input_ids], 1)
        return self.llm(inputs_embeds=torch.cat([image, text], 1), labels=labels).loss


def lora_wrapped(model, lora: dict, task_type=None):
    from peft import LoraConfig, get_peft_model

    return get_peft_model(model, LoraConfig(r=lora["r"], lora_alpha=lora["lora_alpha"], lora_dropout=0.0,
                                            target_modules=lora["target_modules"], init_lora_weights="gaussian",
                                            task_type=task_type))


def build_model(spec: dict):
    from transformers import AutoModelForCausalLM

    torch.manual_seed(spec.get("seed", 0))
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[spec["dtype"]]
    llm = AutoModelForCausalLM.from_pretrained(spec["base"], torch_dtype=dtype)
    if spec.get("full"):
        for name, p in llm.named_parameters():
            p.requires_grad_(not any(f in name for f in spec.get("frozen", [])))
        return SupervisedFinetune(llm)
    llm = lora_wrapped(llm, spec["lora"], "CAUSAL_LM")
    if not spec.get("llava"):
        return SupervisedFinetune(llm)
    from transformers import CLIPVisionModel

    vit = lora_wrapped(CLIPVisionModel.from_pretrained(spec["vit"], torch_dtype=dtype), spec["vit_lora"])
    projector = ProjectorModel(vit.config.hidden_size, llm.config.hidden_size).to(dtype)
    return LLaVAModel(llm, vit, projector)


def ds_config(spec: dict) -> dict:
    cfg = {"train_micro_batch_size_per_gpu": 1, "gradient_accumulation_steps": 1, "gradient_clipping": 1.0,
           "zero_allow_untested_optimizer": True, "zero_optimization": {"stage": spec["stage"]},
           "steps_per_print": 10 ** 9, "wall_clock_breakdown": False}
    if spec["dtype"] == "bf16":
        cfg["bf16"] = {"enabled": True}
    elif spec["dtype"] == "fp16":
        cfg["fp16"] = {"enabled": True, "initial_scale_power": 16}
    return cfg


def train_and_save(spec: dict, run: dict, rank: int) -> None:
    """One run: build, one step, save; rank 0 then consolidates with DeepSpeed's zero_to_fp32."""
    import deepspeed

    spec = dict(spec, **run)
    model = build_model(spec)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=spec.get("lr", 1e-2), weight_decay=0.0)
    engine, *_ = deepspeed.initialize(model=model, optimizer=optimizer, config=ds_config(spec))
    g = torch.Generator().manual_seed(100 + rank)
    vocab = model.llm.get_input_embeddings().num_embeddings
    loss = engine(torch.randint(0, vocab, (1, 8), generator=g))
    engine.backward(loss)
    engine.step()
    client_state = torch.load(spec["client_state"], weights_only=False)
    exclude_frozen = spec.get("exclude_frozen", True)
    engine.save_checkpoint(spec["work_dir"], tag=spec["tag"], client_state=client_state, save_latest=False,
                           exclude_frozen_parameters=exclude_frozen)
    torch.distributed.barrier()
    if rank == 0:
        from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint

        want = get_fp32_state_dict_from_zero_checkpoint(spec["work_dir"], tag=spec["tag"],
                                                        exclude_frozen_parameters=True)
        torch.save(dict(want), spec["expected"])
    torch.distributed.barrier()


def rank_main(rank: int, spec: dict) -> None:
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(spec["world"]),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(spec["port"]))
    import deepspeed
    import deepspeed.ops

    # The CPU accelerator's shared-memory allreduce is a C++ extension compiled on first use (about a
    # minute on two cores); without it DeepSpeed uses gloo alone. What is saved does not change.
    deepspeed.ops.__compatible_ops__["deepspeed_shm_comm"] = False
    deepspeed.init_distributed(dist_backend="gloo")
    for run in spec["runs"]:
        train_and_save(spec, run, rank)
    torch.distributed.destroy_process_group()


def main(argv: list[str]) -> None:
    spec = json.loads(open(argv[1]).read())
    os.environ.setdefault("DS_ACCELERATOR", "cpu")
    torch.set_num_threads(1)
    torch.multiprocessing.spawn(rank_main, args=(spec,), nprocs=spec["world"])


if __name__ == "__main__":
    main(sys.argv)
