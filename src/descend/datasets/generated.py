"""Generated two-class data sets in the plane: moons, circles, spirals, each seeded.

``moons`` and ``circles`` call scikit-learn, imported when they are called;
``spirals`` is written here with NumPy.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..optim.checks import check_int

__all__ = ["Seed", "circles", "moons", "spirals"]

Seed = np.random.Generator | np.random.RandomState | int | None


def _sklearn_random_state(rng: Seed) -> np.random.RandomState | int | None:
    """What scikit-learn's ``random_state`` accepts; a Generator seeds a new RandomState."""
    if isinstance(rng, np.random.Generator):
        return np.random.RandomState(int(rng.integers(2**32)))
    return rng


def _check_noise(noise: object) -> float:
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real):
        raise TypeError(f"noise must be a real number, got {type(noise).__name__}: {noise!r}")
    if not math.isfinite(noise) or noise < 0:
        raise ValueError(f"Invalid noise: {noise!r} (expected a finite number >= 0)")
    return float(noise)


def _labelled(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64)


def moons(
    n_samples: int = 300,
    noise: float = 0.2,
    rng: Seed = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles with Gaussian noise (``sklearn.datasets.make_moons``).

    ``rng`` is handed to scikit-learn as ``random_state``: a ``RandomState(3)``
    gives the course's data set. A ``numpy.random.Generator`` seeds a fresh
    ``RandomState`` from one draw.

    Examples
    --------
    >>> X, y = moons(6, rng=0)
    >>> X.shape, sorted(y.tolist())
    ((6, 2), [0, 0, 0, 1, 1, 1])
    """
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=_sklearn_random_state(rng))
    return _labelled(X, y)


def circles(
    n_samples: int = 300,
    noise: float = 0.1,
    factor: float = 0.5,
    rng: Seed = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A circle of radius ``factor`` (class 1) inside one of radius 1 (class 0).

    ``sklearn.datasets.make_circles`` with Gaussian ``noise``; ``rng`` as in
    :func:`moons`. No straight line separates the classes.
    """
    from sklearn.datasets import make_circles

    X, y = make_circles(
        n_samples=n_samples,
        noise=noise,
        factor=factor,
        random_state=_sklearn_random_state(rng),
    )
    return _labelled(X, y)


def spirals(
    n_samples: int = 300,
    noise: float = 0.2,
    turns: float = 1.5,
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Two interleaved spiral arms, one per class.

    Each example of class :math:`k \in \{0, 1\}` draws :math:`u \sim U(0, 1)`
    and lies at

    .. math::

        r = \sqrt{u}, \quad \theta = 2\pi \cdot \text{turns} \cdot r + k\pi, \quad
        x = (r\cos\theta, r\sin\theta) + \varepsilon, \quad
        \varepsilon \sim \mathcal N(0, (\text{noise}\,/\,2\pi\,\text{turns})^2 I)

    so the arms are a half turn apart, points are spread evenly along them
    (the square root), and ``noise`` is measured in units of the gap between
    neighbouring arms. Class 0 holds ``n_samples // 2`` examples, class 1 the
    rest; the rows come shuffled.

    Parameters
    ----------
    n_samples : int, default 300
        Total number of points, ``>= 2``.
    noise : float, default 0.2
        Standard deviation of the Gaussian jitter, as a fraction of the gap
        between arms; ``>= 0``.
    turns : float, default 1.5
        How many full turns each arm makes, ``> 0``.
    rng : numpy.random.Generator or int, optional
        Source of randomness; an int seeds ``numpy.random.default_rng``.

    Examples
    --------
    >>> X, y = spirals(200, rng=0)
    >>> X.shape, np.bincount(y).tolist()
    ((200, 2), [100, 100])
    """
    n = check_int("n_samples", n_samples, minimum=2)
    noise = _check_noise(noise)
    if isinstance(turns, bool) or not isinstance(turns, numbers.Real):
        raise TypeError(f"turns must be a real number, got {type(turns).__name__}: {turns!r}")
    if not math.isfinite(turns) or turns <= 0:
        raise ValueError(f"Invalid turns: {turns!r} (expected a finite number > 0)")
    generator = np.random.default_rng(rng)
    y = np.repeat([0, 1], [n // 2, n - n // 2])
    r = np.sqrt(generator.uniform(0.0, 1.0, n))
    theta = 2 * np.pi * turns * r + np.pi * y
    X = np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    X += generator.normal(0.0, noise / (2 * np.pi * turns), X.shape)
    order = generator.permutation(n)
    return _labelled(X[order], y[order])
