"""The shape of the code, read from the source with ``ast`` (nothing is imported).

- no import cycles among ``mergesmith.core``'s modules;
- core's layers import downward only, along the pipeline: base < io < hub < model < sources < plan <
  inspect < engine < fix, verify, gguf < demo (the engine checks what it wrote with inspect, so inspect
  sits below it); core imports neither Qt nor the front ends; the command line imports no Qt;
- no private name (``_x``) imported from another module, or read off an imported module;
- no import by string and no swallowed ``ModuleNotFoundError``: a renamed module fails loudly.

Every ``import`` statement counts, at module level and inside functions alike: a function-level
import is an arrow all the same (it only hides the cycle until the function runs). The parent
packages that Python imports on the way are not arrows here; instead, the subpackages'
``__init__`` files must import nothing, so that they cannot close a cycle. ``core/__init__.py`` is
the public facade over the whole pipeline (``detect``/``plan``/``run``) and is not a layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"core": "mergesmith.core", "cli": "mergesmith.cli", "gui": "mergesmith.gui"}

# core's layers, bottom up; a module may import its own layer's package or any layer below
LAYERS = {"": 0, "io": 1, "hub": 1.5, "model": 2, "sources": 3, "plan": 4, "inspect": 5, "engine": 6, "gguf": 7,
          "fix": 7, "verify": 7, "demo": 8}
QT = ("PySide6", "shiboken6", "qasync")


def _modules() -> dict[str, Path]:
    """Every module of the project's packages: dotted name -> file."""
    found = {}
    for folder, dotted in PACKAGES.items():
        base = ROOT / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.py")):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([dotted, *parts])] = path
    return found


MODULES = _modules()


def _package_of(name: str) -> str:
    return name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]


