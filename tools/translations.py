"""Keep the window's translations current: ``update`` (lupdate), ``release`` (lrelease), ``check``.

    python tools/translations.py update    # gui/*.py -> resources/i18n/mergesmith_zh_CN.ts (new entries unfinished)
    python tools/translations.py release   # .ts -> .qm, committed beside it
    python tools/translations.py check     # exit 1 when an entry is unfinished or obsolete, or a .qm is stale

Uses PySide6's own ``pyside6-lupdate`` and ``pyside6-lrelease`` (installed with PySide6-Essentials).
The problem texts (gui/problem_text.py) have their own file, problems_zh_CN.ts, kept the same way by
their owner; this script leaves that file alone. See docs/translation.md.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "resources" / "i18n"
LANGUAGES = ("zh_CN",)
# files whose strings live in another .ts (the problem texts: problems_LANG.ts)
OTHER_CATALOGUES = {"problem_text.py"}


def tool(name: str) -> str:
    """pyside6-<name> beside this Python, else on PATH."""
    here = Path(sys.executable).with_name(f"pyside6-{name}")
    found = str(here) if here.exists() else shutil.which(f"pyside6-{name}")
    if not found:
        raise SystemExit(f"pyside6-{name} not found: install PySide6-Essentials in this Python")
    return found


def sources() -> list[Path]:
    return sorted(p for p in (ROOT / "gui").glob("*.py") if p.name not in OTHER_CATALOGUES)


def ts_file(language: str) -> Path:
    return I18N / f"mergesmith_{language}.ts"


def lupdate(ts: Path, language: str, *, drop_obsolete: bool) -> str:
    args = [tool("lupdate"), *map(str, sources()), "-locations", "none", "-source-language", "en",
            "-target-language", language, "-ts", str(ts)]
    if drop_obsolete:
        args.insert(-2, "-no-obsolete")
    return subprocess.run(args, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def lrelease(ts: Path, qm: Path) -> None:
    subprocess.run([tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True, cwd=ROOT)


def other_contexts(language: str) -> set[str]:
    """Contexts another catalogue of ``language`` holds (the problem texts'): not ours to keep."""
    names: set[str] = set()
    for ts in I18N.glob(f"*_{language}.ts"):
        if ts != ts_file(language):
            names |= {c.findtext("name") for c in ET.parse(ts).getroot().iter("context")}
    return names


def drop_contexts(ts: Path, names: set[str]) -> None:
    """Remove the contexts ``names`` from ``ts`` (strings lupdate found in another catalogue's code)."""
    tree = ET.parse(ts)
    root = tree.getroot()
    gone = [c for c in root.findall("context") if c.findtext("name") in names]
    if not gone:
        return
    for c in gone:
        root.remove(c)
    ET.indent(tree, space="    ")
    ts.write_text('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n'
                  + ET.tostring(root, encoding="unicode") + "\n", encoding="utf-8")


def untranslated(ts: Path, skip: frozenset = frozenset()) -> list[str]:
    """Entries of ``ts`` that are unfinished, obsolete or vanished (each as "context: source")."""
    bad = []
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name")
        if name in skip:
            continue
        for message in context.iter("message"):
            tr = message.find("translation")
            kind = tr.get("type") if tr is not None else "unfinished"
            empty = tr is None or not ("".join(tr.itertext()).strip())
            if kind in ("unfinished", "obsolete", "vanished") or empty:
                bad.append(f"{kind or 'empty'} in {name}: {message.findtext('source')!r}")
    return bad


def check() -> list[str]:
    """What is out of date: entries lupdate would add or retire, and .qm files not made from their .ts."""
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for language in LANGUAGES:
            ts = ts_file(language)
            if not ts.exists():
                failures.append(f"{ts.relative_to(ROOT)} is missing: run tools/translations.py update")
                continue
            copy = Path(tmp) / ts.name
            shutil.copy(ts, copy)
            lupdate(copy, language, drop_obsolete=False)
            failures += [f"{ts.name}: {line}" for line in untranslated(copy, frozenset(other_contexts(language)))]
        for ts in map(ts_file, LANGUAGES):
            qm = ts.with_suffix(".qm")
            fresh = Path(tmp) / qm.name
            lrelease(ts, fresh)
            if not qm.exists() or qm.read_bytes() != fresh.read_bytes():
                failures.append(f"{qm.relative_to(ROOT)} is not compiled from {ts.name}: run "
                                "tools/translations.py release")
    return failures


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        for language in LANGUAGES:
            print(lupdate(ts_file(language), language, drop_obsolete=True), end="")
            drop_contexts(ts_file(language), other_contexts(language))
        return 0
    if command == "release":
        for ts in map(ts_file, LANGUAGES):
            lrelease(ts, ts.with_suffix(".qm"))
        return 0
    if command == "check":
        failures = check()
        print("\n".join(failures) or "translations are current")
        return 1 if failures else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
