"""`mergesmith demo`: writes the window's demo inputs, refuses to overwrite, and every command it
prints works as printed."""

from __future__ import annotations

import json
import shlex

import pytest

from fixtures.cli import assert_clean_failure, run_cli, run_cli_process


@pytest.fixture(scope="module")
def lora_demo(tmp_path_factory):
    """``mergesmith demo`` run as a newcomer would, in a fresh process, with the default folder."""
    cwd = tmp_path_factory.mktemp("newcomer")
    code, out, err = run_cli_process("demo", cwd=cwd)
    assert code == 0, err
    return cwd, out


def test_default_folder_and_what_it_holds(lora_demo):
    cwd, out = lora_demo
    folder = cwd / "mergesmith-demo"
    assert (folder / "work_dir" / "iter_100.pth").is_file()
    assert (folder / "base-model" / "model.safetensors").is_file()
    assert "The demo is in mergesmith-demo:" in out and "Try:" in out
    # the paths are printed as typed from where the command ran: relative, no temporary folder
    assert "mergesmith merge mergesmith-demo/work_dir --out mergesmith-demo/merged" in out
    assert str(cwd) not in out.split("Try:")[1]


def test_refuses_an_existing_folder_unless_overwrite(lora_demo):
    cwd, _ = lora_demo
    folder = cwd / "mergesmith-demo"
    before = sorted(p.name for p in folder.iterdir())
    code, out, err = run_cli_process("demo", cwd=cwd)
    line = assert_clean_failure(code, err, ["DIR mergesmith-demo", "--overwrite", "OTHER_DIR"])
    assert "already exists" in line and out == ""
    assert sorted(p.name for p in folder.iterdir()) == before


def test_a_file_is_refused(tmp_path):
    (tmp_path / "taken").write_text("x")
    code, _, err = run_cli("demo", tmp_path / "taken")
    assert_clean_failure(code, err, ["DIR", "is a file"])


def test_printed_commands_work(lora_demo, tmp_path):
    """Each `mergesmith ...` line it prints, pasted into a shell in the same folder, succeeds."""
    cwd, out = lora_demo
    lines = [line.strip() for line in out.split("Try:")[1].splitlines() if line.strip()]
    assert [line.split()[1] for line in lines if line.startswith("mergesmith ")] == [
        "inspect", "merge", "merge", "inspect", "verify", "convert"]
    assert any(line.startswith("mergesmith-gui ") for line in lines)
    for line in lines:
        argv = shlex.split(line)
        if argv[0] != "mergesmith":
            continue
        code, stdout, err = run_cli_process(*argv[1:], cwd=cwd)
        assert code == 0, (line, stdout, err)
    assert (cwd / "mergesmith-demo" / "merged" / "model.safetensors").is_file()


def test_llava_json_and_overwrite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "old-file").write_text("old")
    code, out, err = run_cli("demo", "mine", "--llava", "--overwrite", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["kind"] == "llava" and doc["visual_encoder"].endswith("clip-vit")
    assert not (folder / "old-file").exists() and (folder / "llava_work_dir").is_dir()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # the old one set aside is gone
    verify = next(c for c in doc["commands"] if c.startswith("mergesmith verify"))
    assert "--visual-encoder mine/clip-vit" in verify
    for command in doc["commands"][:3]:  # inspect, dry run, merge (the rest is test_printed_commands_work's)
        code, stdout, err = run_cli(*shlex.split(command)[1:])
        assert code == 0, (command, stdout, err)


def test_dry_run_writes_nothing(tmp_path):
    code, out, _ = run_cli("demo", tmp_path / "d", "--dry-run")
    assert code == 0 and "nothing written" in out and not (tmp_path / "d").exists()
