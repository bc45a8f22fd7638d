"""The course-style API: exact names, argument orders and defaults.

Course code runs unchanged against these functions::

    parameters = initialize_parameters([2, 5, 2, 1])
    v, s = initialize_adam(parameters)
    parameters, v, s, v_corrected, s_corrected = update_parameters_with_adam(
        parameters, grads, v, s, t=1
    )

Conventions: examples are columns (``X.shape == (n_x, m)``); parameters are
keyed ``W1, b1, ...``; gradients and optimizer state are keyed ``dW1, db1, ...``;
the number of layers is ``len(parameters) // 2``. Like the course code, the
update functions write the new arrays into the dicts they are given and return
them (the arrays themselves are replaced, never modified in place). Each
function here is a thin adapter: the formulas live once, in
:mod:`descend.optim` and :mod:`descend.schedules`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from . import batching, datasets, network, schedules, training
from .optim import GD, Adam, Momentum, Optimizer
from .optim.adam import bias_corrected
from .optim.base import Params, State
from .schedules import check_count

__all__ = [
    "fit",
    "initialize_adam",
    "initialize_parameters",
    "initialize_velocity",
    "load_dataset",
    "model",
    "predict",
    "random_mini_batches",
    "schedule_lr_decay",
    "update_lr",
    "update_parameters_with_adam",
    "update_parameters_with_gd",
    "update_parameters_with_momentum",
]

OPTIMIZERS = ("gd", "momentum", "adam")


def _named(d: Params, params: Params, what: str) -> Params:
    """``{"dW1": ...}`` -> ``{"W1": ...}`` for the keys of ``params``; extra keys are ignored."""
    if not isinstance(d, dict):
        raise TypeError(f"{what} must be a dict keyed 'dW1', 'db1', ..., got {type(d).__name__}")
    missing = [f"d{k}" for k in params if f"d{k}" not in d]
    if missing:
        raise ValueError(f"{what} is missing key {missing[0]!r}")
    return {k: d[f"d{k}"] for k in params}


def _step(
    optimizer: Optimizer,
    parameters: Params,
    grads: Params,
    slots: dict[str, Params],
    t: int = 0,
) -> Params:
    """Run one generic step; write the results back into ``parameters`` and ``slots``."""
    if not isinstance(parameters, dict):
        raise TypeError(f"parameters must be a dict, got {type(parameters).__name__}")
    state: State = {"t": t, "skipped": 0}
    for name, d in slots.items():
        state[name] = _named(d, parameters, name)
    new_params, new_state = optimizer.step(parameters, _named(grads, parameters, "grads"), state)
    parameters.update(new_params)
    for name, d in slots.items():
        d.update({f"d{k}": a for k, a in new_state[name].items()})
    return parameters


def update_parameters_with_gd(parameters: Params, grads: Params, learning_rate: float) -> Params:
    """One step of gradient descent: ``W = W - learning_rate * dW`` for every layer."""
    return _step(GD(learning_rate), parameters, grads, {})


def initialize_velocity(parameters: Params) -> Params:
    """Zero velocities keyed ``dW1, db1, ...``, shaped like the parameters."""
    return {f"d{k}": a for k, a in Momentum(1.0).init(parameters)["v"].items()}


def update_parameters_with_momentum(
    parameters: Params, grads: Params, v: Params, beta: float, learning_rate: float
) -> tuple[Params, Params]:
    """One momentum step: ``v = beta*v + (1-beta)*dW; W = W - learning_rate*v``."""
    _step(Momentum(learning_rate, beta), parameters, grads, {"v": v})
    return parameters, v


def initialize_adam(parameters: Params) -> tuple[Params, Params]:
    """Zero first- and second-moment estimates ``(v, s)`` keyed ``dW1, db1, ...``."""
    state = Adam().init(parameters)
    return tuple({f"d{k}": a for k, a in state[slot].items()} for slot in ("v", "s"))


def update_parameters_with_adam(
    parameters: Params,
    grads: Params,
    v: Params,
    s: Params,
    t: int,
    learning_rate: float = 0.01,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
) -> tuple[Params, Params, Params, Params, Params]:
    """One Adam step with bias correction; ``t`` is this update's number, from 1.

    Returns ``(parameters, v, s, v_corrected, s_corrected)``, as the course's
    tests unpack it since 2021 (earlier editions returned the first three).
    ``v_corrected`` and ``s_corrected``, keyed ``dW1, db1, ...``, are this step's
    bias-corrected moments ``v / (1 - beta1**t)`` and ``s / (1 - beta2**t)``
    (:func:`descend.optim.adam.bias_corrected`); ``v`` and ``s`` stay uncorrected.
    ε is added outside the square root (:func:`descend.optim.adam_update`).
    """
    t = check_count("t", t, 1)
    optimizer = Adam(learning_rate, beta1, beta2, epsilon)
    _step(optimizer, parameters, grads, {"v": v, "s": s}, t=t - 1)
    keys = [f"d{k}" for k in parameters]
    v_corrected = {k: bias_corrected(v[k], beta1, t) for k in keys}
    s_corrected = {k: bias_corrected(s[k], beta2, t) for k in keys}
    return parameters, v, s, v_corrected, s_corrected


def random_mini_batches(
    X: np.ndarray, Y: np.ndarray, mini_batch_size: int = 64, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shuffle the columns of ``(X, Y)`` and cut them into mini-batches.

    The permutation is that of ``np.random.seed(seed); np.random.permutation(m)``,
    drawn from a private ``RandomState`` (NumPy's global state is untouched). The
    last batch holds the ``m % mini_batch_size`` examples left over, if any.
    """
    m = batching.check_examples(X, Y)
    return batching.partition(X, Y, batching.legacy_permutation(m, seed), mini_batch_size)


