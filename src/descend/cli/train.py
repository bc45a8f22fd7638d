"""``descend train``: one classifier on one data set, with checkpoints and MPI."""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path

import numpy as np

from . import options
from .common import announce_compilation, check_optimizers, progress

__all__ = ["register", "runs_predict", "train", "trained_network"]


def register(subparsers) -> None:
    """Add ``train`` to the ``descend`` parser's subcommands."""
    p = subparsers.add_parser(
        "train",
        help="train a classifier on a data set and report its accuracy",
        description="Train a fully connected network (ReLU hidden layers; sigmoid output for "
        "two classes, softmax for more) on a data set, holding out 25% of the examples "
        "(chosen from --seed; Fashion-MNIST keeps its own test file). Features are "
        "standardised with the training split's statistics.",
    )
    options.add_data_options(p.add_argument_group("data"), default_dataset="moons")

    optimizer = p.add_argument_group("optimizer")
    options.add_optimizer_option(optimizer, default="adam")
    options.add_learning_rate_option(
        optimizer,
        help_text="learning rate",
        default_text="0.001 for Adam-like rules, 0.1 for GD and momentum, 0.01 for AdaGrad",
    )

    # the network and the loop that trains it
    training = p.add_argument_group("training")
    options.add_network_options(training, epochs=50, epochs_help="passes over the training split")
    options.add_seed_option(
        training, help_text="seed of the split, the initial weights and the batches"
    )
    training.add_argument(
        "--l2",
        type=options.nonnegative_float,
        default=0.0,
        metavar="ALPHA",
        help="L2 penalty on the weights, scaled as scikit-learn's alpha (default: 0)",
    )
    training.add_argument(
        "--early-stopping",
        action="store_true",
        help="hold out --validation-fraction of the training split and stop when its "
        "accuracy has not improved for --patience epochs; keep the best weights",
    )
    training.add_argument(
        "--validation-fraction",
        type=options.fraction,
        default=0.1,
        metavar="F",
        help="fraction of the training split held out by --early-stopping (default: %(default)s)",
    )
    training.add_argument(
        "--patience",
        type=options.positive_int,
        default=10,
        metavar="N",
        help="epochs without improvement tolerated by --early-stopping (default: %(default)s)",
    )
    options.add_backend_option(training)
    training.add_argument(
        "--distributed",
        choices=["mpi"],
        default=None,
        help="data-parallel over MPI ranks: mpiexec -n N descend train ... --distributed mpi "
        "(needs pip install 'descend[mpi]')",
    )

    checkpoints = p.add_argument_group("checkpoints")
    checkpoints.add_argument(
        "--checkpoint",
        default=None,
        metavar="PATH",
        help="write a checkpoint (.npz) at the end and every --checkpoint-every epochs",
    )
    checkpoints.add_argument(
        "--checkpoint-every",
        type=options.positive_int,
        default=None,
        metavar="K",
        help="epochs between checkpoints (default: only at the end)",
    )
    checkpoints.add_argument(
        "--resume",
        action="store_true",
        help="continue from --checkpoint if it exists (else start fresh)",
    )

    output = p.add_argument_group("output")
    output.add_argument(
        "--save",
        default=None,
        metavar="PATH",
        help="write the trained model to PATH (.npz of plain arrays: the parameters W1, b1, "
        "..., the standardisation, the class labels), for descend predict or "
        "descend.load_model",
    )
    options.add_output_options(output, train)


def train(args: argparse.Namespace) -> int:
    """Train a classifier on a data set; report accuracies, write figures and files."""
    from .. import plots
    from ..model import Model
    from ..registry import DEFAULT_RATES
    from ..runs import RunSettings, prepare_data, run

    check_optimizers([args.optimizer])
    if args.resume and not args.checkpoint:
        raise ValueError("--resume needs --checkpoint PATH")
    comm = None
    if args.distributed == "mpi":
        from ..parallel.mpi import limit_blas_threads, world

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
        l2=args.l2,
        early_stopping=args.early_stopping,
        validation_fraction=args.validation_fraction,
        patience=args.patience,
    )
    data = prepare_data(settings, args.data_dir)
    quiet = args.quiet or not leader

    def start(epoch: int) -> None:  # once the checkpoint is checked: errors come first
        announce_compilation(args.backend, quiet)
        bar.start(epoch)

    with (
        contextlib.nullcontext() if comm is None else limit_blas_threads(comm),
        progress(settings.epochs, args.optimizer, quiet) as bar,
    ):
        result = run(
            settings,
            data=data,
            checkpoint=args.checkpoint,
            checkpoint_every=args.checkpoint_every,
            resume=args.resume,
            on_start=start,
            on_epoch=lambda epoch, cost: bar.update(1, cost=cost),
            comm=comm,
            backend=args.backend,
        )
    if not leader:
        return 0
    summary = result.summary()
    summary["ranks"] = 1 if comm is None else comm.Get_size()
    summary["network"] = trained_network(result.params)
    summary["classes"] = [c.item() for c in data.labels]
    figures = []
    if args.save:
        summary["saved"] = str(Model.from_run(result).save(args.save))
    if result.costs:
        ax = plots.training_curves(
            result.costs,
            result.test_costs,
            result.test_accuracies,
            title=f"{args.dataset}: {args.optimizer}, learning rate {settings.learning_rate:g}, "
            f"network {summary['network']}",
            penalty=settings.l2 > 0,
        )
        figures.append(plots.save(ax, Path(args.out) / "train-cost.png"))
    if data.X_train.shape[0] == 2 and not data.softmax:
        ax = plots.decision_boundary(
            lambda P: runs_predict(result.params, P),
            data.X_train.T,
            data.y_train,
            title=f"{args.optimizer}: training accuracy {result.train_accuracy:.4f} "
            f"(held-out {result.test_accuracy:.4f})",
            class_names=[str(c) for c in summary["classes"]],
            points="training examples",
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
        f"examples, network {summary['network']}"
    )
    print(
        f"optimizer {args.optimizer}, learning rate {settings.learning_rate:g}, "
        f"{settings.epochs} epochs of mini-batches of {settings.batch_size}{resumed}"
    )
    print(f"final cost         {summary['final_cost']:.6f}")
    print(f"training accuracy  {result.train_accuracy:.4f}")
    print(f"held-out accuracy  {result.test_accuracy:.4f}")
    if result.stopped_epoch is not None:
        print(
            f"early stopping     after epoch {result.stopped_epoch}, "
            f"best weights of epoch {result.best_epoch}"
        )
    print(f"seconds            {result.seconds:.2f} ({result.backend} backend)")
    if args.save:
        print(f"model saved to {summary['saved']} (descend predict {summary['saved']} --data FILE)")
    for f in figures:
        print(f"figure: {f}")
    return 0


def trained_network(params) -> list[int]:
    """Layer sizes of the network that was trained: inputs, hidden, outputs (1 for two classes)."""
    return [
        params["W1"].shape[1],
        *(params[f"W{l}"].shape[0] for l in range(1, len(params) // 2 + 1)),
    ]


def runs_predict(params, P: np.ndarray) -> np.ndarray:
    """Labels of the rows of ``P`` from a binary network (for the boundary figure)."""
    from .. import network

    return network.predict_labels(P.T, params)[0]
