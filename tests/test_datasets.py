"""descend.datasets: generators, bundled sets, IDX/CSV/NPZ readers, split and scaling.

Fixture files (IDX, CSV, NPZ) are written by hand under ``tmp_path``, byte by
byte with ``struct`` for IDX, so the readers are checked against the format
rather than against themselves.
"""

from __future__ import annotations

import gzip
import math
import struct
from pathlib import Path

import numpy as np
import pytest
import sklearn.datasets

from descend import datasets

# -- generated ---------------------------------------------------------------


def test_moons_matches_scikit_learn_for_the_course_seed():
    X, y = datasets.moons(300, noise=0.2, rng=np.random.RandomState(3))
    X_ref, y_ref = sklearn.datasets.make_moons(300, noise=0.2, random_state=3)
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)
    assert X.dtype == np.float64 and y.dtype == np.int64


@pytest.mark.parametrize("factor", [0.3, 0.5, 0.8])
def test_circles_without_noise_lie_on_two_radii(factor):
    X, y = datasets.circles(100, noise=0.0, factor=factor, rng=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], factor)
    assert np.bincount(y).tolist() == [50, 50]


@pytest.mark.parametrize(("n_samples", "turns"), [(2, 1.5), (101, 1.5), (300, 0.75), (50, 3.0)])
def test_spirals_without_noise_follow_the_arm_equation(n_samples, turns):
    # Each point of class k sits at radius r and angle 2*pi*turns*r + k*pi.
    X, y = datasets.spirals(n_samples, noise=0.0, turns=turns, rng=1)
    r = np.hypot(X[:, 0], X[:, 1])
    angle = np.arctan2(X[:, 1], X[:, 0])
    expected = 2 * np.pi * turns * r + np.pi * y
    gap = np.angle(np.exp(1j * (angle - expected)))  # difference wrapped to (-pi, pi]
    np.testing.assert_allclose(gap, 0.0, atol=1e-9)
    assert np.all((r >= 0) & (r <= 1))
    assert np.bincount(y).tolist() == [n_samples // 2, n_samples - n_samples // 2]


def test_spirals_noise_is_measured_in_arm_gaps():
    # The jitter's standard deviation is noise / (2 pi turns) per coordinate.
    X0, _ = datasets.spirals(4000, noise=0.0, turns=2.0, rng=5)
    X1, _ = datasets.spirals(4000, noise=0.5, turns=2.0, rng=5)
    # Same seed: the uniform draws and the shuffle agree, the noise is added on top.
    assert np.std(X1 - X0) == pytest.approx(0.5 / (4 * np.pi), rel=0.05)


@pytest.mark.parametrize("make", [datasets.moons, datasets.circles, datasets.spirals])
def test_generators_are_seeded(make):
    X1, y1 = make(rng=7)
    X2, y2 = make(rng=7)
    X3, _ = make(rng=8)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    Xg1, _ = make(rng=np.random.default_rng(3))
    Xg2, _ = make(rng=np.random.default_rng(3))
    np.testing.assert_array_equal(Xg1, Xg2)
    assert X1.shape == (300, 2) and set(y1.tolist()) == {0, 1}


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_samples": 1}, ValueError, r"Invalid n_samples: 1 \(expected an int >= 2\)"),
        ({"n_samples": 10.0}, TypeError, "n_samples must be an int"),
        ({"noise": -0.1}, ValueError, "Invalid noise"),
        ({"noise": float("nan")}, ValueError, "Invalid noise"),
        ({"noise": "0.1"}, TypeError, "noise must be a real number"),
        ({"turns": 0}, ValueError, "Invalid turns"),
        ({"turns": None}, TypeError, "turns must be a real number"),
    ],
)
def test_spirals_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        datasets.spirals(**kwargs)


# -- bundled -----------------------------------------------------------------

# Sizes and class counts as the UCI / scikit-learn documentation states them.
BUNDLED = [
    ("iris", (150, 4), [50, 50, 50]),
    ("wine", (178, 13), [59, 71, 48]),
    ("breast_cancer", (569, 30), [212, 357]),
    ("digits", (1797, 64), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]),
]


