"""Running out of disk while writing, on a real small tmpfs: one sentence naming the output and
the disk, exit 2 from the CLI, no traceback, and the partial output removed.

The plan-time check (``disk-space``) would refuse such a merge before it starts; here the disk is
filled after the plan is made, as happens when something else writes to the same disk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from fixtures.files import folder_size
from fixtures.processes import leftovers, start, wait_for


@pytest.fixture
def small_disk(tmp_path):
    """A tmpfs of 200 MB mounted on a fresh folder (skipped where mounting is refused)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200m", "tmpfs", str(mnt)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip() or 'mount refused'}); "
                    "this test needs root or a mount namespace")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill(folder: Path, leave: int) -> Path:
    """Write a file that leaves about ``leave`` bytes free on the disk of ``folder``."""
    filler = folder / "filler.bin"
    free = shutil.disk_usage(folder).free - leave
    with open(filler, "wb") as f:
        block = b"\0" * (1 << 20)
        while free > 0:
            try:
                free -= f.write(block[: min(len(block), free)])
            except OSError:
                break
    return filler


def test_disk_fills_after_planning_in_process(small_disk, wide):
    from mergesmith.core.io.atomic import DiskFullError
    from mergesmith.core.engine.merge import run_plan
    from mergesmith.core.plan.base import PlanOptions
    from mergesmith.core.plan.planners import make_plan
    from mergesmith.core.sources.detect import detect

    base, adapter = wide
    out = small_disk / "merged"
    plan = make_plan(detect(adapter), base, PlanOptions(out=out, max_shard_size=20_000_000))
    assert plan.ok, [p.message for p in plan.problems]
    fill(small_disk, plan.total_bytes // 2)
    with pytest.raises(DiskFullError) as info:
        run_plan(plan)
    msg = info.value.message
    assert str(out) in msg and str(small_disk) in msg and "ran out of space" in msg
    assert msg.count(". ") <= 2 and "Traceback" not in msg
    assert not out.exists() and leftovers(small_disk) == []


def test_disk_fills_while_the_cli_writes(small_disk, wide):
    base, adapter = wide
    out = small_disk / "merged"
    proc = start("merge", adapter, "--base", base, "--out", out, "--max-shard-size", "20MB")
    if not wait_for(small_disk, proc, 0.1, folder_size(base)):
        pytest.skip("the merge finished before the disk could be filled")
    filler = fill(small_disk, 0)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"mergesmith: Writing {out} stopped because the disk ran out"), err
    assert str(small_disk) in lines[0]
    assert not out.exists() and leftovers(small_disk) == []
    os.unlink(filler)


def test_plan_time_check_refuses_what_does_not_fit_merge_overwrite_and_fix(small_disk, wide, tmp_path):
    """200 MB disk: a 136 MB merge fits; replacing it (--overwrite keeps the old one until the new one
    is complete) does not; a fix into a new folder on the same disk does not either."""
    from mergesmith.core.errors import PlanError
    from mergesmith.core.fix.folder import plan_fix, run_fix
    from mergesmith.core.engine.merge import run_plan
    from mergesmith.core.plan.base import PlanOptions
    from mergesmith.core.plan.planners import make_plan
    from mergesmith.core.sources.detect import detect

    base, adapter = wide
    out = small_disk / "merged"
    plan = make_plan(detect(adapter), base, PlanOptions(out=out))
    assert plan.ok and plan.disk_free >= plan.disk_needed
    run_plan(plan, check="none")
    again = make_plan(detect(adapter), base, PlanOptions(out=out, overwrite=True))
    codes = [p.code for p in again.problems if p.is_error]
    assert codes == ["disk-space"], codes
    msg = next(p.message for p in again.problems if p.code == "disk-space")
    assert str(small_disk) in msg
    again.close()
    (out / "generation_config.json").unlink()  # something for fix to do
    fixes = plan_fix(out, base=base)
    assert fixes.actions
    with pytest.raises(PlanError, match="free on the disk of"):
        run_fix(fixes, out=small_disk / "fixed")
    assert leftovers(small_disk) == [] and not (small_disk / "fixed").exists()
