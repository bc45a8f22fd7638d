"""The ``descend`` command.

Every expected error (bad arguments, bad data, bad files) ends with one line
on stderr, ``descend: error: ...``, and a non-zero exit status: 2 for usage
errors, 1 for the rest. ``--debug`` shows the traceback instead.

Each command is a module of this package (``compare``, ``train``, ``sweep``,
``trajectory``, ``check``) with a ``register(subparsers)`` that declares its options,
mostly through the shared groups of :mod:`descend.cli.options`, and the
function that runs it. Nothing heavy (matplotlib, scikit-learn, Numba, Dask,
MPI) is imported until a command needs it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from . import check, compare, lab, sweep, train, trajectory
from .compare import COURSE_OPTIMIZERS
from .train import runs_predict

__all__ = ["COURSE_OPTIMIZERS", "build_parser", "main", "runs_predict"]

COMMANDS = (compare, train, sweep, trajectory, check, lab)


def build_parser() -> argparse.ArgumentParser:
    """The ``descend`` parser, with one subcommand per module of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="descend",
        description="Train neural networks with gradient descent, and compare optimizers.",
        epilog="descend COMMAND --help describes the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"descend {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError, OSError, ImportError) as err:
        if args.debug:
            raise
        comm = getattr(args, "comm", None)
        if comm is not None and comm.Get_size() > 1:
            # one rank failing must end them all, never leave the others hanging
            print(f"descend: error: rank {comm.Get_rank()}: {err}", file=sys.stderr, flush=True)
            comm.Abort(1)
        print(f"descend: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("descend: interrupted", file=sys.stderr)
        return 130
