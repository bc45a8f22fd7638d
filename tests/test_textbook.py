"""The course-style API: published numbers, hand-computed steps, equivalences, errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

import descend
from descend import textbook as tb

# -- the course's moons experiment ---------------------------------------------
# The cost lines are the course's published output for this recipe
# (layers [2, 5, 2, 1], learning rate 0.0007, mini-batch 64, 5000 epochs).
PUBLISHED = {
    "gd": (
        ["0.702405", "0.668101", "0.635288", "0.600491", "0.573367"],
        0.7166666666666667,
    ),
    "momentum": (
        ["0.702413", "0.668167", "0.635388", "0.600591", "0.573444"],
        0.7166666666666667,
    ),
    "adam": (
        ["0.702166", "0.167845", "0.141316", "0.138788", "0.136066"],
        0.9433333333333334,
    ),
}


@pytest.mark.parametrize("optimizer", PUBLISHED)
def test_model_reproduces_the_course(optimizer, capsys):
    X, Y = tb.load_dataset()
    parameters = tb.model(X, Y, [2, 5, 2, 1], optimizer)
    tb.predict(X, Y, parameters)
    out = capsys.readouterr().out
    costs, accuracy = PUBLISHED[optimizer]
    expected = [f"Cost after epoch {1000 * i}: {c}" for i, c in enumerate(costs)]
    assert re.findall(r"Cost after epoch \d+: [\d.]+", out) == expected
    assert out.strip().splitlines()[-1] == f"Accuracy: {accuracy}"


def test_model_prints_the_decayed_rate(capsys):
    X, Y = tb.load_dataset()
    tb.model(X, Y, [2, 5, 2, 1], "gd", num_epochs=2, decay=tb.update_lr, decay_rate=1.0)
    lines = capsys.readouterr().out.splitlines()
    # after epoch 0 the rate is update_lr(0.0007, 0, 1) = 0.0007
    assert lines == ["Cost after epoch 0: 0.702405", "learning rate after epoch 0: 0.000700"]


def test_model_with_decay_uses_the_decayed_rate_from_epoch_one():
    """Epoch 0 runs at α0, epoch 1 at decay(α0, 0, r), epoch 2 at decay(α0, 1, r)."""
    X, Y = tb.load_dataset()
    decayed = tb.model(
        X,
        Y,
        [2, 5, 2, 1],
        "gd",
        learning_rate=0.1,
        num_epochs=3,
        print_cost=False,
        decay=tb.update_lr,
        decay_rate=1.0,
    )
    # the same three epochs by hand with the textbook step function
    from descend.network import backward, forward

    parameters = tb.initialize_parameters([2, 5, 2, 1])
    for epoch, rate in enumerate([0.1, 0.1, 0.05]):
        for Xb, Yb in tb.random_mini_batches(X, Y, 64, seed=11 + epoch):
            _, cache = forward(Xb, parameters)
            grads = {f"d{k}": g for k, g in backward(Yb, parameters, cache).items()}
            parameters = tb.update_parameters_with_gd(parameters, grads, rate)
    for key in parameters:  # equal up to rounding (model may take a fused fast path)
        np.testing.assert_allclose(decayed[key], parameters[key], rtol=1e-12, atol=1e-15)


def test_load_dataset_shapes_and_labels():
    X, Y = tb.load_dataset()
    assert X.shape == (2, 300) and Y.shape == (1, 300)
    assert set(np.unique(Y)) == {0, 1}


def test_initialize_parameters_matches_the_global_seed_recipe():
    """He initialisation as the course wrote it, with NumPy's global generator."""
    saved = np.random.get_state()
    try:
        np.random.seed(3)
        expected = {}
        dims = [2, 5, 2, 1]
        for l in range(1, 4):
            expected[f"W{l}"] = np.random.randn(dims[l], dims[l - 1]) * np.sqrt(2 / dims[l - 1])
            expected[f"b{l}"] = np.zeros((dims[l], 1))
    finally:
        np.random.set_state(saved)
    got = tb.initialize_parameters(dims)
    assert list(got) == list(expected)
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key])


# -- mini-batches ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("m", "size", "sizes"),
    [
        (148, 64, [64, 64, 20]),
        (128, 64, [64, 64]),
        (5, 1, [1, 1, 1, 1, 1]),  # SGD
        (300, 300, [300]),  # batch GD
        (10, 64, [10]),
    ],
)
def test_random_mini_batches_sizes(m, size, sizes):
    X = np.arange(3.0 * m).reshape(3, m)
    Y = np.arange(m).reshape(1, m) % 2
    batches = tb.random_mini_batches(X, Y, size, seed=0)
    assert [b[0].shape for b in batches] == [(3, n) for n in sizes]
    assert [b[1].shape for b in batches] == [(1, n) for n in sizes]


