"""Shuffle and partition: batch GD, SGD and mini-batch GD are batch sizes.

Examples are the *columns* of ``X`` (shape ``(n_x, m)``) and ``Y`` (shape
``(n_y, m)``). One permutation shuffles both; consecutive slices of
``mini_batch_size`` columns follow, and the last batch holds the
``m - mini_batch_size * floor(m / mini_batch_size)`` examples left over.

- batch gradient descent: ``mini_batch_size = m`` (one batch);
- stochastic gradient descent: ``mini_batch_size = 1``;
- mini-batch gradient descent: anything between.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .optim.checks import check_int

__all__ = [
    "MiniBatches",
    "check_batch_size",
    "check_examples",
    "legacy_permutation",
    "mini_batches",
    "partition",
]


def check_examples(X: np.ndarray, Y: np.ndarray) -> int:
    """Check that ``X`` and ``Y`` are 2-D arrays with the same number of columns; return it."""
    for name, a in (("X", X), ("Y", Y)):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"{name} must be a numpy.ndarray, got {type(a).__name__}")
        if a.ndim != 2:
            raise ValueError(f"{name} must be 2-D with examples in columns, got shape {a.shape}")
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"X and Y hold different numbers of examples: X has shape {X.shape}, "
            f"Y has shape {Y.shape} (examples are columns)"
        )
    if X.shape[1] == 0:
        raise ValueError("X and Y hold zero examples")
    return X.shape[1]


def check_batch_size(mini_batch_size: object) -> int:
    """Return ``mini_batch_size`` if it is an int ``>= 1``."""
    return check_int("mini_batch_size", mini_batch_size, 1)


def partition(
    X: np.ndarray, Y: np.ndarray, order: np.ndarray, mini_batch_size: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cut the columns of ``X`` and ``Y``, taken in ``order``, into consecutive batches."""
    m = check_examples(X, Y)
    size = check_batch_size(mini_batch_size)
    X, Y = X[:, order], Y[:, order]
    return [(X[:, k : k + size], Y[:, k : k + size]) for k in range(0, m, size)]


def legacy_permutation(m: int, seed: int) -> np.ndarray:
    """The permutation ``np.random.seed(seed); np.random.permutation(m)`` gives.

    Drawn from a private ``RandomState(seed)``, so NumPy's global state is untouched.
    """
    return np.random.RandomState(seed).permutation(m)


def mini_batches(
    X: np.ndarray,
    Y: np.ndarray,
    mini_batch_size: int,
    rng: np.random.Generator | int | None = None,
    *,
    shuffle: bool = True,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return one epoch of ``(mini_batch_X, mini_batch_Y)`` pairs.

    Parameters
    ----------
    X, Y : ndarray
        Shapes ``(n_x, m)`` and ``(n_y, m)``.
    mini_batch_size : int
        ``>= 1``; ``m`` or more gives batch GD, ``1`` gives SGD.
    rng : numpy.random.Generator or int, optional
        Source of the shuffle; an int seeds ``numpy.random.default_rng``.
    shuffle : bool, default True
        If False the examples keep their order.

    Examples
    --------
    >>> X, Y = np.arange(10.0).reshape(2, 5), np.ones((1, 5))
    >>> [b[0].shape[1] for b in mini_batches(X, Y, 2, rng=0)]
    [2, 2, 1]
    """
    m = check_examples(X, Y)
    order = np.random.default_rng(rng).permutation(m) if shuffle else np.arange(m)
    return partition(X, Y, order, mini_batch_size)


@dataclass(frozen=True, eq=False)
class MiniBatches:
    """The mini-batches of every epoch, as data: shuffle the columns, then partition.

    Calling it, ``batches(epoch)``, returns that epoch's ``(X_batch, Y_batch)``
    pairs, so it serves wherever a callable of the epoch is expected; being
    data, it also lets the compiled backend gather the same batches itself.

    Parameters
    ----------
    X, Y : ndarray
        Shapes ``(n_x, m)`` and ``(n_y, m)``, examples in columns.
    mini_batch_size : int
        ``>= 1``; ``m`` or more gives batch GD, ``1`` gives SGD.
    seed : int, default 0
        Epoch ``e`` shuffles with the seed ``seed + e`` (legacy) or ``[seed, e]``.
    legacy : bool, default False
        True: the permutation of ``RandomState(seed + e).permutation(m)``, as the
        course's ``random_mini_batches(X, Y, mini_batch_size, seed + e)``.
        False: ``numpy.random.default_rng([seed, e]).permutation(m)``.
    shuffle : bool or callable, default True
        False keeps the examples in order every epoch (``seed`` is unused). A
        callable ``shuffle(epoch)`` returns the order of that epoch's examples
        itself (called once per epoch, in order; the estimator draws
        scikit-learn's shuffles this way).

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
    shuffle: bool | Callable[[int], np.ndarray] = True

    def __post_init__(self) -> None:
        check_examples(self.X, self.Y)
        object.__setattr__(self, "mini_batch_size", check_batch_size(self.mini_batch_size))

    def order(self, epoch: int) -> np.ndarray:
        """The order of the examples in epoch ``epoch``."""
        m = self.X.shape[1]
        if callable(self.shuffle):
            return np.asarray(self.shuffle(epoch))
        if not self.shuffle:
            return np.arange(m)
        if self.legacy:
            return legacy_permutation(m, self.seed + epoch)
        return np.random.default_rng([self.seed, epoch]).permutation(m)

    def __call__(self, epoch: int) -> list[tuple[np.ndarray, np.ndarray]]:
        return partition(self.X, self.Y, self.order(epoch), self.mini_batch_size)
