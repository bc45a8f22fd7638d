"""Data sets, generated, bundled or read from disk; nothing is downloaded.

Every loader returns ``(X, y)`` in scikit-learn's layout: ``X.shape ==
(n_samples, n_features)`` of floats and ``y.shape == (n_samples,)`` of integer
class labels. (The textbook's ``load_dataset`` transposes to columns.)

=================  ====================================================
name               source
=================  ====================================================
``moons``          two interleaving half circles (scikit-learn), seeded
``circles``        a small circle inside a large one (scikit-learn), seeded
``spirals``        two interleaved spiral arms (written here), seeded
``iris``           scikit-learn's bundled copy: 150 x 4, 3 classes
``wine``           scikit-learn's bundled copy: 178 x 13, 3 classes
``breast_cancer``  scikit-learn's bundled copy: 569 x 30, 2 classes
``digits``         scikit-learn's bundled 8x8 digits: 1797 x 64, 10 classes
``fashion_mnist``  Zalando's 28x28 clothes images from IDX files: 60000
                   train + 10000 test, 784 features in [0, 1], 10 classes
=================  ====================================================

plus any ``.csv`` file (a header row; the label is the last column or the
column named ``target``) or ``.npz`` archive (arrays ``X`` and ``y``) given by
path. :func:`load` dispatches on a name or a path, :func:`load_train_test`
also splits off the held-out examples (the files' own test split for
Fashion-MNIST, :func:`train_test_split` for the others).

Features are standardised with statistics of the training split only
(:class:`Standardizer`, :func:`standardize`), so that nothing about the
held-out examples leaks into training.

scikit-learn is imported only by the loaders that need it.
"""

from __future__ import annotations

import csv
import gzip
import math
import numbers
import os
import zipfile
from pathlib import Path

import numpy as np

__all__ = [
    "FASHION_MNIST_DIR",
    "FASHION_MNIST_FILES",
    "NAMES",
    "DataNotFoundError",
    "Standardizer",
    "breast_cancer",
    "circles",
    "digits",
    "fashion_mnist",
    "iris",
    "load",
    "load_csv",
    "load_npz",
    "load_train_test",
    "moons",
    "read_idx",
    "spirals",
    "standardize",
    "train_test_split",
    "wine",
]

Seed = np.random.Generator | np.random.RandomState | int | None

#: Where the Debian package ``dataset-fashion-mnist`` installs the IDX files.
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

#: split -> (images file, labels file), each read with or without a ``.gz`` suffix.
FASHION_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class DataNotFoundError(FileNotFoundError):
    """A data set's files are not where they were looked for; the message says how to get them."""


# -- generated ---------------------------------------------------------------


def _sklearn_random_state(rng: Seed) -> np.random.RandomState | int | None:
    """What scikit-learn's ``random_state`` accepts; a Generator seeds a new RandomState."""
    if isinstance(rng, np.random.Generator):
        return np.random.RandomState(int(rng.integers(2**32)))
    return rng


