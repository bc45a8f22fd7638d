"""descend.runs: the held-out record per epoch, checkpoints of other runs, divergence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from descend import network
from descend.runs import Diverged, RunSettings, evaluate, prepare_data, run

SETTINGS = RunSettings(dataset="iris", epochs=12, hidden=(8,), learning_rate=0.01, seed=1)


@pytest.fixture(scope="module")
def data():
    return prepare_data(SETTINGS)


def test_held_out_cost_and_accuracy_are_recorded_after_each_epoch(data):
    seen = []
    result = run(SETTINGS, data=data, backend="numpy", on_epoch=lambda e, c: seen.append(e))
    assert len(result.test_costs) == len(result.test_accuracies) == len(result.costs) == 12
    assert seen == list(range(12))
    # the last entry is the final network's, computed independently here
    out, _ = network.forward(data.X_test, result.params, softmax=True)
    Y = np.eye(3)[:, data.y_test]
    assert result.test_costs[-1] == pytest.approx(-np.sum(Y * np.log(out)) / Y.shape[1], 1e-12)
    assert result.test_accuracies[-1] == result.test_accuracy
    assert result.test_costs[0] > result.test_costs[-1]


def test_evaluate_leaves_unknown_labels_out_of_the_cost(data):
    params = run(SETTINGS, data=data, backend="numpy").params
    labels = data.y_test.copy()
    labels[:3] = -1  # a class the training split lacks: wrong, and no cost term
    cost, accuracy = evaluate(params, data.X_test, labels, softmax=True)
    full_cost, _ = evaluate(params, data.X_test[:, 3:], data.y_test[3:], softmax=True)
    assert cost == pytest.approx(full_cost, 1e-12)
    predicted = network.predict_labels(data.X_test, params, softmax=True)[0]
    assert accuracy == np.mean(predicted == labels)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_resumed_run_continues_the_held_out_record(tmp_path, data, backend):
    if backend == "numba":
        pytest.importorskip("numba")
    whole = run(SETTINGS, data=data, backend=backend)
    ck = tmp_path / "ck.npz"
    half = RunSettings(**{**SETTINGS.as_dict(), "hidden": (8,), "epochs": 5})
    run(half, data=data, backend=backend, checkpoint=ck)
    starts = []
    resumed = run(SETTINGS, data=data, backend=backend, checkpoint=ck, resume=True,
                  on_start=starts.append)  # fmt: skip
    assert starts == [5] and resumed.resumed_from == 5
    np.testing.assert_allclose(resumed.test_costs, whole.test_costs, rtol=1e-9)
    assert resumed.test_accuracies == whole.test_accuracies


def test_checkpoint_without_a_held_out_record_gives_nan(tmp_path, data):
    """A checkpoint written before held-out costs were recorded resumes with NaN for them."""
    ck = tmp_path / "ck.npz"
    half = RunSettings(**{**SETTINGS.as_dict(), "hidden": (8,), "epochs": 4})
    run(half, data=data, backend="numpy", checkpoint=ck)
    with np.load(ck) as saved:
        arrays = {k: saved[k] for k in saved.files if not k.startswith("extra/held_out")}
    np.savez(ck, **arrays)
    resumed = run(SETTINGS, data=data, backend="numpy", checkpoint=ck, resume=True)
    assert all(math.isnan(c) for c in resumed.test_costs[:4])
    assert not any(math.isnan(c) for c in resumed.test_costs[4:])


def test_on_start_comes_after_the_checks(tmp_path, data):
    ck = tmp_path / "ck.npz"
    ck.write_bytes(b"not a checkpoint")
    starts = []
    with pytest.raises(ValueError, match="refusing to overwrite it"):
        run(SETTINGS, data=data, checkpoint=ck, on_start=starts.append)
    with pytest.raises(ValueError, match="is unreadable"):
        run(SETTINGS, data=data, checkpoint=ck, resume=True, on_start=starts.append)
    assert starts == [] and ck.read_bytes() == b"not a checkpoint"


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_divergence_names_the_epoch(data, backend):
    if backend == "numba":
        pytest.importorskip("numba")
    settings = RunSettings(**{**SETTINGS.as_dict(), "hidden": (8,), "optimizer": "gd",
                              "learning_rate": 1e12})  # fmt: skip
    epochs = []
    with pytest.raises(Diverged) as info:
        run(settings, data=data, backend=backend, on_epoch=lambda e, c: epochs.append(e))
    err = info.value
    assert err.epoch == len(epochs) and err.learning_rate == 1e12 and err.optimizer == "gd"
    assert isinstance(err, ValueError) and "holds NaN or inf" in err.reason
    assert f"gd diverged in epoch {err.epoch} (counting from 0)" in str(err)
    assert err.command_line_message.endswith("try a smaller --learning-rate than 1e+12")
