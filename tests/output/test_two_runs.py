"""Two real runs into one output: exactly one writes, the other is refused with its sentence.

The first run (A) is held back before its rename: once its partial folder exists, the test stops
it (SIGSTOP), so it holds the output, unfinished, for as long as the test needs. Meanwhile every
kind of second run (merge, merge --overwrite, convert, fix --in-place) is started against the same
output, all four at once; then A is let go (SIGCONT). A's output must be exactly what A said it
wrote; each second run must have been refused at plan time, before writing, with the one sentence
naming A. The same stop lets the test put a folder where A is about to land (it is not replaced)
or change the output A planned to replace (it is not swapped), and SIGKILL A (its hold is stale
and the next run takes it over with one line).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
from pathlib import Path

import pytest

from fixtures.cli import run_cli
from fixtures.files import tree_digest
from fixtures.processes import kill_now, leftovers, partials, start, wait_for

HOLD = ".mergesmith-hold"


@pytest.fixture(scope="module")
def inputs(wide, tmp_path_factory):
    """(work_dir, base, pickled model): an XTuner LoRA work_dir (rank 256, 80 MB, no optimizer
    state) on the wide base for merge and convert; the wide base as one pickle for fix to convert."""
    import torch
    from safetensors.torch import load_file

    from fixtures.xtuner import LORA, base_linears, lora_state_dict, sft_config, work_dir

    base, _adapter = wide
    root = tmp_path_factory.mktemp("two")
    sd = lora_state_dict(base_linears(base), "llm.", 256, seed=3)
    wd = work_dir(root / "wd", sft_config(str(base), dict(LORA, r=256, target_modules=None)), {10: sd},
                  optimizer=False)
    pickled = root / "pickled"
    pickled.mkdir()
    state = {}
    for f in sorted(base.iterdir()):
        if f.suffix == ".safetensors":
            state.update(load_file(str(f)))
        elif not f.name.endswith(".index.json"):
            shutil.copy(f, pickled / f.name)
    torch.save(state, pickled / "pytorch_model.bin")
    return wd, base, pickled


KINDS = ("merge", "merge --overwrite", "convert", "fix --in-place")
WHAT = {"merge": "merge", "merge --overwrite": "merge", "convert": "convert", "fix --in-place": "in-place fix"}


def argv(kind: str, inputs, out: Path, json_out: bool = False) -> list:
    wd, base, _ = inputs
    extra = ["--json"] if json_out else []
    if kind.startswith("merge"):
        return ["merge", wd, "--base", base, "--out", out, "--check", "none", *kind.split()[1:], *extra]
    if kind == "convert":
        return ["convert", wd, "--out", out, *extra]
    return ["fix", out, "--in-place", *extra]


def prepare(kind: str, inputs, out: Path) -> None:
    """What ``out`` is before A starts: absent for a new output, a (pickled) model otherwise."""
    if kind in ("merge --overwrite", "fix --in-place"):
        shutil.copytree(inputs[2], out)


def held_back(kind: str, inputs, out: Path):
    """Start A and stop it once its partial folder exists and before its rename: (process, pid).
    None when the machine outran the poll (A finished first)."""
    before = tree_digest(out) if out.exists() else None
    proc = start(*argv(kind, inputs, out, json_out=True))
    if not wait_for(out.parent, proc, 0, 1):
        return None
    os.kill(proc.pid, signal.SIGSTOP)
    mine = [p for p in partials(out.parent) if f"-partial-{proc.pid}@" in p.name]
    unchanged = (tree_digest(out) if out.exists() else None) == before
    if not mine or not unchanged:  # past its rename already
        os.kill(proc.pid, signal.SIGCONT)
        proc.communicate(timeout=120)
        return None
    return proc


def said_files(kind: str, result: dict, out: Path) -> None:
    """``out`` holds exactly what A's --json said it wrote."""
    on_disk = {str(p.relative_to(out)): p.stat().st_size for p in out.rglob("*") if p.is_file()}
    if kind == "fix --in-place":
        writes = {w for a in result["actions"] for w in a.get("writes", [])}
        removes = {r for a in result["actions"] for r in a.get("removes", [])} - writes
        assert writes and writes <= set(on_disk) and not removes & set(on_disk), (result, on_disk)
        assert "pytorch_model.bin" not in on_disk and "model.safetensors" in on_disk
    else:
        assert {f["path"]: f["size"] for f in result["files"]} == on_disk


