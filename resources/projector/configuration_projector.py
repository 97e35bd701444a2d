"""Configuration of the LLaVA projector (the MLP from visual features to LLM embeddings).

Written by Mergesmith to load the ``projector/`` folder of XTuner's LLaVA layout with
``AutoConfig.from_pretrained(dir, trust_remote_code=True)``; field names and defaults follow
XTuner's ``ProjectorConfig`` so that existing folders and tools read the same values.
"""

from transformers import PretrainedConfig


class ProjectorConfig(PretrainedConfig):
    """``depth`` linear layers: visual_hidden_size -> llm_hidden_size -> ... -> llm_hidden_size."""

    model_type = "projector"
    _auto_class = "AutoConfig"

    def __init__(self, visual_hidden_size=4096, llm_hidden_size=4096, depth=2, hidden_act="gelu",
                 bias=True, **kwargs):
        self.visual_hidden_size = visual_hidden_size
        self.llm_hidden_size = llm_hidden_size
        self.depth = depth
        self.hidden_act = hidden_act
        self.bias = bias
        super().__init__(**kwargs)
