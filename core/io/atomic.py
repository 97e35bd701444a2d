"""Output that appears whole or not at all: one staging, fsync and rename path for every writer.

Every writer (merge, the LLaVA layouts, convert, fix into a new folder, fix in place) writes
into a hidden sibling of its output, ``.<out>.mergesmith-partial-<pid>@<host>-<random>``, then
:func:`commit` fsyncs every file and folder in it, renames it to ``<out>`` and fsyncs the parent,
so after a crash or power cut the output is either absent (or the previous one) or complete.

Replacing an existing output (``--overwrite``, ``fix --in-place``) takes two renames: the old
folder first becomes ``.<out>.mergesmith-old-<owner>-<random>`` (``-replaced-`` for an in-place
fix, whose old folder becomes the backup), then the new one takes its name. A process killed
between the two leaves no ``<out>``: the next run into the same output puts the old one back.

The owner in the name (process id, a short hash of the host name) lets the next run tell a
leftover of a process that is gone, which :func:`recover` removes (or restores) and says so in
one line, from the folder of a run still going, which it leaves alone.
"""

# long: one protocol (stage, commit, recover) whose staging names, owner check and recovery must agree
# with each other; the tests reach into it as one module (atomic._host, the tags, recover)
from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import socket
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from ..errors import MergesmithError

PARTIAL_TAG = ".mergesmith-partial-"
OLD_TAG = ".mergesmith-old-"  # the previous output during --overwrite: removed once the new one is in place
REPLACED_TAG = ".mergesmith-replaced-"  # the original folder during fix --in-place: becomes the backup
TAGS = (PARTIAL_TAG, OLD_TAG, REPLACED_TAG)
UNOWNED_GRACE = 60.0  # seconds: a leftover without an owner (older versions) younger than this is left alone
DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class DiskFullError(MergesmithError):
    """The disk (or quota) filled up while writing; the partial output has been removed."""


# --- who wrote a leftover ---------------------------------------------------------------------------


def _host() -> str:
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


def owner() -> str:
    """This process as it appears in staging names: ``<pid>@<host hash>``."""
    return f"{os.getpid()}@{_host()}"


def staging_name(out: Path, tag: str = PARTIAL_TAG) -> Path:
    return out.parent / f".{out.name}{tag}{owner()}-{uuid.uuid4().hex[:8]}"


def _parse_owner(rest: str) -> Optional[tuple[int, str]]:
    """``<pid>@<host>-<random>`` -> (pid, host); None for names of older versions (``<random>``)."""
    head = rest.rsplit("-", 1)[0] if "-" in rest else ""
    pid, at, host = head.partition("@")
    if not at or not pid.isdigit():
        return None
    return int(pid), host


