"""The tree builders (Qt-free) and the item model over them (checked by QAbstractItemModelTester)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mergesmith.core.problems import Problem
from mergesmith.gui.preview import preview_tree
from mergesmith.gui.results import result_tree, summary_line
from mergesmith.gui.tree import ERROR, OK, Node, worst


@pytest.fixture(scope="module")
def demo_plan(tmp_path_factory, demo_inputs):
    from mergesmith.core.plan.base import PlanOptions
    from mergesmith.core.plan.planners import make_plan
    from mergesmith.core.sources.detect import detect

    source_path, base = demo_inputs
    source = detect(source_path)
    plan = make_plan(source, base, PlanOptions(out=tmp_path_factory.mktemp("out") / "merged"))
    yield source, plan
    plan.base.close()
    source.close()


def test_preview_tree_words_source_base_and_output(demo_plan):
    source, plan = demo_plan
    root = preview_tree(source, plan)
    assert [n.name for n in root.children] == ["Training output", "Base model", "Output"]
    adapter = root.find("LLM adapter")
    assert adapter is not None and "r=8" in adapter.details and "alpha=16" in adapter.details
    assert "q_proj" in root.find("Targets").details
    output = root.find("Output")
    files = {n.name: n for n in output.children if n.size is not None}
    assert files["model.safetensors"].size == dict((p, s) for p, s, _ in plan.files())["model.safetensors"]
    assert "merged" in files["model.safetensors"].details
    assert root.find("Disk space").status == OK
    assert not source.is_llava


def test_result_tree_marks_files_and_missing_ones(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"x" * 10)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pytorch_model.bin").write_bytes(b"y")
    problems = [
        Problem("missing-tokenizer", "error", "tokenizer.json", "There are no tokenizer files."),
        Problem("pickle-weights", "error", "sub/pytorch_model.bin", "Pickled weights."),
        Problem("missing-generation-config", "warning", "generation_config.json", "No generation config."),
    ]
    root = result_tree(tmp_path, problems)
    rows = {n.name: n for n in root.children}
    assert rows["config.json"].status == OK and rows["model.safetensors"].size == 10
    assert rows["sub/"].status == ERROR and rows["sub/"].children[0].status == ERROR
    assert rows["tokenizer.json"].status == ERROR and rows["tokenizer.json"].details.startswith("missing")
    assert rows["generation_config.json"].status == "warning"

    from mergesmith.core.inspect.report import Report

    R = Report(tmp_path, "model", problems, {"parameters": 1234, "shards": 1, "bytes": 10, "dtypes": ["bfloat16"]})
    assert summary_line(R) == "1,234 parameters, 1 shard, 10 B, bfloat16; found 2 errors, 1 warning."


def test_worst_and_paths():
    root = Node("")
    child = root.add(Node("a")).add(Node("b"))
    assert child.path() == ["a", "b"] and child.row() == 0
    assert worst(["ok", None, "warning", "error"]) == "error" and worst([]) is None


def test_node_tree_model_passes_the_model_tester(qtmodeltester, demo_plan, tmp_path):
    from mergesmith.gui.tree_model import NodeRole, NodeTreeModel

    source, plan = demo_plan
    model = NodeTreeModel(preview_tree(source, plan))
    qtmodeltester.check(model)
    model.set_root(result_tree(Path(source.path).parent))
    qtmodeltester.check(model)
    first = model.index(0, 0)
    assert model.data(first, NodeRole) is model.root.children[0]
    assert model.parent(model.index(0, 0, first)) == first
    model.set_root(None)
    assert model.rowCount() == 0
