"""The built-in demo inputs (a tiny LLaMA LoRA run, a tiny LLaVA run) the window offers and the
tests use; not test code, and nothing in core imports it.
"""
