"""The command line's edges: usage errors, terminals, checkpoints, Ctrl-C, MPI launches."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import numpy as np
import pytest

from descend.cli import build_parser, common, main, options

DESCEND = [sys.executable, "-m", "descend"]


def _run(*argv, timeout=300, env=None, **kwargs):
    return subprocess.run(
        [*DESCEND, *argv], capture_output=True, text=True, timeout=timeout, env=env, **kwargs
    )


def _run_in_terminal(*argv, timeout=300) -> tuple[int, str, str]:
    """Run descend with stderr on a pseudo-terminal: ``(status, stdout, stderr)``."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    proc = subprocess.Popen([*DESCEND, *argv], stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    out, _ = proc.communicate(timeout=timeout)
    os.close(leader)
    return proc.returncode, out.decode(), b"".join(chunks).decode(errors="replace")


# -- usage errors ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["train", "--epochs", "-1"], r"argument --epochs: expected a positive integer, got '-1'"),
        (["train", "--epochs=-3"], r"argument --epochs: expected a positive integer, got '-3'"),
        (["train", "--seed", "-1"], r"argument --seed: expected an integer >= 0, got '-1'"),
        (["trajectory", "--seed", "-2"], r"argument --seed"),
        (["train", "--hidden", "64,,32"], r"argument --hidden: expected sizes like 64,32"),
        (["train", "--hidden", ""], r"argument --hidden"),
        (["train", "--bogus"], r"unrecognized arguments: --bogus"),
        (["sweep", "--seeds", "0,-1"], r"argument --seeds"),
        (["compare", "--learning-rate", "gd=x"], r"argument --learning-rate"),
        (["compare", "--learning-rate", "gd=0.1,GD=0.2"], r"'gd' is given twice"),
        ([], r"the following arguments are required: COMMAND"),
    ],
)
def test_usage_errors_are_one_line_with_status_2(argv, pattern):
    done = _run(*argv)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr  # no usage block
    assert lines[0].startswith("descend: error: ") and re.search(pattern, lines[0]), lines[0]
    assert lines[0].endswith("--help)")


def test_debug_and_quiet_after_the_command_too(tmp_path):
    for argv in (["--debug", "train"], ["train", "--debug"]):
        done = _run(*argv, "--dataset", "nope", "--out", str(tmp_path))
        assert done.returncode != 0 and "Traceback" in done.stderr
    args = build_parser().parse_args(["train", "--quiet"])
    assert args.quiet and not args.debug
    args = build_parser().parse_args(["--quiet", "--debug", "compare"])
    assert args.quiet and args.debug  # given before the command, kept


def test_help_shows_percent_signs(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "25%" in out and "%%" not in out and "--quiet" in out and "--debug" in out


# -- optimizer names -------------------------------------------------------------------------
def test_optimizer_names_ignore_case_and_take_sgd(tmp_path, capsys):
    argv = ["train", "--optimizer", "SGD", "--epochs", "1", "--out", str(tmp_path), "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["optimizer"] == "gd"
    argv = ["compare", "--optimizers", "GD,Adam", "--epochs", "1", "--out", str(tmp_path), "--json"]
    assert main(argv) == 0
    assert [r["optimizer"] for r in json.loads(capsys.readouterr().out)["results"]] == [
        "gd",
        "adam",
    ]


def test_optimizer_aliases_are_the_estimators():
    from descend.estimator import SOLVER_ALIASES

    assert options.OPTIMIZER_ALIASES == SOLVER_ALIASES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.01", {None: 0.01}),
        ("gd=0.1,adam=0.001", {"gd": 0.1, "adam": 0.001}),
        ("0.05, ADAM=1e-3", {None: 0.05, "adam": 0.001}),
        ("sgd=0.2", {"gd": 0.2}),
    ],
)
def test_learning_rates_per_optimizer(text, expected):
    rates = options.optimizer_rates(text)
    assert rates == expected
    assert options.rate_of("adam", rates, 7.0) == expected.get("adam", expected.get(None, 7.0))


