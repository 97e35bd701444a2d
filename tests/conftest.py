import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

# No test reads the model caches of whoever runs the tests: the Hugging Face and ModelScope caches
# point at an empty folder of this run (tests/hub builds caches of its own with monkeypatch.setenv).
_CACHES = tempfile.mkdtemp(prefix="mergesmith-test-caches-")
atexit.register(shutil.rmtree, _CACHES, True)
for _var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
    os.environ.pop(_var, None)
os.environ["HF_HOME"] = os.path.join(_CACHES, "huggingface")
os.environ["MODELSCOPE_CACHE"] = os.path.join(_CACHES, "modelscope")

# the tests' helpers are one package, tests/fixtures: `from fixtures.<module> import ...`
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory):
    """Build each tiny base model once per session: {key: folder}."""
    from fixtures.models import make_model

    root = tmp_path_factory.mktemp("bases")
    cache: dict = {}

    def get(arch="llama", dtype="bfloat16", sharded=False, tie=False, **kw):
        import torch

        key = (arch, dtype, sharded, tie, tuple(sorted(kw.items())))
        if key not in cache:
            name = f"{arch}-{dtype}-{'sharded' if sharded else 'single'}-{'tied' if tie else 'untied'}-{len(cache)}"
            cache[key] = make_model(root / name, arch=arch, dtype=getattr(torch, dtype),
                                    max_shard_size="20KB" if sharded else None, tie=tie, **kw)
        return cache[key]

    return get