@pytest.mark.parametrize(("name", "shape", "counts"), BUNDLED)
def test_bundled_sets(name, shape, counts):
    X, y = getattr(datasets, name)()
    assert X.shape == shape and X.dtype == np.float64
    assert y.shape == (shape[0],) and y.dtype == np.int64
    assert np.bincount(y).tolist() == counts
    X2, y2 = datasets.load(name)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


# -- IDX ---------------------------------------------------------------------

IDX_TYPES = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of ``array``, written out from the format description."""
    code = IDX_TYPES[array.dtype.str[1:]]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path: Path, data: bytes, *, compress: bool = False) -> Path:
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize(
    "array",
    [
        np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
        np.array([-128, -1, 0, 127], dtype=np.int8),
        np.array([[-300, 2], [7, 30000]], dtype=np.int16),
        np.array([[-(2**31)], [2**31 - 1]], dtype=np.int32),
        np.array([0.5, -1.25, 3e38], dtype=np.float32),
        np.array([[1e-300, -2.5]], dtype=np.float64),
        np.zeros((0, 28, 28), dtype=np.uint8),
    ],
)
def test_read_idx_round_trips_every_type(tmp_path, array, compress):
    path = write(tmp_path / "a.idx", idx_bytes(array), compress=compress)
    out = datasets.read_idx(path)
    np.testing.assert_array_equal(out, array)
    assert out.shape == array.shape and out.dtype == array.dtype
    assert out.dtype.isnative and out.flags.writeable


def test_read_idx_known_bytes(tmp_path):
    # 0x00000801: unsigned bytes, one dimension of 3.
    path = write(tmp_path / "labels", b"\x00\x00\x08\x01\x00\x00\x00\x03\x07\x00\x09")
    np.testing.assert_array_equal(datasets.read_idx(path), [7, 0, 9])
    # 0x00000B01: big-endian int16, values 0x0102 = 258 and 0xFFFE = -2.
    path = write(tmp_path / "shorts", b"\x00\x00\x0b\x01\x00\x00\x00\x02\x01\x02\xff\xfe")
    np.testing.assert_array_equal(datasets.read_idx(path), [258, -2])


GOOD = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))

BAD_IDX = [
    (
        "truncated data",
        GOOD[:-1],
        r"truncated.*shape \(3, 4\) of uint8, 24 bytes in all, the file holds 23",
    ),
    ("trailing bytes", GOOD + b"\x00", "has trailing bytes"),
    ("wrong magic", b"\x01\x00" + GOOD[2:], "not an IDX file.*0x01000802"),
    ("unknown type", b"\x00\x00\x0a\x02" + GOOD[4:], "not an IDX file"),
    ("no dimensions", b"\x00\x00\x08\x00", "not an IDX file"),
    ("too short", b"\x00\x00", "too short for an IDX header"),
    ("empty", b"", "too short"),
    ("truncated header", GOOD[:9], "truncated IDX header"),
    ("gzip of text", gzip.compress(b"hello world, not idx"), "not an IDX file"),
    ("truncated gzip", gzip.compress(GOOD)[:-6], "corrupt or truncated gzip"),
    ("csv text", b"a,b\n1,2\n", "not an IDX file"),
]


@pytest.mark.parametrize(("case", "data", "match"), BAD_IDX, ids=[row[0] for row in BAD_IDX])
def test_read_idx_rejects_bad_files(tmp_path, case, data, match):
    path = write(tmp_path / "bad-file-idx", data)
    with pytest.raises(ValueError, match=match) as info:
        datasets.read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        datasets.read_idx(tmp_path / "nope")


def fake_fashion(
    directory: Path,
    *,
    n_train: int = 5,
    n_test: int = 3,
    compress: bool = True,
    image_shape: tuple[int, int] = (28, 28),
    labels: dict[str, np.ndarray] | None = None,
) -> Path:
    """Write four small Fashion-MNIST-shaped IDX files; pixel (i, 0, 0) of image i is i."""
    directory.mkdir(exist_ok=True)
    suffix = ".gz" if compress else ""
    for split, n in (("train", n_train), ("test", n_test)):
        images_stem, labels_stem = datasets.FASHION_MNIST_FILES[split]
        images = np.zeros((n, *image_shape), dtype=np.uint8)
        images[:, 0, 0] = np.arange(n)
        images[:, -1, -1] = 255
        y = np.arange(n, dtype=np.uint8) % 10 if labels is None else labels[split]
        write(directory / (images_stem + suffix), idx_bytes(images), compress=compress)
        write(directory / (labels_stem + suffix), idx_bytes(y), compress=compress)
    return directory


@pytest.mark.parametrize("compress", [True, False])
def test_fashion_mnist_from_a_folder(tmp_path, compress):
    folder = fake_fashion(tmp_path / "fm", compress=compress)
    X, y = datasets.fashion_mnist("train", data_dir=folder)
    assert X.shape == (5, 784) and X.dtype == np.float32
    assert y.tolist() == [0, 1, 2, 3, 4] and y.dtype == np.int64
    np.testing.assert_allclose(X[:, 0], np.arange(5) / 255)
    np.testing.assert_array_equal(X[:, -1], 1.0)
    assert X.min() >= 0 and X.max() <= 1
    X_test, y_test = datasets.fashion_mnist("test", data_dir=str(folder), dtype=np.float64)
    assert X_test.shape == (3, 784) and X_test.dtype == np.float64
    assert y_test.tolist() == [0, 1, 2]


def test_fashion_mnist_through_load_and_load_train_test(tmp_path):
    folder = fake_fashion(tmp_path / "fm")
    X, y = datasets.load("Fashion-MNIST", data_dir=folder)
    assert X.shape == (5, 784) and y.shape == (5,)
    X_train, X_test, y_train, y_test = datasets.load_train_test(
        "fashion_mnist", data_dir=folder, seed=123
    )
    assert (X_train.shape, X_test.shape) == ((5, 784), (3, 784))
    assert y_train.tolist() == [0, 1, 2, 3, 4] and y_test.tolist() == [0, 1, 2]


def test_fashion_mnist_missing_folder_says_how_to_get_it(tmp_path):
    with pytest.raises(datasets.DataNotFoundError) as info:
        datasets.fashion_mnist(data_dir=tmp_path / "absent")
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert "\n" not in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "--data-dir" in message and str(tmp_path / "absent") in message


def test_fashion_mnist_missing_file(tmp_path):
    folder = fake_fashion(tmp_path / "fm")
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    datasets.fashion_mnist("train", data_dir=folder)  # the train files are all there
    with pytest.raises(datasets.DataNotFoundError, match="t10k-labels-idx1-ubyte"):
        datasets.fashion_mnist("test", data_dir=folder)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"image_shape": (27, 28)}, r"expected uint8 images of shape \(n, 28, 28\)"),
        ({"labels": {"train": np.zeros(4, np.uint8), "test": np.zeros(3, np.uint8)}},
         "holds 4 labels but .* holds 5 images"),
        ({"labels": {"train": np.full(5, 10, np.uint8), "test": np.zeros(3, np.uint8)}},
         "labels must lie in 0..9"),
        ({"labels": {"train": np.zeros((5, 1), np.uint8), "test": np.zeros(3, np.uint8)}},
         "expected a 1-D array of uint8 labels"),
    ],
)  # fmt: skip
def test_fashion_mnist_rejects_inconsistent_files(tmp_path, kwargs, match):
    folder = fake_fashion(tmp_path / "fm", **kwargs)
    with pytest.raises(ValueError, match=match):
        datasets.fashion_mnist("train", data_dir=folder)


def test_fashion_mnist_truncated_file_is_named(tmp_path):
    folder = fake_fashion(tmp_path / "fm", compress=False)
    path = folder / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte: IDX data truncated"):
        datasets.fashion_mnist("train", data_dir=folder)


def test_fashion_mnist_bad_split():
    with pytest.raises(ValueError, match="Invalid split: 'valid'"):
        datasets.fashion_mnist("valid")


@pytest.mark.skipif(
    not (datasets.FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").is_file(),
    reason="Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)",
)
def test_fashion_mnist_installed_files():
    X_train, X_test, y_train, y_test = datasets.load_train_test("fashion_mnist")
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert X_train.min() == 0.0 and X_train.max() == 1.0


# -- CSV ---------------------------------------------------------------------


def csv_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.csv"
    path.write_text(text)
    return path


def test_csv_last_column_is_the_label(tmp_path):
    path = csv_file(tmp_path, "a,b,label\n1,2.5,0\n-3,4e1,1\n\n5, 6 ,1\n")
    X, y = datasets.load_csv(path)
    np.testing.assert_array_equal(X, [[1, 2.5], [-3, 40], [5, 6]])
    assert y.tolist() == [0, 1, 1] and y.dtype == np.int64


def test_csv_target_by_name_and_word_labels(tmp_path):
    path = csv_file(
        tmp_path, "x1,species,x2\n1,virginica,2\n3,setosa,4\n5,versicolor,6\n7,setosa,8\n"
    )
    X, y = datasets.load(path, target="species")
    np.testing.assert_array_equal(X, [[1, 2], [3, 4], [5, 6], [7, 8]])
    assert y.tolist() == [2, 0, 1, 0]  # sorted: setosa, versicolor, virginica


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["3.0", "1.0", "3.0"], [3, 1, 3]),
        (["-1", "1", "1"], [-1, 1, 1]),
    ],
)
def test_csv_numeric_labels(tmp_path, labels, expected):
    rows = "".join(f"{i},{label}\n" for i, label in enumerate(labels))
    X, y = datasets.load_csv(csv_file(tmp_path, "f,y\n" + rows))
    assert y.tolist() == expected and X[:, 0].tolist() == list(range(len(labels)))


def test_csv_non_integer_number_labels_are_refused(tmp_path):
    """descend classifies: a column of measurements is not 214 classes."""
    path = csv_file(tmp_path, "f,y\n1,0.5\n2,1.5\n3,2.0\n")
    with pytest.raises(ValueError, match=r"non-integer numbers such as 0.5; descend classifies"):
        datasets.load_csv(path)
    np.savez(tmp_path / "d.npz", X=np.ones((3, 1)), y=np.array([0.5, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"non-integer numbers such as 0\.5"):
        datasets.load_npz(tmp_path / "d.npz")


@pytest.mark.parametrize(
    "text",
    [
        "1,2.5,0\n-3,4e1,1\n5,6,1\n",  # no header: the first row is data
        "a,b,label\n1,2.5,0\n-3,4e1,1\n5,6,1\n",
        "a;b;label\n1;2.5;0\n-3;4e1;1\n5;6;1\n",  # ; delimited
        "1;2.5;0\n-3;4e1;1\n5;6;1\n",
        "a\tb\tlabel\n1\t2.5\t0\n-3\t4e1\t1\n5\t6\t1\n",
        "a|b|label\n1|2.5|0\n-3|4e1|1\n5|6|1\n",
    ],
)
def test_csv_header_and_delimiter_are_detected(tmp_path, text):
    X, y = datasets.load_csv(csv_file(tmp_path, text))
    np.testing.assert_array_equal(X, [[1, 2.5], [-3, 40], [5, 6]])
    assert y.tolist() == [0, 1, 1]


def test_csv_without_header_word_labels_and_target_by_number(tmp_path):
    path = csv_file(tmp_path, "5.1,setosa,3.5\n4.9,setosa,3.0\n6.3,virginica,2.9\n")
    X, y, names = datasets.load_csv(path, target="2", return_names=True)
    np.testing.assert_array_equal(X, [[5.1, 3.5], [4.9, 3.0], [6.3, 2.9]])
    assert y.tolist() == [0, 0, 1] and names.tolist() == ["setosa", "virginica"]
    with pytest.raises(
        ValueError, match=r"no column named 'x' \(columns: 1 to 3 \(the file has no"
    ):
        datasets.load_csv(path, target="x")


def test_csv_decimal_commas_in_a_semicolon_file_are_named(tmp_path):
    path = csv_file(tmp_path, "a;b;label\n1,5;2;0\n3;4,25;1\n")
    with pytest.raises(ValueError, match=r"line 2: non-numeric value '1,5' in feature column 'a'"):
        datasets.load_csv(path)


def test_load_and_load_train_test_return_label_names(tmp_path):
    path = csv_file(
        tmp_path, "x,y\n" + "".join(f"{i},{'cat' if i % 2 else 'dog'}\n" for i in range(8))
    )
    _, y, names = datasets.load(path, return_names=True)
    assert names.tolist() == ["cat", "dog"] and (names[y] == ["dog", "cat"] * 4).all()
    *split, names = datasets.load_train_test(path, return_names=True)
    assert len(split) == 4 and names.tolist() == ["cat", "dog"]
    assert datasets.load("iris", return_names=True)[2] is None


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        ("a,b\n1,2\n3,4\n", {}, [[1, 2], [3, 4]]),  # just the features
        ("a,b,label\n1,2,x\n3,4,y\n", {}, [[1, 2], [3, 4]]),  # a label column, left out
        ("label,a,b\n1,2,x\n3,4,y\n", {"target": "b"}, [[1, 2], [3, 4]]),
        ("1;2\n3;4\n", {}, [[1, 2], [3, 4]]),
    ],
)
def test_load_features(tmp_path, text, kwargs, expected):
    X = datasets.load_features(csv_file(tmp_path, text), 2, **kwargs)
    np.testing.assert_array_equal(X, expected)


def test_load_features_errors(tmp_path):
    with pytest.raises(ValueError, match=r"4 feature columns, but the model was trained on 2"):
        datasets.load_features(csv_file(tmp_path, "1,2,3,4\n"), 2)
    np.savez(tmp_path / "d.npz", X=np.ones((3, 5)))
    with pytest.raises(ValueError, match="5 feature columns"):
        datasets.load_features(tmp_path / "d.npz", 2)
    np.testing.assert_array_equal(datasets.load_features(tmp_path / "d.npz", 5), np.ones((3, 5)))
    with pytest.raises(ValueError, match=r"expected a \.csv or \.npz file"):
        datasets.load_features(tmp_path / "d.txt", 2)
    with pytest.raises(FileNotFoundError):
        datasets.load_features(tmp_path / "none.csv", 2)


BAD_CSV = [
    ("", {}, "empty file"),
    ("a,b\n", {}, "no data rows after the header"),
    ("label\n1\n2\n", {}, "needs at least one feature column"),
    ("a,b,c\n1,2,3\n", {"target": "y"}, r"no column named 'y' \(columns: a, b, c\)"),
    ("a,b,c\n1,2,3\n4,x,1\n", {}, r"line 3: non-numeric value 'x' in feature column 'b'"),
    ("a,b,c\n1,,3\n", {}, r"line 2: missing value in feature column 'b'"),
    ("a,b,c\n1,2,3\n1,2\n", {}, r"line 3: 2 fields, the header has 3"),
    ("a,b\n1,\n", {}, "a label is missing in column 'b'"),
]


@pytest.mark.parametrize(("text", "kwargs", "match"), BAD_CSV)
def test_csv_errors_name_the_file(tmp_path, text, kwargs, match):
    path = csv_file(tmp_path, text)
    with pytest.raises(ValueError, match=match) as info:
        datasets.load_csv(path, **kwargs)
    assert str(path) in str(info.value)


# -- NPZ ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y", "expected"),
    [
        (np.array([2, 0, 1]), [2, 0, 1]),
        (np.array([[1.0], [0.0], [1.0]]), [1, 0, 1]),
        (np.array(["cat", "ant", "cat"]), [1, 0, 1]),
        (np.array([True, False, True]), [1, 0, 1]),
    ],
)
def test_npz(tmp_path, y, expected):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.arange(6, dtype=np.int32).reshape(3, 2), y=y)
    X, labels = datasets.load(path)
    np.testing.assert_array_equal(X, [[0, 1], [2, 3], [4, 5]])
    assert X.dtype == np.float64 and labels.dtype == np.int64
    assert labels.tolist() == expected


def npz_bad(tmp_path: Path, case: str) -> Path:
    path = tmp_path / "bad.npz"
    X, y = np.ones((3, 2)), np.array([0, 1, 0])
    arrays = {
        "missing y": {"X": X, "labels": y},
        "object y": {"X": X, "y": np.array([0, "a", None], dtype=object)},
        "1-D X": {"X": np.ones(3), "y": y},
        "2-D y": {"X": X, "y": np.ones((3, 2))},
        "length mismatch": {"X": X, "y": np.array([0, 1])},
        "no rows": {"X": np.ones((0, 2)), "y": np.array([], dtype=int)},
        "string X": {"X": np.array([["a", "b"]] * 3), "y": y},
        "nan X": {"X": np.array([[1.0, np.nan]] * 3), "y": y},
        "float labels with nan": {"X": X, "y": np.array([0.0, np.nan, 1.0])},
    }
    if case == "not a zip":
        path.write_text("X,y\n1,2\n")
    elif case == "npy":
        with path.open("wb") as handle:
            np.save(handle, X)
    else:
        np.savez(path, **arrays[case])
    return path


BAD_NPZ = [
    ("not a zip", "not a readable .npz archive"),
    ("npy", "a single .npy array"),
    ("missing y", r"missing array 'y' \(expected X and y, found X, labels\)"),
    ("object y", "cannot read X and y"),
    ("1-D X", "X must be 2-D"),
    ("2-D y", "y must be 1-D"),
    ("length mismatch", "X has 3 rows but y has 2 labels"),
    ("no rows", "no examples or no features"),
    ("string X", "X must be numeric"),
    ("nan X", "X holds NaN or inf"),
    ("float labels with nan", "labels hold NaN"),
]


@pytest.mark.parametrize(("case", "match"), BAD_NPZ)
def test_npz_errors_name_the_file(tmp_path, case, match):
    path = npz_bad(tmp_path, case)
    with pytest.raises(ValueError, match=match) as info:
        datasets.load_npz(path)
    assert str(path) in str(info.value)


# -- load ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("moons", lambda: sklearn.datasets.make_moons(300, noise=0.2, random_state=4)),
        (
            "circles",
            lambda: sklearn.datasets.make_circles(300, noise=0.1, factor=0.5, random_state=4),
        ),
        ("spirals", lambda: datasets.spirals(300, rng=4)),
    ],
)  # fmt: skip
def test_load_generated_sets_use_the_seed(name, reference):
    X, y = datasets.load(name, seed=4)
    X_ref, y_ref = reference()
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)


def test_names_are_all_loadable_by_name():
    assert set(datasets.NAMES) == {
        "moons", "circles", "spirals", "iris", "wine", "breast_cancer", "digits", "fashion_mnist"
    }  # fmt: skip
    assert datasets.load("Breast-Cancer")[0].shape == (569, 30)


@pytest.mark.parametrize(
    ("argument", "error", "match"),
    [
        ("mnist", ValueError, r"unknown data set 'mnist': expected one of moons, circles, "),
        ("", ValueError, "unknown data set"),
        ("data.txt", ValueError, r"or the path of a \.csv or \.npz file"),
        ("no/such/file.csv", FileNotFoundError, "no such file"),
        (Path("no/such/file.npz"), FileNotFoundError, "no such file"),
    ],
)  # fmt: skip
def test_load_errors(argument, error, match):
    with pytest.raises(error, match=match):
        datasets.load(argument)


# -- train_test_split ----------------------------------------------------------


def test_train_test_split_is_a_seeded_stratified_partition():
    X = np.arange(200.0).reshape(100, 2)
    y = np.repeat([0, 1, 2], [20, 30, 50])
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.2, seed=3)
    # Partition: every row exactly once, rows kept whole.
    rows = np.concatenate([X_train[:, 0], X_test[:, 0]]) / 2
    assert sorted(rows.tolist()) == list(range(100))
    np.testing.assert_array_equal(y[(X_test[:, 0] / 2).astype(int)], y_test)
    # Stratified: 20% of each class held out.
    assert np.bincount(y_test).tolist() == [4, 6, 10]
    assert np.bincount(y_train).tolist() == [16, 24, 40]
    # Seeded and shuffled.
    again = datasets.train_test_split(X, y, test_size=0.2, seed=3)
    np.testing.assert_array_equal(again[1], X_test)
    other = datasets.train_test_split(X, y, test_size=0.2, seed=4)
    assert not np.array_equal(other[1], X_test)
    assert not np.all(np.diff(y_train) >= 0)


@pytest.mark.parametrize(
    ("y", "test_size", "counts"),
    [
        ([0, 0, 1, 1], 0.25, (1, 1)),  # each class of two keeps one per side
        ([0, 1, 1, 1, 1, 1, 1, 1, 1, 1], 0.1, (0, 1)),  # a singleton class stays in training
        ([0, 0, 0, 1], 0.9, (2, 0)),  # never the whole class
        ([0, 1, 2], 0.5, (0, 0, 0)),  # all singletons: one row goes to test anyway
    ],
)
def test_train_test_split_small_classes(y, test_size, counts):
    y = np.array(y)
    _, _, y_train, y_test = datasets.train_test_split(np.zeros((y.size, 1)), y, test_size, 0)
    held = np.bincount(y_test, minlength=y.max() + 1)
    if counts == (0, 0, 0):
        assert held.sum() == 1 and y_train.size == 2
    else:
        assert tuple(held.tolist()) == counts


def test_load_train_test_digits_holds_out_a_quarter():
    X_train, X_test, y_train, y_test = datasets.load_train_test("digits", seed=0)
    assert X_train.shape == (1347, 64) and X_test.shape == (450, 64)
    assert y_test.size == 450 and y_train.size == 1347


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((np.ones((4, 1)), np.ones(3)), ValueError, "same number of rows"),
        ((np.ones((4, 1)), np.ones((4, 1))), ValueError, "y 1-D"),
        ((np.ones((1, 1)), np.ones(1)), ValueError, "cannot split 1 example"),
        ((np.ones((4, 1)), np.ones(4), 0.0), ValueError, r"Invalid test_size: 0.0"),
        ((np.ones((4, 1)), np.ones(4), 1), ValueError, r"Invalid test_size: 1 "),
        ((np.ones((4, 1)), np.ones(4), "0.5"), TypeError, "test_size must be a fraction"),
    ],
)
def test_train_test_split_errors(args, error, match):
    with pytest.raises(error, match=match):
        datasets.train_test_split(*args)


# -- standardisation ----------------------------------------------------------


def test_standardize_uses_training_statistics_only():
    X_train = np.array([[1.0, 5.0, 0.0], [3.0, 5.0, 4.0]])  # means 2, 5, 2; stds 1, 0, 2
    X_test = np.array([[2.0, 6.0, 8.0], [5.0, 5.0, -2.0]])
    train, test = datasets.standardize(X_train, X_test)
    np.testing.assert_array_equal(train, [[-1.0, 0.0, -1.0], [1.0, 0.0, 1.0]])
    np.testing.assert_array_equal(test, [[0.0, 1.0, 3.0], [3.0, 0.0, -2.0]])


def test_standardizer_attributes_and_dtype():
    X = np.array([[0.0, 7.0], [2.0, 7.0], [4.0, 7.0]], dtype=np.float32)
    scaler = datasets.Standardizer().fit(X)
    np.testing.assert_allclose(scaler.mean_, [2.0, 7.0])
    np.testing.assert_allclose(scaler.scale_, [math.sqrt(8 / 3), 1.0], rtol=1e-6)
    out = scaler.fit_transform(X)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-6)


@pytest.mark.parametrize(
    ("fit_on", "transform", "error", "match"),
    [
        (None, np.ones((2, 2)), RuntimeError, "not fitted"),
        (np.ones(3), None, ValueError, "2-D with at least one row"),
        (np.ones((0, 3)), None, ValueError, "2-D with at least one row"),
        (np.ones((2, 3)), np.ones((2, 2)), ValueError, r"shape \(n, 3\)"),
    ],
)
def test_standardizer_errors(fit_on, transform, error, match):
    scaler = datasets.Standardizer()
    with pytest.raises(error, match=match):
        if fit_on is not None:
            scaler.fit(fit_on)
        scaler.transform(transform)
