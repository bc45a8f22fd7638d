"""A trained model is usable: descend train --save, descend predict, descend.load_model."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import descend
from descend import datasets, network
from descend.cli import main
from descend.model import FORMAT, Model, load_model
from descend.runs import RunSettings, prepare_data, run


def _descend(*argv, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "descend", *argv], capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def words_csv(tmp_path_factory):
    """Iris as a ';'-separated CSV without a header, labels as words."""
    folder = tmp_path_factory.mktemp("words")
    from sklearn.datasets import load_iris

    iris = load_iris()
    path = folder / "iris.csv"
    path.write_text(
        "".join(
            ";".join(f"{v:g}" for v in x) + f";{iris.target_names[t]}\n"
            for x, t in zip(iris.data, iris.target, strict=True)
        )
    )
    return path, iris


@pytest.fixture(scope="module")
def moons_result():
    settings = RunSettings(dataset="moons", epochs=30, hidden=(8,), learning_rate=0.01)
    return run(settings, backend="numpy")


def test_model_predicts_as_the_trained_network(moons_result, tmp_path):
    """Saved, loaded and given raw features, the model predicts what training measured."""
    data = moons_result.data
    model = Model.from_run(moons_result)
    path = model.save(tmp_path / "m.npz")
    loaded = load_model(path)
    X_raw, y = datasets.load("moons", seed=0)  # the raw data the run split and standardised
    _, X_test_raw, _, y_test = datasets.train_test_split(X_raw, y, seed=0)
    expected = network.predict_labels(data.X_test, moons_result.params)[0]
    np.testing.assert_array_equal(loaded.predict(X_test_raw), data.classes[expected])
    assert np.mean(loaded.predict(X_test_raw) == y_test) == moons_result.test_accuracy
    proba = loaded.predict_proba(X_test_raw)
    assert proba.shape == (len(y_test), 2) and np.allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(loaded.mean, data.mean)
    assert loaded.output == "sigmoid" and loaded.settings["dataset"] == "moons"


def test_model_file_is_plain_arrays(moons_result, tmp_path):
    Model.from_run(moons_result).save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as arrays:  # no pickle anywhere
        contents = {k: arrays[k] for k in arrays.files}
    assert str(contents["format"]) == FORMAT
    assert contents["W1"].shape == (8, 2) and contents["W2"].shape == (1, 8)
    assert contents["classes"].tolist() == [0, 1]
    assert str(contents["activation"]) == "relu"
    assert json.loads(str(contents["settings"]))["hidden"] == [8]


def test_load_model_is_lazy_and_public():
    code = "import sys, descend; print('descend.model' in sys.modules); descend.load_model"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "False"
    assert descend.load_model is load_model and "load_model" in descend.__all__


def test_model_refuses_wrong_feature_counts(moons_result):
    model = Model.from_run(moons_result)
    with pytest.raises(ValueError, match="X has 3 features, but the model was trained on 2"):
        model.predict(np.ones((4, 3)))
    with pytest.raises(ValueError, match="NaN or inf"):
        model.predict([[np.nan, 0.0]])
    assert model.predict([0.0, 1.0]).shape == (1,)  # one example as a 1-D row


@pytest.mark.parametrize(
    ("make", "match"),
    [
        ("checkpoint", "is not a descend model \\(a training checkpoint"),
        ("params", "parameters only \\(an older descend train --save\\)"),
        ("other npz", "no 'descend-model-1' marker"),
        ("text", "not an .npz archive"),
        (
            "broken",
            "malformed descend model: W1 \\(3, 2\\) and b1 \\(8, 1\\) do not follow a "
            "layer of 2 units",
        ),
    ],
)
def test_load_model_refuses_files_that_are_not_models(tmp_path, moons_result, make, match):
    path = tmp_path / "file.npz"
    if make == "checkpoint":
        assert main(["train", "--epochs", "1", "--checkpoint", str(path), "--out",
                     str(tmp_path), "--quiet"]) == 0  # fmt: skip
    elif make == "params":
        np.savez(path, **moons_result.params)
    elif make == "other npz":
        np.savez(path, X=np.ones(3))
    elif make == "text":
        path.write_text("W1,b1\n")
    else:
        Model.from_run(moons_result).save(path)
        with np.load(path) as arrays:
            broken = dict(arrays)
        broken["W1"] = np.ones((3, 2))
        np.savez(path, **broken)
    with pytest.raises(ValueError, match=match):
        load_model(path)


def test_train_save_then_predict_words(words_csv, tmp_path):
    """A ;-separated CSV without header and word labels: predictions come back as words."""
    path, iris = words_csv
    model_path = tmp_path / "iris.npz"
    done = _descend(
        "train", "--dataset", str(path), "--epochs", "150", "--learning-rate", "0.01",
        "--save", str(model_path), "--out", str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "network [4, 64, 3]" in done.stdout and f"descend predict {model_path}" in done.stdout
    model = load_model(model_path)
    assert model.classes.tolist() == ["setosa", "versicolor", "virginica"]

    done = _descend("predict", str(model_path), "--data", str(path))  # the label column is left out
    assert done.returncode == 0, done.stderr
    labels = done.stdout.split()
    assert len(labels) == 150 and set(labels) <= set(iris.target_names)
    assert np.mean(np.array(labels) == iris.target_names[iris.target]) > 0.9

    features = tmp_path / "new.csv"
    features.write_text("sepal,l,petal,w\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")
    done = _descend("predict", str(model_path), "--data", str(features), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["classes"] == ["setosa", "versicolor", "virginica"]
    assert [p["label"] for p in report["predictions"]] == ["setosa", "virginica"]
    for p in report["predictions"]:
        assert len(p["probabilities"]) == 3 and sum(p["probabilities"]) == pytest.approx(1, 1e-5)
        assert p["label"] == report["classes"][int(np.argmax(p["probabilities"]))]


def test_predict_out_file_and_npz(moons_result, tmp_path, capsys):
    model_path = Model.from_run(moons_result).save(tmp_path / "m.npz")
    X, _ = datasets.load("moons", seed=0)
    np.savez(tmp_path / "x.npz", X=X[:5])
    out = tmp_path / "labels.txt"
    assert main(["predict", str(model_path), "--data", str(tmp_path / "x.npz"),
                 "--out", str(out)]) == 0  # fmt: skip
    assert capsys.readouterr().out == ""
    assert out.read_text().split() == [str(v) for v in load_model(model_path).predict(X[:5])]
    assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["--data", "{wide}"], r"wide.csv: 5 feature columns, but the model was trained on 2"),
        (["--data", "{missing}"], r"no such file"),
        (["--data", "{wide}", "--model-is", "{wide}"], r"wide.csv is not a descend model"),
    ],
)
def test_predict_errors_are_one_line(moons_result, tmp_path, argv, pattern):
    model_path = Model.from_run(moons_result).save(tmp_path / "m.npz")
    wide = tmp_path / "wide.csv"
    wide.write_text("1,2,3,4,5\n")
    names = {"wide": wide, "missing": tmp_path / "missing.csv"}
    argv = [a.format(**names) for a in argv]
    if "--model-is" in argv:
        model_path = argv.pop()
        argv.pop()
    done = _descend("predict", str(model_path), *argv)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("descend: error:"), done.stderr
    assert __import__("re").search(pattern, lines[0]), lines[0]


def test_predict_needs_data():
    done = _descend("predict", "m.npz")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "descend: error: the following arguments are required: --data (see descend predict --help)"
    )


def test_prepare_data_keeps_the_standardisation_and_the_label_names(words_csv):
    path, _ = words_csv
    data = prepare_data(RunSettings(dataset=str(path)))
    assert data.labels.tolist() == ["setosa", "versicolor", "virginica"]
    X, _ = datasets.load_csv(path)
    X_train, _, _, _ = datasets.train_test_split(X, datasets.load_csv(path)[1], seed=0)
    np.testing.assert_allclose(data.mean, X_train.mean(axis=0))
    np.testing.assert_allclose(data.X_train, ((X_train - data.mean) / data.scale).T)
