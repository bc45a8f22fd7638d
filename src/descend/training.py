"""The training loop shared by ``textbook.model``, the CLI and the estimator."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from .network import backward, cost, forward
from .optim.base import Optimizer, Params, State

__all__ = ["History", "train"]

Batches = Callable[[int], Iterable[tuple[np.ndarray, np.ndarray]]]
EpochCallback = Callable[[int, float, Params], None]


@dataclass
class History:
    """What a run records: the mean cost of each epoch, in order."""

    costs: list[float] = field(default_factory=list)


def train(
    params: Params,
    optimizer: Optimizer,
    batches: Batches,
    epochs: int,
    *,
    activation: str = "relu",
    state: State | None = None,
    callback: EpochCallback | None = None,
) -> tuple[Params, State, History]:
    """Train the network ``params`` for ``epochs`` epochs.

    Parameters
    ----------
    params : dict
        ``W1, b1, ..., WL, bL``; not modified (new arrays are returned).
    optimizer : Optimizer
        Any descend optimizer; one ``step`` per mini-batch.
    batches : callable
        ``batches(epoch)`` returns that epoch's ``(X_batch, Y_batch)`` pairs
        (examples in columns). ``Y`` with one row trains a sigmoid output,
        with ``k >= 2`` one-hot rows a softmax output.
    epochs : int
        Number of passes; epochs are numbered from 0.
    state : dict, optional
        Optimizer state to continue from; ``optimizer.init(params)`` if omitted.
    callback : callable, optional
        ``callback(epoch, mean_cost, params)`` after each epoch.

    Returns
    -------
    params, state, history
        The trained parameters, the optimizer state, and the per-epoch mean cost
        (summed cross-entropy over the epoch divided by the examples seen).
    """
    if state is None:
        state = optimizer.init(params)
    history = History()
    for epoch in range(epochs):
        total, seen = 0.0, 0
        for X_batch, Y_batch in batches(epoch):
            softmax = Y_batch.shape[0] > 1
            _, cache = forward(X_batch, params, activation, softmax=softmax)
            total += cost(cache, Y_batch, softmax=softmax)
            grads = backward(Y_batch, params, cache, activation)
            params, state = optimizer.step(params, grads, state)
            seen += Y_batch.shape[1]
        history.costs.append(total / seen)
        if callback is not None:
            callback(epoch, total / seen, params)
    return params, state, history
