"""The command-line synopsis, made from the argparse parsers themselves (``mergesmith`` and
``mergesmith-gui``), so the README cannot drift from ``--help``.

``python tools/synopsis.py`` prints it; ``python tools/synopsis.py --write README.md`` replaces what
lies between the two marker lines of that file. tests/cli/test_readme_synopsis.py fails when the
README's block and the parsers disagree: after adding or changing an option, run the ``--write``
form. (A developer's tool beside the packages, not in them: it reads both front ends' parsers, and
the command line must not import the window's package.)
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import Optional, Sequence

START = "<!-- synopsis: made by `python tools/synopsis.py --write README.md`; do not edit by hand -->"
END = "<!-- synopsis: end -->"
WIDTH = 100


def _value(action: argparse.Action) -> str:
    if action.choices is not None:
        return "|".join(map(str, action.choices))
    return action.metavar or action.dest.upper()


def _positional(action: argparse.Action) -> str:
    name = action.metavar or action.dest.upper()
    return f"[{name}]" if action.nargs == "?" else name


def _optional(action: argparse.Action) -> str:
    flag = max(action.option_strings, key=lambda o: (o.startswith("--"), len(o)))
    if action.nargs == 0:
        text = flag
    elif action.nargs == "?":
        text = f"{flag} [{_value(action)}]"
    else:
        text = f"{flag} {_value(action)}"
    return text if action.required else f"[{text}]"


def usage(prog: str, parser: argparse.ArgumentParser) -> str:
    """One command's synopsis: positionals, required options, then the others, in the parser's order."""
    actions = [a for a in parser._actions if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))]
    words = [_positional(a) for a in actions if not a.option_strings]
    words += [_optional(a) for a in actions if a.option_strings and a.required]
    words += [_optional(a) for a in actions if a.option_strings and not a.required]
    if any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
        words.append("COMMAND ...")
    lines, indent = [prog], " " * len(prog)
    for word in words:  # wrapped between options, never inside one
        if len(lines[-1]) + 1 + len(word) > WIDTH and lines[-1].strip():
            lines.append(indent)
        lines[-1] += " " + word
    return "\n".join(lines)


def _commands() -> list[tuple[str, str, argparse.ArgumentParser]]:
    from mergesmith.cli.main import build_parser
    from mergesmith.gui.app import build_parser as gui_parser  # argparse only: Qt is imported later

    top = build_parser()
    sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help for c in sub._choices_actions}
    found = [("mergesmith", "the command line; `mergesmith COMMAND --help` for each command's options", top)]
    found += [(f"mergesmith {name}", helps.get(name) or "", p) for name, p in sub.choices.items()]
    gui = gui_parser()
    return found + [("mergesmith-gui", gui.description or "", gui)]


def synopsis() -> str:
    """The Markdown block: one fenced synopsis of every command, each with what it does."""
    parts = []
    for prog, what, parser in _commands():
        parts.append(usage(prog, parser))
        parts.append(textwrap.indent(textwrap.fill(what, WIDTH - 4), "    "))
    return "```\n" + "\n".join(parts) + "\n```"


def replace_block(text: str, block: str) -> str:
    """``text`` with what lies between the marker lines replaced by ``block``."""
    try:
        head, rest = text.split(START + "\n", 1)
        _, tail = rest.split(END, 1)
    except ValueError:
        raise SystemExit(f"the file has no synopsis markers; put these two lines where it goes:\n{START}\n{END}")
    return f"{head}{START}\n{block}\n{END}{tail}"


def block_in(text: str) -> Optional[str]:
    """What lies between the marker lines of ``text`` (None when they are missing)."""
    if START not in text or END not in text:
        return None
    return text.split(START + "\n", 1)[1].split("\n" + END, 1)[0]


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python tools/synopsis.py",
                                description="Print the command-line synopsis made from the parsers, "
                                            "or write it into a file between its markers.")
    p.add_argument("--write", metavar="FILE", help="replace the block between the markers in FILE (README.md)")
    args = p.parse_args(argv)
    block = synopsis()
    if not args.write:
        print(block)
        return 0
    path = Path(args.write)
    text = path.read_text(encoding="utf-8")
    new = replace_block(text, block)
    if new != text:
        path.write_text(new, encoding="utf-8")
        print(f"Updated the synopsis in {path}.", file=sys.stderr)
    else:
        print(f"The synopsis in {path} is current.", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
