"""``descend compare``: several optimizers on one data set, side by side."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from . import options
from .common import announce_compilation, check_optimizers, progress

__all__ = ["COURSE_OPTIMIZERS", "compare", "register"]

COURSE_OPTIMIZERS = ("gd", "momentum", "adam")


def register(subparsers) -> None:
    """Add ``compare`` to the ``descend`` parser's subcommands."""
    p = subparsers.add_parser(
        "compare",
        help="train several optimizers on one data set and compare them",
        description="Train optimizers side by side. On moons (the default) this is the "
        "course recipe: the 300-point data set, network [2, 5, 2, 1], He initialisation, "
        "mini-batches of 64, learning rate 0.0007, 5000 epochs, accuracy on the training "
        "set. On any other data set each optimizer trains as descend train would (25% held "
        "out, its own default learning rate unless --learning-rate says otherwise, 50 "
        "epochs). The table and the figures show each optimizer's learning rate.",
    )
    options.add_data_options(
        p.add_argument_group("data"),
        default_dataset="moons",
        dataset_help="moons (the course recipe) or any data set of descend train",
        target=False,
    )
    options.add_network_options(
        p.add_argument_group("training"),
        epochs=None,
        epochs_help="epochs per optimizer",
        epochs_default_text="5000 on moons, else 50",
        hidden_help="hidden layer sizes off moons",
    )
    optimizer = p.add_argument_group("optimizers")
    options.add_optimizers_option(optimizer, default=COURSE_OPTIMIZERS)
    options.add_learning_rate_option(
        optimizer,
        help_text="one learning rate for all (0.01), or one per optimizer (gd=0.1,adam=0.001; "
        "a bare rate applies to those not named)",
        default_text="0.0007 on moons, else each optimizer's own: 0.1 for GD and momentum, "
        "0.001 for Adam-like rules, 0.01 for AdaGrad",
        per_optimizer=True,
    )
    options.add_backend_option(p)
    options.add_output_options(p.add_argument_group("output"), compare)


def _course_run(name: str, args: argparse.Namespace, bar) -> dict:
    """One optimizer on the course's moons recipe (textbook.fit, any optimizer)."""
    from .. import network, textbook, training
    from ..registry import make_optimizer
    from ..runs import Diverged

    X, Y = textbook.load_dataset()
    rate = options.rate_of(name, args.learning_rate, 0.0007)
    start = time.perf_counter()
    done = [0]

    def count(*_) -> None:  # returns None: never asks the loop to stop
        done[0] += 1
        bar.update(1)

    try:
        with np.errstate(over="ignore", invalid="ignore"):  # a divergence is reported below
            params, state, history = training.train(
                textbook.initialize_parameters([X.shape[0], 5, 2, 1]),
                (optimizer := make_optimizer(name, rate)),
                training.MiniBatches(X, Y, args.batch_size, seed=11, legacy=True),
                args.epochs or 5000,
                callback=count,
                backend=args.backend,
            )
    except ValueError as err:
        if "NaN or inf" not in str(err):
            raise
        raise Diverged(done[0], rate, str(err), name) from None
    params = optimizer.eval_params(params, state)  # Schedule-Free: evaluate at x (#13)
    return {
        "optimizer": name,
        "learning_rate": rate,
        "final_cost": history.costs[-1],
        "train_accuracy": float(np.mean(network.predict_labels(X, params) == Y)),
        "test_accuracy": None,
        "seconds": time.perf_counter() - start,
        "backend": history.backend,
        "costs": history.costs,
        "predict": lambda P, p=params: network.predict_labels(P.T, p)[0],
        "points": (X.T, Y[0]),
        "classes": ["0", "1"],
    }


