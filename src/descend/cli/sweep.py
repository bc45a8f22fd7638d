"""``descend sweep``: every optimizer x learning rate x seed as a Dask task."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from . import options
from .common import check_optimizers, progress

__all__ = ["register", "sweep"]


def register(subparsers) -> None:
    """Add ``sweep`` to the ``descend`` parser's subcommands."""
    p = subparsers.add_parser(
        "sweep",
        help="train every optimizer x learning rate x seed on Dask and rank them",
        description="Run descend train for every combination of optimizer, learning rate and "
        "seed as Dask tasks, on a local cluster of --workers processes or on a running "
        "scheduler (--scheduler). Each run equals descend train with the same settings.",
    )
    options.add_data_options(p.add_argument_group("data"), default_dataset="digits")
    options.add_network_options(
        p.add_argument_group("training"), epochs=20, epochs_help="epochs per run"
    )

    grid = p.add_argument_group("grid (every combination is one run)")
    options.add_optimizers_option(grid, default=("adam", "momentum"))
    grid.add_argument(
        "--learning-rates",
        type=options.rates,
        default=[0.001, 0.01],
        metavar="RATES",
        help="comma-separated learning rates (default: 0.001,0.01)",
    )
    grid.add_argument(
        "--seeds",
        type=options.seeds,
        default=[0, 1],
        metavar="SEEDS",
        help="comma-separated seeds, each for the split, the initial weights and the "
        "batches (default: 0,1)",
    )

    where = p.add_argument_group("Dask").add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=options.positive_int,
        default=2,
        metavar="N",
        help="worker processes of the local cluster (default: %(default)s)",
    )
    where.add_argument(
        "--scheduler",
        default=None,
        metavar="tcp://HOST:PORT",
        help="use the Dask cluster of this scheduler instead",
    )
    options.add_output_options(p.add_argument_group("output"), sweep)


def sweep(args: argparse.Namespace) -> int:
    """Every optimizer x learning rate x seed as a Dask task; a ranked table and a figure."""
    from .. import plots
    from ..runs import RunSettings

    check_optimizers(args.optimizers)
    try:
        from ..parallel.sweep import grid
        from ..parallel.sweep import sweep as run_sweep
    except ImportError as err:
        raise ImportError(
            f"descend sweep needs Dask: pip install 'descend[dask]' ({err})"
        ) from None
    base = RunSettings(
        dataset=args.dataset,
        epochs=args.epochs,
        batch_size=args.batch_size,
        hidden=tuple(args.hidden),
        target=args.target,
    )
    settings = grid(base, args.optimizers, args.learning_rates, args.seeds)
    start = time.perf_counter()
    with progress(len(settings), "sweep", args.quiet, unit="run") as bar:
        bar.start()
        result = run_sweep(
            settings,
            workers=args.workers,
            scheduler=args.scheduler,
            data_dir=args.data_dir,
            on_done=lambda row: bar.update(1),
        )
    seconds = time.perf_counter() - start
    ax = plots.accuracy_by_rate(
        result.rows,
        title=f"{args.dataset}: {args.epochs} epochs, seeds {','.join(map(str, args.seeds))}",
    )
    figure = plots.save(ax, Path(args.out) / "sweep-accuracy.png")
    if args.json:
        print(
            json.dumps(
                {
                    "runs": result.ranked(),
                    "retried": result.retried,
                    "workers": result.workers,
                    "scheduler": result.address,
                    "seconds": seconds,
                    "figures": [str(figure)],
                },
                indent=2,
            )
        )
        return 0
    print(
        f"{len(settings)} runs on {result.workers} Dask workers ({result.address}) "
        f"in {seconds:.1f} s"
    )
    print(
        f"{'optimizer':<10} {'rate':>8} {'seed':>5} {'held-out':>9} {'train':>7} "
        f"{'final cost':>11} {'seconds':>8}"
    )
    for r in result.ranked():
        print(
            f"{r['optimizer']:<10} {r['learning_rate']:>8g} {r['seed']:>5} "
            f"{r['test_accuracy']:>9.4f} {r['train_accuracy']:>7.4f} {r['final_cost']:>11.6f} "
            f"{r['seconds']:>8.2f}"
        )
    for r in result.retried:
        print(
            f"retried after {r['worker_deaths']} worker death(s): {r['optimizer']} "
            f"rate {r['learning_rate']:g} seed {r['seed']}"
        )
    print(f"figure: {figure}")
    return 0
