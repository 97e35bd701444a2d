"""Run: the engine that executes a plan (``merge.run_plan``: streaming, atomic output) and the
one-call ``convert``.
"""
