"""The user's own data: a CSV file or an NPZ archive, with labels or without.

:func:`load_csv` and :func:`load_npz` read examples and class labels for
training; :func:`load_features` reads the features alone, for a trained model
to predict (a label column, if the file has one, is left out).

A CSV file's delimiter (``,``, ``;``, tab or ``|``) is detected from its first
lines, and its first row is a header only when it holds a word where the
second row holds a number: a file that starts with data loses no row. Without a
header, columns are named by their number from 1 (``--target 3``).

Labels must be classes: integers (``3`` or ``3.0``), words, or booleans. A
label column of other numbers (``2.5``) is refused, since descend classifies
and does not regress.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["DELIMITERS", "encode_labels", "load_csv", "load_features", "load_npz"]

#: The delimiters a CSV file may use, in the order that settles ties.
DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_LINES = 50


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def encode_labels(values: np.ndarray, source: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Class labels -> ``(codes, names)``.

    Integer labels (and integral floats, booleans) are their own codes, and
    ``names`` is None. Words become ``0..k-1`` in the sorted order of their
    distinct values, which ``names`` holds (``names[code]`` is the word).
    Non-integer numbers, NaN and inf are refused with a ``ValueError`` naming
    ``source``.
    """
    values = np.asarray(values)
    if values.dtype.kind in "iub":
        return values.astype(np.int64), None
    if values.dtype.kind == "f":
        if not np.isfinite(values).all():
            raise ValueError(f"{source}: the labels hold NaN or inf")
        fractional = values[values != np.round(values)]
        if fractional.size:
            raise ValueError(
                f"{source}: the labels hold non-integer numbers such as {fractional[0]:g}; "
                "descend classifies, so labels must be classes (integers or words), "
                "not measurements"
            )
        return values.astype(np.int64), None
    if values.dtype.kind not in "US":
        raise ValueError(f"{source}: labels of dtype {values.dtype} are not class labels")
    names, codes = np.unique(values, return_inverse=True)
    return codes.astype(np.int64).reshape(-1), names


# -- CSV ---------------------------------------------------------------------


def _detect_delimiter(sample: str) -> str:
    """The delimiter of :data:`DELIMITERS` that cuts the sample's rows most consistently.

    A candidate must give the first row two fields or more; the best one gives
    most rows the first row's count of fields, then the most numeric fields.
    """
    best, best_score = ",", None
    for delimiter in DELIMITERS:
        rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if _filled(r)]
        if not rows or len(rows[0]) < 2:
            continue
        same = sum(len(r) == len(rows[0]) for r in rows)
        numeric = sum(_number(f) is not None for r in rows for f in r)
        score = (same, numeric)
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    return best


def _filled(row: list[str]) -> bool:
    return bool(row) and any(f.strip() for f in row)


def _is_header(first: list[str], second: list[str] | None) -> bool:
    """A first row is a header when it has a word where the data have a number."""
    if second is None:
        return any(_number(f) is None for f in first)
    return any(
        _number(a) is None and _number(b) is not None for a, b in zip(first, second, strict=False)
    )


def _read_table(path: Path) -> tuple[list[str], list[tuple[int, list[str]]], bool, str]:
    """``(column names, [(line, fields)], has_header, delimiter)`` of a CSV file."""
    with path.open(newline="") as handle:
        text = handle.read()
    sample = "\n".join(text.splitlines()[:_SAMPLE_LINES])
    delimiter = _detect_delimiter(sample)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    for row in reader:
        if _filled(row):
            rows.append((reader.line_num, [f.strip() for f in row]))
    if not rows:
        raise ValueError(f"{path}: empty file (expected rows of comma-separated values)")
    header = _is_header(rows[0][1], rows[1][1] if len(rows) > 1 else None)
    if header:
        names, rows = rows[0][1], rows[1:]
        if not rows:
            raise ValueError(f"{path}: no data rows after the header")
    else:
        names = [str(j + 1) for j in range(len(rows[0][1]))]
    return names, rows, header, delimiter


def _column(names: list[str], header: bool) -> dict[str, str]:
    """How messages name each column: ``column 'b'`` with a header, ``column 2`` without."""
    return {n: f"column {n!r}" if header else f"column {n}" for n in names}


def _split_columns(
    path: Path, names: list[str], rows, header: bool, delimiter: str, label: int | None
) -> tuple[np.ndarray, list[str]]:
    """Parse the feature columns as floats; return them and the label column's fields."""
    said = _column(names, header)
    features = np.empty((len(rows), len(names) - (label is not None)))
    labels = []
    feature_names = [n for j, n in enumerate(names) if j != label]
    for i, (line, row) in enumerate(rows):
        if len(row) != len(names):
            first = "the header" if header else "the first row"
            raise ValueError(f"{path}, line {line}: {len(row)} fields, {first} has {len(names)}")
        fields = list(row)
        if label is not None:
            labels.append(fields.pop(label))
        for j, (name, text) in enumerate(zip(feature_names, fields, strict=True)):
            value = _number(text)
            if value is None or not np.isfinite(value):
                what = "missing value" if not text else f"non-numeric value {text!r}"
                hint = ""
                other = [d for d in DELIMITERS if d != delimiter and d in text]
                if other:
                    hint = f" (fields are separated by {delimiter!r} in this file)"
                raise ValueError(f"{path}, line {line}: {what} in feature {said[name]}{hint}")
            features[i, j] = value
    return features, labels