@pytest.mark.parametrize("seed", [0, 1, 11, 4999])
def test_random_mini_batches_order_is_the_legacy_global_permutation(seed):
    m = 148
    X = np.arange(2.0 * m).reshape(2, m)
    Y = np.arange(m).reshape(1, m)
    before = np.random.get_state()
    batches = tb.random_mini_batches(X, Y, 64, seed)
    after = np.random.get_state()
    assert all(np.array_equal(a, b) for a, b in zip(before[1:2], after[1:2], strict=True))
    try:
        np.random.seed(seed)
        permutation = list(np.random.permutation(m))  # the course's own lines
    finally:
        np.random.set_state(before)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches], axis=1)[0], permutation)
    np.testing.assert_array_equal(
        np.concatenate([b[0] for b in batches], axis=1), X[:, permutation]
    )


# -- learning-rate decay -------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((0.5, 0, 1.0), 0.5),
        ((0.5, 2, 1.0), 0.5 / 3),
        ((0.1, 10, 0.3), 0.1 / 4),
        ((1.0, 7, 0.0), 1.0),
    ],
)
def test_update_lr(args, expected):
    assert tb.update_lr(*args) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    ("epoch", "interval", "expected"),
    [
        (0, 1000, 0.5),
        (999, 1000, 0.5),  # floor(999 / 1000) = 0
        (1000, 1000, 0.25),  # the first drop
        (1999, 1000, 0.25),
        (2000, 1000, 0.5 / 3),
        (100, 100, 0.25),
        (150, 100, 0.25),
    ],
)
def test_schedule_lr_decay_is_a_staircase(epoch, interval, expected):
    assert tb.schedule_lr_decay(0.5, epoch, 1.0, interval) == pytest.approx(expected, rel=1e-15)


def test_schedule_lr_decay_default_interval_is_1000():
    assert tb.schedule_lr_decay(0.5, 1000, 1.0) == 0.25


# -- single steps, computed by hand ----------------------------------------------------
def test_gd_two_steps_by_hand():
    parameters = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([[0.5]])}
    grads = {"dW1": np.array([[0.5, -1.0]]), "db1": np.array([[2.0]]), "dA1": np.ones(3)}
    tb.update_parameters_with_gd(parameters, grads, 0.1)
    tb.update_parameters_with_gd(parameters, grads, 0.1)
    # W: 1 - 2*0.05 = 0.9, 2 + 2*0.1 = 2.2; b: 0.5 - 2*0.2 = 0.1
    np.testing.assert_allclose(parameters["W1"], [[0.9, 2.2]], rtol=1e-15)
    np.testing.assert_allclose(parameters["b1"], [[0.1]], rtol=1e-14)


def test_momentum_two_steps_by_hand():
    parameters = {"W1": np.array([[1.0]]), "b1": np.array([[0.0]])}
    v = tb.initialize_velocity(parameters)
    assert set(v) == {"dW1", "db1"}
    for g in (1.0, 2.0):
        grads = {"dW1": np.array([[g]]), "db1": np.array([[-g]])}
        parameters, v = tb.update_parameters_with_momentum(parameters, grads, v, 0.9, 0.1)
    # step 1: v = 0.1*1 = 0.1, W = 1 - 0.01 = 0.99
    # step 2: v = 0.9*0.1 + 0.1*2 = 0.29, W = 0.99 - 0.029 = 0.961
    np.testing.assert_allclose(v["dW1"], [[0.29]], rtol=1e-15)
    np.testing.assert_allclose(parameters["W1"], [[0.961]], rtol=1e-15)
    np.testing.assert_allclose(parameters["b1"], [[0.039]], rtol=1e-14)


def test_adam_two_steps_by_hand():
    parameters = {"W1": np.array([[1.0]]), "b1": np.array([[0.0]])}
    v, s = tb.initialize_adam(parameters)
    for t, g in ((1, 1.0), (2, 2.0)):
        grads = {"dW1": np.array([[g]]), "db1": np.array([[0.0]])}
        parameters, v, s, _, _ = tb.update_parameters_with_adam(parameters, grads, v, s, t, 0.1)
    # step 1: v = 0.1, s = 0.001; v̂ = 1, ŝ = 1; W = 1 - 0.1 * 1/(1 + 1e-8)
    # step 2: v = 0.09 + 0.2 = 0.29, s = 0.000999 + 0.004 = 0.004999
    #   v̂ = 0.29/0.19 = 1.526315789473684, ŝ = 0.004999/0.001999 = 2.500750375187594
    #   √ŝ = 1.5813761017504956; W -= 0.1 * v̂ / (√ŝ + 1e-8)
    #   (evaluated in 30-digit decimal arithmetic: W = 0.80348179902816564...)
    np.testing.assert_allclose(v["dW1"], [[0.29]], rtol=1e-15)
    np.testing.assert_allclose(s["dW1"], [[0.004999]], rtol=1e-14)
    np.testing.assert_allclose(parameters["W1"], [[0.80348179902816564]], rtol=1e-14)
    np.testing.assert_array_equal(parameters["b1"], [[0.0]])  # zero gradient: no move


