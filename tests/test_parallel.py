"""Scale-out: data-parallel training under mpiexec, sweeps on Dask clusters."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from descend.runs import RunSettings, run

BIN = Path(sys.executable).parent


def _mpiexec() -> str:
    pytest.importorskip("mpi4py")
    found = shutil.which("mpiexec", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        pytest.skip("no mpiexec on PATH")
    return found


def _train(*argv: str, ranks: int = 0, timeout: int = 240) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "descend", "train", *argv]
    if ranks:
        cmd = [_mpiexec(), "-n", str(ranks), *cmd, "--distributed", "mpi"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def _max_relative_difference(a_path: Path, b_path: Path) -> float:
    """Largest relative difference between the parameters (W1, b1, ...) of two saved models."""
    with np.load(a_path, allow_pickle=False) as a, np.load(b_path, allow_pickle=False) as b:
        assert a.files == b.files
        params = [k for k in a.files if k[:1] in "Wb" and k[1:].isdigit()]
        return max(float(np.max(np.abs(a[k] - b[k])) / np.max(np.abs(a[k]))) for k in params)


@pytest.mark.parametrize(
    ("optimizer", "batch_size", "extra"),
    [  # odd sizes: uneven slices per rank; features combine with MPI on both backends
        ("adam", 64, ["--backend", "numba"]),
        ("adam", 64, ["--backend", "numpy"]),
        ("momentum", 33, ["--l2", "0.01", "--backend", "numba"]),
        ("gd", 7, ["--l2", "0.001", "--early-stopping", "--patience", "2", "--backend", "numpy"]),
        ("rmsprop", 50, ["--early-stopping", "--patience", "1", "--backend", "numba"]),
    ],
    ids=lambda v: "-".join(v) if isinstance(v, list) else str(v),
)
def test_two_ranks_equal_one_process(tmp_path, optimizer, batch_size, extra):
    common = [
        *extra,
        "--dataset",
        "digits",
        "--optimizer",
        optimizer,
        "--epochs",
        "8",
        "--batch-size",
        str(batch_size),
        "--hidden",
        "32",
        "--out",
        str(tmp_path),
        "--json",
    ]
    single = _train(*common, "--save", str(tmp_path / "one.npz"))
    double = _train(*common, "--save", str(tmp_path / "two.npz"), ranks=2)
    assert single.returncode == 0, single.stderr
    assert double.returncode == 0, double.stderr
    one, two = json.loads(single.stdout), json.loads(double.stdout)  # rank 0 alone prints
    assert two["ranks"] == 2 and one["ranks"] == 1
    assert one["backend"] == two["backend"] == extra[extra.index("--backend") + 1]
    assert one["epochs_run"] == two["epochs_run"]
    assert _max_relative_difference(tmp_path / "one.npz", tmp_path / "two.npz") <= 1e-9
    assert two["final_cost"] == pytest.approx(one["final_cost"], rel=1e-9)


def test_a_failing_rank_ends_all_ranks_with_one_line(tmp_path):
    """Rank 0 alone writes checkpoints; its failure must not leave rank 1 waiting."""
    missing = tmp_path / "no-such-folder" / "ck.npz"
    start = time.monotonic()
    done = _train(
        "--dataset",
        "digits",
        "--epochs",
        "30",
        "--checkpoint",
        str(missing),
        "--checkpoint-every",
        "1",
        "--out",
        str(tmp_path),
        ranks=2,
        timeout=120,
    )
    assert done.returncode != 0
    assert time.monotonic() - start < 110
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("descend: error:")]
    assert errors and "rank 0" in errors[0] and "no-such-folder" in errors[0]


# -- Dask ------------------------------------------------------------------------
SWEEP = [
    "--dataset",
    "moons",
    "--optimizers",
    "adam,gd",
    "--learning-rates",
    "0.01,0.1",
    "--seeds",
    "0,1",
    "--epochs",
    "5",
    "--hidden",
    "8",
]


def _sweep(tmp_path, *extra, timeout=300):
    pytest.importorskip("distributed")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "descend",
            "sweep",
            *SWEEP,
            "--out",
            str(tmp_path),
            "--json",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _equal_to_train(row):
    alone = run(
        RunSettings(
            dataset="moons",
            optimizer=row["optimizer"],
            learning_rate=row["learning_rate"],
            epochs=5,
            hidden=(8,),
            seed=row["seed"],
        )
    )
    assert row["final_cost"] == alone.costs[-1]
    assert row["test_accuracy"] == alone.test_accuracy


def test_sweep_on_a_local_cluster(tmp_path):
    report = _sweep(tmp_path, "--workers", "2")
    runs = report["runs"]
    assert len(runs) == 8 and report["workers"] == 2
    assert report["scheduler"].startswith("tcp://127.0.0.1:")
    accuracies = [r["test_accuracy"] for r in runs]
    assert accuracies == sorted(accuracies, reverse=True)
    assert {(r["optimizer"], r["learning_rate"], r["seed"]) for r in runs} == {
        (o, lr, s) for o in ("adam", "gd") for lr in (0.01, 0.1) for s in (0, 1)
    }
    _equal_to_train(runs[0])
    assert (tmp_path / "sweep-accuracy.png").stat().st_size > 5000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sweep_on_an_external_scheduler(tmp_path):
    pytest.importorskip("distributed")
    address = f"tcp://127.0.0.1:{_free_port()}"
    scheduler = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            address.rsplit(":", 1)[1],
            "--no-dashboard",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_worker",
            address,
            "--nthreads",
            "1",
            "--host",
            "127.0.0.1",
            "--no-dashboard",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        report = _sweep(tmp_path, "--scheduler", address)
        assert report["scheduler"] == address and report["workers"] == 1
        assert len(report["runs"]) == 8
        _equal_to_train(report["runs"][-1])
    finally:
        for proc in (worker, scheduler):
            proc.terminate()
        for proc in (worker, scheduler):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_a_dead_worker_costs_only_its_tasks(tmp_path):
    distributed = pytest.importorskip("distributed")
    from descend.parallel.sweep import grid, sweep

    settings = grid(
        RunSettings(dataset="digits", epochs=25, batch_size=16, hidden=(64,)),
        ["adam"],
        [0.001, 0.002],
        [0, 1],
    )
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        pids = client.run(os.getpid)
        result: dict = {}
        thread = threading.Thread(
            target=lambda: result.update(out=sweep(settings, client=client)), daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until a task is running on a worker
            if any(client.processing().values()):
                break
            time.sleep(0.05)
        time.sleep(0.5)
        victim = next(iter(pids.values()))
        os.kill(victim, signal.SIGKILL)
        thread.join(timeout=240)
    assert "out" in result, "the sweep did not finish"
    out = result["out"]
    assert len(out.rows) == 4 and all(r is not None for r in out.rows)
    assert out.retried and all(r["worker_deaths"] >= 1 for r in out.retried)
