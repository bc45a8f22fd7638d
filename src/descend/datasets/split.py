"""Held-out splits, scaling with training statistics, and loading a data set by name.

:func:`train_test_split` holds out a stratified, seeded part of the rows;
:class:`Standardizer` and :func:`standardize` scale with the training rows'
statistics only. :func:`load` dispatches a name or a path to the loaders of
:mod:`.generated` and :mod:`.files`; :func:`load_train_test` also splits.
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path

import numpy as np

from .files import breast_cancer, digits, fashion_mnist, iris, wine
from .generated import Seed, circles, moons, spirals
from .tables import load_csv, load_npz

__all__ = [
    "NAMES",
    "Standardizer",
    "load",
    "load_train_test",
    "standardize",
    "train_test_split",
]

# -- splitting and scaling ----------------------------------------------------


def train_test_split(
    X: np.ndarray,
    y: np.ndarray,
    test_size: float = 0.25,
    seed: np.random.Generator | int | None = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split the rows of ``X`` and ``y`` into a training and a held-out part, stratified.

    The rows are shuffled by ``numpy.random.default_rng(seed).permutation``;
    then, class by class, the first ``round(test_size * n_c)`` rows of the
    ``n_c`` of that class (in shuffled order) are held out, but never all of
    them and, when the class has two rows or more, at least one. Each class
    keeps its proportion, and the same seed always gives the same split. Both
    parts come in the shuffled order.

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
    y : array-like, shape (n_samples,)
        Class labels, the strata.
    test_size : float, default 0.25
        Fraction held out, ``0 < test_size < 1``.
    seed : int or Generator, default 0

    Returns
    -------
    X_train, X_test, y_train, y_test
    """
    X, y = np.asarray(X), np.asarray(y)
    if y.ndim != 1 or X.ndim < 1 or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X and y must hold the same number of rows, y 1-D: got X {X.shape}, y {y.shape}"
        )
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"test_size must be a fraction, got {type(test_size).__name__}")
    if not 0 < test_size < 1:
        raise ValueError(f"Invalid test_size: {test_size!r} (expected 0 < test_size < 1)")
    n = y.shape[0]
    if n < 2:
        raise ValueError(f"cannot split {n} example(s) into a training and a held-out part")
    order = np.random.default_rng(seed).permutation(n)
    held_out = np.zeros(n, dtype=bool)  # by position in `order`
    shuffled = y[order]
    for label in np.unique(shuffled):
        positions = np.flatnonzero(shuffled == label)
        count = round(test_size * positions.size)
        count = min(max(count, 1 if positions.size >= 2 else 0), positions.size - 1)
        held_out[positions[:count]] = True
    if not held_out.any():  # every class a singleton
        held_out[0] = True
    train, test = order[~held_out], order[held_out]
    return X[train], X[test], y[train], y[test]


class Standardizer:
    r"""Scale each feature to mean 0 and standard deviation 1 on the data ``fit`` saw.

    .. math:: x' = (x - \mu) / \sigma

    with :math:`\mu` and :math:`\sigma` (population standard deviation) taken
    from the training rows only; a feature with :math:`\sigma = 0` there gets
    :math:`\sigma = 1` (it is only centred), so nothing is divided by zero.

    Attributes
    ----------
    mean_, scale_ : ndarray, shape (n_features,)
        Set by :meth:`fit`.

    Examples
    --------
    >>> s = Standardizer().fit(np.array([[1.0, 5.0], [3.0, 5.0]]))
    >>> s.transform(np.array([[2.0, 6.0], [5.0, 5.0]]))
    array([[0., 1.],
           [3., 0.]])
    """

    def fit(self, X: np.ndarray) -> Standardizer:
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[0] == 0:
            raise ValueError(f"X must be 2-D with at least one row, got shape {X.shape}")
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0).astype(self.mean_.dtype)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        if not hasattr(self, "mean_"):
            raise RuntimeError("this Standardizer is not fitted yet: call fit first")
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.mean_.shape[0]:
            raise ValueError(
                f"X must have shape (n, {self.mean_.shape[0]}) as in fit, got {X.shape}"
            )
        return (X - self.mean_) / self.scale_

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).transform(X)


