"""Downloading a base model from the Hub (the local one of tests/fixtures/hub_server.py).

Full download then merge; a cut connection resumed by huggingface_hub's Range request; an
interrupted download finished by a second run; cancel; a missing repo, revision or file; a gated
repo; no network; a full disk (a real ENOSPC on a tiny tmpfs) and the pre-check of free space.
"""

from __future__ import annotations

import shutil
import subprocess
import threading

import pytest

from fixtures.adapters import make_adapter
from fixtures.files import read_weights, tree_digest
from fixtures.merge import ms_merge
from mergesmith.core.errors import Cancelled
from mergesmith.core.hub.download import (DownloadError, DownloadPlan, HubFile, check_space, download,
                                          is_hub_id, plan_download)
from mergesmith.core.progress import CancelToken

SHARDED = ["model.safetensors.index.json", "model-00001-of-00003.safetensors",
           "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors"]


def same_files(snapshot, folder, names):
    for name in names:
        assert (snapshot / name).read_bytes() == (folder / name).read_bytes(), name


def leftovers(cache):
    return sorted(p.name for p in cache.rglob("*.incomplete"))


def test_is_hub_id(tmp_path, monkeypatch):
    assert is_hub_id("Qwen/Qwen1.5-0.5B-Chat") and is_hub_id("internlm/internlm2-chat-7b")
    assert not is_hub_id("/models/qwen") and not is_hub_id("qwen") and not is_hub_id("a/b/c")
    assert not is_hub_id("../x") and not is_hub_id(None)
    (tmp_path / "org" / "name").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)  # a relative folder that exists is a folder, not a Hub id
    assert not is_hub_id("org/name")


def test_plan_lists_what_a_merge_needs(hub, hub_repos):
    folder = hub_repos["sharded"]
    plan = plan_download("tiny/llama-sharded")
    names = [f.name for f in plan.files]
    assert set(names) == {p.name for p in folder.iterdir()}
    assert names[-4:] == SHARDED
    assert plan.total == sum(p.stat().st_size for p in folder.iterdir())
    assert plan.commit == hub.state.repos["tiny/llama-sharded"].commit
    assert "tiny/llama-sharded" in plan.describe() and "to download" in plan.describe()
    # planning read only the API and the (small) index: no weights fetched
    assert [e[1] for e in hub.gets()] == ["/tiny/llama-sharded/resolve/main/model.safetensors.index.json"]


def test_plan_leaves_out_other_formats(hub, hub_repos, tmp_path):
    folder = shutil.copytree(hub_repos["single"], tmp_path / "many")
    # hand-made stand-ins: their content does not matter, only that the plan leaves them out
    for name in ("flax_model.msgpack", "tf_model.h5", "model.onnx", "pytorch_model.bin", "README.md"):
        (folder / name).write_bytes(b"x" * 10)
    hub.add_repo("tiny/many", folder)
    names = {f.name for f in plan_download("tiny/many").files}
    assert "model.safetensors" in names and "config.json" in names and "tokenizer.json" in names
    assert not names & {"flax_model.msgpack", "tf_model.h5", "model.onnx", "pytorch_model.bin", "README.md"}


def test_plan_takes_bin_weights_and_refuses_other_formats(hub, hub_repos, tmp_path):
    import torch
    from safetensors.torch import load_file

    # transformers 5 no longer writes pytorch_model.bin; torch.save of the state dict is what it wrote
    folder = shutil.copytree(hub_repos["single"], tmp_path / "bin")
    torch.save(load_file(folder / "model.safetensors"), folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    hub.add_repo("tiny/bin", folder)
    assert "pytorch_model.bin" in {f.name for f in plan_download("tiny/bin").files}
    (folder / "pytorch_model.bin").rename(folder / "tf_model.h5")
    hub.add_repo("tiny/tf", folder)
    with pytest.raises(DownloadError, match=r"tiny/tf on the Hub has no safetensors or PyTorch weights.*tf_model\.h5"):
        plan_download("tiny/tf")


def test_download_then_merge(hub, hub_repos, tmp_path):
    folder = hub_repos["sharded"]
    plan = plan_download("tiny/llama-sharded")
    events = []
    snapshot = download(plan, events.append)
    assert snapshot == hub.cache / "models--tiny--llama-sharded" / "snapshots" / plan.commit
    assert (hub.cache / "models--tiny--llama-sharded" / "refs" / "main").read_text() == plan.commit
    same_files(snapshot, folder, [p.name for p in folder.iterdir()])
    dones = [e.done for e in events]
    assert dones == sorted(dones) and dones[-1] == plan.total and events[-1].total == plan.total
    assert {e.file for e in events if e.file} >= set(SHARDED[1:])
    # the merge into the snapshot is the merge into the original folder
    adapter = make_adapter(folder, tmp_path / "adapter")
    a = ms_merge(adapter, snapshot, tmp_path / "from-hub")
    b = ms_merge(adapter, folder, tmp_path / "from-folder")
    assert read_weights(a.out).keys() == read_weights(b.out).keys()
    assert all((a.out / f).read_bytes() == (b.out / f).read_bytes() for f in ("model.safetensors",))
    # a second plan finds everything in the cache and fetches nothing
    again = plan_download("tiny/llama-sharded")
    assert again.to_fetch == 0
    before = len(hub.gets())
    download(again)
    assert len(hub.gets()) == before


def test_cut_connection_resumed_with_range(hub, hub_repos, monkeypatch):
    from huggingface_hub import constants

    # huggingface_hub resumes from the last whole chunk it wrote (10 MB); our files are KB, so are the chunks
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 1000)
    hub.cut("model-00002-of-00003.safetensors", after=5000)
    snapshot = download(plan_download("tiny/llama-sharded"))
    same_files(snapshot, hub_repos["sharded"], SHARDED)
    gets = hub.gets("model-00002-of-00003.safetensors")
    assert [g[2] for g in gets] == [None, "bytes=5000-"]


