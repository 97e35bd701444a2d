"""What a killed run can leave, made by hand, and what the next run (or plan) does with it.

Leftovers carry their writer in the name (``<pid>@<host>``); a dead writer is a real process that
has exited. A leftover of a live process is never touched.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.cli import run_cli
from mergesmith.core.io import atomic, landing


@pytest.fixture(scope="module")
def dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _named(out: Path, tag: str, pid: int) -> Path:
    path = out.parent / f".{out.name}{tag}{pid}@{atomic._host()}-0123abcd"
    path.mkdir()
    (path / "model.safetensors").write_bytes(b"x" * 100)
    return path


def test_dead_partial_is_removed_live_one_left(tmp_path, dead_pid):
    out = tmp_path / "merged"
    dead = _named(out, atomic.PARTIAL_TAG, dead_pid)
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as live_proc:
        live = _named(out, atomic.PARTIAL_TAG, live_proc.pid)
        other = _named(tmp_path / "other", atomic.PARTIAL_TAG, dead_pid)  # another output's: not ours
        assert atomic.recover(out, remove=False) == []  # planning removes nothing
        said = atomic.recover(out)
        live_proc.kill()
    assert not dead.exists() and live.exists() and other.exists()
    assert len(said) == 2
    assert any(dead.name in s and s.startswith("Removed") for s in said)
    assert any(live.name in s and s.startswith("Left") for s in said)


def test_overwrite_killed_between_renames_puts_the_old_output_back(tmp_path, dead_pid):
    out = tmp_path / "merged"
    old = _named(out, atomic.OLD_TAG, dead_pid)
    partial = _named(out, atomic.PARTIAL_TAG, dead_pid)
    said = atomic.recover(out, remove=False)  # even a plan (a dry run) puts it back: nothing is lost
    assert out.is_dir() and not old.exists() and (out / "model.safetensors").read_bytes() == b"x" * 100
    assert said == [f"Put back {out}, which an interrupted run had moved aside to {old.name}."]
    assert partial.exists()
    atomic.recover(out)
    assert not partial.exists() and out.is_dir()


def test_overwrite_killed_after_the_swap_removes_the_old_output(tmp_path, dead_pid):
    out = tmp_path / "merged"
    out.mkdir()
    old = _named(out, atomic.OLD_TAG, dead_pid)
    assert atomic.recover(out, remove=False) == [] and old.exists()
    atomic.recover(out)
    assert not old.exists() and out.is_dir()


def test_in_place_fix_killed_after_the_swap_keeps_the_originals_as_backup(tmp_path, dead_pid):
    src = tmp_path / "model"
    src.mkdir()
    replaced = _named(src, atomic.REPLACED_TAG, dead_pid)
    said = atomic.recover(src, remove=False)
    backups = [p for p in tmp_path.iterdir() if p.name.startswith("model.backup-")]
    assert len(backups) == 1 and not replaced.exists() and (backups[0] / "model.safetensors").exists()
    assert said and backups[0].name in said[0]


def test_plan_counts_dead_leftovers_as_free_space_and_says_so(tmp_path, dead_pid, model_cache):
    from fixtures.adapters import make_adapter
    from mergesmith.core.plan.base import PlanOptions
    from mergesmith.core.plan.planners import make_plan
    from mergesmith.core.sources.detect import detect

    base = model_cache("llama")
    adapter = make_adapter(base, tmp_path / "adapter")
    out = tmp_path / "merged"
    partial = _named(out, atomic.PARTIAL_TAG, dead_pid)
    plan = make_plan(detect(adapter), base, PlanOptions(out=out))
    infos = [p for p in plan.problems if p.code == "leftover-partial"]
    assert len(infos) == 1 and infos[0].severity == "info" and partial.name in infos[0].message
    assert partial.exists()  # planning only says it
    plan.close()


def test_commit_fsyncs_and_replaces_only_when_complete(tmp_path):
    out = tmp_path / "merged"
    out.mkdir()
    (out / "old.txt").write_text("old")
    planned = landing.identity(out)  # what --overwrite planned to replace
    tmp = atomic.start(out)
    assert atomic.PARTIAL_TAG in tmp.name and f"{os.getpid()}@" in tmp.name
    (tmp / "new.txt").write_text("new")
    assert (out / "old.txt").exists()  # untouched until the commit
    atomic.commit(tmp, out, replace=True, expect=planned)
    assert [p.name for p in out.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["merged"]


def test_in_place_fix_backup_recovered_keeps_only_the_originals_of_what_changed(tmp_path, dead_pid):
    """Killed after the swap: the set-aside original shares its unchanged files (hard links) with
    the fixed folder; the backup made from it keeps only what the fix replaced."""
    src = tmp_path / "model"
    src.mkdir()
    replaced = _named(src, atomic.REPLACED_TAG, dead_pid)  # holds the replaced model.safetensors
    (replaced / "sub").mkdir()
    for rel in ("config.json", "sub/tokenizer.json"):
        (replaced / rel).write_text(rel)
        (src / rel).parent.mkdir(exist_ok=True)
        os.link(replaced / rel, src / rel)
    said = atomic.recover(src)
    backup, = [p for p in tmp_path.iterdir() if p.name.startswith("model.backup-")]
    assert sorted(str(p.relative_to(backup)) for p in backup.rglob("*")) == ["model.safetensors"]
    assert (src / "config.json").read_text() == "config.json" and (src / "sub/tokenizer.json").exists()
    assert said == [f"Kept the originals of an interrupted in-place fix as {backup.name}."]

    replaced = _named(src, atomic.REPLACED_TAG, dead_pid)  # a fix that only added files: no backup
    (replaced / "model.safetensors").unlink()
    os.link(src / "config.json", replaced / "config.json")
    assert atomic.recover(src) == ["Finished an interrupted in-place fix of model; it replaced no file, so "
                                   "there is no backup."]
    assert not replaced.exists() and len([p for p in tmp_path.iterdir() if "backup" in p.name]) == 1


def test_reader_of_a_folder_set_aside_says_where_it_is_and_moves_nothing(tmp_path, dead_pid):

    src = tmp_path / "model"
    aside = _named(src, atomic.REPLACED_TAG, dead_pid)
    for argv in (["inspect", str(src)], ["verify", str(src), "--source", str(aside), "--base", str(aside)]):
        done = run_cli(*argv)
        assert done.code == 2
        err = done.err
        assert aside.name in err and f"mergesmith fix {src} --dry-run" in err and "Traceback" not in err
        assert aside.exists() and not src.exists()
    done = run_cli("fix", src, "--dry-run")
    assert done.code in (0, 1)  # what the message says: it puts it back
    assert src.is_dir() and not aside.exists()
