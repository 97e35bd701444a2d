"""SIGKILL a real ``mergesmith fix DIR --in-place`` at several moments: DIR is the original or the
complete fixed folder, and the next run recovers.

DIR is the wide base saved as one pickle (``pytorch_model.bin``, 136 MB): the fix converts it to
safetensors, slow enough to be killed while it builds the fixed folder beside DIR. The moments
between the renames of the swap (DIR set aside, the fixed folder renamed in, the original made
the backup) last microseconds; renames are held back with strace there so the kill lands every time.
"""

from __future__ import annotations

import shutil
import signal

import pytest

from fixtures.cli import run_cli
from fixtures.files import folder_size, tree_digest
from fixtures.processes import (kill_now, leftovers, owner_pid, start, start_slow_renames, strace_refusal,
                                wait_for, wait_until)


@pytest.fixture(scope="module")
def pickled(wide, tmp_path_factory):
    """The wide base with its weights in one ``pytorch_model.bin`` (what fix converts)."""
    import torch
    from safetensors.torch import load_file

    base, _adapter = wide
    folder = tmp_path_factory.mktemp("pickled") / "model"
    folder.mkdir()
    state = {}
    for f in sorted(base.iterdir()):
        if f.suffix == ".safetensors":
            state.update(load_file(str(f)))
        elif not f.name.endswith(".index.json"):
            shutil.copy(f, folder / f.name)
    torch.save(state, folder / "pytorch_model.bin")
    return folder


def _fresh(pickled, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(pickled, model)
    return model, tree_digest(model), folder_size(model / "pytorch_model.bin")


def _is_fixed(model, original):
    files = tree_digest(model)
    return "pytorch_model.bin" not in files and "model.safetensors" in files and \
        {k: v for k, v in files.items() if k in original and k != "pytorch_model.bin"} == \
        {k: v for k, v in original.items() if k != "pytorch_model.bin"}


def _backups(parent):
    return sorted(p for p in parent.iterdir() if p.name.startswith("model.backup-"))


def test_fix_in_place_killed_while_building_leaves_the_original(pickled, tmp_path):
    model, original, total = _fresh(pickled, tmp_path)
    proc = start("fix", model, "--in-place")
    if not wait_for(tmp_path, proc, 0.5, total):
        proc.communicate(timeout=30)
        pytest.skip("the machine outran the poll: the fix finished before half of it was written")
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert tree_digest(model) == original, "DIR changed although fix was killed while building"
    partial, = leftovers(tmp_path)
    assert partial.startswith(f".model.mergesmith-partial-{proc.pid}@")

    done = run_cli("fix", model, "--in-place")
    assert done.code == 0, done.err
    assert [ln for ln in done.err.splitlines() if partial in ln] == [
        f"mergesmith: Removed {partial}, the partial output of an interrupted run."]
    assert leftovers(tmp_path) == [] and _is_fixed(model, original)
    backup, = _backups(tmp_path)
    assert tree_digest(backup) == {"pytorch_model.bin": original["pytorch_model.bin"]}  # only what changed


def test_fix_in_place_killed_between_the_renames_recovers(pickled, tmp_path):
    why = strace_refusal()
    if why:
        pytest.skip(f"cannot hold a rename back to kill between two: {why}")
    model, original, _total = _fresh(pickled, tmp_path)
    fix = ("fix", model, "--in-place")
    replaced = lambda: [n for n in leftovers(tmp_path) if ".mergesmith-replaced-" in n]  # noqa: E731

    def kill_when(ready) -> str:
        """Run the fix with renames held back 1 s; SIGKILL it once ``ready(names)`` holds for the
        replaced-folder names seen."""
        proc = start_slow_renames(*fix, delay=1.0)
        seen: list[str] = []

        def check():
            seen[:] = replaced()
            return ready(seen)

        assert wait_until(check, proc), proc.communicate()
        kill_now(owner_pid(seen[-1]))
        return proc.communicate(timeout=30)[1]

    # 1. DIR set aside, the fixed folder not yet renamed in: DIR is missing until the next run.
    kill_when(lambda names: names and not model.exists())
    aside, = replaced()
    assert not model.exists() and tree_digest(tmp_path / aside) == original
    seen = run_cli("inspect", model)  # a reader does not move it, but says where it is
    assert seen.code == 2 and not model.exists()
    assert aside in seen.err and f"mergesmith fix {model} --dry-run" in seen.err, seen.err

    # 2. The next fix puts DIR back first, removes the complete but never renamed fixed folder,
    # and fixes again: killed this time after the fixed folder was renamed in, before the original
    # became the backup. DIR is the fixed folder; the original waits beside it, whole.
    err = kill_when(lambda names: names and names != [aside] and model.exists())
    assert f"mergesmith: Put back {model}, which an interrupted run had moved aside to {aside}." in err, err
    assert sum("mergesmith: Removed .model.mergesmith-partial-" in ln for ln in err.splitlines()) == 1, err
    assert _is_fixed(model, original) and tree_digest(tmp_path / replaced()[0]) == original
    assert [n for n in leftovers(tmp_path) if ".mergesmith-replaced-" not in n] == []

    # 3. The next run (fix again: nothing left to do) keeps the originals of what changed as the backup.
    again = run_cli("fix", model)
    assert again.code == 0, again.err
    backup, = _backups(tmp_path)
    assert leftovers(tmp_path) == [] and _is_fixed(model, original)
    assert f"mergesmith: Kept the originals of an interrupted in-place fix as {backup.name}." in again.err
    assert tree_digest(backup) == {"pytorch_model.bin": original["pytorch_model.bin"]}  # only what changed