# -- compare shows each optimizer's learning rate ----------------------------------------------
def test_compare_off_moons_shows_each_rate(tmp_path, capsys):
    argv = ["compare", "--dataset", "iris", "--epochs", "3", "--optimizers", "gd,adam,rmsprop",
            "--learning-rate", "gd=0.05,0.002", "--out", str(tmp_path)]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    header, *rows = out.splitlines()[:4]
    assert header.split()[:2] == ["optimizer", "rate"] and "held-out" in header
    assert [r.split()[:2] for r in rows] == [
        ["gd", "0.05"],
        ["adam", "0.002"],
        ["rmsprop", "0.002"],
    ]
    assert main([*argv, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["results"]
    assert [r["learning_rate"] for r in rows] == [0.05, 0.002, 0.002]


def test_compare_defaults_are_shown_not_hidden(tmp_path, capsys):
    argv = ["compare", "--dataset", "iris", "--epochs", "2", "--out", str(tmp_path)]
    assert main(argv) == 0
    rows = capsys.readouterr().out.splitlines()[1:4]
    assert [r.split()[:2] for r in rows] == [["gd", "0.1"], ["momentum", "0.1"], ["adam", "0.001"]]


def test_learning_rate_of_an_optimizer_not_trained_is_an_error(tmp_path):
    done = _run("compare", "--learning-rate", "rmsprop=0.1", "--out", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "descend: error: --learning-rate names 'rmsprop', which is not among the optimizers "
        "(gd, momentum, adam)"
    )


# -- the trained network is the one printed ------------------------------------------------------
@pytest.mark.parametrize(("dataset", "network"), [("moons", "[2, 64, 1]"), ("iris", "[4, 64, 3]")])
def test_train_header_prints_the_trained_network(tmp_path, capsys, dataset, network):
    save = tmp_path / "m.npz"
    argv = ["train", "--dataset", dataset, "--epochs", "1", "--save", str(save),
            "--out", str(tmp_path)]  # fmt: skip
    assert main(argv) == 0
    assert f"network {network}" in capsys.readouterr().out
    with np.load(save) as model:
        last = [model[k].shape for k in model.files if k.startswith("W")][-1]
    assert last[0] == json.loads(network)[-1]  # two classes: one sigmoid unit


# -- terminals, --quiet ----------------------------------------------------------------------
def test_progress_bars_only_on_a_terminal(tmp_path):
    argv = ("train", "--epochs", "3", "--out", str(tmp_path))
    status, out, err = _run_in_terminal(*argv)
    assert status == 0 and "adam" in err and "3/3" in err  # the bar
    status, out, err = _run_in_terminal(*argv, "--quiet")
    assert status == 0 and err == "" and "final cost" in out
    done = _run(*argv)  # stderr is a pipe
    assert done.returncode == 0 and done.stderr == ""


def test_resume_errors_come_before_any_bar(tmp_path):
    ck = tmp_path / "ck.npz"
    ck.write_bytes(b"PK\x03\x04 garbage")
    status, _, err = _run_in_terminal(
        "train", "--epochs", "2", "--checkpoint", str(ck), "--resume", "--out", str(tmp_path)
    )
    assert status == 1
    assert err.strip().splitlines() == [
        f"descend: error: checkpoint {ck} is unreadable (corrupt, truncated, or not an .npz)"
    ]
    assert ck.read_bytes() == b"PK\x03\x04 garbage"
    assert main(["train", "--epochs", "2", "--checkpoint", str(tmp_path / "a.npz"), "--quiet",
                 "--out", str(tmp_path)]) == 0  # fmt: skip
    status, _, err = _run_in_terminal(
        "train", "--epochs", "2", "--seed", "3", "--checkpoint", str(tmp_path / "a.npz"),
        "--resume", "--out", str(tmp_path),
    )  # fmt: skip
    assert status == 1 and len(err.strip().splitlines()) == 1, err
    assert "written with other settings: seed (saved 0, asked 3)" in err and "%|" not in err


@pytest.mark.parametrize("existing", ["another run", "not a checkpoint"])
def test_checkpoint_of_another_run_is_not_overwritten(tmp_path, existing):
    ck = tmp_path / "ck.npz"
    if existing == "another run":
        assert main(["train", "--epochs", "2", "--batch-size", "16", "--checkpoint", str(ck),
                     "--out", str(tmp_path)]) == 0  # fmt: skip
        pattern = r"checkpoint .*ck.npz belongs to another run \(batch_size \(saved 16, asked 64\)"
    else:
        ck.write_text("x,y\n1,2\n")
        pattern = r"ck.npz exists and is not a readable descend checkpoint; refusing"
    before = ck.read_bytes()
    done = _run("train", "--epochs", "2", "--checkpoint", str(ck), "--out", str(tmp_path))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and re.search(pattern, lines[0]), lines
    assert "refusing to overwrite it" in lines[0]
    assert ck.read_bytes() == before


def test_same_runs_checkpoint_may_be_started_again(tmp_path, capsys):
    argv = ["train", "--epochs", "2", "--checkpoint", str(tmp_path / "ck.npz"),
            "--out", str(tmp_path)]  # fmt: skip
    assert main(argv) == 0 and main(argv) == 0  # same settings: a fresh start may overwrite


# -- Ctrl-C ------------------------------------------------------------------------------------
def _interrupt_after(argv, ready, timeout=120) -> tuple[int, str]:
    proc = subprocess.Popen(
        [*DESCEND, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + timeout
    while not ready() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # as the terminal's Ctrl-C: the whole group
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


def test_ctrl_c_says_how_to_resume(tmp_path):
    ck = tmp_path / "ck.npz"
    argv = ["train", "--dataset", "digits", "--epochs", "100000", "--checkpoint", str(ck),
            "--checkpoint-every", "1", "--out", str(tmp_path)]  # fmt: skip
    status, err = _interrupt_after(argv, ck.exists)
    assert status == 130
    [line] = err.strip().splitlines()
    assert re.fullmatch(
        rf"descend: interrupted; checkpoint {re.escape(str(ck))} was saved after epoch \d+: "
        r"run the same command with --resume to continue",
        line,
    ), line


def test_ctrl_c_without_checkpoint(tmp_path):
    started = time.monotonic()
    argv = ["train", "--dataset", "digits", "--epochs", "100000", "--out", str(tmp_path)]
    status, err = _interrupt_after(argv, lambda: time.monotonic() - started > 3)
    assert status == 130 and err.strip() == "descend: interrupted"


def test_ctrl_c_during_sweep_is_one_line(tmp_path):
    pytest.importorskip("distributed")
    argv = ["sweep", "--dataset", "digits", "--epochs", "100000", "--workers", "2",
            "--out", str(tmp_path)]  # fmt: skip
    for wait in (1.5, 6):  # while the cluster starts, and while the tasks run
        started = time.monotonic()
        status, err = _interrupt_after(argv, lambda: time.monotonic() - started > wait)  # noqa: B023
        assert status == 130 and err.strip() == "descend: interrupted", err


# -- divergence, compilation ------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_diverging_run_names_the_epoch_and_the_option(tmp_path, backend):
    if backend == "numba":
        pytest.importorskip("numba")
    done = _run("train", "--dataset", "digits", "--optimizer", "gd", "--learning-rate", "1000",
                "--epochs", "20", "--backend", backend, "--out", str(tmp_path))  # fmt: skip
    assert done.returncode == 1
    assert re.fullmatch(
        r"descend: error: gd diverged in epoch \d+ \(counting from 0\): grads\['W\d'\] holds "
        r"NaN or inf; try a smaller --learning-rate than 1000",
        done.stderr.strip(),
    ), done.stderr


def test_compilation_is_announced_once_when_the_cache_is_cold(monkeypatch, capsys):
    pytest.importorskip("numba")
    monkeypatch.delenv("DESCEND_BACKEND", raising=False)
    monkeypatch.delenv("DESCEND_NO_FAST", raising=False)
    monkeypatch.setattr(common, "_kernel_cache_is_empty", lambda: True)
    common.announce_compilation("auto")
    assert capsys.readouterr().err == (
        "descend: compiling kernels, once (10-15 s; later runs load them from numba's cache)\n"
    )
    common.announce_compilation("auto", quiet=True)
    common.announce_compilation("numpy")
    monkeypatch.setenv("DESCEND_BACKEND", "numpy")
    common.announce_compilation("auto")
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(common, "_kernel_cache_is_empty", lambda: False)
    monkeypatch.delenv("DESCEND_BACKEND")
    common.announce_compilation("auto")
    assert capsys.readouterr().err == ""


def test_an_empty_numba_cache_is_seen(tmp_path):
    pytest.importorskip("numba")
    code = "from descend.cli.common import _kernel_cache_is_empty as e; print(e())"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.stdout.strip() == "True", done.stderr


# -- MPI launches --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"PMI_SIZE": "2", "PMI_RANK": "1"}, (2, 1)),
        ({"PMI_SIZE": "1", "PMI_RANK": "0"}, None),
        ({"OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "3"}, (4, 3)),
        ({"MPI_LOCALNRANKS": "2", "MPI_LOCALRANKID": "0"}, (2, 0)),
        ({"PMI_SIZE": "x"}, None),
    ],
)
def test_mpi_launch_from_the_environment(environ, expected):
    assert common.mpi_launch(environ) == expected


@pytest.mark.parametrize(("rank", "lines"), [("0", 1), ("1", 0)])
def test_mpi_launch_without_distributed_is_refused(tmp_path, rank, lines):
    env = {**os.environ, "PMI_SIZE": "2", "PMI_RANK": rank}
    done = _run("train", "--epochs", "1", "--out", str(tmp_path), env=env)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == lines
    if lines:
        assert done.stderr.startswith("descend: error: started by mpiexec as 2 processes")
        assert "add --distributed mpi" in done.stderr
    assert not (tmp_path / "train-cost.png").exists()


def test_real_mpiexec_without_distributed_is_refused(tmp_path):
    mpiexec = Path(sys.executable).with_name("mpiexec")
    if not mpiexec.exists():
        pytest.skip("no mpiexec beside the interpreter")
    done = subprocess.run(
        [str(mpiexec), "-n", "2", *DESCEND, "compare", "--epochs", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0 and done.stdout == ""
    errors = [line for line in done.stderr.splitlines() if line.startswith("descend:")]
    assert errors == [
        "descend: error: started by mpiexec as 2 processes, which would run 2 copies of the "
        "same job writing the same files; descend compare runs in one process: start it "
        "without mpiexec"
    ]
