"""The ``descend`` command.

Every expected error (bad arguments, bad data, bad files) ends with one line
on stderr, ``descend: error: ...``, and a non-zero exit status: 2 for usage
errors, 1 for the rest. ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import contextlib
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


def _progress(total: int, desc: str, disable: bool = False, unit: str = "epoch"):
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        mininterval=0.25,
        dynamic_ncols=True,
        disable=disable,
    )


def _course_run(name: str, args: argparse.Namespace, bar) -> dict:
    """One optimizer on the course's moons recipe (textbook.fit, any optimizer)."""
    from . import network, textbook, training
    from .registry import make_optimizer

    X, Y = textbook.load_dataset()
    rate = args.learning_rate or 0.0007
    start = time.perf_counter()
    params, _, history = training.train(
        textbook.initialize_parameters([X.shape[0], 5, 2, 1]),
        make_optimizer(name, rate),
        training.MiniBatches(X, Y, args.batch_size, seed=11, legacy=True),
        args.epochs or 5000,
        callback=lambda *_: bar.update(1),
    )
    return {
        "optimizer": name,
        "learning_rate": rate,
        "final_cost": history.costs[-1],
        "train_accuracy": float(np.mean(network.predict_labels(X, params) == Y)),
        "test_accuracy": None,
        "seconds": time.perf_counter() - start,
        "costs": history.costs,
        "predict": lambda P, p=params: network.predict_labels(P.T, p)[0],
        "points": (X.T, Y[0]),
    }


def _dataset_run(name: str, args: argparse.Namespace, bar, data) -> dict:
    """One optimizer on a data set's held-out split (runs.run)."""
    from . import network
    from .registry import DEFAULT_RATES
    from .runs import RunSettings, run

    settings = RunSettings(
        dataset=args.dataset,
        optimizer=name,
        learning_rate=args.learning_rate or DEFAULT_RATES[name],
        epochs=args.epochs or 50,
        batch_size=args.batch_size,
        hidden=tuple(args.hidden),
    )
    result = run(settings, data=data, on_epoch=lambda *_: bar.update(1))
    return {
        "optimizer": name,
        "learning_rate": settings.learning_rate,
        "final_cost": result.costs[-1],
        "train_accuracy": result.train_accuracy,
        "test_accuracy": result.test_accuracy,
        "seconds": result.seconds,
        "costs": result.costs,
        "predict": lambda P, p=result.params: network.predict_labels(P.T, p)[0],
        "points": (data.X_train.T, data.y_train),
    }