def _imports(name: str) -> list[tuple[int, str, list[str]]]:
    """``(line, absolute module, [names])`` for every import in module ``name``, at any depth."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                out.append((node.lineno, a.name, []))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                pkg = _package_of(name).split(".")
                pkg = pkg[:len(pkg) - (node.level - 1)]
                target = ".".join(pkg + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append((node.lineno, target, [a.name for a in node.names]))
    return out


def _targets(target: str, names: list[str]) -> list[str]:
    """The project modules one import statement reaches (``from pkg import mod`` reaches ``pkg.mod``)."""
    hit = []
    for n in names:
        if f"{target}.{n}" in MODULES:
            hit.append(f"{target}.{n}")
        elif target in MODULES:
            hit.append(target)
    if not names and target in MODULES:
        hit.append(target)
    return sorted(set(hit))


def _graph(prefix: str) -> dict[str, set[str]]:
    graph = {}
    for name in MODULES:
        if name == prefix or name.startswith(prefix + "."):
            edges = set()
            for _line, target, names in _imports(name):
                edges.update(t for t in _targets(target, names) if t.startswith(prefix + ".") or t == prefix)
            edges.discard(name)
            graph[name] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected component that has one (Tarjan, then a walk)."""
    index, low, stack, on, comps = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(set(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    cycles = []
    for comp in comps:  # a shortest way back to the start, inside the component
        start = min(comp)
        paths, seen = [[start]], {start}
        while paths:
            path = paths.pop(0)
            nxt = sorted(w for w in graph[path[-1]] if w in comp)
            if start in nxt:
                cycles.append((path + [start], sorted(comp)))
                break
            for w in nxt:
                if w not in seen:
                    seen.add(w)
                    paths.append(path + [w])
    return cycles


def _short(name: str) -> str:
    return name.replace("mergesmith.", "")


def test_core_has_no_import_cycles():
    graph = _graph("mergesmith.core")
    assert len(graph) > 40
    cycles = _cycles({k: v - {"mergesmith.core"} for k, v in graph.items()})
    assert not cycles, "import cycles in core:\n" + "\n".join(
        f"{' -> '.join(map(_short, c))}  (tangled: {', '.join(map(_short, comp))})" for c, comp in cycles)


def _layer(name: str) -> str:
    rest = name[len("mergesmith.core."):].split(".") if name != "mergesmith.core" else []
    return rest[0] if len(rest) > 1 or (rest and MODULES[name].name == "__init__.py") else ""


def test_core_layers_import_downward_only():
    top = sorted(_short(n) for n in MODULES if n.startswith("mergesmith.core.") and n.count(".") == 2
                 and MODULES[n].name != "__init__.py")
    assert top == ["core.errors", "core.formats", "core.problems", "core.progress", "core.quiet", "core.texts"], \
        f"modules left in core's base layer: {top}"
    unknown = sorted({_layer(n) for n in MODULES if n.startswith("mergesmith.core.")} - set(LAYERS))
    assert not unknown, f"core subpackages without a layer: {unknown}"
    wrong = []
    for name, edges in _graph("mergesmith.core").items():
        if name == "mergesmith.core":
            continue  # the facade (see the module's docstring)
        for t in edges:
            here, there = _layer(name), _layer(t)
            if t == "mergesmith.core" or (there != here and LAYERS[there] >= LAYERS[here]):
                wrong.append(f"{_short(name)} ({here or 'base'}) imports {_short(t)} ({there or 'base'})")
    assert not wrong, "upward imports in core:\n" + "\n".join(sorted(wrong))


def test_subpackage_inits_import_nothing():
    noisy = [_short(n) for n, p in MODULES.items()
             if p.name == "__init__.py" and n.startswith("mergesmith.core.") and _imports(n)]
    assert not noisy, f"subpackage __init__ files that import: {noisy}"


@pytest.mark.parametrize("prefix, banned", [
    ("mergesmith.core", QT + ("mergesmith.gui", "mergesmith.cli")),
    ("mergesmith.cli", QT + ("mergesmith.gui",)),
])
def test_front_ends_stay_out(prefix, banned):
    bad = []
    for name in MODULES:
        if name == prefix or name.startswith(prefix + "."):
            for line, target, _names in _imports(name):
                if any(target == b or target.startswith(b + ".") for b in banned):
                    bad.append(f"{_short(name)}:{line} imports {target}")
    assert not bad, "\n".join(bad)


def _private(n: str) -> bool:
    return n.startswith("_") and not (n.startswith("__") and n.endswith("__"))


def test_no_private_name_crosses_modules():
    bad = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_aliases = set()
        for line, target, names in _imports(name):
            for n in names:
                if target.startswith("mergesmith") and _private(n):
                    bad.append(f"{_short(name)}:{line} imports {n} from {_short(target)}")
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for a in node.names:
                    mod = _targets_of_alias(name, node, a.name)
                    if mod:
                        module_aliases.add(a.asname or a.name)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("mergesmith") and a.asname:
                        module_aliases.add(a.asname)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in module_aliases and _private(node.attr)):
                bad.append(f"{_short(name)}:{node.lineno} reads {node.value.id}.{node.attr}")
    assert not bad, "private names used across modules:\n" + "\n".join(bad)


def _targets_of_alias(name: str, node: ast.ImportFrom, alias: str) -> bool:
    """Whether ``from X import alias`` in module ``name`` binds a project module."""
    if node.level:
        pkg = _package_of(name).split(".")
        pkg = pkg[:len(pkg) - (node.level - 1)]
        target = ".".join(pkg + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    return f"{target}.{alias}" in MODULES


def test_no_import_by_string_and_no_swallowed_import_errors():
    """Our own modules are imported by statement, and a failure to import one is never caught
    (third-party imports, such as an optional transformers class, may still be guarded)."""
    bad = []
    for name, path in MODULES.items():
        if not name.startswith(("mergesmith.core", "mergesmith.cli")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("import_module", "find_spec"):
                bad.append(f"{_short(name)}:{node.lineno} imports by name ({node.attr})")
            if not isinstance(node, ast.Try):
                continue
            caught = {n.id for h in node.handlers if h.type is not None for n in ast.walk(h.type)
                      if isinstance(n, ast.Name)}
            if not caught & {"ModuleNotFoundError", "ImportError"}:
                continue
            ours = [n.lineno for stmt in node.body for n in ast.walk(stmt)
                    if (isinstance(n, ast.ImportFrom) and (n.level or (n.module or "").startswith("mergesmith")))
                    or (isinstance(n, ast.Import) and any(a.name.startswith("mergesmith") for a in n.names))
                    or (isinstance(n, ast.Attribute) and n.attr == "import_module")]
            if ours:
                bad.append(f"{_short(name)}:{ours[0]} imports one of ours inside a try that catches "
                           f"{'/'.join(sorted(caught))}")
    assert not bad, "\n".join(bad)


# --- size: no function over 60 lines, no module over 400, without a reason written beside it ---

FUNCTION_LINES = 60  # end_lineno - lineno of a def, nested ones and methods included
MODULE_LINES = 400
# Long pieces in files whose split is still to come: "path" (the module) or "path:qualified.name".
# A reason that belongs to the code itself is written there instead, as ``# long: <reason>`` on the
# def line or among the module's top lines (before its first statement after the docstring).
LONG_ALLOWED: dict[str, str] = {}


def _long_reason(line: str) -> bool:
    return "# long:" in line and line.split("# long:", 1)[1].strip() != ""


def _too_long() -> dict[str, str]:
    """Every function over FUNCTION_LINES and module over MODULE_LINES in core/ and cli/ without a
    ``# long:`` reason beside it: ``{"path" or "path:qualified.name": "where (N lines)"}``."""
    found = {}
    for folder in ("core", "cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            text = path.read_text(encoding="utf-8")
            lines = text.splitlines()
            tree = ast.parse(text)
            body = tree.body[1:] if tree.body and isinstance(tree.body[0], ast.Expr) \
                and isinstance(tree.body[0].value, ast.Constant) else tree.body
            top = lines[:body[0].lineno - 1] if body else lines
            if len(lines) > MODULE_LINES and not any(map(_long_reason, top)):
                found[rel] = f"{rel} ({len(lines)} lines)"

            def visit(node, prefix):
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        name = prefix + child.name
                        size = child.end_lineno - child.lineno
                        if size > FUNCTION_LINES and not _long_reason(lines[child.lineno - 1]):
                            found[f"{rel}:{name}"] = f"{rel}:{child.lineno} {name} ({size} lines)"
                        visit(child, name + ".")
                    elif isinstance(child, ast.ClassDef):
                        visit(child, prefix + child.name + ".")
                    else:
                        visit(child, prefix)

            visit(tree, "")
    return found


def test_no_long_functions_or_modules_without_a_reason():
    long = [where for key, where in _too_long().items() if key not in LONG_ALLOWED]
    assert not long, (f"functions over {FUNCTION_LINES} lines or modules over {MODULE_LINES} lines; split "
                      "them, or write `# long: <reason>` beside the def (or at the module's top):\n"
                      + "\n".join(long))


def test_long_allow_list_is_not_stale():
    """An entry that no longer names something long (split, or renamed) is taken off the list."""
    stale = sorted(set(LONG_ALLOWED) - set(_too_long()))
    assert not stale, f"LONG_ALLOWED names what is no longer long: {stale}"
