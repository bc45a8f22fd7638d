"""``descend lab``: serve the interactive page where learners watch the update rules work."""

from __future__ import annotations

import argparse

__all__ = ["lab", "port", "register"]


def port(text: str) -> int:
    """``"8765"`` -> 8765; a TCP port from 0 (any free one) to 65535."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return int(text)


def register(subparsers) -> None:
    """Add ``lab`` to the ``descend`` parser's subcommands."""
    p = subparsers.add_parser(
        "lab",
        help="open an interactive page of optimizer paths, rates and internals",
        description="Start a local web server and open its page: optimizer paths over the "
        "contours of two-parameter losses (a quadratic bowl with a chosen condition number, "
        "Rosenbrock, a saddle, a function with six minima, logistic regression with a "
        "batch-size slider), the loss against the step with the theoretical rates, and the "
        "optimizer's state at every step. Every number is computed by descend. Needs the lab "
        "extra: pip install 'descend[lab]'.",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default: %(default)s, this machine only)",
    )
    p.add_argument(
        "--port",
        type=port,
        default=None,
        metavar="N",
        help="the port (default: 8765; 0 picks a free one)",
    )
    p.add_argument(
        "--no-browser",
        dest="browser",
        action="store_false",
        help="do not open the page in a web browser",
    )
    p.set_defaults(run=lab)


def lab(args: argparse.Namespace) -> int:
    """Serve the lab until Ctrl-C."""
    try:
        from ..lab.server import PORT, serve
    except ImportError as err:
        raise ImportError(
            f"descend lab needs the lab extra ({err.name} is missing): pip install 'descend[lab]'"
        ) from None
    serve(host=args.host, port=PORT if args.port is None else args.port, open_browser=args.browser)
    return 0