def refusal(out: Path, what: str, pid: int) -> re.Pattern:
    return re.compile(rf"^mergesmith: {re.escape(str(out))} is being written by another Mergesmith {what} "
                      rf"\(process {pid} on this machine, since \d\d:\d\d:\d\d\); wait for it to finish, or "
                      r"choose another output folder\.$", re.M)


@pytest.mark.parametrize("first", KINDS)
def test_one_writes_every_other_kind_is_refused_with_its_sentence(first, inputs, tmp_path):
    out = tmp_path / "out"
    prepare(first, inputs, out)
    a = held_back(first, inputs, out)
    if a is None:
        pytest.skip("the machine outran the poll: the first run finished before it could be held")
    hold = json.loads((tmp_path / f".out{HOLD}").read_text())
    assert hold["pid"] == a.pid and hold["what"] == WHAT[first]
    seconds = [start(*argv(kind, inputs, out)) for kind in KINDS]  # all four at once, while A holds out
    done = [p.communicate(timeout=300) for p in seconds]
    os.kill(a.pid, signal.SIGCONT)
    a_out, a_err = a.communicate(timeout=300)
    assert a.returncode == 0, a_err
    for kind, p, (o, e) in zip(KINDS, seconds, done):
        assert p.returncode == 2, (kind, o, e)
        assert refusal(out, WHAT[first], a.pid).search(e), (kind, e)
        assert "Traceback" not in e and "Merged" not in o and "Converted" not in o and "Fixed" not in o
    said_files(first, json.loads(a_out), out)
    assert leftovers(tmp_path, "out") == [] and not (tmp_path / f".out{HOLD}").exists()


def test_an_output_that_appears_while_writing_is_not_replaced(inputs, tmp_path):
    out = tmp_path / "out"
    a = held_back("merge", inputs, out)
    if a is None:
        pytest.skip("the machine outran the poll: the merge finished before it could be held")
    out.mkdir()  # another program (not Mergesmith: it takes no hold) makes the output meanwhile
    (out / "theirs.txt").write_text("someone else's work")
    os.kill(a.pid, signal.SIGCONT)
    o, e = a.communicate(timeout=300)
    assert a.returncode == 2, (o, e)
    assert f"mergesmith: {out} appeared while this run was writing (another program made it); it was left " \
           "as it is and this run's output was removed." in e, e
    assert tree_digest(out) == {"theirs.txt": tree_digest(out)["theirs.txt"]} and len(list(out.iterdir())) == 1
    assert leftovers(tmp_path, "out") == [] and not (tmp_path / f".out{HOLD}").exists()


@pytest.mark.parametrize("first", ("merge --overwrite", "fix --in-place"))
def test_an_output_that_changed_while_writing_is_not_swapped(first, inputs, tmp_path):
    out = tmp_path / "out"
    prepare(first, inputs, out)
    a = held_back(first, inputs, out)
    if a is None:
        pytest.skip("the machine outran the poll: the first run finished before it could be held")
    (out / "notes.txt").write_text("written meanwhile by another program")
    changed = tree_digest(out)
    os.kill(a.pid, signal.SIGCONT)
    o, e = a.communicate(timeout=300)
    assert a.returncode == 2, (o, e)
    assert f"mergesmith: {out} changed while this run was writing" in e, e
    assert tree_digest(out) == changed  # the changed output is there, whole, not swapped out
    assert leftovers(tmp_path, "out") == [] and not [p for p in tmp_path.iterdir() if "backup" in p.name]


def test_a_killed_runs_hold_is_taken_over_with_one_line(inputs, tmp_path):
    out = tmp_path / "out"
    a = held_back("merge", inputs, out)
    if a is None:
        pytest.skip("the machine outran the poll: the merge finished before it could be held")
    kill_now(a.pid)  # SIGKILL: no clean-up, the hold file stays
    a.communicate(timeout=30)
    assert (tmp_path / f".out{HOLD}").exists()
    done = run_cli(*argv("merge", inputs, out))
    assert done.code == 0, done.err
    took = [ln for ln in done.err.splitlines() if "hold" in ln]
    assert took == [f"mergesmith: Took over the hold on {out} left by another Mergesmith merge (process "
                    f"{a.pid} on this machine, since {took[0].split('since ')[1].split(')')[0]}), which is no "
                    "longer going (its process is gone)."], done.err
    assert leftovers(tmp_path, "out") == [] and not (tmp_path / f".out{HOLD}").exists()