def standardize(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardise both splits with the mean and deviation of ``X_train`` only.

    See :class:`Standardizer`; returns ``(X_train_scaled, X_test_scaled)``.
    """
    scaler = Standardizer().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test)


# -- by name ------------------------------------------------------------------

#: The data sets :func:`load` knows by name (a ``-`` may stand for ``_``).
NAMES = (
    "moons",
    "circles",
    "spirals",
    "iris",
    "wine",
    "breast_cancer",
    "digits",
    "fashion_mnist",
)

_FILE_SUFFIXES = (".csv", ".npz")


def _resolve(name_or_path: str | os.PathLike) -> str | Path:
    """A name from :data:`NAMES`, or the path of a CSV/NPZ file; else ``ValueError``."""
    if isinstance(name_or_path, str):
        name = name_or_path.strip().lower().replace("-", "_")
        if name in NAMES:
            return name
    path = Path(name_or_path)
    if path.suffix.lower() in _FILE_SUFFIXES:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
        return path
    raise ValueError(
        f"unknown data set {str(name_or_path)!r}: expected one of {', '.join(NAMES)}, "
        "or the path of a .csv or .npz file"
    )


def load(
    name_or_path: str | os.PathLike,
    *,
    data_dir: str | os.PathLike | None = None,
    target: str | None = None,
    seed: Seed = 0,
    return_names: bool = False,
):
    """Load a data set by name (one of :data:`NAMES`) or a ``.csv``/``.npz`` file by path.

    Parameters
    ----------
    name_or_path : str or path
        A name of :data:`NAMES` (case and ``-``/``_`` do not matter), or a path
        ending in ``.csv`` (see :func:`load_csv`) or ``.npz`` (:func:`load_npz`).
    data_dir : path, optional
        Folder of the Fashion-MNIST IDX files (see :func:`fashion_mnist`).
    target : str, optional
        The label column of a CSV file; the last column by default.
    seed : int or Generator, default 0
        Seeds the generated data sets (moons, circles, spirals: 300 points each).
    return_names : bool, default False
        Also return the names of the labels (see below).

    Returns
    -------
    X, y
        ``(n_samples, n_features)`` floats and ``(n_samples,)`` int labels. For
        ``fashion_mnist`` this is the training file only; :func:`load_train_test`
        gives its test file as the held-out split. With ``return_names``, a
        third value: for a file whose labels are words, the words in the order
        of their codes (``names[y]`` are the file's labels), else None.

    Raises
    ------
    ValueError
        Unknown name (the message lists :data:`NAMES`), or a bad file.
    FileNotFoundError
        A path that does not exist, or missing Fashion-MNIST files
        (:class:`DataNotFoundError`).
    """
    what = _resolve(name_or_path)
    if isinstance(what, Path):
        if what.suffix.lower() == ".npz":
            return load_npz(what, return_names=return_names)
        return load_csv(what, target=target, return_names=return_names)
    if what == "moons":
        X, y = moons(rng=seed)
    elif what == "circles":
        X, y = circles(rng=seed)
    elif what == "spirals":
        X, y = spirals(rng=seed)
    elif what == "fashion_mnist":
        X, y = fashion_mnist("train", data_dir=data_dir)
    else:
        loader = {"iris": iris, "wine": wine, "breast_cancer": breast_cancer, "digits": digits}
        X, y = loader[what]()
    return (X, y, None) if return_names else (X, y)


def load_train_test(
    name_or_path: str | os.PathLike,
    *,
    test_size: float = 0.25,
    data_dir: str | os.PathLike | None = None,
    target: str | None = None,
    seed: int = 0,
    return_names: bool = False,
):
    """Load a data set and split off its held-out examples.

    Fashion-MNIST keeps the split its files give (60000 train, 10000 test;
    ``test_size`` and ``seed`` are not used). Every other data set is loaded
    with :func:`load` (``seed`` seeds the generated ones) and cut by
    :func:`train_test_split` with ``test_size`` and ``seed``.

    Returns
    -------
    X_train, X_test, y_train, y_test
        In the order of scikit-learn's ``train_test_split``. Not standardised:
        see :func:`standardize`. With ``return_names``, the label names of
        :func:`load` come fifth.
    """
    if _resolve(name_or_path) == "fashion_mnist":
        X_train, y_train = fashion_mnist("train", data_dir=data_dir)
        X_test, y_test = fashion_mnist("test", data_dir=data_dir)
        split, names = (X_train, X_test, y_train, y_test), None
    else:
        X, y, names = load(
            name_or_path, data_dir=data_dir, target=target, seed=seed, return_names=True
        )
        split = train_test_split(X, y, test_size=test_size, seed=seed)
    return (*split, names) if return_names else split
