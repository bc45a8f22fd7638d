"""Checkpoints: round trip, atomic writes, corrupt files, exact resume after SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from descend import GD, Adam, Momentum
from descend.checkpoint import load_checkpoint, save_checkpoint, save_params
from descend.runs import RunSettings, run


def _trained_state(opt, steps=3):
    params = {"W1": np.arange(6.0).reshape(2, 3), "b1": np.ones((2, 1))}
    state = opt.init(params)
    for k in range(steps):
        grads = {key: np.cos(w + k) for key, w in params.items()}
        params, state = opt.step(params, grads, state)
    return params, state


@pytest.mark.parametrize("opt", [GD(0.1), Momentum(0.1, 0.8), Adam(0.01)])
def test_round_trip_is_exact(tmp_path, opt):
    params, state = _trained_state(opt)
    rng = np.random.default_rng(7)
    rng.random(5)
    path = save_checkpoint(
        tmp_path / "ck.npz",
        params,
        state,
        opt,
        epoch=3,
        costs=[0.5, 0.25],
        settings={"seed": 1},
        rng=rng,
    )
    with np.load(path, allow_pickle=False) as archive:  # plain arrays only
        assert "format" in archive.files
    ck = load_checkpoint(path)
    restored_params, restored_state = ck.restore(opt)
    for key in params:
        np.testing.assert_array_equal(restored_params[key], params[key])
    assert restored_state["t"] == state["t"] == 3
    for slot in opt.slots:
        for key in params:
            np.testing.assert_array_equal(restored_state[slot][key], state[slot][key])
    assert (ck.epoch, ck.costs, ck.settings) == (3, [0.5, 0.25], {"seed": 1})
    np.testing.assert_array_equal(ck.generator().random(4), rng.random(4))


def test_state_of_another_optimizer_is_refused(tmp_path):
    params, state = _trained_state(Adam(0.01))
    save_checkpoint(tmp_path / "ck.npz", params, state, Adam(0.01))
    with pytest.raises(ValueError, match=r"kind|adam|momentum"):
        load_checkpoint(tmp_path / "ck.npz").restore(Momentum(0.1))


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"", "unreadable|corrupt"),
        (b"this is not a zip archive", "unreadable|corrupt"),
        ("truncated", "unreadable|corrupt|truncated"),
        ("foreign", "not a descend checkpoint"),
    ],
)
def test_bad_files_give_a_clear_error_and_stay_untouched(tmp_path, content, pattern):
    path = tmp_path / "ck.npz"
    if content == "truncated":
        params, state = _trained_state(Adam(0.01))
        save_checkpoint(path, params, state, Adam(0.01))
        path.write_bytes(path.read_bytes()[:300])
    elif content == "foreign":
        np.savez(path, x=np.ones(3))
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    with pytest.raises(ValueError, match=pattern):
        load_checkpoint(path)
    assert path.read_bytes() == before


def test_missing_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_checkpoint(tmp_path / "absent.npz")


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = save_params(tmp_path / "p.npz", {"W1": np.ones(2)})
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", explode)
    with pytest.raises(OSError, match="disk full"):
        save_params(path, {"W1": np.zeros(2)})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.npz"]  # no temporary left behind


# -- resume ----------------------------------------------------------------------
SETTINGS = RunSettings(
    dataset="moons",
    optimizer="adam",
    learning_rate=0.01,
    epochs=6,
    batch_size=32,
    hidden=(8,),
    seed=3,
)


RESUME_CASES = [
    ("gd", "numpy", {}),
    ("momentum", "numba", {"l2": 0.01}),
    ("adam", "numba", {}),
    ("adam", "numpy", {"early_stopping": True, "patience": 1, "l2": 0.001}),
    ("amsgrad", "numba", {"early_stopping": True, "patience": 1}),
    # the modern pack (#13): NumPy-only rules, state with scalars, Partition
    ("muon", "numpy", {}),
    ("sf_sgd", "numpy", {"l2": 0.01}),
    ("sf_adamw", "numpy", {"early_stopping": True, "patience": 1}),
    ("adafactor", "numpy", {}),
    ("lamb", "numpy", {}),
    ("prodigy", "numpy", {"l2": 0.01}),
]


@pytest.mark.parametrize(("optimizer", "backend", "extra"), RESUME_CASES)
def test_resume_in_process_is_bit_identical(tmp_path, optimizer, backend, extra):
    if backend == "numba":
        pytest.importorskip("numba")
    base = {**SETTINGS.as_dict(), "hidden": (8,), "optimizer": optimizer, **extra}
    settings = RunSettings(**base)
    whole = run(settings, backend=backend)
    ck = tmp_path / "ck.npz"
    half = RunSettings(**{**base, "epochs": 2})
    run(half, checkpoint=ck, backend=backend)
    resumed = run(settings, checkpoint=ck, resume=True, backend=backend)
    assert whole.backend == resumed.backend == backend
    assert (resumed.stopped_epoch, resumed.best_epoch) == (whole.stopped_epoch, whole.best_epoch)
    assert resumed.resumed_from == 2
    for key in whole.params:
        np.testing.assert_array_equal(resumed.params[key], whole.params[key])
    assert resumed.costs == whole.costs


def test_resume_refuses_other_settings(tmp_path):
    ck = tmp_path / "ck.npz"
    run(SETTINGS, checkpoint=ck)
    other = RunSettings(
        **{**SETTINGS.as_dict(), "hidden": (8,), "learning_rate": 0.02, "epochs": 4}
    )
    with pytest.raises(ValueError, match=r"learning_rate.*epochs|epochs.*learning_rate"):
        run(other, checkpoint=ck, resume=True)


def _train_cmd(tmp_path, optimizer, *extra):
    return [
        sys.executable,
        "-m",
        "descend",
        "train",
        "--dataset",
        "digits",
        "--optimizer",
        optimizer,
        "--epochs",
        "40",
        "--batch-size",
        "16",
        "--hidden",
        "32",
        "--seed",
        "5",
        "--out",
        str(tmp_path / "figs"),
        *extra,
    ]


KILL_CASES = [
    ("gd", ["--backend", "numpy"]),
    ("momentum", ["--backend", "numba", "--l2", "0.01"]),
    ("adam", ["--backend", "numba"]),
    ("adam", ["--backend", "numpy", "--early-stopping", "--patience", "30"]),
    ("amsgrad", ["--backend", "numba", "--early-stopping", "--patience", "30", "--l2", "1e-3"]),
    # the modern pack (#13): one row per family, compiled where a kernel exists
    ("nadam", ["--backend", "numba", "--l2", "1e-3"]),
    ("radam", ["--backend", "numba", "--early-stopping", "--patience", "30"]),
    ("lion", ["--backend", "numba"]),
    ("lion", ["--backend", "numpy"]),
    ("muon", ["--backend", "numpy"]),
    ("sf_adamw", ["--backend", "numpy", "--early-stopping", "--patience", "30"]),
    ("lamb", ["--backend", "numpy", "--l2", "1e-3"]),
    ("adafactor", ["--backend", "numpy"]),
    ("prodigy", ["--backend", "numpy"]),
]


@pytest.mark.parametrize(("optimizer", "extra"), KILL_CASES, ids=lambda v: "-".join(v) if
                         isinstance(v, list) else v)  # fmt: skip
def test_sigkill_then_resume_is_bit_identical(tmp_path, optimizer, extra):
    """Kill a real training process after a checkpoint appears; resume; compare."""
    if "numba" in extra:
        pytest.importorskip("numba")
    reference = tmp_path / "reference.npz"
    done = subprocess.run(
        _train_cmd(tmp_path, optimizer, *extra, "--save", str(reference)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr

    ck, resumed = tmp_path / "ck.npz", tmp_path / "resumed.npz"
    cmd = _train_cmd(
        tmp_path,
        optimizer,
        *extra,
        "--checkpoint",
        str(ck),
        "--checkpoint-every",
        "1",
        "--resume",
        "--save",
        str(resumed),
    )
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not ck.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    epoch_at_kill = load_checkpoint(ck).epoch  # readable: never torn
    assert 1 <= epoch_at_kill < 40
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"resumed at epoch {epoch_at_kill}" in done.stdout
    with np.load(reference, allow_pickle=False) as a, np.load(resumed, allow_pickle=False) as b:
        assert a.files == b.files
        for key in a.files:
            assert np.array_equal(a[key], b[key]), key


@pytest.mark.parametrize("every", [1, 2, 3])
def test_early_stopping_stops_at_the_same_epoch_in_chunks(tmp_path, every):
    """Checkpoint chunks must not run past (or restart after) an early stop."""
    settings = RunSettings(
        **{**SETTINGS.as_dict(), "hidden": (8,), "epochs": 60, "early_stopping": True,
           "patience": 1}
    )  # fmt: skip
    whole = run(settings)
    assert whole.stopped_epoch is not None and whole.stopped_epoch < 59
    chunked = run(settings, checkpoint=tmp_path / "ck.npz", checkpoint_every=every)
    assert (chunked.stopped_epoch, chunked.best_epoch) == (whole.stopped_epoch, whole.best_epoch)
    assert chunked.costs == whole.costs


# -- permissions ------------------------------------------------------------------------------
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_written_files_get_the_umasks_permissions(tmp_path, umask):
    """tempfile.mkstemp makes 0600 files; the renamed file must look like any other."""
    from descend.checkpoint import atomic_write

    old = os.umask(umask)
    try:
        path = save_params(tmp_path / "p.npz", {"W1": np.ones((2, 2))})
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask
        (tmp_path / "kept").write_bytes(b"")
        os.chmod(tmp_path / "kept", 0o640)
        atomic_write(tmp_path / "kept", lambda f: f.write(b"new"))  # replacing keeps the mode
        assert (tmp_path / "kept").stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_cli_files_get_the_umasks_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "descend", "train", "--epochs", "2", "--save",
             str(tmp_path / "m.npz"), "--checkpoint", str(tmp_path / "ck.npz"), "--out",
             str(tmp_path)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stderr
    for name in ("m.npz", "ck.npz", "train-cost.png"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name


def _every_rule_and_backend():
    from descend.fast import available
    from descend.registry import NAMES, make_optimizer

    cases = []
    for name in NAMES:
        cases.append((name, "numpy"))
        if available():
            from descend.fast.rules import supports

            if supports(make_optimizer(name, 0.01)):
                cases.append((name, "numba"))
    return cases


@pytest.mark.parametrize(("optimizer", "backend"), _every_rule_and_backend())
def test_every_rule_resumes_bit_identically(tmp_path, optimizer, backend):
    """Every registry name, on each backend that runs it: 2 epochs, a checkpoint, 2 more."""
    base = {**SETTINGS.as_dict(), "hidden": (8,), "optimizer": optimizer, "epochs": 4}
    whole = run(RunSettings(**base), backend=backend)
    ck = tmp_path / "ck.npz"
    run(RunSettings(**{**base, "epochs": 2}), checkpoint=ck, backend=backend)
    resumed = run(RunSettings(**base), checkpoint=ck, resume=True, backend=backend)
    assert resumed.resumed_from == 2 and resumed.backend == backend
    for key in whole.params:
        np.testing.assert_array_equal(resumed.params[key], whole.params[key])
    assert resumed.costs == whole.costs
