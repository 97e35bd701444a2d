"""The texts of problems and refusals (core/texts.py) against the code that reports them.

- every inspection code has a title and a "what to do";
- every call site that reports a problem (or raises a refusal) by key gives the particulars its
  texts name (read from the source with ``ast``: nothing is run);
- every key a call site names exists; every text renders for the command line;
- the window's list of texts (gui/problem_catalogue.py) is the one core/texts.py gives.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mergesmith.core import texts
from mergesmith.core.inspect.report import CODES as INSPECTION_CODES

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "core"

# ``**spread`` arguments whose keys the source does not show: the particulars each supplies
SPREADS = {
    "self.wrong": {"base", "base_desc"},                    # core.model.pairing.trained_on
    "_other(other)": {"base", "base_desc"},                 # core.plan.xtuner
    "source.training.config_conflict_params": {"config", "checkpoint", "details"},
    "config_conflict_params(tc, ckpt.name)": {"config", "checkpoint", "details"},
}
# spreads that pass on the particulars of another problem or refusal (its own key comes along)
PASSED_ON = {"exc.params", "p.params", "why.params", "why[1]", "reason[1]", "params"}


def test_every_inspection_code_has_a_title_and_what_to_do():
    missing = [c for c in INSPECTION_CODES if not (texts.CODES.get(c, ("", ""))[0] and texts.CODES[c][1])]
    assert not missing, f"codes without a title or what to do in core/texts.py: {missing}"


def test_every_text_has_a_code_and_renders_for_the_command_line():
    for key in texts.SENTENCES:
        assert texts.title(key), key
        message = texts.render(key, {name: f"<{name}>" for name in texts.particulars(key)})
        assert "{" not in message and message.endswith((".", ")")), (key, message)


def _keys(node) -> tuple[list[str], bool]:
    """The text keys a ``key=`` expression can take; the bool says whether they are prefixes."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value], False
    if isinstance(node, ast.IfExp):
        a, pa = _keys(node.body)
        b, pb = _keys(node.orelse)
        return a + b, pa or pb
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, _ = _keys(node.left)
        return left, True
    if isinstance(node, ast.JoinedStr):
        head = node.values[0]
        return ([head.value] if isinstance(head, ast.Constant) else []), True
    return [], True


def _key_expression(node: ast.Call, body: list) -> "ast.expr | None":
    """The ``key=`` of a call; a plain name is followed to its one assignment in the function."""
    value = next((k.value for k in node.keywords if k.arg == "key"), None)
    if isinstance(value, ast.Name):
        for stmt in body:
            for sub in ast.walk(stmt):
                if isinstance(sub, ast.Assign) and any(isinstance(t, ast.Name) and t.id == value.id
                                                       for t in sub.targets):
                    return sub.value
    return value


def _supplied(call: ast.Call, params_arg: bool) -> tuple[set[str], set[str], bool]:
    """(names always given, names given under a condition, passed on from elsewhere)."""
    always, maybe, passed = set(), set(), False
    keywords = call.keywords
    if params_arg:  # raise XError(..., params={...})
        value = next((k.value for k in keywords if k.arg == "params"), None)
        if isinstance(value, ast.Dict):
            always |= {k.value for k in value.keys if isinstance(k, ast.Constant)}
        elif value is not None:
            passed = True
        return always, maybe, passed
    for k in keywords:
        if k.arg is not None:
            if k.arg != "key":
                always.add(k.arg)
            continue
        src = ast.unparse(k.value)
        if src in SPREADS:
            always |= SPREADS[src]
        elif src in PASSED_ON:
            passed = True
        elif isinstance(k.value, ast.IfExp) and isinstance(k.value.body, ast.Dict):
            maybe |= {x.value for x in k.value.body.keys if isinstance(x, ast.Constant)}
        else:
            raise AssertionError(f"unknown spread **{src}: add it to SPREADS or PASSED_ON")
    return always, maybe, passed


def _call_sites():
    """(where, code, keys, prefix, always, maybe, passed, has_message) for every keyed report."""
    for path in sorted(CORE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            body = next((f.body for f in functions if f.lineno <= node.lineno <= f.end_lineno), [])
            key_kw = _key_expression(node, body)
            if name in ("problem", "add") and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str) and "-" in node.args[0].value:
                code = node.args[0].value
                n_before_message = 3 if _is_plan_call(node) else 2
                has_message = len(node.args) > n_before_message
                if key_kw is None:
                    keys, prefix = ([code], False) if not has_message else ([], False)
                else:
                    keys, prefix = _keys(key_kw)
                yield (where, code, keys, prefix, *_supplied(node, False), has_message)
            elif name.endswith("Error") and key_kw is not None:
                keys, prefix = _keys(key_kw)
                yield (where, "", keys, prefix, *_supplied(node, True), bool(node.args))


def _is_plan_call(node: ast.Call) -> bool:
    """Plan.problem / result.problem on a plan take a severity before the file."""
    return len(node.args) >= 3 and ast.unparse(node.args[1]) in ("ERROR", "WARNING", "INFO", "'error'",
                                                                  "None") or (
        len(node.args) >= 2 and ast.unparse(node.args[1]) in ("ERROR", "WARNING", "INFO"))


SITES = list(_call_sites())
SUFFIXES = ("-vit", "-named", "-family")  # what a computed key adds to its literal head


def _variant_of(key: str, head: str, prefix: bool) -> bool:
    if key == head:
        return True
    rest = key[len(head):] if prefix and key.startswith(head) else None
    return rest is not None and (head.endswith("/") or rest in SUFFIXES)


def test_the_call_sites_were_found():
    assert len(SITES) > 100, len(SITES)


@pytest.mark.parametrize("site", SITES, ids=[s[0] for s in SITES])
def test_each_call_site_gives_the_particulars_its_texts_name(site):
    where, code, keys, prefix, always, maybe, passed, has_message = site
    if not keys:
        assert has_message or passed, f"{where}: neither a key nor a message"
        return
    matched = [k for k in texts.SENTENCES if any(_variant_of(k, p, prefix) for p in keys)]
    assert matched, f"{where}: no text for {keys}"
    for key in matched:
        if code:
            assert texts.code_of(key) == code, f"{where}: text {key} belongs to another code than {code}"
        need = texts.particulars(key)
        lacking = need - always - maybe
        assert passed or not lacking, f"{where}: text {key} needs {sorted(lacking)}"
        unused = always - need
        assert prefix or not unused, f"{where}: gives {sorted(unused)}, which text {key} does not use"


def test_the_window_lists_every_text_for_translation():
    from mergesmith.gui import problem_text

    current = problem_text.CATALOGUE.read_text(encoding="utf-8")
    assert current == problem_text.catalogue_source(), (
        "gui/problem_catalogue.py is stale: run `python -m mergesmith.gui.problem_text`, then "
        "pyside6-lupdate and translate (docs/translation-problems.md)")
