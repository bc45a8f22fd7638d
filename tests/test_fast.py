"""The fast paths (numba) against the NumPy reference: same numbers, same errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("numba")

from descend import GD, Adam, Momentum, schedules, textbook, training
from descend.fast import FlatOptimizer, kernels, loop, supports

TOLERANCE = {np.float64: 1e-12, np.float32: 1e-6}


def assert_close(actual, expected, rtol):
    for key in expected:
        scale = np.abs(expected[key]).max()
        np.testing.assert_allclose(actual[key], expected[key], rtol=rtol, atol=rtol * scale)


def make_params(dtype, rng):
    return {
        "W1": rng.standard_normal((7, 5)).astype(dtype),
        "b1": rng.standard_normal((7, 1)).astype(dtype),
        "W2": rng.standard_normal((3, 7)).astype(dtype),
        "b2": np.zeros((3, 1), dtype),
    }


RULES = [
    ("gd", lambda: GD(0.1)),
    ("gd clip_value", lambda: GD(0.1, clip_value=0.5)),
    ("momentum", lambda: Momentum(0.05, 0.9)),
    ("momentum beta=0", lambda: Momentum(0.05, 0.0)),
    ("momentum clip_norm", lambda: Momentum(0.05, 0.8, clip_norm=1.0)),
    ("adam", lambda: Adam(0.01)),
    ("adam betas eps", lambda: Adam(0.02, beta1=0.5, beta2=0.9, epsilon=1e-4)),
    ("adam epsilon 0", lambda: Adam(0.01, epsilon=0.0)),
    ("adam clip both", lambda: Adam(0.01, clip_value=0.3, clip_norm=0.5)),
    ("adam schedule", lambda: Adam(schedules.InverseTime(0.01, 0.5))),
]


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("name", "make"), RULES, ids=[r[0] for r in RULES])
def test_flat_step_equals_reference(name, make, dtype, parallel):
    rng = np.random.default_rng(1)
    opt = make()
    params = make_params(dtype, rng)
    flat = FlatOptimizer(opt, params, parallel=parallel)
    ref_params, ref_state = params, opt.init(params)
    for _ in range(6):
        grads = {k: rng.standard_normal(w.shape).astype(dtype) for k, w in params.items()}
        ref_params, ref_state = opt.step(ref_params, grads, ref_state)
        flat.step(grads)
    rtol = TOLERANCE[dtype]
    assert_close(flat.params, ref_params, rtol)
    for slot in opt.slots:
        assert_close(flat.state[slot], ref_state[slot], rtol)
    assert (flat.state["t"], flat.state["skipped"]) == (ref_state["t"], ref_state["skipped"])
    assert all(flat.params[k].dtype == dtype for k in params)


def test_flat_mixed_dtypes_and_views():
    rng = np.random.default_rng(2)
    params = {"a": rng.standard_normal((4, 3)), "b": rng.standard_normal(5).astype(np.float32)}
    opt = Adam(0.1)
    flat = FlatOptimizer(opt, params)
    grads = {"a": rng.standard_normal((4, 3)), "b": rng.standard_normal(5).astype(np.float32)}
    for key, g in grads.items():
        flat.grads[key][...] = g  # the documented way: write into the views
    flat.step()
    expected, _ = opt.step(params, grads, opt.init(params))
    assert_close(flat.params, expected, 1e-6)
    assert len(flat.layout.sizes) == 2  # one buffer per dtype
    exported, exported_state = flat.export()
    assert exported_state["t"] == 1 and np.shares_memory(flat.params["a"], flat.params["a"])
    assert not np.shares_memory(exported["a"], flat.params["a"])


@pytest.mark.parametrize(
    ("policy", "expected_error"),
    [("raise", "grads\\['W2'\\] holds NaN or inf"), ("skip", None)],
)
def test_flat_nonfinite_changes_nothing(policy, expected_error):
    rng = np.random.default_rng(3)
    params = make_params(np.float64, rng)
    flat = FlatOptimizer(Adam(0.1, on_nonfinite=policy), params)
    grads = {k: np.ones_like(w) for k, w in params.items()}
    grads["W2"][1, 2] = np.nan
    before = {k: w.copy() for k, w in flat.params.items()}
    if expected_error:
        with pytest.raises(ValueError, match=expected_error):
            flat.step(grads)
    else:
        flat.step(grads)
        assert flat.state["skipped"] == 1
    assert_close(flat.params, before, 0.0)
    assert flat.state["t"] == 0


@pytest.mark.parametrize(
    ("optimizer", "supported"),
    [
        (GD(0.1), True),
        (Momentum(0.1, 0.5, clip_norm=1.0), True),
        (Adam(0.1, on_nonfinite="skip"), True),
        (Momentum(0.1, 0.5, nesterov=True), False),
        (Adam(0.1, amsgrad=True), False),
        (Adam(0.1, weight_decay=0.1), False),
        (Adam(0.1, epsilon_inside_sqrt=True), False),
    ],
    ids=str,
)
def test_supports(optimizer, supported):
    assert supports(optimizer) is supported


def test_flat_refuses_unsupported_rule():
    with pytest.raises(ValueError, match="no fused kernel"):
        FlatOptimizer(Adam(0.1, amsgrad=True), {"w": np.zeros(2)})


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize(
    ("size", "bad_at", "bad", "expected"),
    [
        (0, None, None, True),
        (1, 0, np.inf, False),
        (1000, None, None, True),
        (600_003, 0, np.nan, False),  # first block of the parallel check
        (600_003, 600_002, -np.inf, False),  # last, partial block; past the 4 streams
        (600_003, 262_144, np.nan, False),  # first element of the second block
        (600_003, 449_999, np.inf, False),  # end of the third of a block's 4 streams
    ],
)
def test_all_finite(size, bad_at, bad, expected, parallel):
    for dtype in (np.float32, np.float64):
        g = np.full(size, 3.0e38 if dtype is np.float32 else 1e308, dtype)
        if bad_at is not None:
            g[bad_at] = bad
        assert kernels.all_finite(g, parallel) is expected


@pytest.mark.parametrize(
    ("shape", "order"), [((1, 1), "C"), ((2, 300), "C"), ((12, 50), "F"), ((17, 9), "C")]
)
def test_transpose_into(shape, order):
    from descend.fast import net

    X = np.arange(np.prod(shape), dtype=np.float64).reshape(shape, order=order)
    out = np.empty(shape[::-1])
    net.transpose_into(X, out)
    np.testing.assert_array_equal(out, X.T)
    net.transpose_into(X[:, ::2], out[::2])  # a non-contiguous source
    np.testing.assert_array_equal(out[::2], X[:, ::2].T)


@pytest.mark.parametrize("seed", [0, 1, 11, 5010, 2**32 - 1])
@pytest.mark.parametrize("m", [1, 2, 7, 64, 300, 1025])
def test_legacy_permutation_is_randomstate(seed, m):
    expected = np.random.RandomState(seed).permutation(m)
    np.testing.assert_array_equal(kernels.legacy_permutation(m, seed), expected)


# -- the training loop ---------------------------------------------------------------------


def reference_train(monkeypatch, *args, **kwargs):
    with monkeypatch.context() as patch:
        patch.setenv("DESCEND_NO_FAST", "1")
        return training.train(*args, **kwargs)


def assert_same_run(fast, reference, rtol=1e-9):
    params, state, history = fast
    ref_params, ref_state, ref_history = reference
    np.testing.assert_allclose(history.costs, ref_history.costs, rtol=rtol, atol=0)
    assert_close(params, ref_params, rtol)
    assert (state["t"], state["skipped"]) == (ref_state["t"], ref_state["skipped"])
    for slot in set(state) - {"t", "skipped"}:
        assert_close(state[slot], ref_state[slot], rtol)


MOONS_OPTIMIZERS = [
    ("gd", lambda: GD(0.0007)),
    ("momentum", lambda: Momentum(0.0007, 0.9)),
    ("adam", lambda: Adam(0.0007)),
]


@pytest.mark.parametrize(("name", "make"), MOONS_OPTIMIZERS, ids=[r[0] for r in MOONS_OPTIMIZERS])
def test_moons_course_recipe_equals_reference(name, make, monkeypatch):
    X, Y = textbook.load_dataset()
    params = textbook.initialize_parameters([2, 5, 2, 1])
    seen = []

    def record(epoch, cost, p):
        seen.append((epoch, cost, p["W3"].copy()))

    spec = training.MiniBatches(X, Y, 64, seed=11, legacy=True)
    fast = loop.train_fast(params, make(), spec, 300, callback=record)
    assert fast is not None
    course = lambda epoch: textbook.random_mini_batches(X, Y, 64, seed=11 + epoch)  # noqa: E731
    ref_seen = []
    reference = reference_train(
        monkeypatch,
        params,
        make(),
        course,
        300,
        callback=lambda e, c, p: ref_seen.append((e, c, p["W3"].copy())),
    )
    assert_same_run(fast, reference)
    assert [s[0] for s in seen] == list(range(300))
    np.testing.assert_allclose(seen[150][2], ref_seen[150][2], rtol=1e-9)
    # the same run through train(): dispatched, and with an opaque callable
    assert_same_run(training.train(params, make(), spec, 300), reference)
    assert_same_run(loop.train_fast(params, make(), course, 300), reference)


def test_spec_batches_are_the_course_batches():
    X, Y = textbook.load_dataset()
    spec = training.MiniBatches(X, Y, 64, seed=11, legacy=True)
    for epoch in (0, 7):
        for (xa, ya), (xb, yb) in zip(
            spec(epoch), textbook.random_mini_batches(X, Y, 64, seed=11 + epoch), strict=True
        ):
            np.testing.assert_array_equal(xa, xb)
            np.testing.assert_array_equal(ya, yb)


@pytest.mark.parametrize(
    ("dtype", "rtol", "shuffle"),
    [(np.float64, 1e-9, {"seed": 3}), (np.float32, 1e-4, {"seed": 3}), (np.float64, 1e-9, {})],
)
def test_softmax_mlp_equals_reference(dtype, rtol, shuffle, monkeypatch):
    rng = np.random.default_rng(4)
    dims = [12, 40, 30, 4]  # large enough that some products go through BLAS
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = (rng.standard_normal((dims[l], dims[l - 1])) * 0.3).astype(dtype)
        params[f"b{l}"] = np.zeros((dims[l], 1), dtype)
    X = rng.standard_normal((12, 200)).astype(dtype)
    Y = np.eye(4, dtype=dtype)[:, rng.integers(0, 4, 200)]
    spec = training.MiniBatches(X, Y, 50, **shuffle)
    opt = Adam(0.01, clip_norm=5.0)
    fast = loop.train_fast(params, opt, spec, 20)
    assert fast is not None
    assert_same_run(fast, reference_train(monkeypatch, params, opt, spec, 20), rtol)


def test_schedule_and_state_resume(monkeypatch):
    X, Y = textbook.load_dataset()
    params = textbook.initialize_parameters([2, 5, 2, 1])
    rate = schedules.per_epoch(lambda epoch: 0.01 / (1 + epoch), 5)
    opt = Momentum(rate, 0.9)
    spec = training.MiniBatches(X, Y, 64, seed=11, legacy=True)
    first = loop.train_fast(params, opt, spec, 10)
    second = loop.train_fast(first[0], opt, spec, 10, state=first[1])
    ref_first = reference_train(monkeypatch, params, opt, spec, 10)
    ref_second = reference_train(monkeypatch, ref_first[0], opt, spec, 10, state=ref_first[1])
    assert_same_run(second, ref_second)


def test_nonfinite_in_training_raises_like_reference(monkeypatch):
    X, Y = textbook.load_dataset()
    X = X.copy()
    X[0, 5] = np.inf
    params = textbook.initialize_parameters([2, 5, 2, 1])
    spec = training.MiniBatches(X, Y, 64, seed=11, legacy=True)
    with pytest.raises(ValueError, match="holds NaN or inf"):
        loop.train_fast(params, Adam(0.01), spec, 3)
    fast = loop.train_fast(params, Adam(0.01, on_nonfinite="skip"), spec, 3)
    assert fast[1]["skipped"] == 3  # one bad batch per epoch


@pytest.mark.parametrize(
    ("kwargs", "params_dtype", "why"),
    [
        ({"activation": "tanh"}, np.float64, "activation"),
        ({"optimizer": Momentum(0.01, nesterov=True)}, np.float64, "rule option"),
        ({"epochs": 0}, np.float64, "no epochs"),
        ({}, np.float32, "float64 data promotes float32 params"),
    ],
)
def test_unsupported_runs_fall_back(kwargs, params_dtype, why, monkeypatch):
    X, Y = textbook.load_dataset()
    params = textbook.initialize_parameters([2, 5, 2, 1])
    params = {k: v.astype(params_dtype) for k, v in params.items()}
    spec = training.MiniBatches(X, Y, 64, seed=11, legacy=True)
    args = {"optimizer": Adam(0.01), "epochs": 2, "activation": "relu", **kwargs}
    optimizer, epochs = args.pop("optimizer"), args.pop("epochs")
    assert loop.train_fast(params, optimizer, spec, epochs, **args) is None, why
    result = training.train(params, optimizer, spec, epochs, **args)
    assert_same_run(result, reference_train(monkeypatch, params, optimizer, spec, epochs, **args))


def test_import_descend_does_not_import_numba():
    code = "import sys, descend, descend.training; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
