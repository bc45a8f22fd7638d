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
import math
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

__all__ = ["Data", "Diverged", "RunResult", "RunSettings", "evaluate", "prepare_data", "run"]


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
    """A standardised split in column layout, labels encoded as ``0..k-1``.

    ``mean`` and ``scale`` are the training split's statistics that standardised
    both splits (``x' = (x - mean) / scale``); ``classes`` are the labels of the
    codes ``0..k-1`` as the loader gave them, and ``label_names`` the words they
    stand for when the file's labels are words (see :attr:`labels`).
    """

    X_train: np.ndarray
    Y_train: np.ndarray  # (1, m) 0/1 for two classes, one-hot (k, m) for more
    X_test: np.ndarray
    y_train: np.ndarray  # (m,) label indices
    y_test: np.ndarray  # (m_test,) label indices; -1 for a label the training split lacks
    classes: np.ndarray
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    label_names: np.ndarray | None = None

    @property
    def softmax(self) -> bool:
        return len(self.classes) > 2

    @property
    def labels(self) -> np.ndarray:
        """The original label of each code ``0..k-1``: a word of the file, or an integer."""
        if self.label_names is None:
            return self.classes
        return self.label_names[self.classes]


def prepare_data(settings: RunSettings, data_dir: str | Path | None = None) -> Data:
    """Load, split (held-out 25%, from the seed), standardise on the training split."""
    from . import datasets

    X_train, X_test, y_train, y_test, names = datasets.load_train_test(
        settings.dataset,
        data_dir=data_dir,
        target=settings.target,
        seed=settings.seed,
        return_names=True,
    )
    scaler = datasets.Standardizer().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
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
        mean=scaler.mean_,
        scale=scaler.scale_,
        label_names=names,
    )


@dataclass
class RunResult:
    """A finished run.

    ``costs[e]`` is epoch ``e``'s training cost, the mean over its mini-batches as
    they were trained (L2 penalty included); ``test_costs[e]`` and
    ``test_accuracies[e]`` are the held-out cross-entropy and accuracy of the
    parameters at the end of epoch ``e`` (NaN for epochs run before a resume from
    a checkpoint that did not record them). Epochs count from 0.
    """

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
    test_costs: list[float] = field(default_factory=list)
    test_accuracies: list[float] = field(default_factory=list)

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


def evaluate(
    params: Params, X: np.ndarray, labels: np.ndarray, softmax: bool
) -> tuple[float, float]:
    """``(mean cross-entropy, accuracy)`` of the network on the columns of ``X``.

    ``labels`` are label indices; an index of -1 (a class the training split
    lacks) counts as wrong and is left out of the cost, which has no term for it.
    """
    out, (zs, _) = network.forward(X, params, softmax=softmax)
    predicted = out.argmax(axis=0) if softmax else (out[0] > 0.5).astype(int)
    known = labels >= 0
    if not known.any():
        return math.nan, float(np.mean(predicted == labels))
    Z = zs[-1][:, known]
    if softmax:
        Y = np.eye(Z.shape[0])[:, labels[known]]
    else:
        Y = labels[known][np.newaxis, :].astype(Z.dtype)
    cost = network.cost(([Z], []), Y, softmax=softmax) / int(known.sum())
    return cost, float(np.mean(predicted == labels))


class Diverged(ValueError):
    """Training met a gradient of NaN or inf: most often a learning rate too large.

    Attributes: ``epoch`` (the epoch that diverged, from 0), ``learning_rate``,
    ``reason`` (the optimizer's message, e.g. ``grads['W1'] holds NaN or inf``)
    and ``optimizer`` (its name).
    """

    def __init__(self, epoch: int, learning_rate: float, reason: str, optimizer: str = "") -> None:
        self.epoch, self.learning_rate, self.reason = epoch, learning_rate, reason
        self.optimizer = optimizer
        super().__init__(self._text(f"a smaller learning rate than {learning_rate:g} may train"))

    def _text(self, advice: str) -> str:
        who = f"{self.optimizer} " if self.optimizer else "training "
        return f"{who}diverged in epoch {self.epoch} (counting from 0): {self.reason}; {advice}"

    @property
    def command_line_message(self) -> str:
        """The same, for ``descend``'s users: it names the option to change."""
        return self._text(f"try a smaller --learning-rate than {self.learning_rate:g}")


