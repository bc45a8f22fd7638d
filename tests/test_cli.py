"""The command line, in-process and as a real subprocess."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys

import numpy as np
import pytest

from descend.cli import main, options

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 5000, path


def test_compare_table_and_figures(tmp_path, capsys):
    assert main(["compare", "--epochs", "30", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    header, *rows = out.splitlines()[:4]
    assert header.split() == ["optimizer", "rate", "final", "cost", "train", "accuracy", "seconds"]
    assert [r.split()[:2] for r in rows] == [["gd", "0.0007"], ["momentum", "0.0007"],
                                             ["adam", "0.0007"]]  # fmt: skip
    for name in ("compare-costs.png", "compare-boundaries.png"):
        _assert_png(tmp_path / name)
        assert str(tmp_path / name) in out


def test_compare_json(tmp_path, capsys):
    assert main(["compare", "--epochs", "5", "--out", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["optimizer"] for r in report["results"]] == ["gd", "momentum", "adam"]
    for r in report["results"]:
        assert 0 <= r["train_accuracy"] <= 1 and r["final_cost"] > 0
    # the course's first epoch, printed by textbook.model as 0.702405, is not the last here
    assert len(report["figures"]) == 2


def test_compare_other_data_and_optimizers(tmp_path, capsys):
    argv = [
        "compare",
        "--dataset",
        "circles",
        "--optimizers",
        "nesterov,rmsprop,adagrad",
        "--epochs",
        "5",
        "--out",
        str(tmp_path),
        "--json",
    ]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dataset"] == "circles" and report["epochs"] == 5
    assert [r["optimizer"] for r in report["results"]] == ["nesterov", "rmsprop", "adagrad"]
    assert all(0 <= r["test_accuracy"] <= 1 for r in report["results"])
    _assert_png(tmp_path / "compare-boundaries.png")  # two features: boundaries drawn


def test_compare_moons_matches_the_textbook_model(tmp_path, capsys):
    """compare's course recipe is textbook.model's: same first-epoch cost."""
    assert (
        main(["compare", "--epochs", "1", "--optimizers", "gd", "--out", str(tmp_path), "--json"])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert f"{report['results'][0]['final_cost']:f}" == "0.702405"


def test_compare_as_a_subprocess(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "descend", "compare", "--epochs", "3", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "adam" in done.stdout
    assert done.stderr == ""  # no progress bars when stderr is not a terminal
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["compare", "--epochs", "0"], "--epochs"),
        (["compare", "--epochs", "ten"], "--epochs"),
        (["compare", "--learning-rate", "-1"], "--learning-rate"),
        (["compare", "--batch-size", "0"], "--batch-size"),
        (["nonsense"], "invalid choice"),
        ([], "required"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv, pattern):
    done = subprocess.run(
        [sys.executable, "-m", "descend", *argv], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert pattern in done.stderr.strip().splitlines()[-1]


def test_runtime_error_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = subprocess.run(
        [sys.executable, "-m", "descend", "compare", "--epochs", "1", "--out", str(blocker)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.startswith("descend:")]
    assert len(lines) == 1 and lines[0].startswith("descend: error:")
    assert "Traceback" not in done.stderr


def test_help_lists_commands():
    done = subprocess.run(
        [sys.executable, "-m", "descend", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "compare" in done.stdout


# -- descend train ---------------------------------------------------------------
def _run(*argv, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "descend", *argv], capture_output=True, text=True, timeout=timeout
    )


def test_train_moons_json_save_and_figures(tmp_path):
    saved = tmp_path / "params.npz"
    done = _run(
        "train",
        "--dataset",
        "moons",
        "--epochs",
        "20",
        "--hidden",
        "8,4",
        "--save",
        str(saved),
        "--out",
        str(tmp_path),
        "--json",
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["n_train"] + report["n_test"] == 300 and report["n_test"] == 76
    assert 0.5 < report["test_accuracy"] <= 1
    with np.load(saved, allow_pickle=False) as model:
        assert {"W1", "b1", "W2", "b2", "W3", "b3", "mean", "scale", "classes"} <= set(model.files)
        assert model["W1"].shape == (8, 2) and model["W3"].shape == (1, 4)
        assert str(model["format"]) == "descend-model-1" and str(model["output"]) == "sigmoid"
    assert report["network"] == [2, 8, 4, 1]  # what is trained: one sigmoid unit
    for name in ("train-cost.png", "train-boundary.png"):
        _assert_png(tmp_path / name)


def test_train_digits_reaches_95_percent(tmp_path):
    done = _run(
        "train", "--dataset", "digits", "--optimizer", "adam", "--out", str(tmp_path), "--json"
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["n_test"] == 450  # 25% of 1797, stratified
    assert report["test_accuracy"] >= 0.95
    assert (tmp_path / "train-cost.png").exists()
    assert not (tmp_path / "train-boundary.png").exists()  # 64 features: no boundary


def test_train_same_seed_same_result(tmp_path):
    a = json.loads(_run("train", "--epochs", "5", "--out", str(tmp_path), "--json").stdout)
    b = json.loads(_run("train", "--epochs", "5", "--out", str(tmp_path), "--json").stdout)
    assert a["final_cost"] == b["final_cost"] and a["test_accuracy"] == b["test_accuracy"]


@pytest.mark.parametrize(
    ("argv", "status", "pattern"),
    [
        (["train", "--optimizer", "sgdx"], 1, "unknown optimizer 'sgdx'.*adam"),
        (["train", "--dataset", "nope"], 1, "unknown data set 'nope'.*digits"),
        (["train", "--dataset", "missing.csv"], 1, "missing.csv"),
        (["train", "--resume"], 1, "--checkpoint"),
        (["train", "--hidden", "64,x"], 2, "--hidden"),
        (["train", "--hidden", "0"], 2, "--hidden"),
        (["train", "--epochs", "-1"], 2, "--epochs"),
        (["trajectory", "--optimizers", "gd,foo"], 1, "unknown optimizer 'foo'"),
        (["compare", "--optimizers", "adam,bogus"], 1, "unknown optimizer 'bogus'"),
        (["compare", "--dataset", "nope"], 1, "unknown data set 'nope'"),
        (["trajectory", "--surface", "moon"], 2, "--surface"),
    ],
)
def test_train_and_trajectory_errors(tmp_path, argv, status, pattern):
    done = _run(*argv, "--out", str(tmp_path))
    assert done.returncode == status
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("descend: error:") or "error:" in last
    assert re.search(pattern, last), last


def test_resume_with_a_corrupt_checkpoint_is_one_line_and_untouched(tmp_path):
    ck = tmp_path / "ck.npz"
    ck.write_bytes(b"PK\x03\x04 garbage")
    done = _run(
        "train", "--epochs", "2", "--checkpoint", str(ck), "--resume", "--out", str(tmp_path)
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert re.search(r"descend: error: checkpoint .*ck.npz is unreadable", done.stderr)
    assert ck.read_bytes() == b"PK\x03\x04 garbage"


def test_resume_with_other_settings_names_them(tmp_path):
    ck = tmp_path / "ck.npz"
    assert (
        _run("train", "--epochs", "2", "--checkpoint", str(ck), "--out", str(tmp_path)).returncode
        == 0
    )
    done = _run(
        "train",
        "--epochs",
        "3",
        "--batch-size",
        "16",
        "--checkpoint",
        str(ck),
        "--resume",
        "--out",
        str(tmp_path),
    )
    assert done.returncode == 1
    assert "batch_size (saved 64, asked 16)" in done.stderr


@pytest.mark.parametrize("surface", ["quadratic", "rosenbrock", "logistic"])
def test_trajectory_figures_and_json(tmp_path, surface):
    done = _run(
        "trajectory", "--surface", surface, "--steps", "50", "--out", str(tmp_path), "--json"
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [r["optimizer"] for r in report["results"]] == ["gd", "momentum", "adam"]
    _assert_png(tmp_path / f"trajectory-{surface}.png")
    _assert_png(tmp_path / "trajectory-sgd-vs-gd.png")


# -- the package: shared options, help, lazy imports -------------------------------
@pytest.mark.parametrize(
    ("function", "text", "expected"),
    [
        (options.positive_int, "3", 3),
        (options.positive_float, "0.01", 0.01),
        (options.hidden, "8, 4", [8, 4]),
        (options.names, " gd, adam ,", ["gd", "adam"]),
        (options.rates, "0.001,0.01", [0.001, 0.01]),
        (options.seeds, "0,1", [0, 1]),
        (options.nonnegative_float, "0", 0.0),
        (options.fraction, "0.25", 0.25),
    ],
)
def test_option_types_accept(function, text, expected):
    assert function(text) == expected


@pytest.mark.parametrize(
    ("function", "text", "pattern"),
    [
        (options.positive_int, "0", r"expected a positive integer, got '0'"),
        (options.positive_int, "2.5", r"expected a positive integer, got '2.5'"),
        (options.positive_float, "nan", r"expected a positive number, got 'nan'"),
        (options.positive_float, "inf", r"expected a positive number, got 'inf'"),
        (options.positive_float, "-1", r"expected a positive number, got '-1'"),
        (options.hidden, "64,x", r"expected sizes like 64,32, got '64,x'"),
        (options.hidden, "8,0", r"layer sizes must be positive, got '8,0'"),
        (options.names, " , ", r"comma-separated list of names"),
        (options.rates, "0.1,-1", r"expected a positive number, got '-1'"),
        (options.seeds, "0,x", r"expected integer seeds >= 0 like 0,1, got '0,x'"),
        (options.seeds, "0,-1", r"expected integer seeds >= 0 like 0,1, got '0,-1'"),
        (options.nonnegative_float, "-0.1", r"expected a number >= 0, got '-0.1'"),
        (options.fraction, "1", r"expected a fraction between 0 and 1, got '1'"),
        (options.fraction, "x", r"expected a fraction between 0 and 1, got 'x'"),
    ],
)
def test_option_types_refuse(function, text, pattern):
    with pytest.raises(argparse.ArgumentTypeError, match=pattern):
        function(text)


@pytest.mark.parametrize("command", ["compare", "train", "sweep", "trajectory"])
def test_every_command_has_help_with_defaults(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: descend {command}" in out
    assert "%(" not in out and "%%" not in out  # every help text formatted
    assert "(default: descend-out)" in out and "--json" in out


def test_names_importable_from_the_package():
    from descend.cli import COURSE_OPTIMIZERS, build_parser, runs_predict

    assert COURSE_OPTIMIZERS == ("gd", "momentum", "adam") and callable(runs_predict)
    assert build_parser().parse_args(["train"]).epochs == 50


def test_importing_the_cli_imports_nothing_heavy():
    heavy = ("matplotlib", "sklearn", "numba", "dask", "mpi4py")
    code = f"import sys, descend.cli; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_train_l2_and_early_stopping(tmp_path, capsys, backend):
    if backend == "numba":
        pytest.importorskip("numba")
    argv = ["train", "--dataset", "digits", "--epochs", "60", "--hidden", "16", "--l2", "0.01",
            "--early-stopping", "--patience", "2", "--learning-rate", "0.01",
            "--backend", backend, "--out", str(tmp_path)]  # fmt: skip
    assert main([*argv, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["backend"] == backend and summary["l2"] == 0.01
    assert summary["early_stopping"] and summary["patience"] == 2
    assert summary["stopped_epoch"] is not None and summary["epochs_run"] < 60
    assert summary["best_epoch"] <= summary["stopped_epoch"] - 2
    assert summary["test_accuracy"] > 0.9
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"best weights of epoch {summary['best_epoch']}" in out
    assert f"({backend} backend)" in out


def test_compare_runs_every_epoch_despite_the_progress_bar(tmp_path, capsys):
    """tqdm's update() returns True when it redraws: the callback must not stop training."""
    from descend import GD, textbook, training

    argv = ["compare", "--optimizers", "gd", "--epochs", "40", "--json", "--out", str(tmp_path)]
    assert main(argv) == 0
    row = json.loads(capsys.readouterr().out)["results"][0]
    X, Y = textbook.load_dataset()
    _, _, history = training.train(
        textbook.initialize_parameters([2, 5, 2, 1]),
        GD(0.0007),
        training.MiniBatches(X, Y, 64, seed=11, legacy=True),
        40,
    )
    assert row["final_cost"] == pytest.approx(history.costs[-1], rel=1e-9)
