"""``mergesmith demo [DIR] [--llava] [--overwrite] [--json]``: write the built-in demo inputs (the
ones the window's Demo uses, :mod:`mergesmith.core.demo`) into DIR and print the commands to try.

The demo's training config names its base model by absolute path (as a real run's does), so it is
built where it will stay: in DIR itself. A run that fails or is cancelled removes what it wrote;
with ``--overwrite`` the previous DIR is set aside first and put back if the new one fails.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from pathlib import Path

from .output import fail

DEFAULT_DIRS = {"lora": "mergesmith-demo", "llava": "mergesmith-llava-demo"}


def cmd_demo(args) -> int:
    kind = "llava" if args.llava else "lora"
    folder = Path(args.dir or DEFAULT_DIRS[kind]).expanduser()
    if folder.exists() and not folder.is_dir():
        return fail(f"DIR {folder} is a file; choose a folder name for the demo (`mergesmith demo OTHER_DIR`).")
    if folder.is_dir() and any(folder.iterdir()) and not args.overwrite:
        return fail(f"DIR {folder} already exists and is not empty; choose another folder "
                    f"(`mergesmith demo OTHER_DIR`), or replace it with --overwrite.")
    if args.dry_run:
        print(f"Would write the {'LLaVA ' if args.llava else ''}demo into {folder}; nothing written.")
        return 0
    if not args.json:
        print(f"Writing the {'LLaVA ' if args.llava else ''}demo into {folder} (a few seconds)...", file=sys.stderr)
    paths = _build(folder, kind)
    commands = demo_commands(kind, *paths)
    if args.json:
        print(json.dumps({"folder": str(folder), "kind": kind, "source": str(paths[0]), "base": str(paths[1]),
                          "visual_encoder": str(paths[2]) if paths[2] else None, "commands": commands}, indent=2))
    else:
        print(_describe(kind, folder, paths))
        print("\nTry:")
        for line in commands:
            print(f"  {line}")
    return 0


def _build(folder: Path, kind: str) -> tuple[Path, Path, Path | None]:
    """Make the demo in ``folder``; on failure (or Ctrl-C) leave things as they were."""
    aside = None
    if folder.is_dir() and any(folder.iterdir()):  # --overwrite: keep the old one until the new one is made
        aside = folder.with_name(f".{folder.name}.mergesmith-old-{os.getpid()}")
        os.rename(folder, aside)
    existed = folder.exists()
    try:
        if kind == "llava":
            from mergesmith.core.demo.llava import make_llava_demo

            source, base, vit = make_llava_demo(folder)
        else:
            from mergesmith.core.demo.lora import make_demo

            (source, base), vit = make_demo(folder), None
    except BaseException:
        if not existed:
            shutil.rmtree(folder, ignore_errors=True)
        if aside is not None:
            os.rename(aside, folder)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
    return source, base, vit


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when under it."""
    try:
        text = str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        text = str(path)
    return shlex.quote(text)


def demo_commands(kind: str, source: Path, base: Path, vit: Path | None = None) -> list[str]:
    """The commands to try on the demo, one a line, ready to paste."""
    folder = source.parent
    src, b = _shown(source), _shown(base)
    if kind == "llava":
        v = _shown(vit)
        merged, hf = _shown(folder / "llava-merged"), _shown(folder / "llava-hf")
        return [
            f"mergesmith inspect {src}",
            f"mergesmith merge {src} --out {merged} --dry-run",
            f"mergesmith merge {src} --out {merged}",
            f"mergesmith merge {src} --format llava-hf --out {hf}",
            f"mergesmith inspect {merged}",
            f"mergesmith verify {merged} --source {src} --base {b} --visual-encoder {v}",
            f"mergesmith-gui {src} --base {b} --visual-encoder {v}",
        ]
    merged = _shown(folder / "merged")
    return [
        f"mergesmith inspect {src}",
        f"mergesmith merge {src} --out {merged} --dry-run",
        f"mergesmith merge {src} --out {merged}",
        f"mergesmith inspect {merged}",
        f"mergesmith verify {merged} --source {src} --base {b}",
        f"mergesmith convert {src} --out {_shown(folder / 'converted')}",
        f"mergesmith-gui {src} --base {b}",
    ]


def _describe(kind: str, folder: Path, paths) -> str:
    source, base, vit = paths
    rows = [(source.name, "what `xtuner train` leaves: checkpoints and the training config, which names "
                          f"{base.name}/ as the base"),
            (base.name, "the tiny base model it was trained on (random weights, made on the spot)")]
    if vit is not None:
        rows.append((vit.name, "the tiny CLIP vision tower (the visual encoder)"))
    converted = folder / "iter_100_hf"
    if kind == "lora" and converted.is_dir():
        rows.append((converted.name, "the same adapter as `xtuner convert pth_to_hf` writes it"))
    width = max(len(name) for name, _ in rows) + 1
    return "\n".join([f"The demo is in {folder}:"] + [f"  {name + '/':<{width}}  {what}" for name, what in rows])


def add_demo(sub) -> None:
    d = sub.add_parser("demo", help="write the built-in demo (a tiny XTuner run and its base) and show what to try",
                       description="Write the built-in demo inputs, the ones the window's Demo uses (a tiny "
                                   "XTuner LoRA run and its base model, or with --llava a LLaVA run with its "
                                   "LLM and CLIP tower), made on the spot with nothing downloaded, and print "
                                   "the commands to try on them.")
    d.add_argument("dir", nargs="?", metavar="DIR",
                   help="where to write it (default: ./mergesmith-demo, or ./mergesmith-llava-demo with --llava)")
    d.add_argument("--llava", action="store_true", help="the LLaVA demo instead of the LoRA one")
    d.add_argument("--overwrite", action="store_true", help="replace DIR if it exists and is not empty")
    d.add_argument("--dry-run", action="store_true", help="say where it would be written, write nothing")
    d.add_argument("--json", action="store_true", help="print the paths and commands as JSON")
    d.set_defaults(func=cmd_demo)
