"""The command line, in-process and as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from descend.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 5000, path


def test_compare_table_and_figures(tmp_path, capsys):
    assert main(["compare", "--epochs", "30", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    header, *rows = out.splitlines()[:4]
    assert header.split() == ["optimizer", "final", "cost", "train", "accuracy", "seconds"]
    assert [r.split()[0] for r in rows] == ["gd", "momentum", "adam"]
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


def test_compare_as_a_subprocess(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "descend", "compare", "--epochs", "3", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "adam" in done.stdout
    assert "epoch" in done.stderr  # the progress bar
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
        capture_output=True, text=True, timeout=120,
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
