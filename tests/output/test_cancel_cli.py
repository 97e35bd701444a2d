"""Ctrl-C (SIGINT) and SIGTERM to a real ``mergesmith merge`` while it writes: it stops within a
second, says so in one line, exits 130 (SIGINT) or 143 (SIGTERM), and leaves nothing behind."""

from __future__ import annotations

import gc
import signal
import time

import pytest

from fixtures.files import folder_size
from fixtures.processes import leftovers, start, wait_for


@pytest.mark.parametrize("sig, code, words", [(signal.SIGINT, 130, "Cancelled; nothing was written."),
                                              (signal.SIGTERM, 143, "Stopped (SIGTERM); nothing was written.")])
def test_signal_while_writing_stops_fast_and_leaves_nothing(wide, tmp_path, sig, code, words):
    base, adapter = wide
    out = tmp_path / "merged"
    # A garbage collection of the test process's heap (hundreds of ms late in the suite) between
    # seeing 30% written and sending the signal let the merge finish first: none in that window.
    gc.collect()
    gc.disable()
    try:
        proc = start("merge", adapter, "--base", base, "--out", out, "--max-shard-size", "20MB", "--dtype", "float32")
        if not wait_for(tmp_path, proc, 0.3, folder_size(base)):
            pytest.skip("the merge finished before the signal could be sent")
        t0 = time.monotonic()
        proc.send_signal(sig)
    finally:
        gc.enable()
    _out, err = proc.communicate(timeout=30)
    elapsed = time.monotonic() - t0
    if proc.returncode == 0 and out.is_dir() and leftovers(tmp_path) == []:
        pytest.skip("the merge finished before the signal landed (a loaded machine)")  # whole, as promised
    assert proc.returncode == code, err
    assert elapsed < 1.0, f"took {elapsed:.2f} s to stop"
    assert err.strip().splitlines() == [f"mergesmith: {words}"], err
    assert not out.exists() and leftovers(tmp_path) == []
