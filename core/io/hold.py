"""A run that writes an output holds it: one writer per output folder, from plan time to the end.

The hold is a small file beside the output, ``.<out>.mergesmith-hold``, created with
``O_CREAT | O_EXCL`` (so exactly one run gets it) and holding JSON: the writer's process id, host
name, process start time (to tell a reused pid), what it is (``merge``, ``convert``, ``in-place
fix``...), its command line and since when. The holder also keeps an ``flock`` on it where the file
system supports it (released by the kernel when the process dies).

Another run that finds the file asks whether its writer is still going:

* same machine: a live ``flock`` means yes; otherwise the pid must exist and have started when the
  hold says (a pid reused by another process, or a process that is gone, leaves a stale hold);
* another machine (a network file system): it cannot be checked, so it is respected; the sentence
  says which file to delete if that run is no longer going;
* a file still empty (the holder is between creating and writing it) counts as held for
  :data:`YOUNG` seconds.

A live hold refuses the run with :class:`HeldError` (one sentence naming the writer and what to
do); a stale one is taken over, said in one line (:attr:`Hold.taken_over`).
"""

from __future__ import annotations

import errno
import json
import os
import socket
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..errors import PlanError

HOLD_TAG = ".mergesmith-hold"
YOUNG = 10.0  # seconds: an empty (just created) hold file counts as held this long
_MINE: set[str] = set()  # tokens of the holds this process has now (two windows of one app)

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]


class HeldError(PlanError):
    """Another run is writing the same output: refused before anything is written."""


def hold_path(out: Path) -> Path:
    out = Path(out)
    return out.parent / f".{out.name}{HOLD_TAG}"


def process_start(pid: int) -> Optional[float]:
    """When process ``pid`` started (seconds since the epoch), from /proc; None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])
        btime = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                     if line.startswith("btime "))
        return btime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


@dataclass
class Holder:
    """What a hold file says about its writer, and whether that writer is still going."""

    path: Path
    info: dict
    ino: int
    alive: bool
    why: str = ""  # for a stale hold: why its writer is taken to be gone

    @property
    def here(self) -> bool:
        return self.info.get("host") == socket.gethostname()

    def who(self) -> str:
        """``another Mergesmith merge (process 1234 on this machine, since 20:31:05)``."""
        info = self.info
        if "pid" not in info:
            return "another Mergesmith run that is starting right now"
        where = "this machine" if self.here else f"the machine {info.get('host')}"
        return (f"another Mergesmith {info.get('what') or 'run'} (process {info.get('pid')} on {where}, "
                f"since {_when(info.get('since'))})")

    def sentence(self, out: Path) -> str:
        """The one sentence that refuses a second writer (no flags: the window shows it as it is)."""
        text = (f"{out} is being written by {self.who()}; wait for it to finish, or choose another "
                "output folder.")
        if not self.here and "pid" in self.info:
            text += (f" If that run is no longer going, delete {self.path.name} in {self.path.parent} "
                     "and start again.")
        return text


@dataclass
class Hold:
    """This process's hold on ``out``: release it (or leave the ``with`` block) when done."""

    out: Path
    path: Path
    fd: int
    token: str
    taken_over: list[str] = field(default_factory=list)  # one line per stale hold taken over

    def release(self) -> None:
        """Remove the hold file (if it is still ours) and drop the lock; safe to call twice."""
        if self.fd < 0:
            return
        try:
            if os.stat(self.path).st_ino == os.fstat(self.fd).st_ino:
                os.unlink(self.path)
        except OSError:
            pass
        os.close(self.fd)
        self.fd = -1
        _MINE.discard(self.token)

    def __enter__(self) -> "Hold":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _when(since) -> str:
    if not isinstance(since, (int, float)):
        return "an unknown time"
    t = time.localtime(since)
    today = time.localtime()
    fmt = "%H:%M:%S" if t[:3] == today[:3] else "%Y-%m-%d %H:%M"
    return time.strftime(fmt, t)


# --- who holds an output ---------------------------------------------------------------------------


def _locked(fd: int) -> Optional[bool]:
    """Whether another open file holds an flock on ``fd``'s file; None where locks do not work."""
    if fcntl is None:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return None
    fcntl.flock(fd, fcntl.LOCK_UN)
    return False


