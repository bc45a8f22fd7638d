"""The training loop shared by ``textbook.model``, the CLI and the estimator.

:func:`train` runs the NumPy reference loop, or the compiled loop of
:mod:`descend.fast` when numba is installed (``pip install descend[fast]``) and
the run is one it implements (ReLU hidden layers, GD/Momentum/Adam without
extra rule options, data in the parameters' dtype); both give the same
batches, costs and parameters to rounding. Set the environment variable
``DESCEND_NO_FAST=1`` to force the reference loop.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from .batching import check_batch_size, check_examples, legacy_permutation, partition
from .network import backward, cost, forward
from .optim.base import Optimizer, Params, State

__all__ = ["History", "MiniBatches", "train"]

Batches = Callable[[int], Iterable[tuple[np.ndarray, np.ndarray]]]
EpochCallback = Callable[[int, float, Params], None]


@dataclass
class History:
    """What a run records: the mean cost of each epoch, in order."""

    costs: list[float] = field(default_factory=list)


@dataclass(frozen=True, eq=False)
class MiniBatches:
    """The mini-batches of every epoch, as data: shuffle the columns, then partition.

    Calling it, ``batches(epoch)``, returns that epoch's ``(X_batch, Y_batch)``
    pairs, so it can be passed to :func:`train` wherever a callable is expected;
    being data, it also lets the fast loop draw the same batches itself.

    Parameters
    ----------
    X, Y : ndarray
        Shapes ``(n_x, m)`` and ``(n_y, m)``, examples in columns.
    mini_batch_size : int
        ``>= 1``; ``m`` or more gives batch GD, ``1`` gives SGD.
    seed : int, default 0
        Epoch ``e`` shuffles with the seed ``seed + e``.
    legacy : bool, default False
        True: the permutation of ``RandomState(seed + e).permutation(m)``, as the
        course's ``random_mini_batches(X, Y, mini_batch_size, seed + e)``.
        False: ``numpy.random.default_rng([seed, e]).permutation(m)``.
    shuffle : bool, default True
        False keeps the examples in order every epoch (``seed`` is unused).

    Examples
    --------
    The batches of the course's ``model``, epoch ``i`` seeded with ``11 + i``:

    >>> X, Y = np.arange(10.0).reshape(2, 5), np.ones((1, 5))
    >>> batches = MiniBatches(X, Y, 2, seed=11, legacy=True)
    >>> [b[0].shape[1] for b in batches(0)]
    [2, 2, 1]
    """

    X: np.ndarray
    Y: np.ndarray
    mini_batch_size: int
    seed: int = 0
    legacy: bool = False
    shuffle: bool = True

    def __post_init__(self) -> None:
        check_examples(self.X, self.Y)
        object.__setattr__(self, "mini_batch_size", check_batch_size(self.mini_batch_size))

    def order(self, epoch: int) -> np.ndarray:
        """The order of the examples in epoch ``epoch``."""
        m = self.X.shape[1]
        if not self.shuffle:
            return np.arange(m)
        if self.legacy:
            return legacy_permutation(m, self.seed + epoch)
        return np.random.default_rng([self.seed, epoch]).permutation(m)

    def __call__(self, epoch: int) -> list[tuple[np.ndarray, np.ndarray]]:
        return partition(self.X, self.Y, self.order(epoch), self.mini_batch_size)


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
        with ``k >= 2`` one-hot rows a softmax output. A :class:`MiniBatches`
        lets the fast loop run whole epochs compiled.
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

    Notes
    -----
    With numba installed, runs that :func:`descend.fast.loop.train_fast` supports
    go through it (set ``DESCEND_NO_FAST=1`` to prevent it). A callback then
    runs after the compiled loop has completed a chunk of epochs, with the
    params of its epoch, rather than between epochs.
    """
    if not os.environ.get("DESCEND_NO_FAST"):
        from .fast import loop  # light: numba is imported only if the run qualifies

        result = loop.train_fast(
            params,
            optimizer,
            batches,
            epochs,
            activation=activation,
            state=state,
            callback=callback,
        )
        if result is not None:
            return result
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
