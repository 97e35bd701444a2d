"""SIGKILL a real ``mergesmith convert`` (XTuner work_dir -> pth_to_hf layout) at several moments.

The work_dir holds a rank-256 LoRA on the wide base (an 80 MB adapter to write). Killed when its
partial folder appears and half-way, there is no output, only the killed process's named partial,
which the next run removes (one line) before succeeding. With ``--overwrite`` the previous output
survives a kill half-way, and the swap -- renames held back with strace so the moment can be hit
every time -- never leaves the output missing, not even for an instant.
"""

from __future__ import annotations

import shutil
import time

import pytest

from fixtures.cli import run_cli
from fixtures.files import tree_digest
from fixtures.processes import (kill_at, kill_now, leftovers, owner_pid, start_slow_renames, strace_refusal,
                                wait_until)


@pytest.fixture(scope="module")
def work_dir_run(wide, tmp_path_factory):
    """An XTuner LoRA work_dir (fp32 adapter, no optimizer state) on the wide base."""
    from fixtures.xtuner import LORA, base_linears, lora_state_dict, sft_config, work_dir

    base, _adapter = wide
    sd = lora_state_dict(base_linears(base), "llm.", 256, seed=3)
    cfg = sft_config(str(base), dict(LORA, r=256, target_modules=None))
    return work_dir(tmp_path_factory.mktemp("xt") / "wd", cfg, {10: sd}, optimizer=False), sum(
        t.numel() * 4 for t in sd.values())


def test_convert_killed_leaves_no_output_and_the_next_run_removes_the_partials(work_dir_run, tmp_path):
    wd, total = work_dir_run
    out = tmp_path / "hf"
    convert = ("convert", wd, "--out", out)

    # 1. Killed as soon as the partial folder exists and half-way through the adapter.
    killed = []
    for fraction in (0, 0.5):
        pid, reached = kill_at(convert, tmp_path, fraction, total)
        if not reached:  # the machine outran the poll and the conversion finished
            shutil.rmtree(out)
            continue
        killed.append(pid)
        assert not out.exists(), f"an output appeared although convert was killed at {fraction:.0%}"
        names = leftovers(tmp_path)
        assert names and all(any(n.startswith(f".hf.mergesmith-partial-{p}@") for p in killed) for n in names), names
    assert killed, "no kill landed while convert was writing"

    # 2. The next run removes each partial (one line each) and succeeds.
    before = leftovers(tmp_path)
    done = run_cli(*convert)
    assert done.code == 0, done.err
    for name in before:
        lines = [ln for ln in done.err.splitlines() if name in ln]
        assert lines == [f"mergesmith: Removed {name}, the partial output of an interrupted run."], done.err
    assert leftovers(tmp_path) == []
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "adapter_config.json",
                                                     "adapter_model.safetensors", "xtuner_config.py"]


def test_convert_overwrite_killed_anywhere_keeps_the_previous_output(work_dir_run, tmp_path):
    wd, total = work_dir_run
    out = tmp_path / "hf"
    assert run_cli("convert", wd, "--out", out, "--dtype", "bfloat16").code == 0
    old = tree_digest(out)
    over = ("convert", wd, "--out", out, "--overwrite")  # float32 this time: old and new differ

    # 1. Killed half-way: the previous output is in place, untouched.
    _pid, reached = kill_at(over, tmp_path, 0.5, total)
    assert tree_digest(out) == old or not reached, "the previous output changed"
    if not reached:
        pytest.skip("the machine outran the poll: the conversion finished before half of it was written")

    # 2. The swap (renames held back with strace so the moment can be hit every time): the output
    # is exchanged with the new one in one step (Linux renameat2), so it is never missing, even for
    # an instant; killed right after the swap, the new output is in place whole and what is left of
    # the previous one (under the partial's name) goes with the next run's leftovers.
    why = strace_refusal()
    if why:
        pytest.skip(f"cannot hold a rename back to kill around the swap: {why}")
    import os
    import threading

    missing, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            if not os.path.lexists(out):
                missing.append(True)
            time.sleep(0.0002)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    before = out.stat().st_ino
    proc = start_slow_renames(*over)
    try:
        mine = lambda: [n for n in leftovers(tmp_path) if ".mergesmith-partial-" in n]  # noqa: E731
        assert wait_until(lambda: mine(), proc), proc.communicate()
        pid = owner_pid(mine()[-1])
        assert wait_until(lambda: out.stat().st_ino != before, proc), proc.communicate()
        kill_now(pid)
        proc.communicate(timeout=30)
    finally:
        stop.set()
        watcher.join()
    assert not missing, "the output was missing for a moment during the swap"
    new = tree_digest(out)
    assert new != old and sorted(new) == sorted(old)

    # 3. A real run removes what the killed one left (if anything) with one line each, and replaces
    # the output again.
    left = leftovers(tmp_path)
    assert all(".mergesmith-partial-" in n for n in left)
    done = run_cli(*over)
    assert done.code == 0, done.err
    assert tree_digest(out) == new and leftovers(tmp_path) == []
    assert [ln for ln in done.err.splitlines() if "mergesmith: Removed" in ln] == [
        f"mergesmith: Removed {n}, the partial output of an interrupted run." for n in left], done.err