def _started_at(pid: int) -> Optional[float]:
    """When process ``pid`` started (seconds since the epoch), from /proc; None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])
        btime = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                     if line.startswith("btime "))
        return btime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def writer_alive(path: Path) -> bool:
    """Whether the process that made the staging folder ``path`` may still be writing it.

    Another host's process cannot be checked: assumed alive. A pid that exists but started after
    the folder was last changed is another process that got the same number: the writer is gone.
    """
    tag = next((t for t in TAGS if t in path.name), None)
    if tag is None:
        return False
    parsed = _parse_owner(path.name.split(tag, 1)[1])
    try:
        changed = path.lstat().st_ctime  # a rename (the old output set aside) changes ctime, not mtime
    except OSError:
        return False
    if parsed is None:
        return time.time() - changed < UNOWNED_GRACE
    pid, host = parsed
    if host != _host():
        return True
    if pid == os.getpid():
        return False  # this process is not writing it now: an earlier run of ours failed to clean up
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    started = _started_at(pid)
    return started is None or started <= changed + 1.0


# --- leftovers -------------------------------------------------------------------------------------


def leftovers(out: Path) -> list[Path]:
    """Staging folders of earlier runs into ``out`` (same parent, same name), alive or not."""
    out = Path(out)
    prefixes = tuple(f".{out.name}{t}" for t in TAGS)
    try:
        return sorted(p for p in out.parent.iterdir() if p.name.startswith(prefixes))
    except OSError:
        return []


def folder_bytes(path: Path) -> int:
    """Bytes a folder occupies on disk (what removing it frees)."""
    total = 0
    for root, dirs, files in os.walk(path):
        for name in files + dirs:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total


def _backup_name(src: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = src.with_name(f"{src.name}.backup-{stamp}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = src.with_name(f"{src.name}.backup-{stamp}-{n}")
    return candidate


def recover(out: Path, *, remove: bool = True) -> list[str]:
    """Tidy up after runs into ``out`` that were killed; return one sentence per thing done.

    A previous output moved aside by a killed ``--overwrite`` (or in-place fix) is put back when
    ``out`` is missing: this never loses anything, so it is done even at plan time
    (``remove=False``). With ``remove``, partial folders of dead processes, and old outputs whose
    replacement did complete, are removed. Folders of a live process are left alone, and said.
    """
    out = Path(out)
    said: list[str] = []
    for path in leftovers(out):
        if writer_alive(path):
            if remove:
                said.append(f"Left {path.name} alone: the run that is writing it may still be going "
                            "(remove it yourself if not).")
            continue
        if (OLD_TAG in path.name or REPLACED_TAG in path.name) and not os.path.lexists(out):
            os.rename(path, out)
            fsync_dir(out.parent)
            said.append(f"Put back {out}, which an interrupted run had moved aside to {path.name}.")
        elif REPLACED_TAG in path.name:  # the in-place swap was done: this is the backup
            backup = _backup_name(out)
            os.rename(path, backup)
            fsync_dir(out.parent)
            if keep_changed(backup, out):
                said.append(f"Kept the originals of an interrupted in-place fix as {backup.name}.")
            else:
                said.append(f"Finished an interrupted in-place fix of {out.name}; it replaced no file, so "
                            "there is no backup.")
        elif remove:
            shutil.rmtree(path, ignore_errors=True)
            what = "the previous output replaced by" if OLD_TAG in path.name else "the partial output of"
            said.append(f"Removed {path.name}, {what} an interrupted run.")
    return said


def keep_changed(backup: Path, out: Path) -> bool:
    """Thin the backup of an in-place fix down to the originals of what changed.

    The fixed folder was built with hard links to the files it did not change, so the backup (the
    whole old folder) shares those files with ``out``: drop those links (the file stays in
    ``out``), then empty folders. Returns whether anything is left; an empty backup is removed.
    """
    for dirpath, _dirs, files in os.walk(backup):
        for name in files:
            kept = Path(dirpath) / name
            try:
                if kept.samefile(out / kept.relative_to(backup)):
                    kept.unlink()
            except OSError:
                pass
    for dirpath, _dirs, _files in os.walk(backup, topdown=False):
        try:
            os.rmdir(dirpath)  # only empty folders go; the backup itself too when nothing is left
        except OSError:
            pass
    return os.path.lexists(backup)


def removable_bytes(out: Path) -> tuple[int, list[Path]]:
    """What :func:`recover` would free (bytes, folders): for the plan's disk-space check."""
    found = []
    for p in leftovers(out):
        if writer_alive(p):
            continue
        if PARTIAL_TAG in p.name or (OLD_TAG in p.name and os.path.lexists(out)):
            found.append(p)
    return sum(folder_bytes(p) for p in found), found


# --- durability --------------------------------------------------------------------------------------


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (renames, new files) durable; a no-op where folders cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """fsync every file under ``root``, then every folder, deepest first."""
    for dirpath, dirs, files in os.walk(root, topdown=False):
        for name in files:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                continue
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(dirpath))


# --- the write itself --------------------------------------------------------------------------------


