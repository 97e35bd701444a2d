"""Export a model folder to one GGUF file for llama.cpp, Ollama and LM Studio, streaming.

``arch`` maps a transformers architecture onto llama.cpp's (names, hyper-parameters, the query/key
row order), ``vocab`` turns the tokenizer into GGUF's token tables, ``tensors`` converts one tensor
at a time (f16, bf16, q8_0, block by block), ``export`` plans and runs the whole file. The file
format itself is llama.cpp's own ``gguf`` package; the streaming around it is ours.
"""
