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

import numbers

import numpy as np

__all__ = ["check_batch_size", "check_examples", "legacy_permutation", "mini_batches", "partition"]


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
    if isinstance(mini_batch_size, bool) or not isinstance(mini_batch_size, numbers.Integral):
        raise TypeError(
            f"mini_batch_size must be an int, got {type(mini_batch_size).__name__}: "
            f"{mini_batch_size!r}"
        )
    if mini_batch_size < 1:
        raise ValueError(f"Invalid mini_batch_size: {mini_batch_size} (expected >= 1)")
    return int(mini_batch_size)


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
