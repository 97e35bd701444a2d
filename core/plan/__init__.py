"""Plan: everything a merge or conversion will write, decided before a byte is written.
``base`` holds the dataclasses and shared steps (shards, index, carried files, output checks);
one module per planner; ``planners.make_plan`` asks the planners in ``planners.PLANNERS``.
"""
