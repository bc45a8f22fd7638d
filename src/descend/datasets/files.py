"""Data sets read from files: scikit-learn's bundled sets and Fashion-MNIST's IDX files.

Nothing is downloaded. scikit-learn is imported by the bundled loaders only.
The user's own CSV and NPZ files are read by :mod:`.tables`.
"""

from __future__ import annotations

import gzip
import math
import os
from pathlib import Path

import numpy as np

__all__ = [
    "FASHION_MNIST_DIR",
    "FASHION_MNIST_FILES",
    "DataNotFoundError",
    "breast_cancer",
    "digits",
    "fashion_mnist",
    "iris",
    "read_idx",
    "wine",
]

#: Where the Debian package ``dataset-fashion-mnist`` installs the IDX files.
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

#: split -> (images file, labels file), each read with or without a ``.gz`` suffix.
FASHION_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class DataNotFoundError(FileNotFoundError):
    """A data set's files are not where they were looked for; the message says how to get them."""


# -- bundled with scikit-learn -----------------------------------------------


def _bundled(loader_name: str) -> tuple[np.ndarray, np.ndarray]:
    import sklearn.datasets

    X, y = getattr(sklearn.datasets, loader_name)(return_X_y=True)
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64)


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
