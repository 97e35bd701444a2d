"""Bytes in and out: safetensors headers, memory-mapped reads and the streaming writer, the safe
unpickler for ``.pth`` checkpoints, DeepSpeed ZeRO folders, tensor stores, atomic output.
"""
