"""The command line: ``mergesmith merge | convert | inspect | verify | fix | demo``, a front end over core.

Errors a person can act on are printed as one or two sentences on stderr, never a traceback.
Exit status: 0 success; 1 the result has problems of severity error; 2 unusable input or a plan
that cannot run (a disk that fills up while writing too); 3 an internal error (a bug: please report
it); 130 cancelled (Ctrl-C), 143 stopped by SIGTERM: in both cases nothing is left behind; 141
when whoever reads the output closed it early (`| head`), quietly, as a SIGPIPE would.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Optional, Sequence

from mergesmith.core import __version__
from mergesmith.core.errors import Cancelled, MergesmithError

from .arguments import check_inputs, name_argument
from .convert import add_convert
from .demo import add_demo
from .gguf import add_export_gguf
from .inspect import add_fix, add_inspect, add_verify
from .merge import add_merge
from .output import fail

# Each adds its subcommand to the parser; this order is the order of ``mergesmith --help``.
COMMANDS = (add_merge, add_convert, add_inspect, add_verify, add_fix, add_export_gguf, add_demo)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mergesmith",
        description="Turn fine-tuning output into a complete, deployable model folder, and check model folders.")
    p.add_argument("--version", action="version", version=f"mergesmith {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for add in COMMANDS:
        add(sub)
    return p


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the same clean-up runs."""


def _on_sigterm(_signum, _frame) -> None:
    raise Terminated()


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (an embedding program): leave SIGTERM alone
        previous = None
    try:
        check_inputs(args)
        return int(args.func(args) or 0)
    except Cancelled as exc:
        return fail(exc.message, 130)
    except Terminated:
        return fail("Stopped (SIGTERM); nothing was written.", 143)
    except KeyboardInterrupt:
        return fail("Cancelled; nothing was written.", 130)
    except MergesmithError as exc:
        return fail(name_argument(args, exc), exc.exit_code)
    except BrokenPipeError:  # `mergesmith inspect DIR | head`: the reader left; stop quietly, as SIGPIPE would
        _silence_stdout()
        return 141
    except Exception as exc:  # a bug: say so plainly, traceback only on request
        if os.environ.get("MERGESMITH_DEBUG"):
            raise
        return fail(f"internal error ({type(exc).__name__}: {exc}). This is a bug in Mergesmith; "
                     "please report it with the command you ran (MERGESMITH_DEBUG=1 shows the traceback).", 3)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing what is left of it cannot fail again at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout replaced by an object without a descriptor
        pass


def entry() -> None:
    """The console script: ``main()``, then a fast exit.

    Everything is written and closed by the time ``main`` returns; tearing down torch's (and, after
    a full check, transformers') modules would only add half a second or more to every command.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