def _check_count(name: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")
    if value < minimum:
        raise ValueError(f"Invalid {name}: {value} (expected >= {minimum})")
    return int(value)


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
    n = _check_count("n_samples", n_samples, minimum=2)
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


# -- bundled with scikit-learn -----------------------------------------------


def _bundled(loader_name: str) -> tuple[np.ndarray, np.ndarray]:
    import sklearn.datasets

    X, y = getattr(sklearn.datasets, loader_name)(return_X_y=True)
    return _labelled(X, y)


def iris() -> tuple[np.ndarray, np.ndarray]:
    """Fisher's iris: 150 flowers, 4 measurements in cm, 3 species (``load_iris``)."""
    return _bundled("load_iris")


def wine() -> tuple[np.ndarray, np.ndarray]:
    """Wine recognition: 178 wines, 13 chemical measurements, 3 cultivars (``load_wine``)."""
    return _bundled("load_wine")


def breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    """Wisconsin breast cancer: 569 tumours, 30 features, malignant 0 / benign 1."""
    return _bundled("load_breast_cancer")


def digits() -> tuple[np.ndarray, np.ndarray]:
    """Handwritten digits: 1797 images of 8x8 pixels valued 0..16, 10 classes (``load_digits``)."""
    return _bundled("load_digits")


# -- IDX files (Fashion-MNIST) ------------------------------------------------

#: IDX type code -> big-endian NumPy dtype
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (the MNIST format), gzipped or not, into an array.

    The format: two zero bytes, one type byte (0x08 uint8, 0x09 int8, 0x0B
    int16, 0x0C int32, 0x0D float32, 0x0E float64), one byte giving the number
    of dimensions ``d``, then ``d`` big-endian uint32 sizes, then the values in
    C order, big-endian. A file starting with the gzip signature is
    decompressed first, whatever its name.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        The file is not IDX (wrong magic number, unknown type, no dimensions),
        is truncated, or holds more bytes than its header announces; the
        message names the file.
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise ValueError(f"{path}: corrupt or truncated gzip data ({err})") from None
    if len(raw) < 4:
        raise ValueError(f"{path}: too short for an IDX header ({len(raw)} bytes)")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES or raw[3] == 0:
        raise ValueError(
            f"{path}: not an IDX file (magic number 0x{raw[:4].hex()}, expected "
            "0x0000TTDD with a known type TT and DD >= 1 dimensions)"
        )
    dtype, ndim = _IDX_DTYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header (expected {ndim} dimension sizes)")
    shape = tuple(int(n) for n in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = header + math.prod(shape) * dtype.itemsize
    if len(raw) != expected:
        problem = "truncated" if len(raw) < expected else "has trailing bytes"
        raise ValueError(
            f"{path}: IDX data {problem}: the header announces shape {shape} of "
            f"{dtype.name}, {expected} bytes in all, the file holds {len(raw)}"
        )
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def _find_idx(directory: Path, stem: str, hint: str) -> Path:
    for name in (stem + ".gz", stem):
        if (directory / name).is_file():
            return directory / name
    raise DataNotFoundError(f"Fashion-MNIST file {stem}[.gz] not found in {directory}: {hint}")


def fashion_mnist(
    split: str = "train",
    *,
    data_dir: str | os.PathLike | None = None,
    dtype: np.dtype | type = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017) read from its four IDX files.

    Parameters
    ----------
    split : {"train", "test"}, default "train"
        Which of the files' own splits: 60000 training or 10000 test images.
    data_dir : path, optional
        The folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each with or
        without ``.gz``. Defaults to :data:`FASHION_MNIST_DIR`, where the
        Debian package ``dataset-fashion-mnist`` puts them.
    dtype : floating dtype, default float32
        Of ``X``; float32 halves the memory of the 60000 x 784 matrix.

    Returns
    -------
    X : ndarray, shape (n, 784)
        The 28x28 images flattened row by row, pixel values / 255 in [0, 1].
    y : ndarray of int64, shape (n,)
        0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal,
        6 shirt, 7 sneaker, 8 bag, 9 ankle boot.

    Raises
    ------
    DataNotFoundError
        A file is missing (a ``FileNotFoundError``); the message says how to get them.
    ValueError
        A file is not IDX, is truncated, or images and labels disagree.
    """
    if split not in FASHION_MNIST_FILES:
        raise ValueError(f"Invalid split: {split!r} (expected 'train' or 'test')")
    directory = FASHION_MNIST_DIR if data_dir is None else Path(data_dir)
    hint = (
        "install them with `apt-get install dataset-fashion-mnist` "
        f"(they go to {FASHION_MNIST_DIR}) or pass data_dir (--data-dir) "
        "naming a folder with the four IDX files"
    )
    if not directory.is_dir():
        raise DataNotFoundError(f"Fashion-MNIST folder {directory} not found: {hint}")
    images_stem, labels_stem = FASHION_MNIST_FILES[split]
    images_path = _find_idx(directory, images_stem, hint)
    labels_path = _find_idx(directory, labels_stem, hint)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"{images_path}: expected uint8 images of shape (n, 28, 28), "
            f"got {images.dtype} {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(
            f"{labels_path}: expected a 1-D array of uint8 labels, got {labels.dtype} "
            f"{labels.shape}"
        )
    if labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"{labels_path} holds {labels.shape[0]} labels but {images_path} holds "
            f"{images.shape[0]} images"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"{labels_path}: labels must lie in 0..9, found {labels.max()}")
    X = images.reshape(images.shape[0], -1).astype(dtype) / np.asarray(255, dtype=dtype)
    return X, labels.astype(np.int64)


# -- user files ---------------------------------------------------------------


def _encode_labels(values: np.ndarray, source: str) -> np.ndarray:
    """Integer labels as they are; anything else mapped to 0..k-1 in sorted order."""
    values = np.asarray(values)
    if values.dtype.kind in "iub":
        return values.astype(np.int64)
    if values.dtype.kind == "f":
        if not np.isfinite(values).all():
            raise ValueError(f"{source}: the labels hold NaN or inf")
        if np.array_equal(values, np.round(values)):
            return values.astype(np.int64)
    if values.dtype.kind not in "fUS":
        raise ValueError(f"{source}: labels of dtype {values.dtype} are not class labels")
    return np.unique(values, return_inverse=True)[1].astype(np.int64).reshape(-1)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def load_csv(
    path: str | os.PathLike, *, target: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Read a CSV file: a header row, then one example per row.

    The label is the column named ``target``, or the last column when
    ``target`` is None; every other column is a numeric feature. Labels that
    are all integers (``3`` or ``3.0``) are kept; any other labels (words,
    fractions) become 0..k-1 in the sorted order of their distinct values.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Naming the file: it is empty or has no data rows, ``target`` is not a
        column, there is no feature column, a row has the wrong number of
        fields, or a feature is missing or not a number (line and column named).
    """
    path = Path(path)
    with path.open(newline="") as handle:
        rows = [row for row in csv.reader(handle) if row and any(f.strip() for f in row)]
    if not rows:
        raise ValueError(f"{path}: empty file (expected a header row and data rows)")
    header, body = [name.strip() for name in rows[0]], rows[1:]
    if not body:
        raise ValueError(f"{path}: no data rows after the header")
    if len(header) < 2:
        raise ValueError(f"{path}: needs at least one feature column and a label column")
    if target is None:
        label_column = len(header) - 1
    elif target in header:
        label_column = header.index(target)
    else:
        raise ValueError(f"{path}: no column named {target!r} (columns: {', '.join(header)})")
    features = np.empty((len(body), len(header) - 1))
    labels = []
    for i, row in enumerate(body):
        line = i + 2
        if len(row) != len(header):
            raise ValueError(
                f"{path}, line {line}: {len(row)} fields, the header has {len(header)}"
            )
        fields = [f.strip() for f in row]
        labels.append(fields.pop(label_column))
        names = header[:label_column] + header[label_column + 1 :]
        for j, (name, text) in enumerate(zip(names, fields, strict=True)):
            value = _number(text)
            if value is None:
                what = "missing value" if not text else f"non-numeric value {text!r}"
                raise ValueError(f"{path}, line {line}: {what} in feature column {name!r}")
            features[i, j] = value
    if any(not label for label in labels):
        raise ValueError(f"{path}: a label is missing in column {header[label_column]!r}")
    numbers_ = [_number(label) for label in labels]
    raw = np.array(labels) if None in numbers_ else np.array(numbers_, dtype=np.float64)
    return features, _encode_labels(raw, str(path))


def load_npz(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read an ``.npz`` archive holding arrays ``X`` (n, d) and ``y`` (n,).

    Loaded with ``allow_pickle=False``: object arrays are refused. ``X`` must
    be numeric (it is returned as float64); ``y`` may be integers, integral
    floats, or strings (mapped to 0..k-1 in sorted order).

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Naming the file: not an npz archive, ``X`` or ``y`` missing, pickled
        (object) arrays, wrong shapes, non-numeric or non-finite ``X``, no examples.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path}: not a readable .npz archive ({err})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: a single .npy array, expected an .npz archive with X and y")
    with archive:
        missing = [key for key in ("X", "y") if key not in archive.files]
        if missing:
            raise ValueError(
                f"{path}: missing array {missing[0]!r} (expected X and y, "
                f"found {', '.join(archive.files) or 'nothing'})"
            )
        try:
            X, y = archive["X"], archive["y"]
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
            raise ValueError(f"{path}: cannot read X and y ({err})") from None
    if X.ndim != 2:
        raise ValueError(f"{path}: X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{path}: y must be 1-D (n_samples,), got shape {y.shape}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"{path}: X has {X.shape[0]} rows but y has {y.shape[0]} labels")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{path}: no examples or no features (X has shape {X.shape})")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{path}: X must be numeric, got dtype {X.dtype}")
    X = X.astype(np.float64)
    if not np.isfinite(X).all():
        raise ValueError(f"{path}: X holds NaN or inf")
    return X, _encode_labels(y, str(path))


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
) -> tuple[np.ndarray, np.ndarray]:
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

    Returns
    -------
    X, y
        ``(n_samples, n_features)`` floats and ``(n_samples,)`` int labels. For
        ``fashion_mnist`` this is the training file only; :func:`load_train_test`
        gives its test file as the held-out split.

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
        return load_npz(what) if what.suffix.lower() == ".npz" else load_csv(what, target=target)
    if what == "moons":
        return moons(rng=seed)
    if what == "circles":
        return circles(rng=seed)
    if what == "spirals":
        return spirals(rng=seed)
    if what == "fashion_mnist":
        return fashion_mnist("train", data_dir=data_dir)
    return {"iris": iris, "wine": wine, "breast_cancer": breast_cancer, "digits": digits}[what]()


def load_train_test(
    name_or_path: str | os.PathLike,
    *,
    test_size: float = 0.25,
    data_dir: str | os.PathLike | None = None,
    target: str | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load a data set and split off its held-out examples.

    Fashion-MNIST keeps the split its files give (60000 train, 10000 test;
    ``test_size`` and ``seed`` are not used). Every other data set is loaded
    with :func:`load` (``seed`` seeds the generated ones) and cut by
    :func:`train_test_split` with ``test_size`` and ``seed``.

    Returns
    -------
    X_train, X_test, y_train, y_test
        In the order of scikit-learn's ``train_test_split``. Not standardised:
        see :func:`standardize`.
    """
    if _resolve(name_or_path) == "fashion_mnist":
        X_train, y_train = fashion_mnist("train", data_dir=data_dir)
        X_test, y_test = fashion_mnist("test", data_dir=data_dir)
        return X_train, X_test, y_train, y_test
    X, y = load(name_or_path, data_dir=data_dir, target=target, seed=seed)
    return train_test_split(X, y, test_size=test_size, seed=seed)


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
