"""Benchmark: start-up times of fresh processes (issue 14's budget).

Times, each in a fresh interpreter, several runs, medians:

* ``mergesmith --help`` (budget 0.3 s);
* ``mergesmith inspect DIR`` on a Llama-7B-shaped folder of 130 shards (budget 0.6 s), and, for
  reference, ``inspect --full`` (which imports transformers for the checks that need it);
* the window (``mergesmith-gui``, offscreen platform, no paths): from launch to its first frame
  (budget 1.0 s), and to the end of the background imports of torch and transformers that start
  after it, with the longest the event loop went without turning meanwhile ("stall").

The 7B-shaped folder is ``bench_inspect.build``'s: real safetensors headers of the 291 tensors of
Llama-2-7B (bf16, 6.74 B parameters) cut into ~128 MiB shards (130 files), each file truncated to
its full size so the data is a hole (sparse: no disk used), with the index, config.json,
generation_config.json and a small tokenizer. It is built once under ``bench/work/`` (git-ignored).

The window's first frame: the app's ``MERGESMITH_STARTUP_PROBE`` hook (gui/first_frame.py) prints
the time of the first paint of the main window and, after the background imports, the stall, then
quits. For commits from before that hook (``--rev``), the same paint event is caught from outside
(a wrapper around ``MainWindow.show``), and the child exits at the first frame.

Which Mergesmith: ``--rev worktree`` (default: the files as they are, through the editable install)
or ``--rev COMMIT`` (``git archive`` of core/, cli/, gui/ and resources/ into ``bench/work/startup-src/``, imported
with the editable install's hook removed). Wall time is from just before the child is started to
its exit (or to the printed time, for the window); CPU is the child's user + system time (for the
window: until its first frame, as the app reports it). The machine's
load average is printed with the table: other work on the machine slows every figure.

Usage (from the repository root)::

    .venv/bin/python bench/bench_startup.py [--runs 7] [--rev worktree|COMMIT] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"
sys.path.insert(0, str(HERE))
PY = sys.executable
SHARD_BYTES = 128 * 2**20  # 130 shards of the 7B shape

NO_EDITABLE = ("sys.meta_path[:] = [f for f in sys.meta_path "
               "if not getattr(f, '__module__', '').startswith('__editable__')]")
CLI_CODE = "from mergesmith.cli.main import entry\nsys.argv[0] = 'mergesmith'\nentry()\n"
GUI_CODE = "from mergesmith.gui.app import main\nsys.argv[0] = 'mergesmith-gui'\nsys.exit(main())\n"
# For snapshots without gui/first_frame.py: catch the first paint of the main window from outside.
GUI_OUTSIDE_PROBE = '''
import os, time
from PySide6.QtCore import QEvent, QObject, QTimer
import mergesmith.gui.main_window as _mw

class _Watch(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            obj.removeEventFilter(self)
            QTimer.singleShot(0, self.done)
        return False

    def done(self):
        print(f"first-frame {time.time():.4f} cpu {time.process_time():.3f}", flush=True)
        os._exit(0)

_show = _mw.MainWindow.show

def _watched_show(self):
    self._bench_watch = _Watch()
    self.installEventFilter(self._bench_watch)
    _show(self)

_mw.MainWindow.show = _watched_show
'''


def source(rev: str) -> tuple[str, str, bool]:
    """(prelude for ``python -c``, label, whether the snapshot has the app's own probe)."""
    if rev == "worktree":
        sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "core", "cli", "gui"],
                               capture_output=True, text=True).stdout.strip()
        return "import sys\n", f"working tree at {sha}{' (modified)' if dirty else ''}", \
            (ROOT / "gui" / "first_frame.py").is_file()
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], check=True, capture_output=True,
                         text=True).stdout.strip()
    dest = WORK / "startup-src" / sha
    if not (dest / "mergesmith" / "core" / "__init__.py").is_file():
        shutil.rmtree(dest, ignore_errors=True)
        (dest / "mergesmith").mkdir(parents=True)
        (dest / "mergesmith" / "__init__.py").write_text("")
        subprocess.run(f"git -C {ROOT} archive {sha} core cli gui resources | tar -x -C {dest / 'mergesmith'}",
                       shell=True, check=True)
    prelude = f"import sys\nsys.path.insert(0, {str(dest)!r})\n{NO_EDITABLE}\n"
    return prelude, f"commit {sha}", (dest / "mergesmith" / "gui" / "first_frame.py").is_file()


def seven_b_folder() -> tuple[Path, dict]:
    folder = WORK / "startup-7b"
    stamp = folder / ".built.json"
    if stamp.is_file():
        return folder, json.loads(stamp.read_text())
    from bench_inspect import build

    shutil.rmtree(folder, ignore_errors=True)
    built = build(folder, SHARD_BYTES)
    stamp.write_text(json.dumps(built))
    return folder, built


