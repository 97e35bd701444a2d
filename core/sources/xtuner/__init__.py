"""XTuner's training output: detection (``workdir``), a work_dir's contents (``listing``), one
checkpoint read into a Source (``describe``), which config trained it (``config_choice``), the key
layout (``keys``), and
the training config read without running it (``config``: what a merge needs; ``config_files``: a
file and what it inherits; ``config_eval``: statements; ``config_expressions``, ``config_calls``,
``config_values``: expressions, calls and the values they give).
"""
