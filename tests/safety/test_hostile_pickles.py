"""Pickles that ask to run code or build arbitrary objects: refused (or stubbed), nothing runs.

tests/xtuner/test_xt_checkpoint.py already covers ``torch.save``-made pickles whose objects
``__reduce__`` to os.system, eval, exec, subprocess.Popen, getattr and torch.load (and the CLI
path for one). Here: hand-assembled opcodes (GLOBAL+REDUCE, INST, OBJ, NEWOBJ, BUILD), classes
that run code in ``__setstate__``/``__init__``/``__new__``, both file formats (zip and legacy),
compressed archives, and "bombs" that a few bytes would turn into gigabytes.
"""

import subprocess
import sys
import textwrap

import pytest
import torch

from fixtures import evil_classes
from mergesmith.core.io.checkpoint import Stub, load_checkpoint
from mergesmith.core.errors import SourceError, UnsafePickleError
from fixtures.cli import assert_clean_failure, run_cli
from fixtures.pickles import BOMBS, payloads, wrap, write_checkpoint


@pytest.fixture
def marker(tmp_path, monkeypatch):
    path = tmp_path / "pwned"
    monkeypatch.setenv("MERGESMITH_TEST_MARKER", str(path))
    return path


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
@pytest.mark.parametrize("name", sorted(payloads("m")))
def test_hostile_opcodes_are_refused_and_never_run(tmp_path, marker, name, zip_format):
    path = write_checkpoint(tmp_path / "iter_1.pth", wrap(payloads(marker)[name]), zip_format)
    with pytest.raises(UnsafePickleError) as err:
        load_checkpoint(path)
    assert not marker.exists()
    msg = str(err.value)
    assert "iter_1.pth" in msg and "\n" not in msg and ("refused" in msg or "crafted" in msg)


@pytest.mark.parametrize("cls", [evil_classes.EvilOrderedDict, evil_classes.EvilInit, evil_classes.EvilNew])
def test_classes_that_run_code_when_built_become_inert_stubs(tmp_path, marker, cls):
    obj = cls()  # building it here is allowed to touch the marker: the test cares about loading
    marker.unlink(missing_ok=True)
    for zip_format in (True, False):
        path = tmp_path / f"c{zip_format}.pth"
        torch.save({"state_dict": {"w": torch.ones(2)}, "meta": obj}, path,
                   _use_new_zipfile_serialization=zip_format)
        assert b"evil_classes" in path.read_bytes()
        loaded = load_checkpoint(path)
        assert isinstance(loaded["meta"], Stub) and loaded["meta"]._stub_name == cls.__name__
        assert not marker.exists(), f"{cls.__name__} ran code while loading"


def test_getattr_on_a_stub_gives_an_inert_stub(tmp_path, marker):
    """mmengine's HistoryBuffer state says getattr(HistoryBuffer, 'min'); chains stay stubs, nothing runs."""
    from fixtures.pickles import call, g, s

    hb = g("mmengine.logging.history_buffer", "HistoryBuffer")
    chain = call(g("builtins", "getattr"), call(g("builtins", "getattr"), hb, s("__init__")), s("__globals__"))
    path = write_checkpoint(tmp_path / "iter_1.pth", wrap(call(chain, s(f"touch {marker}"))), True)
    meta = load_checkpoint(path)["meta"]
    assert isinstance(meta, Stub) and meta._stub_name == "HistoryBuffer.__init__.__globals__"
    assert meta._stub_module == "mmengine.logging.history_buffer"
    assert not marker.exists()


def test_other_stdlib_classes_are_refused(tmp_path, marker):
    import collections

    torch.save({"meta": collections.ChainMap({"a": 1})}, tmp_path / "x.pth")  # harmless, but not allowed
    with pytest.raises(UnsafePickleError, match="collections.ChainMap"):
        load_checkpoint(tmp_path / "x.pth")


def test_compressed_archive_is_refused(tmp_path):
    raw = wrap(b"K\x01")
    with pytest.raises(SourceError, match="compressed"):
        load_checkpoint(write_checkpoint(tmp_path / "z.pth", raw, True, compressed=True))


def test_bombs_are_refused_quickly(tmp_path):
    """Each bomb is loaded in a child process with a time limit: a regression must not hang the suite."""
    for i, name in enumerate(sorted(BOMBS)):
        write_checkpoint(tmp_path / f"b{i}.pth", wrap(BOMBS[name]), zip_format=bool(i % 2))
    script = textwrap.dedent("""
        import sys, time, resource
        resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
        from mergesmith.core.io.checkpoint import load_checkpoint
        from mergesmith.core.errors import UnsafePickleError
        for path in sys.argv[1:]:
            t = time.monotonic()
            try:
                load_checkpoint(path)
                print(path, "LOADED")
            except UnsafePickleError as exc:
                print(path, "refused", round(time.monotonic() - t, 2))
    """)
    files = [str(tmp_path / f"b{i}.pth") for i in range(len(BOMBS))]
    done = subprocess.run([sys.executable, "-c", script, *files], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == len(BOMBS) and all(" refused " in line for line in lines), done.stdout
    assert max(float(line.split()[-1]) for line in lines) < 5


@pytest.mark.parametrize("name", ["INST os.system", "builtins.__import__", "NEWOBJ logging.FileHandler"])
def test_cli_refuses_hostile_work_dir(tmp_path, marker, base, name):
    wd = tmp_path / "work dir"
    wd.mkdir()
    write_checkpoint(wd / "iter_5.pth", wrap(payloads(marker)[name]), True)
    for argv in (["merge", wd, "--base", base, "--out", tmp_path / "out"],
                 ["convert", wd, "--out", tmp_path / "out"]):
        code, _, err = run_cli(*argv)
        assert_clean_failure(code, err, "iter_5.pth")
        assert not marker.exists() and not (tmp_path / "out").exists()
    code, out, err = run_cli("inspect", wd)  # inspect reads the pickle too (safely), not only the zip
    assert code == 1 and "Traceback" not in out + err
    assert "[corrupt-checkpoint] iter_5.pth:" in out and "refused" in out
    assert not marker.exists()


@pytest.mark.parametrize("zip_format", [True, False])
@pytest.mark.parametrize("opcode", [b"\x96", b"\x8e", b"\x8d"])  # BYTEARRAY8, BINBYTES8, BINUNICODE8
@pytest.mark.parametrize("length", [2**63 - 10**17, 3 << 30])
def test_counted_values_longer_than_the_file(tmp_path, capfd, zip_format, opcode, length):
    """Found by fuzzing: CPython 3.11's C unpickler, on a BYTEARRAY8 it cannot allocate, printed a
    SystemError to stderr; and a 3 GB bytearray would be zero-filled from a few bytes. Both are refused
    from the length alone: no memory, nothing printed, one sentence."""
    payload = opcode + length.to_bytes(8, "little") + b"abc"
    path = write_checkpoint(tmp_path / "c.pth", b"\x80\x05" + wrap(payload)[2:], zip_format)
    with pytest.raises(SourceError, match="damaged or truncated"):
        load_checkpoint(path)
    assert capfd.readouterr().err == ""