def read_holder(path: Path) -> Optional[Holder]:
    """The hold file ``path`` (None if there is none) with a verdict on its writer."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        st = os.fstat(fd)
        raw = os.read(fd, 65536)
        locked = _locked(fd)
    finally:
        os.close(fd)
    try:
        info = json.loads(raw.decode("utf-8"))
        if not isinstance(info, dict):
            info = {}
    except (UnicodeDecodeError, ValueError):
        info = {}
    alive, why = _verdict(info, st, locked)
    return Holder(Path(path), info, st.st_ino, alive, why)


def _verdict(info: dict, st: os.stat_result, locked: Optional[bool]) -> tuple[bool, str]:
    """(alive, why not) for a hold's writer; see the module's docstring."""
    if "pid" not in info:  # created, not written yet (or garbage left by something else)
        young = time.time() - st.st_mtime < YOUNG
        return (True, "") if young or locked else (False, "it was never completed")
    if info.get("host") != socket.gethostname():
        return True, ""  # another machine's process cannot be checked: respected
    pid = info.get("pid")
    if pid == os.getpid():
        return (True, "") if info.get("token") in _MINE else (False, "this process no longer holds it")
    if locked:
        return True, ""
    if locked is False and info.get("locked"):
        return False, "its process is gone"  # the kernel dropped its lock: the process ended
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False, "its process is gone"
    except (PermissionError, ValueError, TypeError, OverflowError):
        pass
    started, then = process_start(int(pid)), info.get("started")
    if started is not None and isinstance(then, (int, float)) and abs(started - then) > 1.0:
        return False, "its process number now belongs to another process"
    return True, ""


def holder(out: Path) -> Optional[Holder]:
    """Who holds ``out`` now (alive or another machine's), or None when it is free to take."""
    found = read_holder(hold_path(out))
    return found if found is not None and found.alive else None


def holds_in(folder: Path) -> list[tuple[Path, Holder]]:
    """Every hold on ``folder`` itself or on an output inside it: (output, holder), live or stale."""
    folder = Path(folder)
    found = []
    candidates = [hold_path(folder)]
    try:
        if folder.is_dir():
            candidates += sorted(p for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(HOLD_TAG))
    except OSError:
        pass
    for path in candidates:
        h = read_holder(path)
        if h is not None:
            found.append((path.parent / path.name[1:-len(HOLD_TAG)], h))
    return found


def describe(out: Path, h: Holder) -> str:
    """What ``inspect`` says about a hold it finds on ``out``."""
    if h.alive:
        return f"{out} is being written by {h.who()}; what is there now may change when it finishes."
    return (f"{out} has a hold left by {h.who()}, which is no longer going ({h.why}); the next run into it "
            "takes it over.")


# --- taking a hold ---------------------------------------------------------------------------------


def acquire(out: Path, what: str = "run", command: Optional[str] = None) -> Hold:
    """Hold ``out`` for this process; raise :class:`HeldError` if another live run holds it."""
    out = Path(out)
    path = hold_path(out)
    taken: list[str] = []
    for _attempt in range(8):
        fd = _create(out, path)
        if fd >= 0:
            return _write(out, path, fd, what, command, taken)
        found = read_holder(path)
        if found is None:
            continue  # released meanwhile: try again
        if found.alive:
            raise HeldError(found.sentence(out), path=out)
        if _take_over(path, found):
            taken.append(f"Took over the hold on {out} left by {found.who()}, which is no longer "
                         f"going ({found.why}).")
    raise HeldError(f"{out} is being claimed by other Mergesmith runs right now; wait a moment and try "
                    "again, or choose another output folder.", path=out)


def _create(out: Path, path: Path) -> int:
    """The new hold file, open (-1 if one exists); a folder this process cannot write in is said."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return -1
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.ENOENT):
            raise PlanError(f"Cannot write in {out.parent}; choose an output folder you can write to.",
                            path=out) from None
        raise


def _write(out: Path, path: Path, fd: int, what: str, command: Optional[str], taken: list[str]) -> Hold:
    locked = False
    if fcntl is not None:
        try:  # blocking: a reader's probe holds it for microseconds, nobody else ever
            fcntl.flock(fd, fcntl.LOCK_EX)
            locked = True
        except OSError as exc:  # a file system without locks (some network mounts): the pid check stays
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL):
                raise
    token = uuid.uuid4().hex
    info = {"pid": os.getpid(), "host": socket.gethostname(), "started": process_start(os.getpid()),
            "what": what, "command": command if command is not None else " ".join(sys.argv),
            "since": time.time(), "locked": locked, "token": token, "out": str(out)}
    os.write(fd, json.dumps(info, indent=1).encode("utf-8"))
    os.fsync(fd)
    _MINE.add(token)
    return Hold(out, path, fd, token, taken)


def _take_over(path: Path, stale: Holder) -> bool:
    """Remove the stale hold file ``path`` -- only the one judged stale, never one a live run made
    meanwhile: it is renamed aside first and its inode compared (put back if it is not that one)."""
    aside = path.with_name(f"{path.name}-stale-{uuid.uuid4().hex[:8]}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return False
    if os.stat(aside).st_ino == stale.ino:
        os.unlink(aside)
        return True
    try:  # another run took it over first and made a new one: give it back
        os.link(aside, path)
    except OSError:
        pass
    os.unlink(aside)
    return False


__all__ = ["HOLD_TAG", "HeldError", "Hold", "Holder", "hold_path", "acquire", "holder", "read_holder",
           "holds_in", "describe", "process_start"]
