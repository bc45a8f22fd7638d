"""The ``descend`` command.

Every expected error (bad arguments, bad data, bad files) ends with one line
on stderr, ``descend: error: ...``, and a non-zero exit status: 2 for usage
errors, 1 for the rest. ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import __version__

__all__ = ["main"]

COURSE_OPTIMIZERS = ("gd", "momentum", "adam")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _progress(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(
        total=total, desc=desc, unit="epoch", file=sys.stderr, mininterval=0.25, dynamic_ncols=True
    )


def compare(args: argparse.Namespace) -> int:
    """Train GD, momentum and Adam on moons with the course recipe; table and figures."""
    from . import network, plots, textbook

    X, Y = textbook.load_dataset()
    layers_dims = [X.shape[0], 5, 2, 1]
    results = []
    for name in COURSE_OPTIMIZERS:
        with _progress(args.epochs, f"{name:>8}") as bar:
            start = time.perf_counter()
            params, history = textbook.fit(
                X,
                Y,
                layers_dims,
                name,
                learning_rate=args.learning_rate,
                mini_batch_size=args.batch_size,
                num_epochs=args.epochs,
                callback=lambda *_: bar.update(1),
            )
            seconds = time.perf_counter() - start
        accuracy = float(np.mean(network.predict_labels(X, params) == Y))
        results.append(
            {
                "optimizer": name,
                "final_cost": history.costs[-1],
                "train_accuracy": accuracy,
                "seconds": seconds,
                "costs": history.costs,
                "params": params,
            }
        )

    out = Path(args.out)
    ax = plots.cost_curves(
        {r["optimizer"]: r["costs"] for r in results},
        title=f"Moons, {layers_dims}, mini-batch {args.batch_size}",
    )
    figures = [plots.save(ax, out / "compare-costs.png")]
    axes = plots.new_axes(len(results), width=4.5, height=4.0)
    for ax, r in zip(axes, results, strict=True):
        plots.decision_boundary(
            lambda P, p=r["params"]: network.predict_labels(P.T, p)[0],
            X.T,
            Y,
            ax,
            title=f"{r['optimizer']}: accuracy {r['train_accuracy']:.4f}",
        )
    figures.append(plots.save(axes[0], out / "compare-boundaries.png"))

    if args.json:
        rows = [
            {k: r[k] for k in ("optimizer", "final_cost", "train_accuracy", "seconds")}
            for r in results
        ]
        print(json.dumps({"results": rows, "figures": [str(f) for f in figures]}, indent=2))
        return 0
    print(f"{'optimizer':<10} {'final cost':>10} {'train accuracy':>15} {'seconds':>8}")
    for r in results:
        print(
            f"{r['optimizer']:<10} {r['final_cost']:>10.6f} {r['train_accuracy']:>15.4f} "
            f"{r['seconds']:>8.2f}"
        )
    print("figures:")
    for f in figures:
        print(f"  {f}")
    return 0


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of names")
    return names


def _check_optimizers(names: Sequence[str]) -> None:
    from .registry import NAMES

    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise ValueError(f"unknown optimizer {unknown[0]!r} (expected one of: {', '.join(NAMES)})")


def trajectory(args: argparse.Namespace) -> int:
    """Paths of optimizers on a 2-D loss surface, and SGD against batch GD."""
    from . import plots, surfaces
    from .registry import make_optimizer

    _check_optimizers(args.optimizers)
    surface = surfaces.get_surface(args.surface)
    steps = args.steps or surface.steps
    paths, rows = {}, []
    for name in args.optimizers:
        rate = args.learning_rate or surface.learning_rates[name]
        path = surfaces.run_path(surface, make_optimizer(name, rate), steps)
        paths[f"{name} (α={rate:g})"] = path
        end = path[-1]
        rows.append(
            {
                "optimizer": name,
                "learning_rate": rate,
                "steps": steps,
                "end": [float(end[0]), float(end[1])],
                "loss": surface.loss(end),
                "distance_to_minimum": float(np.hypot(*(end - surface.minimum))),
            }
        )
    out = Path(args.out)
    ax = plots.contour_paths(
        surface.loss,
        surface.extent,
        paths,
        minimum=surface.minimum,
        log_levels=surface.log_levels,
        title=f"{surface.title}: {steps} steps",
    )
    figures = [plots.save(ax, out / f"trajectory-{surface.name}.png")]

    data = surfaces.get_surface("logistic")
    rate, noisy_steps = 0.5, 150
    noisy = {
        f"batch GD (all {data.n_examples})": surfaces.run_path(
            data, make_optimizer("gd", rate), noisy_steps
        ),
        "mini-batch GD (32)": surfaces.run_path(
            data, make_optimizer("gd", rate), noisy_steps, batch_size=32, seed=args.seed
        ),
        "SGD (1)": surfaces.run_path(
            data, make_optimizer("gd", rate), noisy_steps, batch_size=1, seed=args.seed
        ),
    }
    ax = plots.contour_paths(
        data.loss,
        data.extent,
        noisy,
        minimum=data.minimum,
        title=f"SGD against batch GD, α={rate:g}, {noisy_steps} updates",
    )
    figures.append(plots.save(ax, out / "trajectory-sgd-vs-gd.png"))

    if args.json:
        print(
            json.dumps(
                {
                    "surface": surface.name,
                    "minimum": list(surface.minimum),
                    "results": rows,
                    "figures": [str(f) for f in figures],
                },
                indent=2,
            )
        )
        return 0
    print(f"{surface.title}; minimum at ({surface.minimum[0]:.4g}, {surface.minimum[1]:.4g})")
    print(
        f"{'optimizer':<10} {'rate':>8} {'steps':>6} {'end point':>20} {'loss':>11} {'distance':>9}"
    )
    for r in rows:
        end = f"({r['end'][0]:.4f}, {r['end'][1]:.4f})"
        print(
            f"{r['optimizer']:<10} {r['learning_rate']:>8g} {r['steps']:>6} {end:>20} "
            f"{r['loss']:>11.4e} {r['distance_to_minimum']:>9.2e}"
        )
    print("figures:")
    for f in figures:
        print(f"  {f}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="descend",
        description="Train neural networks with gradient descent, and compare optimizers.",
    )
    parser.add_argument("--version", action="version", version=f"descend {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "compare",
        help="train GD, momentum and Adam on the moons data and compare them",
        description="Train GD, momentum and Adam on the 300-point moons data set with the "
        "course recipe (network [2, 5, 2, 1], He initialisation, mini-batches of 64, "
        "learning rate 0.0007), print a table and write figures.",
    )
    p.add_argument(
        "--epochs",
        type=_positive_int,
        default=5000,
        help="epochs per optimizer (default: %(default)s)",
    )
    p.add_argument(
        "--learning-rate",
        type=_positive_float,
        default=0.0007,
        help="learning rate α (default: %(default)s)",
    )
    p.add_argument(
        "--batch-size",
        type=_positive_int,
        default=64,
        help="mini-batch size (default: %(default)s)",
    )
    p.add_argument(
        "--out", default="descend-out", help="folder for the PNG figures (default: %(default)s)"
    )
    p.add_argument(
        "--json", action="store_true", help="print the results as JSON on stdout instead of a table"
    )
    p.set_defaults(run=compare)

    from .surfaces import SURFACES

    p = sub.add_parser(
        "trajectory",
        help="draw optimizer paths on a 2-D loss surface",
        description="Run optimizers from the same start on a two-parameter loss surface and "
        "draw their paths over its contours; also draw SGD (batch size 1) and mini-batch GD "
        "against batch GD on the logistic-regression surface, to show SGD's oscillation.",
    )
    p.add_argument(
        "--surface",
        choices=list(SURFACES),
        default="quadratic",
        help="the loss surface (default: %(default)s)",
    )
    p.add_argument(
        "--optimizers",
        type=_names,
        default=["gd", "momentum", "adam"],
        help="comma-separated optimizer names (default: gd,momentum,adam)",
    )
    p.add_argument(
        "--steps",
        type=_positive_int,
        default=None,
        help="updates per optimizer (default: the surface's own)",
    )
    p.add_argument(
        "--learning-rate",
        type=_positive_float,
        default=None,
        help="one learning rate for all (default: a tuned rate per optimizer)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the SGD sampling")
    p.add_argument(
        "--out", default="descend-out", help="folder for the PNG figures (default: %(default)s)"
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(run=trajectory)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError, OSError) as err:
        if args.debug:
            raise
        print(f"descend: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("descend: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
