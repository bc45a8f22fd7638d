"""Data sets, generated or bundled; nothing is downloaded.

Generic loaders return ``(X, y)`` in scikit-learn's layout, ``X.shape ==
(n_samples, n_features)``; the textbook's ``load_dataset`` transposes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["moons"]


def moons(
    n_samples: int = 300,
    noise: float = 0.2,
    rng: np.random.RandomState | int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles with Gaussian noise (``sklearn.datasets.make_moons``).

    ``rng`` is handed to scikit-learn as ``random_state``: a ``RandomState(3)``
    gives the course's data set.
    """
    from sklearn.datasets import make_moons

    return make_moons(n_samples=n_samples, noise=noise, random_state=rng)
