"""The final rename never replaces an output the run did not plan to replace.

* :func:`land` renames the finished staging folder to ``out`` only if ``out`` does not exist, in
  one step that cannot race: Linux ``renameat2(RENAME_NOREPLACE)``; where that is missing (another
  system, an old libc, a file system that refuses the flag), **mkdir-based**: ``mkdir(out)``
  claims the name (it fails if ``out`` exists), then the staging folder is renamed over that empty
  folder, which ``rename`` refuses (ENOTEMPTY) if anything was put into it meanwhile.
* :func:`identity` records what an output is at plan time (device, inode and mtime of the folder,
  and of every file in it), so that ``--overwrite`` and an in-place fix replace only the output
  they planned to replace, and refuse one that changed meanwhile.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import Optional

from ..errors import PlanError

_AT_FDCWD, _RENAME_NOREPLACE = -100, 1
_NOT_SUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}


class OutputAppearedError(PlanError):
    """The output appeared (or changed) while this run was writing; nothing was replaced."""


Identity = Optional[tuple]  # None: the output did not exist


def identity(out: Path) -> Identity:
    """What ``out`` is now: (dev, ino, mtime of the folder, and (name, ino, size, mtime) of every
    entry under it); None when it does not exist. Renaming the folder keeps it the same."""
    try:
        st = os.lstat(out)
    except FileNotFoundError:
        return None
    entries = []
    if os.path.isdir(out) and not os.path.islink(out):
        for root, dirs, files in os.walk(out):
            for name in sorted(dirs + files):
                full = os.path.join(root, name)
                try:
                    s = os.lstat(full)
                except OSError:
                    continue
                entries.append((os.path.relpath(full, out), s.st_ino, s.st_size, s.st_mtime_ns))
    return (st.st_dev, st.st_ino, st.st_mtime_ns, tuple(sorted(entries)))


def renameat2(a: Path, b: Path, flags: int) -> Optional[bool]:
    """``renameat2(a, b, flags)``: True done; False ``b`` exists (EEXIST); None not available here."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # no libc symbol (glibc < 2.28, musl without it)
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    if fn(_AT_FDCWD, os.fsencode(str(a)), _AT_FDCWD, os.fsencode(str(b)), flags) == 0:
        return True
    err = ctypes.get_errno()
    if err == errno.EEXIST:
        return False
    if err in _NOT_SUPPORTED:
        return None
    raise OSError(err, os.strerror(err), str(b))


def method() -> str:
    """How :func:`land` refuses to replace on this system (for the docs and the tests)."""
    return "renameat2(RENAME_NOREPLACE)" if sys.platform.startswith("linux") and _hasrenameat2() else "mkdir-based"


def _hasrenameat2() -> bool:
    try:
        import ctypes

        ctypes.CDLL(None).renameat2  # noqa: B018
        return True
    except (OSError, AttributeError):
        return False


def land(tmp: Path, out: Path, *, fallback: bool = False) -> bool:
    """Rename ``tmp`` to ``out`` unless ``out`` exists; False (``tmp`` untouched) if it does.

    ``fallback`` uses the mkdir-based way even where renameat2 works (the tests run both)."""
    done = None if fallback else renameat2(tmp, out, _RENAME_NOREPLACE)
    if done is not None:
        return done
    try:
        os.mkdir(out)
    except FileExistsError:
        return False
    try:
        os.rename(tmp, out)  # over the empty folder just made; refused if someone filled it
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            return False
        try:
            os.rmdir(out)
        except OSError:
            pass
        raise
    return True


def land_file(tmp: Path, out: Path) -> bool:
    """Rename the file ``tmp`` to ``out`` unless ``out`` exists; False (``tmp`` untouched) if it does.

    renameat2(RENAME_NOREPLACE) where there is one, else a hard link (which refuses an existing name
    as atomically) and the removal of ``tmp``."""
    done = renameat2(tmp, out, _RENAME_NOREPLACE)
    if done is not None:
        return done
    try:
        os.link(tmp, out)
    except FileExistsError:
        return False
    os.unlink(tmp)
    return True


def appeared(out: Path) -> OutputAppearedError:
    return OutputAppearedError(
        f"{out} appeared while this run was writing (another program made it); it was left as it is and "
        "this run's output was removed. Choose another output folder, or allow overwriting to replace it.",
        path=out)


def changed(out: Path) -> OutputAppearedError:
    return OutputAppearedError(
        f"{out} changed while this run was writing (another program replaced or wrote into it); it was left "
        "as it is and this run's output was removed. Look at what is there now, then run again.",
        path=out)


__all__ = ["OutputAppearedError", "identity", "land", "renameat2", "method", "appeared", "changed"]
