"""The restricted unpickler: mmengine pickles load without mmengine, lazily; code never runs."""

import os
import subprocess
import sys
import zipfile

import pytest
import torch

from mergesmith.core.io.checkpoint import load_checkpoint, state_dict_of
from mergesmith.core.errors import SourceError, UnsafePickleError
from fixtures.cli import run_cli
from fixtures.xtuner import save_pth


_LOAD_WITHOUT_MMENGINE = """
import sys
sys.modules["mmengine"] = sys.modules["deepspeed"] = None  # as on a machine without them: import fails
import torch
from mergesmith.core.io.checkpoint import Stub, load_checkpoint, state_dict_of
path = sys.argv[1]
obj = load_checkpoint(path)
buf = obj["message_hub"]["log_scalars"]["train/lr"]
assert isinstance(buf, Stub) and buf._stub_module == "mmengine.logging.history_buffer", buf
assert obj["meta"]["iter"] == 10 and obj["meta"]["cfg"].startswith("model"), obj["meta"]
got = state_dict_of(obj, path)
want = torch.load(sys.argv[2])
assert list(got) == list(want) and all(torch.equal(got[k], want[k]) for k in want)
print("ok")
"""


def test_mmengine_checkpoint_loads_with_inert_stubs(tmp_path):
    """A checkpoint written by the real mmengine (MessageHub with HistoryBuffers, OptimWrapper,
    schedulers) loads where mmengine cannot be imported, its classes inert stubs (issue #11)."""
    sd = {"llm.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight": torch.randn(4, 32)}
    path = save_pth(tmp_path / "iter_10.pth", sd, "model = dict(type='x')", 10)
    with zipfile.ZipFile(path) as z:
        data = z.read(next(n for n in z.namelist() if n.endswith("data.pkl")))
    assert b"HistoryBuffer" in data and b"getattr" in data  # what broke the first release is in the file
    torch.save(sd, tmp_path / "want.pt")
    run = subprocess.run([sys.executable, "-c", _LOAD_WITHOUT_MMENGINE, str(path), str(tmp_path / "want.pt")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]


def test_plain_torch_save_dict_and_bare_state_dict(tmp_path):
    t = torch.randn(3, 5)
    torch.save({"state_dict": {"llm.model.norm.weight": t}, "meta": {"iter": 3}}, tmp_path / "a.pth")
    torch.save({"llm.model.norm.weight": t, "_metadata": {}}, tmp_path / "b.pth")
    for name in ("a.pth", "b.pth"):
        got = state_dict_of(load_checkpoint(tmp_path / name), tmp_path / name)
        assert list(got) == ["llm.model.norm.weight"] and torch.equal(got["llm.model.norm.weight"], t)


def test_legacy_non_zip_format_is_read(tmp_path):
    sd = {"llm.model.norm.weight": torch.arange(6.0)}
    path = save_pth(tmp_path / "old.pth", sd, "", 1, legacy_format=True)
    assert torch.equal(state_dict_of(load_checkpoint(path), path)["llm.model.norm.weight"], torch.arange(6.0))


def test_tensors_are_memory_mapped_not_read(tmp_path):
    import psutil
    big = torch.ones(48 * 1024 * 1024 // 4)  # 48 MB
    torch.save({"state_dict": {"llm.big": big}}, tmp_path / "big.pth")
    del big
    proc = psutil.Process()
    before = proc.memory_info().rss
    obj = load_checkpoint(tmp_path / "big.pth")
    after = proc.memory_info().rss
    assert after - before < 16 * 1024 * 1024, "the checkpoint's tensors were read at load time"
    assert float(obj["state_dict"]["llm.big"][:10].sum()) == 10.0


class _Reduce:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


@pytest.mark.parametrize("make", [
    lambda m: (os.system, (f"touch {m}",)),
    lambda m: (eval, (f"open({str(m)!r}, 'w').close()",)),
    lambda m: (exec, (f"open({str(m)!r}, 'w').close()",)),
    lambda m: (subprocess.Popen, (["touch", str(m)],)),
    lambda m: (getattr, ("text", "upper")),
    lambda m: (torch.load, (str(m),)),
], ids=["os.system", "eval", "exec", "subprocess.Popen", "getattr", "torch.load"])
def test_callables_in_the_pickle_are_refused_and_never_run(tmp_path, make):
    marker = tmp_path / "pwned"
    fn, args = make(marker)
    evil = {"state_dict": {"llm.x": torch.zeros(2)}, "meta": {"hook": _Reduce(fn, args)}}
    torch.save(evil, tmp_path / "evil.pth")
    with pytest.raises(UnsafePickleError) as err:
        load_checkpoint(tmp_path / "evil.pth")
    assert not marker.exists()
    msg = str(err.value)
    assert "evil.pth" in msg and "refused" in msg and "\n" not in msg


def test_unsafe_pickle_via_cli_exits_2_without_traceback(tmp_path):

    marker = tmp_path / "pwned"
    wd = tmp_path / "wd"
    wd.mkdir()
    torch.save({"state_dict": {"llm.x": torch.zeros(2)}, "m": _Reduce(os.system, (f"touch {marker}",))},
               wd / "iter_5.pth")
    done = run_cli("merge", wd, "--base", tmp_path, "--out", tmp_path / "out")
    assert done.code == 2
    err = done.err
    assert "posix.system" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not marker.exists() and not (tmp_path / "out").exists()


def test_truncated_zip_is_a_clear_error(tmp_path):
    path = save_pth(tmp_path / "iter_1.pth", {"llm.w": torch.randn(64, 64)}, "", 1)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match="truncated or damaged"):
        load_checkpoint(path)


@pytest.mark.parametrize("content", [b"", b"hello, not a checkpoint", b"\x80\x02garbage"])
def test_not_a_checkpoint(tmp_path, content):
    path = tmp_path / "x.pth"
    path.write_bytes(content)
    with pytest.raises(SourceError) as err:
        load_checkpoint(path)
    assert "x.pth" in str(err.value)


def test_checkpoint_without_tensors(tmp_path):
    torch.save({"meta": {"iter": 1}, "state_dict": {}}, tmp_path / "e.pth")
    with pytest.raises(SourceError, match="no tensors"):
        state_dict_of(load_checkpoint(tmp_path / "e.pth"), tmp_path / "e.pth")


def test_checkpoint_store_drops_pages_once_consumed(tmp_path):
    import psutil
    from mergesmith.core.io.checkpoint import CheckpointStore, open_checkpoint

    torch.save({"state_dict": {"llm.big": torch.ones(48 * 1024 * 1024 // 4)}}, tmp_path / "big.pth")
    obj, mapped = open_checkpoint(tmp_path / "big.pth")
    store = CheckpointStore(obj["state_dict"], "big", mapped)
    assert mapped
    proc = psutil.Process()
    before = proc.memory_info().rss
    assert float(store.tensor("llm.big").sum()) == 12 * 1024 * 1024  # every page read
    touched = proc.memory_info().rss
    store.release("llm.big")
    after = proc.memory_info().rss
    assert touched - before > 40 * 1024 * 1024 and touched - after > 40 * 1024 * 1024
    assert float(store.tensor("llm.big").sum()) == 12 * 1024 * 1024  # read again from the file
