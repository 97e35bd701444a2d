"""SIGKILL a real ``mergesmith merge`` at several moments: the output appears whole or not at all.

Moments are picked by watching the partial folder grow (the CLI draws no progress off a
terminal): as soon as it exists (planning done, nothing written yet), part-way through the
shards, and at the very end (fsync, renames). After each kill there is no output folder, only
the killed process's clearly named partial one; the next run removes them (one line each) and
succeeds. With ``--overwrite``, the previous output is never lost, whatever the moment.
"""

from __future__ import annotations

import shutil

from fixtures.cli import run_cli_process
from fixtures.files import folder_size, tree_digest
from fixtures.processes import kill_at, leftovers


def test_sigkill_at_any_moment_leaves_no_output_and_never_loses_the_previous_one(wide, tmp_path):
    base, adapter = wide
    out = tmp_path / "merged"
    total = folder_size(base)
    merge = ("merge", adapter, "--base", base, "--out", out)

    # 1. A new output, killed as soon as the partial folder exists and half-way through the shards.
    killed = []
    for fraction in (0, 0.5):
        pid, reached = kill_at((*merge, "--max-shard-size", "20MB", "--check", "none"), tmp_path, fraction, total)
        if not reached:  # the machine outran the poll and the merge finished: nothing to test here
            shutil.rmtree(out)
            continue
        killed.append(pid)
        assert not out.exists(), f"an output appeared although the merge was killed at {fraction:.0%}"
        names = leftovers(tmp_path)
        assert names and all(any(n.startswith(f".merged.mergesmith-partial-{p}@") for p in killed)
                             for n in names), names
    assert killed, "no kill landed while the merge was writing"

    # 2. The next run into the same output removes them, one line each, and succeeds (checked).
    before = leftovers(tmp_path)
    done = run_cli_process(*merge, "--max-shard-size", "50MB")
    assert done.code == 0, done.err
    assert "Traceback" not in done.err and "all in order" in done.out
    for name in before:
        lines = [ln for ln in done.err.splitlines() if name in ln]
        assert len(lines) == 1 and lines[0].startswith("mergesmith: Removed "), done.err
    assert leftovers(tmp_path) == []
    old = tree_digest(out)

    # 3. --overwrite into it (other shards: old and new can be told apart), killed mid-way and at
    # the very end (fsync, renames): the previous output is whole, in place or set aside.
    over = (*merge, "--max-shard-size", "20MB", "--check", "none", "--overwrite")
    for fraction in (0.5, 0.99):
        _pid, reached = kill_at(over, tmp_path, fraction, total)
        if out.exists():
            now = tree_digest(out)
            assert now == old or not reached, "the previous output changed"
            if now != old:  # finished before the kill: start again from an old output
                return
        else:  # killed between the two renames: the old output waits beside, whole
            aside = [n for n in leftovers(tmp_path) if ".mergesmith-old-" in n]
            assert len(aside) == 1 and tree_digest(tmp_path / aside[0]) == old
    done = run_cli_process(*over)
    assert done.code == 0 and "Traceback" not in done.err, done.err
    assert tree_digest(out) != old and leftovers(tmp_path) == []