@contextmanager
def signals_deferred() -> Iterator[list[int]]:
    """Hold SIGINT and SIGTERM back during a step that must not stop half-way (renames, cleanup).

    Only the main thread receives signals; elsewhere this does nothing. The signals that came are
    listed in the yielded list; the caller decides (a cancel after the rename came too late).
    """
    got: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield got
        return
    saved = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            saved[sig] = signal.signal(sig, lambda s, _f: got.append(s))
        except (ValueError, OSError):
            pass
    try:
        yield got
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def start(out: Path) -> Path:
    """Create and return the staging folder for ``out`` (its parents too)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = staging_name(out)
    tmp.mkdir()
    return tmp


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """``with staged(out) as stage: ...write...; commit(stage, out)``: the staging folder is removed
    if the block fails or is cancelled, and a disk that filled up becomes one sentence."""
    stage = None
    try:
        stage = start(out)
        yield stage
    except BaseException as exc:
        if stage is not None:
            discard(stage)
        if is_disk_full(exc):
            raise disk_full_error(exc, out) from None
        raise


def discard(tmp: Path) -> None:
    """Remove a staging folder, uninterrupted by a second Ctrl-C."""
    with signals_deferred():
        shutil.rmtree(tmp, ignore_errors=True)


def commit(tmp: Path, out: Path, *, keep_old: bool = False) -> Optional[Path]:
    """Make the complete folder ``tmp`` durable and give it the name ``out``.

    An existing ``out`` is replaced only now: on Linux the two are exchanged in one step (so
    ``out`` is never missing) and the previous one removed; elsewhere, and with ``keep_old``
    (whose previous folder must never carry a partial folder's name), it is moved aside and the
    new one renamed in, then removed (or, with ``keep_old``, renamed to ``<out>.backup-<time>``
    and returned). Signals wait until the renames are done; if one came the work is complete
    anyway, so it is dropped.
    """
    fsync_tree(tmp)
    with signals_deferred():
        if not os.path.lexists(out):
            os.rename(tmp, out)
            fsync_dir(out.parent)
            return None
        if out.is_dir() and not any(out.iterdir()):  # an empty folder made for us: rename over it
            os.rename(tmp, out)
            fsync_dir(out.parent)
            return None
        if not keep_old and out.is_dir() and exchange(tmp, out):
            # one step: ``out`` is never missing; ``tmp``'s name now holds the previous output, which
            # goes below (or, if this process is killed first, with the next run's leftovers)
            fsync_dir(out.parent)
            old = tmp
        else:
            old = staging_name(out, REPLACED_TAG if keep_old else OLD_TAG)
            _swap_by_renames(tmp, out, old)
        if keep_old:
            backup = _backup_name(out)
            os.rename(old, backup)
            fsync_dir(out.parent)
            return backup
    shutil.rmtree(old, ignore_errors=True)
    return None


def _swap_by_renames(tmp: Path, out: Path, old: Path) -> None:
    """``out`` -> ``old``, then ``tmp`` -> ``out`` (undone if the second fails). Killed between
    the two, ``out`` is missing and ``old`` whole: :func:`recover` puts it back."""
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)
        raise
    fsync_dir(out.parent)


_AT_FDCWD, _RENAME_EXCHANGE = -100, 2
_NOT_SUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}


def exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns False where the system or the file system cannot (the caller then uses two renames).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # no libc symbol (glibc < 2.28, musl without it)
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    if fn(_AT_FDCWD, os.fsencode(str(a)), _AT_FDCWD, os.fsencode(str(b)), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in _NOT_SUPPORTED:
        return False
    raise OSError(err, os.strerror(err), str(b))


def disk_full_error(exc: OSError, out: Path) -> DiskFullError:
    """The one sentence for ENOSPC / EDQUOT / EFBIG while writing ``out``."""
    parent = out.parent
    from ..formats import format_size

    try:
        free = format_size(shutil.disk_usage(parent).free)
    except OSError:
        free = "?"
    key = ("refusal/quota" if exc.errno == errno.EDQUOT else
           "refusal/file-too-big" if exc.errno == errno.EFBIG else "refusal/disk-full")
    return DiskFullError(path=out, key=key, params={"out": str(out), "folder": str(parent), "free": free})


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in DISK_FULL


__all__ = ["PARTIAL_TAG", "OLD_TAG", "REPLACED_TAG", "DiskFullError", "start", "staged", "commit", "discard",
           "recover", "leftovers", "keep_changed", "removable_bytes", "fsync_tree", "fsync_dir", "writer_alive",
           "signals_deferred", "disk_full_error", "is_disk_full"]
