"""The local Hub for the download tests: a server on 127.0.0.1, huggingface_hub pointed at it.

huggingface_hub reads ``HF_HUB_OFFLINE`` when it is imported (tests/conftest.py sets it for every
other test); Mergesmith reads ``HF_ENDPOINT`` and ``HF_HUB_CACHE`` when it downloads, so setting
them here is enough, and only the offline constant is patched. An audit hook fails the test if
anything connects to an address other than 127.0.0.1.
"""

from __future__ import annotations

import sys

import pytest

from fixtures.specimens import QWEN_BASE
from fixtures.hubcache import QWEN_ID  # noqa: F401

from fixtures.hub_server import HubServer, save_repo_folder

_OUTSIDE: list = []


def _audit(event, args):
    if event == "socket.connect" and _OUTSIDE is not None:
        address = args[1]
        if isinstance(address, tuple) and address and address[0] not in ("127.0.0.1", "::1", "localhost"):
            _OUTSIDE.append(address)


sys.addaudithook(_audit)


@pytest.fixture(scope="session")
def hub_repos(tmp_path_factory):
    """Two repos' folders, built once: a single-file model and a sharded one."""
    root = tmp_path_factory.mktemp("hub_repos")
    return {"single": save_repo_folder(root / "single"), "sharded": save_repo_folder(root / "sharded", sharded=True)}


@pytest.fixture
def hub(tmp_path, monkeypatch, hub_repos):
    """A running local Hub serving ``tiny/llama`` and ``tiny/llama-sharded``; the cache in tmp_path."""
    from huggingface_hub import constants

    server = HubServer()
    server.add_repo("tiny/llama", hub_repos["single"])
    server.add_repo("tiny/llama-sharded", hub_repos["sharded"])
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    server.cache = tmp_path / "hf-cache"
    _OUTSIDE.clear()
    try:
        yield server
    finally:
        server.close()
    assert not _OUTSIDE, f"a test connected outside 127.0.0.1: {_OUTSIDE}"


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """Empty Hugging Face and ModelScope caches of this test, named by the environment: (hf, ms)."""
    hf, ms = tmp_path / "hf-hub", tmp_path / "modelscope"
    hf.mkdir()
    ms.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(hf))
    monkeypatch.setenv("MODELSCOPE_CACHE", str(ms))
    return hf, ms


@pytest.fixture
def qwen_base():
    return QWEN_BASE
