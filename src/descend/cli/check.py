"""``descend check``: are a learner's own update rules right, and if not, what is wrong."""

from __future__ import annotations

import argparse
import sys

from . import options

__all__ = ["check", "register"]


def register(subparsers) -> None:
    """Add ``check`` to the ``descend`` parser's subcommands."""
    from ..checker import COURSE_FUNCTIONS, TIME_LIMIT

    p = subparsers.add_parser(
        "check",
        help="check your own update rules (a .py file or a notebook) against descend's",
        description="Run the course functions that FILE defines (update_parameters_with_gd, "
        "random_mini_batches, initialize_velocity, update_parameters_with_momentum, "
        "initialize_adam, update_parameters_with_adam, update_lr, schedule_lr_decay) on "
        "generated cases, compare them with descend's, and for each one that differs show the "
        "first case, value and element, and the known mistake it matches. From a notebook only "
        "the imports and definitions are run. Exit status: 0 when everything checked passes, "
        "1 when something fails, 2 for a usage error.",
    )
    p.add_argument("file", metavar="FILE", help="a .py module or a .ipynb notebook")
    p.add_argument(
        "--functions",
        type=options.names,
        default=None,
        metavar="NAMES",
        help=f"comma-separated names among {', '.join(COURSE_FUNCTIONS)} "
        "(default: every one FILE defines)",
    )
    p.add_argument(
        "--time-limit",
        type=options.positive_float,
        default=TIME_LIMIT,
        metavar="SECONDS",
        help="time for all the cases of one function, after FILE has loaded (default: %(default)g)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    p.set_defaults(run=check)


def check(args: argparse.Namespace) -> int:
    """Print the report; 0 when every checked function passes, 1 if not, 2 for usage errors."""
    from ..checker import UsageError
    from ..checker import check as run_check

    try:
        report = run_check(args.file, args.functions, time_limit=args.time_limit)
    except UsageError as err:
        print(f"descend: error: {err}", file=sys.stderr)
        return 2
    print(report.to_json() if args.json else report.format())
    return report.exit_status
