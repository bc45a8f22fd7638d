"""One training run from settings: data, split, network, loop, checkpoints.

``descend train`` is this module with a command line around it; sweeps run
the same function, so a sweep's result equals the single run's.

The run is deterministic given its settings: the held-out split and the
initial weights come from ``seed``, the mini-batch order from a second
generator seeded from ``seed`` too, whose state goes into checkpoints, so a
resumed run is bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import batching, network, training
from .checkpoint import load_checkpoint, save_checkpoint
from .optim.base import Params
from .registry import make_optimizer

__all__ = ["Data", "RunResult", "RunSettings", "prepare_data", "run"]


@dataclass(frozen=True)
class RunSettings:
    """Everything that decides a run's numbers (and is checked on resume)."""

    dataset: str = "moons"
    optimizer: str = "adam"
    learning_rate: float = 0.001
    epochs: int = 50
    batch_size: int = 64
    hidden: tuple[int, ...] = (64,)
    seed: int = 0
    target: str | None = None

    def differences(self, saved: dict[str, Any]) -> list[str]:
        """Settings that differ from a saved run's; a larger ``epochs`` extends it."""
        mine = self.as_dict()
        differ = []
        for key, value in mine.items():
            other = saved.get(key)
            if key == "epochs":
                if not isinstance(other, int) or other > value:
                    differ.append(f"epochs (saved {other}, asked {value}: may only grow)")
            elif other != value:
                differ.append(f"{key} (saved {other!r}, asked {value!r})")
        return differ

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        return d


@dataclass
class Data:
    """A standardised split in column layout, labels encoded as ``0..k-1``."""

    X_train: np.ndarray
    Y_train: np.ndarray  # (1, m) 0/1 for two classes, one-hot (k, m) for more
    X_test: np.ndarray
    y_train: np.ndarray  # (m,) label indices
    y_test: np.ndarray
    classes: np.ndarray

    @property
    def softmax(self) -> bool:
        return len(self.classes) > 2


def prepare_data(settings: RunSettings, data_dir: str | Path | None = None) -> Data:
    """Load, split (held-out 25%, from the seed), standardise on the training split."""
    from . import datasets

    X_train, X_test, y_train, y_test = datasets.load_train_test(
        settings.dataset, data_dir=data_dir, target=settings.target, seed=settings.seed
    )
    X_train, X_test = datasets.standardize(X_train, X_test)
    classes = np.unique(y_train)
    if len(classes) < 2:
        raise ValueError(f"the training split of {settings.dataset!r} holds a single class")
    train_idx = np.searchsorted(classes, y_train)
    test_idx = np.searchsorted(classes, y_test).clip(0, len(classes) - 1)
    test_idx = np.where(classes[test_idx] == y_test, test_idx, -1)  # unseen labels: wrong
    if len(classes) == 2:
        Y = train_idx[np.newaxis, :].astype(np.float64)
    else:
        Y = np.eye(len(classes))[:, train_idx]
    return Data(
        np.ascontiguousarray(X_train.T),
        Y,
        np.ascontiguousarray(X_test.T),
        train_idx,
        test_idx,
        classes,
    )


@dataclass
class RunResult:
    params: Params
    costs: list[float]
    train_accuracy: float
    test_accuracy: float
    seconds: float
    settings: RunSettings
    data: Data = field(repr=False)
    resumed_from: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            **self.settings.as_dict(),
            "final_cost": self.costs[-1] if self.costs else None,
            "train_accuracy": self.train_accuracy,
            "test_accuracy": self.test_accuracy,
            "seconds": self.seconds,
            "n_train": int(self.data.X_train.shape[1]),
            "n_test": int(self.data.X_test.shape[1]),
            "resumed_from_epoch": self.resumed_from,
        }


def accuracy(params: Params, X: np.ndarray, labels: np.ndarray, softmax: bool) -> float:
    """Fraction of the columns of ``X`` whose predicted label index equals ``labels``."""
    return float(np.mean(network.predict_labels(X, params, softmax=softmax)[0] == labels))


def run(
    settings: RunSettings,
    *,
    data: Data | None = None,
    data_dir: str | Path | None = None,
    checkpoint: str | Path | None = None,
    checkpoint_every: int | None = None,
    resume: bool = False,
    on_epoch: Callable[[int, float], None] | None = None,
    comm: Any = None,
) -> RunResult:
    """Train the network that ``settings`` describe; return parameters and accuracies.

    With ``checkpoint``, a checkpoint is written every ``checkpoint_every``
    epochs (if given) and at the end. With ``resume`` and an existing
    ``checkpoint`` file, the run continues from it; its settings must equal
    ``settings`` (``epochs`` may grow), else ``ValueError`` says which differ.

    With an MPI communicator ``comm`` of several ranks, every rank runs this
    function on the same settings; each global mini-batch is shared out and the
    gradients summed (:mod:`descend.parallel.mpi`); only rank 0 writes
    checkpoints.
    """
    if checkpoint_every is not None and checkpoint_every < 1:
        raise ValueError(f"Invalid checkpoint_every: {checkpoint_every} (expected >= 1)")
    if data is None:
        data = prepare_data(settings, data_dir)
    layers = [data.X_train.shape[0], *settings.hidden, data.Y_train.shape[0]]
    optimizer = make_optimizer(settings.optimizer, settings.learning_rate)
    params = network.he_initialize(layers, np.random.default_rng(settings.seed))
    state = optimizer.init(params)
    rng = np.random.default_rng([settings.seed, 1])
    costs: list[float] = []
    epoch = 0
    if resume and checkpoint is not None and Path(checkpoint).exists():
        saved = load_checkpoint(checkpoint)
        differ = settings.differences(saved.settings)
        if differ:
            raise ValueError(
                f"checkpoint {checkpoint} was written with other settings: " + "; ".join(differ)
            )
        params, state = saved.restore(optimizer)
        rng = saved.generator() or rng
        costs, epoch = list(saved.costs), saved.epoch
    resumed_from = epoch
    batch_size = batching.check_batch_size(settings.batch_size)

    def batches(_epoch: int):
        return batching.mini_batches(data.X_train, data.Y_train, batch_size, rng)

    def report(_epoch: int, cost: float, _params: Params) -> None:
        if on_epoch is not None:
            on_epoch(len(costs) + _epoch, cost)

    trainer = training.train
    writer = True
    if comm is not None and comm.Get_size() > 1:
        from .parallel.mpi import allreduce_train

        trainer = functools.partial(allreduce_train, comm=comm)
        writer = comm.Get_rank() == 0
    start = time.perf_counter()
    while epoch < settings.epochs:
        chunk = settings.epochs - epoch
        if checkpoint is not None and checkpoint_every is not None:
            chunk = min(chunk, checkpoint_every)
        params, state, history = trainer(
            params, optimizer, batches, chunk, state=state, callback=report
        )
        costs.extend(history.costs)
        epoch += chunk
        if checkpoint is not None and writer:
            save_checkpoint(
                checkpoint,
                params,
                state,
                optimizer,
                epoch=epoch,
                costs=costs,
                settings=settings.as_dict(),
                rng=rng,
            )
    seconds = time.perf_counter() - start
    return RunResult(
        params=params,
        costs=costs,
        train_accuracy=accuracy(params, data.X_train, data.y_train, data.softmax),
        test_accuracy=accuracy(params, data.X_test, data.y_test, data.softmax),
        seconds=seconds,
        settings=settings,
        data=data,
        resumed_from=resumed_from,
    )
