"""The hold and the no-replace landing, in this process: other machines, reused pids, both ways of
refusing to land on an output, and what ``inspect`` and ``--dry-run`` say about a hold.

A hold from another machine is written here by hand: another machine cannot run in a test. Its
content is exactly what :func:`mergesmith.core.io.hold.acquire` writes, with another host name.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time

import pytest

from fixtures.cli import run_cli
from mergesmith.core.io import hold, landing


def _hand_made(out, **info):
    """A hold file as another run would leave it (``info`` overrides this process's details)."""
    full = {"pid": os.getpid(), "host": socket.gethostname(), "started": hold.process_start(os.getpid()),
            "what": "merge", "command": "mergesmith merge ...", "since": time.time() - 600, "locked": True,
            "token": "x", "out": str(out), **info}
    hold.hold_path(out).write_text(json.dumps(full))
    return full


def test_another_machines_hold_is_respected_and_named(tmp_path):
    out = tmp_path / "out"
    _hand_made(out, host="gpu-node-7", pid=4242)
    with pytest.raises(hold.HeldError) as err:
        hold.acquire(out, "merge")
    assert err.value.message.startswith(f"{out} is being written by another Mergesmith merge (process 4242 on "
                                        "the machine gpu-node-7, since ")
    assert err.value.message.endswith("; wait for it to finish, or choose another output folder. If that run is "
                                      f"no longer going, delete .out.mergesmith-hold in {tmp_path} and start again.")
    # inspect on the output, and on its parent, names it
    for where in (out, tmp_path):
        done = run_cli("inspect", where)
        assert f"mergesmith: {out} is being written by another Mergesmith merge (process 4242 on the machine " \
               "gpu-node-7" in done.err, done.err
    hold.hold_path(out).unlink()
    with hold.acquire(out, "merge") as mine:
        assert json.loads(mine.path.read_text())["pid"] == os.getpid()
    assert not hold.hold_path(out).exists()


def test_a_reused_pid_is_told_apart_by_its_start_time(tmp_path):
    out = tmp_path / "out"
    other = subprocess.Popen(["sleep", "30"])  # alive, same machine, but not the process that held out
    try:
        started, since = hold.process_start(other.pid), time.time() - 600
        _hand_made(out, pid=other.pid, started=started - 3600, locked=False, since=since)
        with hold.acquire(out, "convert") as mine:
            assert mine.taken_over == [
                f"Took over the hold on {out} left by another Mergesmith merge (process {other.pid} on this machine, "
                f"since {time.strftime('%H:%M:%S', time.localtime(since))}), which is no longer going "
                "(its process number now belongs to another process)."]
        _hand_made(out, pid=other.pid, started=started, locked=False)  # the very process: alive
        with pytest.raises(hold.HeldError):
            hold.acquire(out, "convert")
    finally:
        other.kill()
        other.wait()


def test_one_process_holds_once_and_a_just_created_hold_counts(tmp_path):
    out = tmp_path / "out"
    with hold.acquire(out, "merge in the Mergesmith window"):
        with pytest.raises(hold.HeldError, match="another Mergesmith merge in the Mergesmith window"):
            hold.acquire(out, "merge in the Mergesmith window")  # a second window of the same app
    hold.hold_path(out).write_text("")  # created, not yet written: another run is starting
    with pytest.raises(hold.HeldError, match="that is starting right now"):
        hold.acquire(out)
    old = time.time() - 3 * hold.YOUNG
    os.utime(hold.hold_path(out), (old, old))  # ...and never finished it
    with hold.acquire(out) as mine:
        assert mine.taken_over and "never completed" in mine.taken_over[0]


def test_dry_run_shows_the_hold_as_a_plan_error(tmp_path, wide):
    base, adapter = wide
    out = tmp_path / "out"
    _hand_made(out, host="gpu-node-7", pid=4242)
    done = run_cli("merge", adapter, "--base", base, "--out", out, "--dry-run")
    assert done.code == 2 and "[output-held]" in done.out and "gpu-node-7" in done.out, done
    assert not out.exists()


@pytest.mark.parametrize("fallback", (False, True), ids=("renameat2", "mkdir-based"))
def test_landing_never_replaces(tmp_path, fallback):
    out, tmp = tmp_path / "out", tmp_path / "stage"
    tmp.mkdir()
    (tmp / "new.txt").write_text("new")
    out.mkdir()  # appeared: even an empty folder is not landed on
    assert landing.land(tmp, out, fallback=fallback) is False and (tmp / "new.txt").exists()
    out.rmdir()
    assert landing.land(tmp, out, fallback=fallback) is True
    assert (out / "new.txt").read_text() == "new" and not tmp.exists()


def test_the_method_is_named_and_identity_follows_a_rename(tmp_path):
    assert landing.method() in ("renameat2(RENAME_NOREPLACE)", "mkdir-based")
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "sub" / "a.bin").write_bytes(b"1")
    before = landing.identity(out)
    moved = tmp_path / "moved"
    os.rename(out, moved)
    assert landing.identity(moved) == before  # the same folder under another name
    (moved / "sub" / "a.bin").write_bytes(b"2")
    assert landing.identity(moved) != before
    assert landing.identity(tmp_path / "absent") is None
