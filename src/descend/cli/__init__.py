"""The ``descend`` command.

Every expected error (bad arguments, bad data, bad files) ends with one line
on stderr, ``descend: error: ...``, and a non-zero exit status: 2 for usage
errors (argparse's too: :class:`Parser` prints one line, not the usage block),
1 for the rest. ``--debug`` shows the traceback instead, and ``--quiet`` hides
the progress bars and notes; both may come before or after the command.

Each command is a module of this package (``compare``, ``train``, ``predict``,
``sweep``, ``trajectory``, ``check``, ``lab``) with a ``register(subparsers)`` that
declares its options,
mostly through the shared groups of :mod:`descend.cli.options`, and the
function that runs it. Nothing heavy (matplotlib, scikit-learn, Numba, Dask,
MPI) is imported until a command needs it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from . import check, compare, lab, predict, sweep, train, trajectory
from .common import mpi_launch
from .compare import COURSE_OPTIMIZERS
from .train import runs_predict

__all__ = ["COURSE_OPTIMIZERS", "build_parser", "main", "runs_predict"]

COMMANDS = (compare, train, predict, sweep, trajectory, check, lab)


class Parser(argparse.ArgumentParser):
    """argparse's parser with its usage errors on one line: ``descend: error: ...``, status 2."""

    def error(self, message: str):
        hint = f" (see {self.prog} --help)"
        self.exit(2, f"descend: error: {message}{hint}\n")


#: Options of every command, accepted before the command's name and after it.
_GLOBAL_FLAGS = (
    ("--debug", "show the full traceback of an error"),
    (
        "--quiet",
        "no progress bars or notes on stderr (they are off anyway when stderr is not a terminal)",
    ),
)


def build_parser() -> argparse.ArgumentParser:
    """The ``descend`` parser, with one subcommand per module of :data:`COMMANDS`."""
    parser = Parser(
        prog="descend",
        description="Train neural networks with gradient descent, and compare optimizers.",
        epilog="descend COMMAND --help describes the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"descend {__version__}")
    for flag, text in _GLOBAL_FLAGS:
        parser.add_argument(flag, action="store_true", help=text)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    for sub in subparsers.choices.values():
        # after the command too; SUPPRESS keeps the value given before it
        for flag, text in _GLOBAL_FLAGS:
            if flag not in sub._option_string_actions:
                sub.add_argument(flag, action="store_true", default=argparse.SUPPRESS, help=text)
    return parser


def _interrupted(args: argparse.Namespace) -> str:
    """The line printed after Ctrl-C; it says how to resume when a checkpoint exists."""
    from pathlib import Path

    checkpoint = getattr(args, "checkpoint", None)
    if not checkpoint or not Path(checkpoint).is_file():
        return "descend: interrupted"
    try:
        import numpy as np

        with np.load(checkpoint, allow_pickle=False) as saved:
            when = f" after epoch {int(saved['epoch'])}"
    except Exception:  # any trouble reading it is the resume's to report
        when = ""
    again = (
        "the same command" if getattr(args, "resume", False) else "the same command with --resume"
    )
    return f"descend: interrupted; checkpoint {checkpoint} was saved{when}: run {again} to continue"


def _refuse_mpi_launch(args: argparse.Namespace) -> int | None:
    """Exit status 2 when mpiexec started this process without --distributed mpi, else None."""
    launch = mpi_launch()
    if launch is None or getattr(args, "distributed", None) == "mpi":
        return None
    size, rank = launch
    if args.command == "train":
        fix = "add --distributed mpi to share one training among them"
    else:
        fix = f"descend {args.command} runs in one process: start it without mpiexec"
    if rank == 0:  # one line, not one per process
        print(
            f"descend: error: started by mpiexec as {size} processes, which would run {size} "
            f"copies of the same job writing the same files; {fix}",
            file=sys.stderr,
        )
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    refused = _refuse_mpi_launch(args)
    if refused is not None:
        return refused
    try:
        return args.run(args)
    except BrokenPipeError:  # stdout closed early (descend ... | head): stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (ValueError, TypeError, OSError, ImportError) as err:
        if args.debug:
            raise
        err = getattr(err, "command_line_message", err)  # e.g. runs.Diverged names the option
        comm = getattr(args, "comm", None)
        if comm is not None and comm.Get_size() > 1:
            # one rank failing must end them all, never leave the others hanging
            print(f"descend: error: rank {comm.Get_rank()}: {err}", file=sys.stderr, flush=True)
            comm.Abort(1)
        print(f"descend: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(_interrupted(args), file=sys.stderr)
        return 130
