"""The LLaVA projector model: an MLP whose linear layers sit at ``model.0``, ``model.2``, ...

Written by Mergesmith to load the ``projector/`` folder of XTuner's LLaVA layout with
``AutoModel.from_pretrained(dir, trust_remote_code=True)``. The weight names
(``model.{0,2,...}.{weight,bias}``) are those XTuner's ``ProjectorModel`` saves.
"""

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers.activations import ACT2FN

from .configuration_projector import ProjectorConfig


class ProjectorModel(PreTrainedModel):
    """Maps visual-encoder features to the LLM's embedding space."""

    config_class = ProjectorConfig
    base_model_prefix = "model"
    _auto_class = "AutoModel"
    supports_gradient_checkpointing = True

    def __init__(self, config: ProjectorConfig) -> None:
        super().__init__(config)
        layers = [nn.Linear(config.visual_hidden_size, config.llm_hidden_size, bias=config.bias)]
        for _ in range(1, config.depth):
            layers.append(ACT2FN[config.hidden_act])
            layers.append(nn.Linear(config.llm_hidden_size, config.llm_hidden_size, bias=config.bias))
        self.model = nn.Sequential(*layers)
        self.gradient_checkpointing = False
        self.post_init()

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            std = getattr(self.config, "initializer_range", 0.02)
            module.weight.data.normal_(mean=0.0, std=std)
            if module.bias is not None:
                module.bias.data.zero_()

    def enable_input_require_grads(self):
        def make_inputs_require_grad(module, inputs, output):
            output.requires_grad_(True)

        self.model.register_forward_hook(make_inputs_require_grad)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.gradient_checkpointing and self.training:
            return torch.utils.checkpoint.checkpoint(self.model, x, use_reentrant=False)
        return self.model(x)
