"""Inputs are never changed: every command, on every kind of input, leaves them bit-for-bit as
they were (content, mode, mtime, listing, directory mtimes), also when they are read-only.

The inputs live under a path with spaces and non-ASCII characters (``模型 with space``), so
every command here also proves such paths work end to end.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fixtures.cli import run_cli
from fixtures.hostile_inputs import build_inputs, changes, commands, fingerprint

INPUTS = ("base", "adapter", "vit", "xtuner", "deepspeed", "llava", "damaged")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("safety") / "模型 with space"
    return build_inputs(root / "inputs")


def _prints(p):
    return {k: fingerprint(p[k]) for k in INPUTS}


def _diff(before, after):
    return {k: changes(before[k], after[k]) for k in before if changes(before[k], after[k])}


def test_every_command_leaves_every_input_unchanged(inputs, tmp_path):
    out = tmp_path / "出力 out"
    out.mkdir()
    before = _prints(inputs)
    for argv, codes in commands(inputs, out):
        code, stdout, err = run_cli(*argv)
        assert code in codes, (argv, code, err, stdout[-2000:])
        assert "Traceback" not in err
        assert not _diff(before, _prints(inputs)), (argv, _diff(before, _prints(inputs)))
    doc = json.loads(run_cli("inspect", out / "m5", "--json")[1])
    assert doc["kind"] and not [p for p in doc["problems"] if p["severity"] == "error"]


def test_the_fingerprint_sees_a_temporary_file_and_a_touch(inputs, tmp_path):
    import shutil
    import time

    folder = shutil.copytree(inputs["adapter"], tmp_path / "a")
    before = fingerprint(folder)
    time.sleep(0.01)
    (folder / "tmp").write_text("x")
    (folder / "tmp").unlink()
    assert changes(before, fingerprint(folder)) == [f"changed .: {before['.']} -> {fingerprint(folder)['.']}"]
    before = fingerprint(folder)
    os.utime(folder / "adapter_config.json")
    assert any("adapter_config.json" in c for c in changes(before, fingerprint(folder)))


RUNNER = textwrap.dedent("""
    import json, sys
    sys.path[:0] = json.loads(sys.argv[1])
    from mergesmith.cli.main import main
    from fixtures.hostile_inputs import commands
    p = {k: __import__("pathlib").Path(v) for k, v in json.loads(sys.argv[2]).items()}
    try:  # the inputs must refuse even root's writes when mounted read-only
        open(p["base"] / "probe", "w").close()
        print("PROBE writable", flush=True)
    except OSError as exc:
        print("PROBE refused", exc.errno, flush=True)
    for argv, codes in commands(p, sys.argv[3]):
        code = main([str(a) for a in argv])
        print("EXIT", code, "OK" if code in codes else "UNEXPECTED", " ".join(map(str, argv[:2])), flush=True)
""")


def _can_mount_readonly() -> bool:
    try:
        done = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs none /mnt && umount /mnt"],
                              capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def test_read_only_inputs_work_for_every_command(inputs, tmp_path):
    """All commands in a child process (the real entry point, a fresh interpreter), on inputs that are
    ``chmod -R a-w`` and, where the system allows, also a read-only bind mount: as root the mode
    bits alone stop nothing, the read-only mount stops every write, even root's."""
    root = inputs["base"].parent
    out = tmp_path / "out"
    out.mkdir()
    before = _prints(inputs)
    modes = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames, "."]:
            path = Path(dirpath) / name
            if not path.is_symlink():
                modes[path] = path.stat().st_mode
                path.chmod(path.stat().st_mode & ~0o222)
    try:
        before = _prints(inputs)
        here = [str(Path(__file__).parent.parent)]  # tests/, for the fixtures package
        args = [sys.executable, "-c", RUNNER, json.dumps(here), json.dumps({k: str(v) for k, v in inputs.items()}), str(out)]
        if _can_mount_readonly():
            r = f"'{root}'"
            script = f"mount --bind {r} {r} && mount -o remount,bind,ro {r} {r} && exec \"$@\""
            args = ["unshare", "-m", "sh", "-c", script, "sh", *args]
            mounted = True
        else:
            mounted = False
        env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
        done = subprocess.run(args, capture_output=True, text=True, timeout=600, env=env)
        lines = [line for line in done.stdout.splitlines() if line.startswith("EXIT")]
        assert done.returncode == 0, done.stderr[-3000:]
        assert len(lines) == len(commands(inputs, out)) and all(" OK " in line for line in lines), \
            (done.stdout[-3000:], done.stderr[-3000:])
        assert "Traceback" not in done.stderr
        assert ("PROBE refused" in done.stdout) == mounted, done.stdout[:300]
        assert not _diff(before, _prints(inputs))
    finally:
        for path, mode in sorted(modes.items(), key=lambda kv: -len(str(kv[0]))):
            path.chmod(mode)
    if not mounted:
        pytest.skip("read-only bind mount refused here (no unshare -m): checked with chmod -R a-w only")