def test_adam_returns_the_corrected_moments_as_the_course_unpacks_them():
    """The course's test cell: ``parameters, v, s, vc, sc = update_parameters_with_adam(...)``."""
    parameters = {"W1": np.array([[1.0, -2.0]]), "b1": np.array([[0.5]])}
    grads = {"dW1": np.array([[3.0, -2.0]]), "db1": np.array([[1.0]])}
    v = {"dW1": np.array([[1.0, 0.0]]), "db1": np.array([[0.0]])}
    s = {"dW1": np.array([[1.0, 0.0]]), "db1": np.array([[0.0]])}
    t, learning_rate, beta1, beta2, epsilon = 2, 0.1, 0.5, 0.75, 0.01
    parameters, v, s, vc, sc = tb.update_parameters_with_adam(
        parameters, grads, v, s, t, learning_rate, beta1, beta2, epsilon
    )
    # v = 0.5 v + 0.5 g = [2, -1] and [0.5]; 1 - 0.5^2 = 0.75: vc = [8/3, -4/3] and [2/3]
    # s = 0.75 s + 0.25 g^2 = [3, 1] and [0.25]; 1 - 0.75^2 = 0.4375: sc = [48/7, 16/7] and [4/7]
    assert set(vc) == set(sc) == {"dW1", "db1"}
    np.testing.assert_allclose(v["dW1"], [[2.0, -1.0]], rtol=1e-15)
    np.testing.assert_allclose(s["dW1"], [[3.0, 1.0]], rtol=1e-15)
    np.testing.assert_allclose(vc["dW1"], [[8 / 3, -4 / 3]], rtol=1e-15)
    np.testing.assert_allclose(vc["db1"], [[2 / 3]], rtol=1e-15)
    np.testing.assert_allclose(sc["dW1"], [[48 / 7, 16 / 7]], rtol=1e-15)
    np.testing.assert_allclose(sc["db1"], [[4 / 7]], rtol=1e-15)
    # W = W - 0.1 * vc / (sqrt(sc) + 0.01), in 30-digit decimal arithmetic
    np.testing.assert_allclose(
        parameters["W1"], [[0.89855239400117162805, -1.9123877899303230986]], rtol=1e-15
    )
    np.testing.assert_allclose(parameters["b1"], [[0.41295972424959065868]], rtol=1e-15)


def test_adam_corrected_moments_are_new_arrays_and_fade_with_t():
    parameters = tb.initialize_parameters([3, 4, 1])
    v, s = tb.initialize_adam(parameters)
    grads = _grads_for(parameters, 0)
    _, v, s, vc, sc = tb.update_parameters_with_adam(parameters, grads, v, s, 10**6)
    assert list(vc) == list(sc) == ["dW1", "db1", "dW2", "db2"]
    for key in vc:  # 1 - beta**t == 1 for huge t: the corrected moments equal the state
        np.testing.assert_array_equal(vc[key], v[key])
        np.testing.assert_array_equal(sc[key], s[key])
        assert vc[key] is not v[key] and sc[key] is not s[key]


# -- equivalences ------------------------------------------------------------------
def _grads_for(parameters, seed):
    rng = np.random.default_rng(seed)
    return {f"d{k}": rng.standard_normal(w.shape) for k, w in parameters.items()}


def test_textbook_equals_generic_for_every_rule():
    parameters = tb.initialize_parameters([3, 4, 2, 1])
    named = {k: w.copy() for k, w in parameters.items()}
    v, s = tb.initialize_adam(parameters)
    adam = descend.Adam(0.02, 0.8, 0.99, 1e-7)
    state = adam.init(named)
    for t in range(1, 4):
        grads = _grads_for(parameters, t)
        parameters, v, s, _, _ = tb.update_parameters_with_adam(
            parameters, grads, v, s, t, 0.02, 0.8, 0.99, 1e-7
        )
        named, state = adam.step(named, {k[1:]: g for k, g in grads.items()}, state)
    for key in named:
        np.testing.assert_array_equal(parameters[key], named[key])
        np.testing.assert_array_equal(v[f"d{key}"], state["v"][key])
        np.testing.assert_array_equal(s[f"d{key}"], state["s"][key])


