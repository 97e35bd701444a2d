"""The README's command-line synopsis is the parsers' own: it fails when they disagree (fix: run
`python tools/synopsis.py --write README.md`). Also: the README's links to docs/ lead to
files that exist, and its two commands for a fresh machine are the Makefile's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import synopsis  # noqa: E402  (tools/synopsis.py: a developer's tool, not part of the package)

README = ROOT / "README.md"


def test_readme_synopsis_matches_the_parsers():
    block = synopsis.block_in(README.read_text(encoding="utf-8"))
    assert block is not None, f"README.md lost its synopsis markers:\n{synopsis.START}\n{synopsis.END}"
    assert block == synopsis.synopsis(), (
        "README.md's synopsis differs from the parsers; run `.venv/bin/python tools/synopsis.py --write README.md`")


def test_every_option_of_every_command_is_in_the_synopsis():
    """What --help lists, the synopsis lists (one of each option's spellings)."""
    text = synopsis.synopsis()
    for prog, _, parser in synopsis._commands():
        for action in parser._actions:
            if action.option_strings and "-h" not in action.option_strings:
                assert any(o in text for o in action.option_strings), (prog, action.option_strings)


def test_write_replaces_only_the_block(tmp_path):
    doc = tmp_path / "README.md"
    doc.write_text(f"# Title\n\nbefore\n{synopsis.START}\nstale\n{synopsis.END}\nafter\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "synopsis.py"), "--write", str(doc)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\nbefore\n") and text.endswith(f"{synopsis.END}\nafter\n")
    assert synopsis.block_in(text) == synopsis.synopsis() and "stale" not in text


def test_local_links_lead_somewhere():
    """Every relative link and image of the README names a file of the repository (docs/ that
    other branches add are checked once merged: they are listed in PENDING until then)."""
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    missing = [t for t in targets if "://" not in t and not (ROOT / t).exists() and t not in PENDING]
    assert not missing, missing


# Written on other branches at the same time as this README; the lead drops each name once merged.
PENDING = {"docs/outputs-held.md"}


def test_the_fresh_machine_commands_are_the_makefiles():
    text = README.read_text(encoding="utf-8")
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run", "test"):
        assert f"\nmake {target}\n" in text and re.search(rf"^{target}:", make, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