def _dataset_run(name: str, args: argparse.Namespace, bar, data) -> dict:
    """One optimizer on a data set's held-out split (runs.run)."""
    from .. import network
    from ..registry import DEFAULT_RATES
    from ..runs import RunSettings, run

    settings = RunSettings(
        dataset=args.dataset,
        optimizer=name,
        learning_rate=options.rate_of(name, args.learning_rate, DEFAULT_RATES[name]),
        epochs=args.epochs or 50,
        batch_size=args.batch_size,
        hidden=tuple(args.hidden),
    )
    result = run(
        settings,
        data=data,
        on_epoch=lambda *_: bar.update(1),
        on_start=bar.start,
        backend=args.backend,
    )
    return {
        "optimizer": name,
        "learning_rate": settings.learning_rate,
        "final_cost": result.costs[-1],
        "train_accuracy": result.train_accuracy,
        "test_accuracy": result.test_accuracy,
        "seconds": result.seconds,
        "backend": result.backend,
        "costs": result.costs,
        "predict": lambda P, p=result.params: network.predict_labels(P.T, p)[0],
        "points": (data.X_train.T, data.y_train),
        "classes": [str(c) for c in data.labels],
    }


def compare(args: argparse.Namespace) -> int:
    """Train several optimizers on one data set; a table, cost curves and boundaries."""
    from .. import plots
    from ..runs import RunSettings, prepare_data

    check_optimizers(args.optimizers)
    options.check_rates_named(args.learning_rate, args.optimizers)
    course = args.dataset == "moons"
    data = None if course else prepare_data(RunSettings(dataset=args.dataset), args.data_dir)
    epochs = args.epochs or (5000 if course else 50)
    announce_compilation(args.backend, args.quiet)
    results = []
    for name in args.optimizers:
        with progress(epochs, f"{name:>8}", args.quiet) as bar:
            if course:
                results.append(_course_run(name, args, bar))
            else:
                results.append(_dataset_run(name, args, bar, data))

    out = Path(args.out)
    if course:
        title = f"Moons (course recipe), [2, 5, 2, 1], mini-batch {args.batch_size}"
    else:
        title = f"{args.dataset}, hidden {args.hidden}, mini-batch {args.batch_size}"
    curves = {f"{r['optimizer']} (α={r['learning_rate']:g})": r["costs"] for r in results}
    ax = plots.cost_curves(curves, title=title)
    figures = [plots.save(ax, out / "compare-costs.png")]
    points, labels = results[0]["points"]
    if points.shape[1] == 2 and len(np.unique(labels)) == 2:
        axes = plots.new_axes(len(results), width=4.5, height=4.0)
        for ax, r in zip(axes, results, strict=True):
            # the points are the training examples: say so, and add the held-out score
            score = f"training accuracy {r['train_accuracy']:.4f}"
            if not course:
                score += f", held-out {r['test_accuracy']:.4f}"
            plots.decision_boundary(
                r["predict"],
                points,
                labels,
                ax,
                title=f"{r['optimizer']} (α={r['learning_rate']:g})\n{score}",
                class_names=r["classes"],
                points="training examples",
            )
        figures.append(plots.save(axes[0], out / "compare-boundaries.png"))

    keys = (
        "optimizer",
        "learning_rate",
        "final_cost",
        "train_accuracy",
        "test_accuracy",
        "seconds",
        "backend",
    )
    if args.json:
        rows = [{k: r[k] for k in keys} for r in results]
        print(
            json.dumps(
                {
                    "dataset": args.dataset,
                    "epochs": epochs,
                    "results": rows,
                    "figures": [str(f) for f in figures],
                },
                indent=2,
            )
        )
        return 0
    held_out = "" if course else f" {'held-out':>9}"
    print(
        f"{'optimizer':<10} {'rate':>8} {'final cost':>10} {'train accuracy':>15}{held_out} "
        f"{'seconds':>8}"
    )
    for r in results:
        test = "" if course else f" {r['test_accuracy']:>9.4f}"
        print(
            f"{r['optimizer']:<10} {r['learning_rate']:>8g} {r['final_cost']:>10.6f} "
            f"{r['train_accuracy']:>15.4f}{test} {r['seconds']:>8.2f}"
        )
    print("figures:")
    for f in figures:
        print(f"  {f}")
    return 0
