"""``descend trajectory``: optimizer paths on a 2-D loss surface, and SGD against batch GD."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from . import options
from .common import check_optimizers

__all__ = ["register", "trajectory"]


def register(subparsers) -> None:
    """Add ``trajectory`` to the ``descend`` parser's subcommands."""
    from ..surfaces import SURFACES

    p = subparsers.add_parser(
        "trajectory",
        help="draw optimizer paths on a 2-D loss surface",
        description="Run optimizers from the same start on a two-parameter loss surface and "
        "draw their paths over its contours; also draw SGD (batch size 1) and mini-batch GD "
        "against batch GD on the logistic-regression surface, to show SGD's oscillation.",
    )
    surface = p.add_argument_group("surface")
    surface.add_argument(
        "--surface",
        choices=list(SURFACES),
        default="quadratic",
        help="the loss surface (default: %(default)s)",
    )
    surface.add_argument(
        "--steps",
        type=options.positive_int,
        default=None,
        metavar="N",
        help="updates per optimizer (default: the surface's own)",
    )
    options.add_seed_option(surface, help_text="seed of the SGD sampling")

    optimizer = p.add_argument_group("optimizers")
    options.add_optimizers_option(optimizer, default=("gd", "momentum", "adam"))
    options.add_learning_rate_option(
        optimizer,
        help_text="one learning rate for all (0.01), or one per optimizer (gd=0.002,adam=0.02)",
        default_text="a tuned rate per optimizer and surface",
        per_optimizer=True,
    )
    options.add_output_options(p.add_argument_group("output"), trajectory)


def trajectory(args: argparse.Namespace) -> int:
    """Paths of optimizers on a 2-D loss surface, and SGD against batch GD."""
    from .. import plots, surfaces
    from ..registry import make_optimizer

    check_optimizers(args.optimizers)
    options.check_rates_named(args.learning_rate, args.optimizers)
    surface = surfaces.get_surface(args.surface)
    steps = args.steps or surface.steps
    paths, rows = {}, []
    for name in args.optimizers:
        rate = options.rate_of(name, args.learning_rate, None)
        if rate is None:
            if name not in surface.learning_rates:
                raise ValueError(
                    f"no tuned learning rate for {name!r} on the {surface.name} surface: "
                    f"give one, --learning-rate {name}=RATE"
                )
            rate = surface.learning_rates[name]
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
        labels=surface.axes,
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
        labels=data.axes,
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