def test_momentum_with_beta_zero_is_gd():
    a = tb.initialize_parameters([3, 2, 1])
    b = {k: w.copy() for k, w in a.items()}
    v = tb.initialize_velocity(a)
    for seed in range(3):
        grads = _grads_for(a, seed)
        a, v = tb.update_parameters_with_momentum(a, grads, v, 0.0, 0.05)
        b = tb.update_parameters_with_gd(b, grads, 0.05)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_updates_replace_arrays_and_return_the_same_dicts():
    parameters = tb.initialize_parameters([2, 3, 1])
    original = parameters["W1"]
    snapshot = original.copy()
    v, s = tb.initialize_adam(parameters)
    out, v_out, s_out, _, _ = tb.update_parameters_with_adam(
        parameters, _grads_for(parameters, 0), v, s, 1
    )
    assert out is parameters and v_out is v and s_out is s
    np.testing.assert_array_equal(original, snapshot)  # the old array was not written into


# -- errors -------------------------------------------------------------------------
P = {"W1": np.ones((2, 2)), "b1": np.zeros((2, 1))}
G = {"dW1": np.ones((2, 2)), "db1": np.ones((2, 1))}


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: tb.update_parameters_with_gd(dict(P), G, -0.1), ValueError, "learning_rate"),
        (lambda: tb.update_parameters_with_gd(dict(P), G, 0.0), ValueError, "learning_rate"),
        (
            lambda: tb.update_parameters_with_gd(dict(P), G, float("nan")),
            ValueError,
            "learning_rate",
        ),
        (
            lambda: tb.update_parameters_with_gd(dict(P), {"dW1": G["dW1"]}, 0.1),
            ValueError,
            "'db1'",
        ),
        (
            lambda: tb.update_parameters_with_momentum(dict(P), G, dict(G), 1.0, 0.1),
            ValueError,
            "beta",
        ),
        (
            lambda: tb.update_parameters_with_momentum(dict(P), G, dict(G), -0.1, 0.1),
            ValueError,
            "beta",
        ),
        (
            lambda: tb.update_parameters_with_adam(dict(P), G, dict(G), dict(G), 0),
            ValueError,
            r"\bt\b",
        ),
        (
            lambda: tb.update_parameters_with_adam(dict(P), G, dict(G), dict(G), -3),
            ValueError,
            r"\bt\b",
        ),
        (
            lambda: tb.update_parameters_with_adam(dict(P), G, dict(G), dict(G), 1.5),
            TypeError,
            r"\bt\b",
        ),
        (
            lambda: tb.update_parameters_with_adam(dict(P), G, dict(G), dict(G), 1, beta1=1.0),
            ValueError,
            "beta1",
        ),
        (
            lambda: tb.update_parameters_with_adam(dict(P), G, dict(G), dict(G), 1, beta2=1.5),
            ValueError,
            "beta2",
        ),
        (
            lambda: tb.update_parameters_with_adam(dict(P), G, dict(G), dict(G), 1, epsilon=-1e-8),
            ValueError,
            "epsilon",
        ),
        (
            lambda: tb.random_mini_batches(np.ones((2, 5)), np.ones((1, 4))),
            ValueError,
            r"\(2, 5\).*\(1, 4\)",
        ),
        (
            lambda: tb.random_mini_batches(np.ones((2, 5)), np.ones((1, 5)), 0),
            ValueError,
            "mini_batch_size",
        ),
        (lambda: tb.update_lr(0.1, -1, 1.0), ValueError, "n"),
        (lambda: tb.schedule_lr_decay(0.1, 5, 1.0, 0), ValueError, "interval"),
        (
            lambda: tb.model(*tb.load_dataset(), [2, 1], "sgd", num_epochs=1),
            ValueError,
            "optimizer",
        ),
        (lambda: tb.initialize_parameters([2]), ValueError, "layers_dims"),
    ],
)
def test_bad_input_raises(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_a_failed_update_changes_nothing():
    parameters = {"W1": np.ones((2, 2)), "b1": np.zeros((2, 1))}
    v = {"dW1": np.full((2, 2), 0.5), "db1": np.zeros((2, 1))}
    grads = {"dW1": np.ones((2, 2)), "db1": np.full((2, 1), np.nan)}
    with pytest.raises(ValueError, match="'b1'"):
        tb.update_parameters_with_momentum(parameters, grads, v, 0.9, 0.1)
    np.testing.assert_array_equal(parameters["W1"], np.ones((2, 2)))
    np.testing.assert_array_equal(v["dW1"], np.full((2, 2), 0.5))
