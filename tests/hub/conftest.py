import pytest

from fixtures.specimens import QWEN_BASE

from fixtures.hubcache import QWEN_ID  # noqa: F401


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
