"""The commands behave alike: the same option names where the meaning is the same, errors that name
the argument they are about, refusals that say what to do, `fix` re-run over its own output."""

from __future__ import annotations

import argparse
import json

import pytest

from fixtures.cli import assert_clean_failure, run_cli, run_cli_process
from mergesmith.cli.main import build_parser


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from mergesmith.core.demo.lora import make_demo

    work_dir, base = make_demo(tmp_path_factory.mktemp("demo"))
    return work_dir, base


def _options(command: str) -> dict[str, argparse.Action]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {o: a for a in sub.choices[command]._actions for o in a.option_strings}


# Which commands take which of the shared options: where the meaning applies, all of them do.
SHARED = {
    "--out": ("merge", "convert", "fix"),
    "--overwrite": ("merge", "convert", "fix", "demo"),
    "--dry-run": ("merge", "convert", "fix", "demo"),
    "--json": ("merge", "convert", "inspect", "verify", "fix", "demo"),
    "--iter": ("merge", "convert", "verify"),
    "--base": ("merge", "convert", "inspect", "verify", "fix"),
    "--visual-encoder": ("merge", "convert", "verify"),
}


@pytest.mark.parametrize("option", sorted(SHARED))
def test_shared_options_are_spelled_alike_and_explained(option):
    helps = set()
    for command in SHARED[option]:
        action = _options(command).get(option)
        assert action is not None, f"`mergesmith {command}` has no {option}"
        assert action.help, f"`mergesmith {command} {option}` has no help"
        helps.add(type(action).__name__)
    assert len(helps) == 1, f"{option} is not the same kind of option everywhere"


@pytest.mark.parametrize("args, words", [
    (["merge", "{tmp}/gone", "--out", "{tmp}/o"], ["SOURCE (the training output) does not exist:", "{tmp}/gone"]),
    (["convert", "{tmp}/gone", "--out", "{tmp}/o"], ["SOURCE (the training output) does not exist:"]),
    (["merge", "{work}", "--base", "{tmp}/gone", "--out", "{tmp}/o"], ["--base (the base model) does not exist:"]),
    (["merge", "{work}", "--visual-encoder", "{tmp}/gone", "--out", "{tmp}/o"],
     ["--visual-encoder (the visual encoder) does not exist:"]),
    (["merge", "{work}", "--base", "{adapter}", "--out", "{tmp}/o"], ["--base: ", "is an adapter"]),
    (["merge", "{work}", "--base", "{work}", "--out", "{tmp}/o"], ["SOURCE and --base: "]),
    (["verify", "{tmp}/gone", "--source", "{work}", "--base", "{base}"], ["OUT (the merged folder) does not exist:"]),
    (["verify", "{base}", "--source", "{tmp}/gone", "--base", "{base}"], ["--source (what was merged) does not exist:"]),
    (["inspect", "{tmp}/gone"], ["PATH does not exist:"]),
    (["inspect", "{base}", "--base", "{tmp}/gone"], ["--base (the base model) does not exist:"]),
    (["fix", "{tmp}/gone"], ["DIR (the folder to fix) does not exist:"]),
    (["fix", "{base}", "--from-base", "{tmp}/gone"], ["--from-base (the base model) does not exist:"]),
])
def test_errors_name_the_argument(demo, tmp_path, args, words):
    work, base = demo
    fill = dict(tmp=tmp_path, work=work, base=base, adapter=work.parent / "iter_100_hf")
    code, out, err = run_cli(*[a.format(**fill) for a in args])
    line = assert_clean_failure(code, err, [w.format(**fill) for w in words])
    assert line.rstrip().endswith(".")  # a whole sentence, with what to do
    assert not (tmp_path / "o").exists()


def test_a_missing_folder_under_an_existing_one_says_which_part_is_missing(demo):
    work, _ = demo
    code, _, err = run_cli("merge", work.parent / "wrok_dir", "--out", work.parent / "o")
    assert_clean_failure(code, err, [f"({work.parent} exists, wrok_dir in it does not)", "check the path"])


@pytest.mark.parametrize("command", ["merge", "convert"])
def test_a_complete_model_as_source_says_what_to_do(demo, tmp_path, command):
    _, base = demo
    code, _, err = run_cli_process(command, base, "--out", tmp_path / "o")
    line = assert_clean_failure(code, err, ["SOURCE", "already a complete model", f"mergesmith inspect {base}",
                                            f"--base {base}"])
    assert f"nothing to {command}" in line and not (tmp_path / "o").exists()


def test_output_inside_the_input_shows_the_real_free_space(demo):
    work, _ = demo
    code, out, _ = run_cli("merge", work, "--out", work / "inside" / "deeper", "--dry-run", "--json")
    plan = json.loads(out)
    assert code == 2 and any(p["code"] == "output-overlaps-input" for p in plan["problems"])
    assert isinstance(plan["disk_free"], int) and plan["disk_free"] > 0
    code, out, _ = run_cli("merge", work, "--out", work / "inside", "--dry-run")
    assert "unknown free" not in out and " free" in out


def test_fix_runs_again_over_its_own_output_with_overwrite(demo, tmp_path):
    import shutil

    _, base = demo
    broken = tmp_path / "model"
    shutil.copytree(base, broken)
    (broken / "generation_config.json").unlink()
    assert run_cli("fix", broken, "--from-base", base).code == 0
    fixed = tmp_path / "model-fixed"
    marker = fixed / "generation_config.json"
    assert marker.is_file()
    code, _, err = run_cli("fix", broken, "--from-base", base)
    assert_clean_failure(code, err, [str(fixed), "already exists", "--overwrite", "--out", "--in-place"])
    (fixed / "stale-file").write_text("from before")
    code, out, err = run_cli("fix", broken, "--base", base, "--overwrite")  # --base: the same as --from-base
    assert code == 0, err
    assert "Fixed into" in out and marker.is_file() and not (fixed / "stale-file").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial or old folder left


@pytest.mark.parametrize("out", ["{dir}", "{dir}/sub"])
def test_fix_never_overwrites_its_own_input(demo, tmp_path, out):
    import shutil

    _, base = demo
    broken = tmp_path / "model"
    shutil.copytree(base, broken)
    (broken / "generation_config.json").unlink()
    code, _, err = run_cli("fix", broken, "--from-base", base, "--out", out.format(dir=broken), "--overwrite")
    assert_clean_failure(code, err, ["overlaps", "--out", "--in-place"])
    assert not (broken / "generation_config.json").exists() and (broken / "model.safetensors").is_file()


def test_in_place_with_overwrite_or_out_says_which_to_drop(demo, tmp_path):
    _, base = demo
    for extra in (["--overwrite"], ["--out", str(tmp_path / "o")]):
        code, _, err = run_cli("fix", base, "--in-place", *extra)
        assert_clean_failure(code, err, ["--in-place", extra[0], "leave out one of the two"])


def test_refusals_say_what_to_do(demo, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli("inspect", empty)
    assert_clean_failure(code, err, ["PATH", "holds no model", "point PATH at"])
    work, base = demo
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "x").write_text("taken")
    code, out, err = run_cli("merge", work, "--out", tmp_path / "o")
    line = assert_clean_failure(code, err, ["nothing was written", "run the command again"])
    assert "[output-exists]" in out and "--overwrite" in out, line
