"""verify --logits never runs a model folder's code unless asked to (--trust-remote-code), and never prompts.

The model folder is InternLM2-style: its config.json has a model_type transformers does not know and
an ``auto_map`` to the folder's own configuration/modeling files, which write a marker file if run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.adapters import make_adapter
from fixtures.cli import CliRun, run_cli_process

CONFIG_CODE = '''from pathlib import Path
from transformers import LlamaConfig

Path({marker!r}).write_text("the folder's code ran")


class RemoteConfig(LlamaConfig):
    model_type = "remote_lm"
'''

MODELING_CODE = '''from transformers import LlamaForCausalLM

from .configuration_remote import RemoteConfig


class RemoteForCausalLM(LlamaForCausalLM):
    config_class = RemoteConfig
'''


def remote_code_model(plain: Path, folder: Path, marker: Path) -> Path:
    """``plain`` (a Llama) re-labelled as a model that needs its own code to load."""
    shutil.copytree(plain, folder)
    config = json.loads((folder / "config.json").read_text())
    config.update(model_type="remote_lm", architectures=["RemoteForCausalLM"],
                  auto_map={"AutoConfig": "configuration_remote.RemoteConfig",
                            "AutoModelForCausalLM": "modeling_remote.RemoteForCausalLM"})
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "configuration_remote.py").write_text(CONFIG_CODE.format(marker=str(marker)))
    (folder / "modeling_remote.py").write_text(MODELING_CODE)
    return folder


@pytest.fixture
def remote_case(model_cache, tmp_path):
    from mergesmith.core.engine.merge import merge

    plain = model_cache("llama")
    marker = tmp_path / "marker"
    base = remote_code_model(plain, tmp_path / "remote-base", marker)
    adapter = make_adapter(plain, tmp_path / "adapter")
    config = json.loads((adapter / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = str(base)  # trained on the same weights, named as the remote model
    (adapter / "adapter_config.json").write_text(json.dumps(config))
    merge(adapter, base, tmp_path / "out")
    assert (tmp_path / "out" / "modeling_remote.py").is_file() and not marker.exists()
    return tmp_path / "out", adapter, base, marker


def run_verify(tmp_path: Path, *argv) -> CliRun:
    """The CLI in a child process whose stdin stays open and unwritten: a prompt would hang until the timeout."""
    env = dict(os.environ, HF_MODULES_CACHE=str(tmp_path / "hf-modules"), HF_HUB_OFFLINE="1")
    return run_cli_process("verify", *argv, timeout=120, env=env, stdin=subprocess.PIPE)


def test_logits_of_a_remote_code_model_are_skipped_without_a_prompt(remote_case, tmp_path):
    out, adapter, base, marker = remote_case
    done = run_verify(tmp_path, out, "--source", adapter, "--base", base, "--logits")
    text = done.out + done.err
    assert done.code == 0, text
    assert not marker.exists()
    assert "custom code" not in text and "[y/N]" not in text and "Traceback" not in text
    assert ("Note: Logits were not compared: config.json in " in text
            and "names the folder's own model code (auto_map), which Mergesmith runs only with "
                "--trust-remote-code." in text)
    assert "The merge is right." in text  # the tensors were still checked


def test_api_passes_no_trust_and_reads_no_stdin(remote_case, monkeypatch):
    from mergesmith.core.verify.compare import verify

    out, adapter, base, marker = remote_case

    def no_input(*_):
        raise AssertionError("verify read stdin")
    monkeypatch.setattr("builtins.input", no_input)
    monkeypatch.setattr(sys, "stdin", None)
    result = verify(out, adapter, base, logits=True)
    assert result.ok and result.logits is None and not marker.exists()
    assert sum("Logits were not compared" in n for n in result.notes) == 1


def test_trust_remote_code_runs_the_check(remote_case, tmp_path):
    out, adapter, base, marker = remote_case
    done = run_verify(tmp_path, out, "--source", adapter, "--base", base, "--logits", "--trust-remote-code")
    assert done.code == 0, done.out + done.err
    assert marker.exists()
    assert "Logits on a" in done.out and "The merge is right." in done.out


def test_inspect_runs_no_folder_code_and_reads_no_stdin(remote_case, monkeypatch):
    from mergesmith.core.inspect.folder import inspect_folder

    out, _, _, marker = remote_case

    def no_input(*_):
        raise AssertionError("inspect read stdin")
    monkeypatch.setattr("builtins.input", no_input)
    monkeypatch.setattr(sys, "stdin", None)
    report = inspect_folder(out, scan_values=True)
    assert not marker.exists()
    assert any("remote code (auto_map)" in n for n in report.notes)