def _label_column(path: Path, names: list[str], header: bool, target: str | None) -> int:
    if len(names) < 2:
        raise ValueError(f"{path}: needs at least one feature column and a label column")
    if target is None:
        return len(names) - 1
    if target in names:
        return names.index(target)
    listed = ", ".join(names) if header else f"1 to {len(names)} (the file has no header row)"
    raise ValueError(f"{path}: no column named {target!r} (columns: {listed})")


def load_csv(path: str | os.PathLike, *, target: str | None = None, return_names: bool = False):
    """Read a CSV file of examples: one per row, features then (by default) the label.

    The first row is a header when it holds a word where the second row holds a
    number; otherwise it is data, and the columns are named ``"1"``, ``"2"``, ...
    The delimiter is detected (:data:`DELIMITERS`). The label is the column named
    ``target``, or the last column when ``target`` is None; every other column is
    a numeric feature. Integer labels (``3`` or ``3.0``) are kept; words become
    0..k-1 in the sorted order of their distinct values.

    Returns
    -------
    X, y
        ``(n_samples, n_features)`` floats and ``(n_samples,)`` int labels; with
        ``return_names``, also ``names``: the words of the codes (``names[y]``),
        or None for integer labels (see :func:`encode_labels`).

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Naming the file: it is empty or has no data rows, ``target`` is not a
        column, there is no feature column, a row has the wrong number of
        fields, a feature is missing or not a number (line and column named), or
        a label is missing or a non-integer number.
    """
    path = Path(path)
    names, rows, header, delimiter = _read_table(path)
    label = _label_column(path, names, header, target)
    features, labels = _split_columns(path, names, rows, header, delimiter, label)
    if any(not text for text in labels):
        raise ValueError(f"{path}: a label is missing in {_column(names, header)[names[label]]}")
    as_numbers = [_number(text) for text in labels]
    raw = np.array(labels) if None in as_numbers else np.array(as_numbers, dtype=np.float64)
    codes, label_names = encode_labels(raw, str(path))
    return (features, codes, label_names) if return_names else (features, codes)


def _npz_arrays(path: Path, needed: tuple[str, ...]) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path}: not a readable .npz archive ({err})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: a single .npy array, expected an .npz archive with X and y")
    with archive:
        missing = [key for key in needed if key not in archive.files]
        if missing:
            raise ValueError(
                f"{path}: missing array {missing[0]!r} (expected {' and '.join(needed)}, "
                f"found {', '.join(archive.files) or 'nothing'})"
            )
        try:
            return {key: archive[key] for key in needed}
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
            raise ValueError(f"{path}: cannot read {' and '.join(needed)} ({err})") from None


def _check_X(path: Path, X: np.ndarray) -> np.ndarray:
    if X.ndim != 2:
        raise ValueError(f"{path}: X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{path}: no examples or no features (X has shape {X.shape})")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{path}: X must be numeric, got dtype {X.dtype}")
    X = X.astype(np.float64)
    if not np.isfinite(X).all():
        raise ValueError(f"{path}: X holds NaN or inf")
    return X


def load_npz(path: str | os.PathLike, *, return_names: bool = False):
    """Read an ``.npz`` archive holding arrays ``X`` (n, d) and ``y`` (n,).

    Loaded with ``allow_pickle=False``: object arrays are refused. ``X`` must
    be numeric (it is returned as float64); ``y`` may be integers, integral
    floats, booleans or strings (mapped to 0..k-1 in sorted order). With
    ``return_names``, the names of the codes come third, as in :func:`load_csv`.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Naming the file: not an npz archive, ``X`` or ``y`` missing, pickled
        (object) arrays, wrong shapes, non-numeric or non-finite ``X``, no
        examples, labels that are not classes.
    """
    path = Path(path)
    arrays = _npz_arrays(path, ("X", "y"))
    X, y = arrays["X"], arrays["y"]
    if X.ndim != 2:
        raise ValueError(f"{path}: X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{path}: y must be 1-D (n_samples,), got shape {y.shape}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"{path}: X has {X.shape[0]} rows but y has {y.shape[0]} labels")
    X = _check_X(path, X)
    codes, names = encode_labels(y, str(path))
    return (X, codes, names) if return_names else (X, codes)


def load_features(
    path: str | os.PathLike, n_features: int, *, target: str | None = None
) -> np.ndarray:
    """The examples of a CSV or NPZ file for a model of ``n_features`` inputs.

    A CSV file (read as in :func:`load_csv`) may hold just the features, or the
    features and a label column: the column named ``target``, else the last
    one when there is one column too many; the label is not read. An NPZ file
    needs ``X`` (``y``, if present, is not read).

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        The file is not CSV or NPZ, is malformed (as in :func:`load_csv`), or has
        another number of feature columns than ``n_features``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        X = _check_X(path, _npz_arrays(path, ("X",))["X"])
        columns = X.shape[1]
    elif suffix == ".csv":
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
        names, rows, header, delimiter = _read_table(path)
        label = None
        if target is not None:
            label = _label_column(path, names, header, target)
        elif len(names) == n_features + 1:
            label = len(names) - 1
        X, _ = _split_columns(path, names, rows, header, delimiter, label)
        columns = X.shape[1]
    else:
        raise ValueError(f"{path}: expected a .csv or .npz file")
    if columns != n_features:
        raise ValueError(
            f"{path}: {columns} feature columns, but the model was trained on {n_features} features"
        )
    return X