def update_lr(learning_rate0: float, epoch_num: int, decay_rate: float) -> float:
    """``learning_rate0 / (1 + decay_rate * epoch_num)``."""
    return schedules.InverseTime(learning_rate0, decay_rate)(epoch_num)


def schedule_lr_decay(
    learning_rate0: float, epoch_num: int, decay_rate: float, time_interval: int = 1000
) -> float:
    """``learning_rate0 / (1 + decay_rate * floor(epoch_num / time_interval))``."""
    return schedules.InverseTime(learning_rate0, decay_rate, time_interval)(epoch_num)


def load_dataset() -> tuple[np.ndarray, np.ndarray]:
    """The course's moons: 300 points, noise 0.2, ``RandomState(3)``; shapes (2, 300), (1, 300)."""
    X, y = datasets.moons(300, noise=0.2, rng=np.random.RandomState(3))
    return X.T, y.reshape(1, -1)


def initialize_parameters(layers_dims: Sequence[int]) -> Params:
    """He-initialised ``W1, b1, ...`` drawn from ``RandomState(3)`` (the course's seed)."""
    return network.he_initialize(layers_dims, np.random.RandomState(3))


def _optimizer(
    name: str, learning_rate, beta: float, beta1: float, beta2: float, epsilon: float
) -> Optimizer:
    if name == "gd":
        return GD(learning_rate)
    if name == "momentum":
        return Momentum(learning_rate, beta)
    if name == "adam":
        return Adam(learning_rate, beta1, beta2, epsilon)
    raise ValueError(f"Invalid optimizer: {name!r} (expected one of {', '.join(OPTIMIZERS)})")


