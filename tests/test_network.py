"""The L-layer network: finite-difference gradient checks, costs by hand, contracts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from descend import network


def _problem(dims, m, seed, softmax):
    rng = np.random.default_rng(seed)
    params = network.he_initialize(dims, rng)
    params = {k: w + 0.1 * rng.standard_normal(w.shape) for k, w in params.items()}  # b != 0
    X = rng.standard_normal((dims[0], m))
    if softmax:
        Y = np.eye(dims[-1])[:, rng.integers(0, dims[-1], m)]
    else:
        Y = rng.integers(0, 2, (1, m)).astype(float)
    return params, X, Y


@pytest.mark.parametrize(
    ("dims", "activation", "softmax"),
    [
        ([2, 5, 2, 1], "relu", False),
        ([3, 4, 1], "tanh", False),
        ([3, 4, 3, 1], "logistic", False),
        ([3, 2, 1], "identity", False),
        ([4, 6, 3], "relu", True),
        ([4, 5, 4, 3], "tanh", True),
        ([3, 1], "relu", False),  # logistic regression: no hidden layer
    ],
)
def test_backward_matches_finite_differences(dims, activation, softmax):
    params, X, Y = _problem(dims, m=7, seed=sum(dims), softmax=softmax)
    error = network.gradient_check(params, X, Y, activation, softmax=softmax)
    assert error < 1e-7


def test_gradient_check_detects_a_wrong_gradient(monkeypatch):
    params, X, Y = _problem([3, 4, 1], m=5, seed=1, softmax=False)
    real = network.backward

    def off_by_a_bit(Y, params, cache, activation="relu"):
        grads = real(Y, params, cache, activation)
        grads["W1"] = grads["W1"] * 1.01
        return grads

    monkeypatch.setattr(network, "backward", off_by_a_bit)
    assert network.gradient_check(params, X, Y) > 1e-4


@pytest.mark.parametrize(
    ("z", "y", "expected"),
    [
        # -log σ(0) = log 2 for either label
        ([[0.0]], [[1]], math.log(2)),
        ([[0.0]], [[0]], math.log(2)),
        # -log σ(2) = log(1 + e^-2); -log(1 - σ(2)) = log(1 + e^2)
        ([[2.0, 2.0]], [[1, 0]], math.log(1 + math.exp(-2)) + math.log(1 + math.exp(2))),
        # saturated but finite: -log σ(-800) = 800 (to double precision)
        ([[-800.0]], [[1]], 800.0),
    ],
)
def test_sigmoid_cost_by_hand(z, y, expected):
    params = {"W1": np.array([[1.0]]), "b1": np.array([[0.0]])}
    _, cache = network.forward(np.array(z), params)
    assert network.cost(cache, np.array(y)) == pytest.approx(expected, rel=1e-14)


def test_softmax_cost_by_hand():
    params = {"W1": np.eye(3), "b1": np.zeros((3, 1))}
    Z = np.array([[1.0], [2.0], [3.0]])
    _, cache = network.forward(Z, params, softmax=True)
    # -log(e^3 / (e + e^2 + e^3))
    expected = -(3 - math.log(math.e + math.e**2 + math.e**3))
    assert network.cost(cache, np.array([[0], [0], [1]]), softmax=True) == pytest.approx(
        expected, rel=1e-14
    )


def test_forward_shapes_and_probabilities():
    params, X, _ = _problem([4, 6, 3], m=9, seed=0, softmax=True)
    A, (zs, activations) = network.forward(X, params, softmax=True)
    assert A.shape == (3, 9) and len(zs) == 2 and len(activations) == 3
    np.testing.assert_allclose(A.sum(axis=0), 1.0, rtol=1e-15)
    assert network.predict_labels(X, params, softmax=True).shape == (1, 9)


def test_he_initialize_is_scaled_and_typed():
    params = network.he_initialize([1000, 500, 1], np.random.default_rng(0), dtype=np.float32)
    assert params["W1"].dtype == np.float32 and params["b1"].dtype == np.float32
    assert params["W1"].std() == pytest.approx(math.sqrt(2 / 1000), rel=0.01)
    assert not params["b1"].any()


@pytest.mark.parametrize("dims", [[3], [], [3, 0, 1], [3, -2], [2.5, 1], [True, 1]])
def test_bad_layers_dims(dims):
    with pytest.raises(ValueError, match="layers_dims"):
        network.check_layers(dims)
