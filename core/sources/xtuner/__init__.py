"""XTuner's training output: work_dirs and checkpoints (``workdir``), the key layout (``keys``), and
the training config read without running it (``config``, ``config_eval``).
"""
