"""The result: a folder as a Qt-free :class:`Node` tree with a status per file, from a Report.

Every file in the folder gets a row (size, and "OK" or what inspection said about it); files
that problems name but that are missing get a row of their own, so "tokenizer.json is missing"
shows where it would be. Folders take the worst status of what they hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

from .i18n import count_text, size_text, translate
from .problem_text import problem_text as window_problem_text
from .tree import ERROR, INFO, OK, WARNING, Node, worst

MAX_ROWS = 5000  # a result view is no file manager: stop listing beyond this
SEVERITY_STATUS = {ERROR: ERROR, WARNING: WARNING, INFO: INFO}


def problem_text(p) -> str:
    """The problem's sentence and what to do, in the window's words and language."""
    return window_problem_text(p)


def _problems_by_file(problems: Iterable, folder: Path) -> dict[str, list]:
    by_file: dict[str, list] = {}
    for p in problems:
        rel = str(p.file or "")
        try:  # problems may name files absolutely
            if rel and Path(rel).is_absolute():
                rel = str(Path(rel).relative_to(folder))
        except ValueError:
            pass
        by_file.setdefault(rel.strip("/") if rel not in ("", ".") else "", []).append(p)
    return by_file


def _file_node(name: str, size: Optional[int], problems: list, is_dir: bool) -> Node:
    status = worst(SEVERITY_STATUS.get(p.severity) for p in problems) or (None if is_dir else OK)
    if problems:
        details = problem_text(problems[0]) + (" " + translate("Results", "(+{0} more)").format(len(problems) - 1)
                                               if len(problems) > 1 else "")
        tooltip = "\n\n".join(f"[{p.code}] {problem_text(p)}" for p in problems)
    else:
        details, tooltip = ("" if is_dir else translate("Results", "OK")), ""
    return Node(name + ("/" if is_dir else ""), details, size, status=status,
                icon="folder" if is_dir else "file", tooltip=tooltip, payload=problems or None)


def result_tree(folder, problems: Iterable = ()) -> Node:
    """The folder's files with their statuses; ``problems`` as inspection reported them. A file (a
    .gguf) is shown with the files written beside it (its Ollama Modelfile)."""
    folder = Path(folder)
    if folder.is_file():
        return _file_tree(folder, problems)
    by_file = _problems_by_file(problems, folder)
    root = Node("", payload=folder)
    seen: set[str] = set()
    count = 0

    def fill(parent: Node, path: Path, rel: str) -> None:
        nonlocal count
        try:
            entries = sorted(path.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower()))
        except OSError:
            return
        for entry in entries:
            if count >= MAX_ROWS:
                parent.add(Node("\u2026", translate("Results", "more files not listed")))
                return
            count += 1
            erel = f"{rel}/{entry.name}" if rel else entry.name
            seen.add(erel)
            is_dir = entry.is_dir()
            size = None if is_dir else _size(entry)
            node = parent.add(_file_node(entry.name, size, by_file.get(erel, []), is_dir))
            if is_dir:
                fill(node, entry, erel)
                node.size = sum(c.size or 0 for c in node.children)
                node.status = worst([node.status] + [c.status for c in node.children])

    fill(root, folder, "")
    # problems about files that are not there (missing tokenizer, missing shard...)
    for rel, items in sorted(by_file.items()):
        if rel and rel not in seen:
            node = _file_node(rel, None, items, False)
            if not (folder / rel).exists():
                node.details = translate("Results", "missing: {0}").format(node.details)
            root.add(node)
    folder_problems = by_file.get("", [])
    if folder_problems:
        root.add(_file_node(translate("Results", "(the folder as a whole)"), None, folder_problems, False))
    return root


def _file_tree(path: Path, problems: Iterable) -> Node:
    by_file = _problems_by_file(problems, path.parent)
    root = Node("", payload=path)
    mine = by_file.pop(path.name, []) + by_file.pop("", [])
    root.add(_file_node(path.name, _size(path), mine, False))
    modelfile = path.with_name(path.stem + ".Modelfile")
    if modelfile.is_file():
        root.add(_file_node(modelfile.name, _size(modelfile), by_file.pop(modelfile.name, []), False))
    for rel, items in sorted(by_file.items()):
        root.add(_file_node(rel, None, items, False))
    return root


def _size(path: Path) -> Optional[int]:
    try:
        return path.stat().st_size
    except OSError:
        return None


def summary_line(report) -> str:
    """One sentence about an inspected folder: size, dtypes, and the count of problems."""
    parts = []
    if report.parameters:
        parts.append(translate("Results", "{0} parameters").format(count_text(report.parameters)))
    if report.shard_count:
        parts.append(translate("Results", "1 shard") if report.shard_count == 1 else
                     translate("Results", "{0} shards").format(report.shard_count))
    if report.disk_bytes:
        parts.append(size_text(report.disk_bytes))
    if report.dtypes:
        parts.append("/".join(report.dtypes))
    counts = {}
    for p in report.problems:
        counts[p.severity] = counts.get(p.severity, 0) + 1
    if counts:
        words = [_count_word(sev, n) for sev, n in sorted(counts.items())]
        verdict = translate("Results", "found {0}").format(translate("Results", ", ").join(words))
    else:
        verdict = translate("Results", "no problems found")
    return (translate("Results", ", ").join(parts) + translate("Results", "; ") if parts else "") + verdict + \
        translate("Results", ".")


def _count_word(severity: str, n: int) -> str:
    """``1 error``, ``2 warnings``, ``3 infos`` (the core's severities, counted)."""
    one = {"error": translate("Results", "1 error"), "warning": translate("Results", "1 warning"),
           "info": translate("Results", "1 info")}
    many = {"error": translate("Results", "{0} errors"), "warning": translate("Results", "{0} warnings"),
            "info": translate("Results", "{0} infos")}
    if n == 1 and severity in one:
        return one[severity]
    if severity in many:
        return many[severity].format(n)
    return f"{n} {severity}{'s' if n != 1 else ''}"
