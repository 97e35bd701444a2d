"""Fixtures for the output-safety tests: a wide base (a few hundred MB to write) built once."""

import pytest


@pytest.fixture(scope="session")
def wide(tmp_path_factory):
    """(base, adapter): a Llama-shaped base of 136 MB in bf16 and a rank-8 LoRA on it."""
    from fixtures.models import build_wide

    return build_wide(tmp_path_factory.mktemp("wide"))


@pytest.fixture(autouse=True)
def _reap_processes():
    """Whatever a test started is killed and reaped when it ends, passed or failed."""
    from fixtures.processes import reap_all

    yield
    reap_all()