def child_env(**extra) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **extra}
    env.pop("MERGESMITH_DEBUG", None)
    return env


def cpu_of_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_cli(prelude: str, args: list[str]) -> dict:
    c0, t0 = cpu_of_children(), time.time()
    proc = subprocess.run([PY, "-c", prelude + CLI_CODE, *args], capture_output=True, text=True, env=child_env())
    wall = time.time() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"mergesmith {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-800:]}")
    return {"wall": wall, "cpu": cpu_of_children() - c0}


def run_gui(prelude: str, has_probe: bool, home: Path) -> dict:
    env = child_env(QT_QPA_PLATFORM="offscreen", MERGESMITH_STARTUP_PROBE="1", HOME=str(home),
                    XDG_CONFIG_HOME=str(home / ".config"), QT_LOGGING_RULES="qt.qpa.*=false")
    code = prelude + ("" if has_probe else GUI_OUTSIDE_PROBE) + GUI_CODE
    c0, t0 = cpu_of_children(), time.time()
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    end = time.time()
    words = {line.split()[0]: line.split() for line in proc.stdout.splitlines()
             if line.startswith(("first-frame", "warm"))}
    if proc.returncode != 0 or "first-frame" not in words:
        raise SystemExit(f"the window did not report its first frame ({proc.returncode}): {proc.stderr[-800:]}")
    out = {"wall": float(words["first-frame"][1]) - t0, "cpu": float(words["first-frame"][3]),
           "cpu_all": cpu_of_children() - c0, "exit": end - t0}
    if "warm" in words:
        out["warm"] = float(words["warm"][1]) - t0
        out["stall_ms"] = int(words["warm"][3])
    return out


def measure(name: str, fn, runs: int) -> dict:
    fn()  # one untimed run: the files are in the page cache for every timed one
    samples = [fn() for _ in range(runs)]
    row = {"case": name, "runs": runs}
    for key in samples[0]:
        values = [s[key] for s in samples]
        row[key] = statistics.median(values)
        row[key + "_min"], row[key + "_max"] = min(values), max(values)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--rev", default="worktree", help="worktree (default) or a commit")
    ap.add_argument("--skip-full", action="store_true", help="leave out `inspect --full` (slow before the change)")
    ap.add_argument("--json", type=Path, help="also write the rows here")
    args = ap.parse_args()
    prelude, label, has_probe = source(args.rev)
    folder, built = seven_b_folder()
    home = WORK / "startup-home"
    home.mkdir(parents=True, exist_ok=True)
    load0 = os.getloadavg()
    rows = [
        measure("mergesmith --help", lambda: run_cli(prelude, ["--help"]), args.runs),
        measure("mergesmith inspect 7B (130 shards)", lambda: run_cli(prelude, ["inspect", str(folder)]), args.runs),
    ]
    if not args.skip_full and has_probe:  # (--full came with the probe; before, plain inspect was the full one)
        full = ["inspect", "--full", str(folder)]
        rows.append(measure("mergesmith inspect --full 7B", lambda: run_cli(prelude, full), max(3, args.runs // 2)))
    rows.append(measure("window: first frame", lambda: run_gui(prelude, has_probe, home), args.runs))
    load1 = os.getloadavg()
    budget = {"mergesmith --help": 0.3, "mergesmith inspect 7B (130 shards)": 0.6, "window: first frame": 1.0}
    print(f"Mergesmith: {label}; {os.cpu_count()} cores; load average {load0[0]:.2f} before, {load1[0]:.2f} after; "
          f"7B-shaped folder: {built['shards']} shards, {built['parameters'] / 1e9:.2f} B parameters (sparse)")
    print("| case | budget | wall, median (min-max) | CPU, median | background imports done | longest stall |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        warm = f"{r['warm']:.2f} s" if "warm" in r else ""
        stall = f"{r['stall_ms']:.0f} ms" if "stall_ms" in r else ""
        limit = f"{budget[r['case']]:.1f} s" if r["case"] in budget else ""
        print(f"| {r['case']} | {limit} | {r['wall']:.2f} s ({r['wall_min']:.2f}-{r['wall_max']:.2f}) | "
              f"{r['cpu']:.2f} s | {warm} | {stall} |")
    if not has_probe:
        print("(this snapshot's `inspect` had no --full: it loaded the tokenizer and built the meta model by "
              "default; the window's row stops at its first frame)")
    if args.json:
        args.json.write_text(json.dumps({"mergesmith": label, "load": [load0, load1], "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