def compare(args: argparse.Namespace) -> int:
    """Train several optimizers on one data set; a table, cost curves and boundaries."""
    from . import plots
    from .runs import RunSettings, prepare_data

    _check_optimizers(args.optimizers)
    course = args.dataset == "moons"
    data = None if course else prepare_data(RunSettings(dataset=args.dataset), args.data_dir)
    epochs = args.epochs or (5000 if course else 50)
    results = []
    for name in args.optimizers:
        with _progress(epochs, f"{name:>8}") as bar:
            if course:
                results.append(_course_run(name, args, bar))
            else:
                results.append(_dataset_run(name, args, bar, data))

    out = Path(args.out)
    if course:
        title = f"Moons (course recipe), [2, 5, 2, 1], mini-batch {args.batch_size}"
    else:
        title = f"{args.dataset}, hidden {args.hidden}, mini-batch {args.batch_size}"
    ax = plots.cost_curves({r["optimizer"]: r["costs"] for r in results}, title=title)
    figures = [plots.save(ax, out / "compare-costs.png")]
    points, labels = results[0]["points"]
    if points.shape[1] == 2 and len(np.unique(labels)) == 2:
        axes = plots.new_axes(len(results), width=4.5, height=4.0)
        for ax, r in zip(axes, results, strict=True):
            accuracy = r["train_accuracy"] if course else r["test_accuracy"]
            which = "accuracy" if course else "held-out accuracy"
            plots.decision_boundary(
                r["predict"], points, labels, ax, title=f"{r['optimizer']}: {which} {accuracy:.4f}"
            )
        figures.append(plots.save(axes[0], out / "compare-boundaries.png"))

    keys = (
        "optimizer",
        "learning_rate",
        "final_cost",
        "train_accuracy",
        "test_accuracy",
        "seconds",
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
    print(f"{'optimizer':<10} {'final cost':>10} {'train accuracy':>15}{held_out} {'seconds':>8}")
    for r in results:
        test = "" if course else f" {r['test_accuracy']:>9.4f}"
        print(
            f"{r['optimizer']:<10} {r['final_cost']:>10.6f} {r['train_accuracy']:>15.4f}"
            f"{test} {r['seconds']:>8.2f}"
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


def train(args: argparse.Namespace) -> int:
    """Train a classifier on a data set; report accuracies, write figures and files."""
    from . import plots
    from .checkpoint import save_params
    from .registry import DEFAULT_RATES
    from .runs import RunSettings, prepare_data, run

    _check_optimizers([args.optimizer])
    if args.resume and not args.checkpoint:
        raise ValueError("--resume needs --checkpoint PATH")
    comm = None
    if args.distributed == "mpi":
        from .parallel.mpi import limit_blas_threads, world

        comm = args.comm = world()
    leader = comm is None or comm.Get_rank() == 0
    settings = RunSettings(
        dataset=args.dataset,
        optimizer=args.optimizer,
        learning_rate=args.learning_rate or DEFAULT_RATES[args.optimizer],
        epochs=args.epochs,
        batch_size=args.batch_size,
        hidden=tuple(args.hidden),
        seed=args.seed,
        target=args.target,
    )
    data = prepare_data(settings, args.data_dir)
    with (
        contextlib.nullcontext() if comm is None else limit_blas_threads(comm),
        _progress(settings.epochs, args.optimizer, disable=not leader) as bar,
    ):
        result = run(
            settings,
            data=data,
            checkpoint=args.checkpoint,
            checkpoint_every=args.checkpoint_every,
            resume=args.resume,
            on_epoch=lambda epoch, cost: (bar.update(1), bar.set_postfix(cost=f"{cost:.4f}")),
            comm=comm,
        )
    if not leader:
        return 0
    summary = result.summary()
    summary["ranks"] = 1 if comm is None else comm.Get_size()
    figures = []
    if args.save:
        summary["saved"] = str(save_params(args.save, result.params))
    if result.costs:
        ax = plots.cost_curves(
            {args.optimizer: result.costs}, title=f"{args.dataset}: hidden {list(settings.hidden)}"
        )
        figures.append(plots.save(ax, Path(args.out) / "train-cost.png"))
    if data.X_train.shape[0] == 2 and not data.softmax:
        ax = plots.decision_boundary(
            lambda P: runs_predict(result.params, P),
            data.X_train.T,
            data.y_train,
            title=f"{args.optimizer}: held-out accuracy {result.test_accuracy:.4f}",
        )
        ax.set_xlabel("feature 1 (standardised)")
        ax.set_ylabel("feature 2 (standardised)")
        figures.append(plots.save(ax, Path(args.out) / "train-boundary.png"))
    summary["figures"] = [str(f) for f in figures]
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    resumed = f" (resumed at epoch {result.resumed_from})" if result.resumed_from else ""
    print(
        f"{args.dataset}: {summary['n_train']} training and {summary['n_test']} held-out "
        f"examples, network {[data.X_train.shape[0], *settings.hidden, len(data.classes)]}"
    )
    print(
        f"optimizer {args.optimizer}, learning rate {settings.learning_rate:g}, "
        f"{settings.epochs} epochs of mini-batches of {settings.batch_size}{resumed}"
    )
    print(f"final cost         {summary['final_cost']:.6f}")
    print(f"training accuracy  {result.train_accuracy:.4f}")
    print(f"held-out accuracy  {result.test_accuracy:.4f}")
    print(f"seconds            {result.seconds:.2f}")
    if args.save:
        print(f"parameters saved to {summary['saved']}")
    for f in figures:
        print(f"figure: {f}")
    return 0


def runs_predict(params, P: np.ndarray) -> np.ndarray:
    """Labels of the rows of ``P`` from a binary network (for the boundary figure)."""
    from . import network

    return network.predict_labels(P.T, params)[0]


def _hidden(text: str) -> list[int]:
    try:
        sizes = [int(n) for n in text.split(",") if n.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 64,32, got {text!r}") from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


def _rates(text: str) -> list[float]:
    return [_positive_float(t) for t in _names(text)]


def _seeds(text: str) -> list[int]:
    try:
        return [int(t) for t in _names(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integer seeds like 0,1, got {text!r}") from None


def sweep(args: argparse.Namespace) -> int:
    """Every optimizer x learning rate x seed as a Dask task; a ranked table and a figure."""
    from . import plots
    from .runs import RunSettings

    _check_optimizers(args.optimizers)
    try:
        from .parallel.sweep import grid
        from .parallel.sweep import sweep as run_sweep
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
    with _progress(len(settings), "sweep", unit="run") as bar:
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


def _add_output(p: argparse.ArgumentParser, command) -> None:
    """The options every command shares, and the function that runs it."""
    p.add_argument(
        "--out", default="descend-out", help="folder for the PNG figures (default: %(default)s)"
    )
    p.add_argument(
        "--json", action="store_true", help="print the results as JSON on stdout instead of a table"
    )
    p.set_defaults(run=command)


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
        help="train several optimizers on one data set and compare them",
        description="Train optimizers side by side. On moons (the default) this is the "
        "course recipe: the 300-point data set, network [2, 5, 2, 1], He initialisation, "
        "mini-batches of 64, learning rate 0.0007, 5000 epochs, accuracy on the training "
        "set. On any other data set each optimizer trains as descend train would (25%% held "
        "out, its default learning rate, 50 epochs).",
    )
    p.add_argument(
        "--dataset",
        default="moons",
        help="moons (the course recipe) or any data set of descend train (default: %(default)s)",
    )
    p.add_argument(
        "--optimizers",
        type=_names,
        default=list(COURSE_OPTIMIZERS),
        help="comma-separated optimizer names (default: gd,momentum,adam)",
    )
    p.add_argument(
        "--epochs",
        type=_positive_int,
        default=None,
        help="epochs per optimizer (default: 5000 on moons, else 50)",
    )
    p.add_argument(
        "--learning-rate",
        type=_positive_float,
        default=None,
        help="one learning rate for all (default: 0.0007 on moons, else each optimizer's own)",
    )
    p.add_argument(
        "--batch-size",
        type=_positive_int,
        default=64,
        help="mini-batch size (default: %(default)s)",
    )
    p.add_argument(
        "--hidden", type=_hidden, default=[64], help="hidden layer sizes off moons (default: 64)"
    )
    p.add_argument("--data-dir", default=None, help="folder of the Fashion-MNIST files")
    _add_output(p, compare)

    from .registry import NAMES

    p = sub.add_parser(
        "train",
        help="train a classifier on a data set and report its accuracy",
        description="Train a fully connected network (ReLU hidden layers; sigmoid output for "
        "two classes, softmax for more) on a data set, holding out 25%% of the examples "
        "(chosen from --seed; Fashion-MNIST keeps its own test file). Features are "
        "standardised with the training split's statistics.",
    )
    p.add_argument(
        "--dataset",
        default="moons",
        help="moons, circles, spirals, iris, wine, breast_cancer, digits, "
        "fashion_mnist, or the path of a .csv or .npz file (default: %(default)s)",
    )
    p.add_argument(
        "--optimizer", default="adam", help=f"one of {', '.join(NAMES)} (default: %(default)s)"
    )
    p.add_argument(
        "--learning-rate",
        type=_positive_float,
        default=None,
        help="learning rate (default: 0.001 for Adam-like rules, 0.1 for GD and "
        "momentum, 0.01 for AdaGrad)",
    )
    p.add_argument(
        "--epochs",
        type=_positive_int,
        default=50,
        help="passes over the training split (default: %(default)s)",
    )
    p.add_argument(
        "--batch-size",
        type=_positive_int,
        default=64,
        help="mini-batch size (default: %(default)s)",
    )
    p.add_argument(
        "--hidden",
        type=_hidden,
        default=[64],
        help="hidden layer sizes, comma-separated (default: 64)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the split, the initial weights and the batches"
    )
    p.add_argument("--target", default=None, help="label column of a CSV file (default: last)")
    p.add_argument(
        "--data-dir",
        default=None,
        help="folder of the Fashion-MNIST IDX files (default: where the Debian "
        "package dataset-fashion-mnist puts them)",
    )
    p.add_argument(
        "--save",
        default=None,
        metavar="PATH",
        help="write the trained parameters to PATH as .npz (W1, b1, ...)",
    )
    p.add_argument(
        "--checkpoint",
        default=None,
        metavar="PATH",
        help="write a checkpoint (.npz) at the end and every --checkpoint-every epochs",
    )
    p.add_argument(
        "--checkpoint-every",
        type=_positive_int,
        default=None,
        metavar="K",
        help="epochs between checkpoints",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue from --checkpoint if it exists (else start fresh)",
    )
    p.add_argument(
        "--distributed",
        choices=["mpi"],
        default=None,
        help="data-parallel over MPI ranks: mpiexec -n N descend train ... --distributed mpi "
        "(needs pip install 'descend[mpi]')",
    )
    _add_output(p, train)

    p = sub.add_parser(
        "sweep",
        help="train every optimizer x learning rate x seed on Dask and rank them",
        description="Run descend train for every combination of optimizer, learning rate and "
        "seed as Dask tasks, on a local cluster of --workers processes or on a running "
        "scheduler (--scheduler). Each run equals descend train with the same settings.",
    )
    p.add_argument("--dataset", default="digits", help="as for train (default: %(default)s)")
    p.add_argument(
        "--optimizers",
        type=_names,
        default=["adam", "momentum"],
        help="comma-separated optimizer names (default: adam,momentum)",
    )
    p.add_argument(
        "--learning-rates",
        type=_rates,
        default=[0.001, 0.01],
        help="comma-separated learning rates (default: 0.001,0.01)",
    )
    p.add_argument(
        "--seeds", type=_seeds, default=[0, 1], help="comma-separated seeds (default: 0,1)"
    )
    p.add_argument(
        "--epochs", type=_positive_int, default=20, help="epochs per run (default: %(default)s)"
    )
    p.add_argument(
        "--batch-size",
        type=_positive_int,
        default=64,
        help="mini-batch size (default: %(default)s)",
    )
    p.add_argument("--hidden", type=_hidden, default=[64], help="hidden layer sizes (default: 64)")
    p.add_argument("--target", default=None, help="label column of a CSV file")
    p.add_argument("--data-dir", default=None, help="folder of the Fashion-MNIST files")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=_positive_int,
        default=2,
        help="worker processes of the local cluster (default: %(default)s)",
    )
    where.add_argument(
        "--scheduler",
        default=None,
        metavar="tcp://HOST:PORT",
        help="use the Dask cluster of this scheduler instead",
    )
    _add_output(p, sweep)

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
    _add_output(p, trajectory)
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


if __name__ == "__main__":
    sys.exit(main())