def test_interrupted_then_resumed_by_a_second_run(hub, hub_repos):
    hub.cut("model-00002-of-00003.safetensors", after=5000, outage=True)
    with pytest.raises(DownloadError) as err:
        download(plan_download("tiny/llama-sharded"))
    assert "503" in err.value.message and "finished files are kept" in err.value.message
    assert leftovers(hub.cache) == []
    plan = plan_download("tiny/llama-sharded")
    assert [f.name for f in plan.files if not f.cached] == SHARDED[2:]
    hub.restore()
    snapshot = download(plan)
    same_files(snapshot, hub_repos["sharded"], [p.name for p in hub_repos["sharded"].iterdir()])
    assert len(hub.gets("model-00001-of-00003.safetensors")) == 1  # not fetched again


def test_cancel_leaves_only_complete_files(hub, hub_repos, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 1000)  # cancel is checked per chunk (10 MB by default)
    hub.slow(0.02)
    plan = plan_download("tiny/llama-sharded")
    cancel = CancelToken()

    def progress(p):
        if p.file == "model-00001-of-00003.safetensors" and p.file_done > 0:
            cancel.cancel()
            seen.append(p)

    seen = []
    with pytest.raises(Cancelled, match="cancelled; the files already complete stay in the cache"):
        download(plan, progress, cancel)
    assert leftovers(hub.cache) == []
    assert seen[0].file_done < seen[0].file_total  # cancelled within the file, not after it
    snapshot = plan.snapshot
    assert (snapshot / "config.json").is_file() and not (snapshot / SHARDED[1]).exists()
    blobs = list((snapshot.parent.parent / "blobs").iterdir())
    assert all(b.stat().st_size < 10_000 for b in blobs)  # only the small files


@pytest.mark.parametrize("case", ["repo", "revision", "file"])
def test_missing_repo_revision_or_file(hub, hub_repos, case):
    if case == "repo":
        with pytest.raises(DownloadError, match=r"There is no model tiny/nope on the Hub.*check the id"):
            plan_download("tiny/nope")
    elif case == "revision":
        with pytest.raises(DownloadError, match=r"tiny/llama has no revision 'v9' on the Hub"):
            plan_download("tiny/llama", "v9")
    else:
        plan = plan_download("tiny/llama")
        del hub.state.repos["tiny/llama"].files["tokenizer.json"]  # gone between plan and download
        with pytest.raises(DownloadError, match=r"tiny/llama on the Hub has no file tokenizer.json"):
            download(plan)


def test_gated_repo(hub, hub_repos):
    hub.add_repo("tiny/gated", hub_repos["single"], gated=True)
    plan = plan_download("tiny/gated")  # the listing is public, the files are not
    assert plan.gated and "It is gated" in plan.describe()
    with pytest.raises(DownloadError, match=r"tiny/gated is gated.*huggingface-cli login.*HF_TOKEN"):
        download(plan)
    hub.add_repo("tiny/gated-sharded", hub_repos["sharded"], gated=True)
    with pytest.raises(DownloadError, match=r"tiny/gated-sharded is gated"):
        plan_download("tiny/gated-sharded")  # reading the index is already refused


def test_no_network(hub, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    with pytest.raises(DownloadError, match=rf"Cannot reach the Hub \(http://127.0.0.1:{port}\) to download "
                                            r"tiny/llama: connect to the network.*--base"):
        plan_download("tiny/llama")


def test_offline_mode_is_honoured(hub, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(DownloadError, match="HF_HUB_OFFLINE"):
        plan_download("tiny/llama")
    assert hub.log == []


def test_precheck_refuses_when_the_plan_does_not_fit(tmp_path):
    plan = DownloadPlan("big/model", "main", "0" * 40, tmp_path / "cache", [HubFile("model.safetensors", 10 ** 16)])
    with pytest.raises(DownloadError, match=r"needs 10200.0 TB but .* free; free some space, or set HF_HUB_CACHE"):
        check_space(plan)


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MB tmpfs mounted for the test (we are root); skipped where mounting is not permitted."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_during_download(hub, hub_repos, tiny_disk, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tiny_disk / "cache"))
    plan = plan_download("tiny/llama-sharded")
    filler = tiny_disk / "filler"

    def fill_the_disk(p):  # another program takes the space once the pre-check has passed
        if not filler.exists():
            free = shutil.disk_usage(tiny_disk).free
            filler.write_bytes(b"\0" * (free - 4096))

    with pytest.raises(DownloadError, match=r"The disk holding the Hugging Face cache .* is full.*free some space"):
        download(plan, fill_the_disk)
    assert leftovers(tiny_disk) == []
    filler.unlink()
    before = tree_digest(hub_repos["sharded"])
    snapshot = download(plan_download("tiny/llama-sharded"))
    same_files(snapshot, hub_repos["sharded"], SHARDED)
    assert tree_digest(hub_repos["sharded"]) == before


def test_disk_precheck_on_a_small_disk(hub, tiny_disk, monkeypatch):
    (tiny_disk / "filler").write_bytes(b"\0" * (shutil.disk_usage(tiny_disk).free - 20_000))
    monkeypatch.setenv("HF_HUB_CACHE", str(tiny_disk / "cache"))
    plan = plan_download("tiny/llama-sharded")
    with pytest.raises(DownloadError, match=r"needs .* but the disk holding the Hugging Face cache"):
        download(plan)
    assert len(hub.gets()) == 1  # the index, read by the plan; no weights