def _check_overwrite(checkpoint: Path, settings: RunSettings) -> None:
    """Refuse to write over a file that is not a checkpoint of this run (resume not asked)."""
    try:
        saved = load_checkpoint(checkpoint)
    except (ValueError, OSError):
        raise ValueError(
            f"{checkpoint} exists and is not a readable descend checkpoint; refusing to "
            "overwrite it: choose another checkpoint path or remove the file"
        ) from None
    differ = [d for d in settings.differences(saved.settings) if not d.startswith("epochs ")]
    if differ:
        raise ValueError(
            f"checkpoint {checkpoint} belongs to another run ({'; '.join(differ)}); refusing "
            "to overwrite it: choose another checkpoint path or remove it"
        )


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
    on_start: Callable[[int], None] | None = None,
    comm: Any = None,
    backend: str = "auto",
) -> RunResult:
    """Train the network that ``settings`` describe; return parameters and accuracies.

    With ``checkpoint``, a checkpoint is written every ``checkpoint_every``
    epochs (if given) and at the end. With ``resume`` and an existing
    ``checkpoint`` file, the run continues from it; its settings must equal
    ``settings`` (``epochs`` may grow), else ``ValueError`` says which differ.
    Without ``resume``, an existing ``checkpoint`` file of another run (other
    settings, or not a checkpoint at all) is refused with a ``ValueError`` and
    left as it is.

    ``on_start(epoch)`` is called once all this is checked, just before the
    first epoch runs (``epoch`` is where it resumes); ``on_epoch(epoch, cost)``
    after each epoch. The held-out cost and accuracy are recorded after each
    epoch (:class:`RunResult`). A gradient of NaN or inf raises
    :class:`Diverged`, which names the epoch.

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
    held_out: dict[str, list[float]] = {"costs": [], "accuracies": []}
    epoch, stopped = 0, False
    if checkpoint is not None and Path(checkpoint).exists() and not resume:
        _check_overwrite(Path(checkpoint), settings)
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
        for key, values in held_out.items():
            recorded = saved.extra.get(f"held_out/{key}", np.array([]))
            values.extend([math.nan] * (len(costs) - len(recorded)) + recorded.tolist())
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
        test_cost, test_accuracy = evaluate(p, data.X_test, data.y_test, softmax)
        held_out["costs"].append(test_cost)
        held_out["accuracies"].append(test_accuracy)
        if on_epoch is not None:
            on_epoch(e, cost)
        return stopper is not None and stopper(e, cost, p)

    writer = comm is None or comm.Get_rank() == 0
    history = training.History()
    if on_start is not None:
        on_start(epoch)
    start = time.perf_counter()
    while epoch < settings.epochs and not stopped:
        chunk = settings.epochs - epoch
        if checkpoint is not None and checkpoint_every is not None:
            chunk = min(chunk, checkpoint_every)
        # overflow on the way to a NaN gradient is reported once, as Diverged, not as
        # a screenful of RuntimeWarnings from NumPy first
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                params, state, history = training.train(
                    params, trainer, batches, chunk, gradients=gradients, state=state,
                    callback=callback, backend=backend, first_epoch=epoch,
                )  # fmt: skip
        except ValueError as err:
            if "NaN or inf" not in str(err):
                raise
            epoch_failed = len(held_out["costs"])
            raise Diverged(
                epoch_failed, settings.learning_rate, str(err), settings.optimizer
            ) from None
        costs.extend(history.costs)
        epoch += len(history.costs)
        stopped = history.stopped
        if checkpoint is not None and writer:
            extra: dict[str, np.ndarray] = {"stopped": np.array(stopped)}
            extra.update({f"held_out/{k}": np.array(v) for k, v in held_out.items()})
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
        test_costs=held_out["costs"],
        test_accuracies=held_out["accuracies"],
    )
