"""One training run from settings: data, split, network, loop, checkpoints.

``descend train`` is this module with a command line around it; sweeps run
the same function, so a sweep's result equals the single run's.

The run is deterministic given its settings: the held-out split, the
validation split (with early stopping), the initial weights and the batches of
epoch ``e`` (``MiniBatches(seed=seed)``: ``default_rng([seed, e])``) all come
from ``seed``, so a run resumed from a checkpoint after ``e`` epochs is
bit-identical to an uninterrupted one on the same backend.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import network, training
from .batching import MiniBatches, check_batch_size
from .checkpoint import load_checkpoint, save_checkpoint
from .gradients import network_gradients
from .optim.base import Params
from .optim.checks import check_int
from .registry import make_optimizer
from .stopping import EarlyStopping

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
    l2: float = 0.0
    early_stopping: bool = False
    validation_fraction: float = 0.1
    patience: int = 10

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
    backend: str = "numpy"
    backend_reason: str = ""
    stopped_epoch: int | None = None
    best_epoch: int | None = None

    def summary(self) -> dict[str, Any]:
        return {
            **self.settings.as_dict(),
            "backend": self.backend,
            "backend_reason": self.backend_reason,
            "epochs_run": len(self.costs),
            "stopped_epoch": self.stopped_epoch,
            "best_epoch": self.best_epoch,
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


def _validation_split(data: Data, settings: RunSettings):
    """``(X_fit, Y_fit, X_val, y_val)``: hold out part of the training split, stratified."""
    from .datasets import train_test_split

    n = data.X_train.shape[1]
    index = np.arange(n)
    fit, val, _, y_val = train_test_split(
        index, data.y_train, test_size=settings.validation_fraction, seed=[settings.seed, 2]
    )
    if val.size == 0 or fit.size == 0:
        raise ValueError(
            f"Invalid validation_fraction: {settings.validation_fraction} of {n} training "
            "examples leaves no validation or no training example"
        )
    return data.X_train[:, fit], data.Y_train[:, fit], data.X_train[:, val], y_val


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
    backend: str = "auto",
) -> RunResult:
    """Train the network that ``settings`` describe; return parameters and accuracies.

    With ``checkpoint``, a checkpoint is written every ``checkpoint_every``
    epochs (if given) and at the end. With ``resume`` and an existing
    ``checkpoint`` file, the run continues from it; its settings must equal
    ``settings`` (``epochs`` may grow), else ``ValueError`` says which differ.

    ``settings.l2`` adds an L2 penalty (:class:`descend.gradients.L2Penalty`).
    ``settings.early_stopping`` holds out ``validation_fraction`` of the
    training split, scores its accuracy after each epoch and stops after more
    than ``patience`` epochs without improvement, keeping the best parameters
    (:class:`descend.stopping.EarlyStopping`).

    With an MPI communicator ``comm`` of several ranks, every rank runs this
    function on the same settings; each global mini-batch is shared out and the
    gradients summed (:class:`descend.gradients.SummedOver`); only rank 0
    writes checkpoints. ``backend`` is that of :func:`descend.training.train`.
    """
    if checkpoint_every is not None:
        check_int("checkpoint_every", checkpoint_every, 1)
    if data is None:
        data = prepare_data(settings, data_dir)
    softmax = data.softmax
    X_fit, Y_fit = data.X_train, data.Y_train
    stopper = None
    if settings.early_stopping:
        X_fit, Y_fit, X_val, y_val = _validation_split(data, settings)
        stopper = EarlyStopping(
            settings.patience, score=lambda p: accuracy(p, X_val, y_val, softmax)
        )
    layers = [data.X_train.shape[0], *settings.hidden, data.Y_train.shape[0]]
    optimizer = make_optimizer(settings.optimizer, settings.learning_rate)
    params = network.he_initialize(layers, np.random.default_rng(settings.seed))
    state = optimizer.init(params)
    costs: list[float] = []
    epoch, stopped = 0, False
    if resume and checkpoint is not None and Path(checkpoint).exists():
        saved = load_checkpoint(checkpoint)
        differ = settings.differences(saved.settings)
        if differ:
            raise ValueError(
                f"checkpoint {checkpoint} was written with other settings: " + "; ".join(differ)
            )
        params, state = saved.restore(optimizer)
        costs, epoch = list(saved.costs), saved.epoch
        stopped = bool(saved.extra.get("stopped", False))
        if stopper is not None:
            prefix = "stopping/"
            stopper.load_state_dict(
                {k[len(prefix) :]: a for k, a in saved.extra.items() if k.startswith(prefix)}
            )
    resumed_from = epoch
    # Schedule-Free evaluates elsewhere than it trains (#13): accuracies and early
    # stopping see optimizer.eval_params(params, state), through the callback
    trainer, evaluation_point = training.evaluation_view(optimizer, state)
    batches = MiniBatches(X_fit, Y_fit, check_batch_size(settings.batch_size), seed=settings.seed)
    gradients = network_gradients("relu", l2=settings.l2, comm=comm)

    def callback(e: int, cost: float, p: Params) -> bool:
        p = evaluation_point(p)
        if on_epoch is not None:
            on_epoch(e, cost)
        return stopper is not None and stopper(e, cost, p)

    writer = comm is None or comm.Get_rank() == 0
    history = training.History()
    start = time.perf_counter()
    while epoch < settings.epochs and not stopped:
        chunk = settings.epochs - epoch
        if checkpoint is not None and checkpoint_every is not None:
            chunk = min(chunk, checkpoint_every)
        params, state, history = training.train(
            params, trainer, batches, chunk, gradients=gradients, state=state,
            callback=callback, backend=backend, first_epoch=epoch,
        )  # fmt: skip
        costs.extend(history.costs)
        epoch += len(history.costs)
        stopped = history.stopped
        if checkpoint is not None and writer:
            extra: dict[str, np.ndarray] = {"stopped": np.array(stopped)}
            if stopper is not None:
                extra.update({f"stopping/{k}": a for k, a in stopper.state_dict().items()})
            save_checkpoint(
                checkpoint, params, state, optimizer, epoch=epoch, costs=costs,
                settings=settings.as_dict(), extra=extra,
            )  # fmt: skip
    seconds = time.perf_counter() - start
    params = evaluation_point(params)
    if stopper is not None and stopper.best_params is not None:
        params = stopper.best_params
    return RunResult(
        params=params,
        costs=costs,
        train_accuracy=accuracy(params, data.X_train, data.y_train, softmax),
        test_accuracy=accuracy(params, data.X_test, data.y_test, softmax),
        seconds=seconds,
        settings=settings,
        data=data,
        resumed_from=resumed_from,
        backend=history.backend if epoch > resumed_from else "none",
        backend_reason=history.reason,
        stopped_epoch=epoch - 1 if stopped else None,
        best_epoch=None if stopper is None else stopper.best_epoch,
    )