def fit(
    X: np.ndarray,
    Y: np.ndarray,
    layers_dims: Sequence[int],
    optimizer: str,
    learning_rate: float = 0.0007,
    mini_batch_size: int = 64,
    beta: float = 0.9,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
    num_epochs: int = 5000,
    decay: Callable[[float, int, float], float] | None = None,
    decay_rate: float = 1,
    callback: training.EpochCallback | None = None,
) -> tuple[Params, training.History]:
    """The recipe of :func:`model`, silent; returns the parameters and the cost history.

    ``callback(epoch, mean_cost, params)`` runs after each epoch.
    """
    m = batching.check_examples(X, Y)
    network.check_targets(Y)
    check_count("num_epochs", num_epochs)
    dims = network.check_layers(layers_dims)
    if dims[0] != X.shape[0] or dims[-1] != Y.shape[0]:
        raise ValueError(
            f"layers_dims {dims} does not fit the data: X has {X.shape[0]} features and "
            f"Y has {Y.shape[0]} row(s), so layers_dims must start with {X.shape[0]} "
            f"and end with {Y.shape[0]}"
        )
    parameters = initialize_parameters(dims)
    rate = learning_rate
    if decay is not None:
        n_batches = -(-m // batching.check_batch_size(mini_batch_size))
        rate = schedules.per_epoch(_course_decay(learning_rate, decay, decay_rate), n_batches)
    parameters, _, history = training.train(
        parameters,
        _optimizer(optimizer, rate, beta, beta1, beta2, epsilon),
        # epoch i draws the batches of random_mini_batches(X, Y, mini_batch_size, 11 + i)
        training.MiniBatches(X, Y, mini_batch_size, seed=11, legacy=True),
        num_epochs,
        callback=callback,
    )
    return parameters, history


def _course_decay(
    learning_rate0: float, decay: Callable[[float, int, float], float], decay_rate: float
) -> Callable[[int], float]:
    """The rate of epoch ``e``: ``learning_rate0`` for e = 0, then ``decay(lr0, e - 1, rate)``."""

    def epoch_rate(epoch: int) -> float:
        return learning_rate0 if epoch == 0 else decay(learning_rate0, epoch - 1, decay_rate)

    return epoch_rate


def model(
    X: np.ndarray,
    Y: np.ndarray,
    layers_dims: Sequence[int],
    optimizer: str,
    learning_rate: float = 0.0007,
    mini_batch_size: int = 64,
    beta: float = 0.9,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
    num_epochs: int = 5000,
    print_cost: bool = True,
    decay: Callable[[float, int, float], float] | None = None,
    decay_rate: float = 1,
) -> Params:
    """Train the course's network (ReLU hidden layers, sigmoid output) with mini-batches.

    ``optimizer`` is ``"gd"``, ``"momentum"`` or ``"adam"``. Parameters start from
    :func:`initialize_parameters`; epoch ``i`` (from 0) shuffles with
    ``random_mini_batches(X, Y, mini_batch_size, seed=11 + i)``; Adam's ``t``
    goes up by one per mini-batch. Every 1000 epochs it prints ``Cost after
    epoch i: <cost>``, the epoch's summed cost over ``m``. With ``decay``, the
    learning rate becomes ``decay(learning_rate, i, decay_rate)`` after epoch
    ``i``, and a line ``learning rate after epoch i: <rate>`` follows the cost.
    """
    epoch_rate = _course_decay(learning_rate, decay, decay_rate) if decay else None

    def report(epoch: int, mean_cost: float, _params: Params) -> None:
        if print_cost and epoch % 1000 == 0:
            print(f"Cost after epoch {epoch}: {mean_cost:f}")
            if epoch_rate is not None:
                print(f"learning rate after epoch {epoch}: {epoch_rate(epoch + 1):f}")

    parameters, _ = fit(
        X,
        Y,
        layers_dims,
        optimizer,
        learning_rate,
        mini_batch_size,
        beta,
        beta1,
        beta2,
        epsilon,
        num_epochs,
        decay,
        decay_rate,
        callback=report,
    )
    return parameters


def predict(X: np.ndarray, Y: np.ndarray, parameters: Params) -> np.ndarray:
    """Predict 0/1 labels, shape ``(1, m)``, with threshold 0.5; prints ``Accuracy: <fraction>``."""
    batching.check_examples(X, Y)
    p = network.predict_labels(X, parameters)
    print("Accuracy: " + str(np.mean(p[0, :] == Y[0, :])))
    return p
