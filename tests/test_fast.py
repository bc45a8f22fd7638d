"""The fast paths (numba) against the NumPy reference: same numbers, same errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("numba")

from descend import (
    GD,
    Adadelta,
    AdaGrad,
    Adam,
    Adamax,
    AdamW,
    Lion,
    Momentum,
    NAdam,
    NAdamW,
    RAdam,
    RMSProp,
    schedules,
)
from descend.fast import FlatOptimizer, kernels, rules, supports

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
    ("nesterov", lambda: Momentum(0.05, 0.9, nesterov=True, clip_value=0.4)),
    ("amsgrad", lambda: Adam(0.01, amsgrad=True)),
    ("adam eps inside", lambda: Adam(0.01, epsilon_inside_sqrt=True, epsilon=1e-3)),
    ("adam eps hat", lambda: Adam.keras(0.01)),
    ("adam coupled decay", lambda: Adam(0.01, weight_decay=0.1)),
    ("adamw", lambda: AdamW(0.01, weight_decay=0.1, clip_norm=0.5)),
    ("rmsprop", lambda: RMSProp(0.01, beta=0.8)),
    ("adagrad", lambda: AdaGrad(0.1, clip_value=0.5)),
    ("rmsprop eps inside", lambda: RMSProp.optax(0.01, decay=0.8)),
    # the element-wise rules of #13, every option
    ("nadam", lambda: NAdam(0.01)),
    ("nadam beta1 0.3", lambda: NAdam(0.01, beta1=0.3)),  # the product stops at t = 35
    ("nadam optax", lambda: NAdam(0.01, momentum_decay=None, clip_norm=0.5)),
    ("nadam coupled decay", lambda: NAdam(0.01, weight_decay=0.1, clip_value=0.3)),
    ("nadamw", lambda: NAdamW(schedules.InverseTime(0.01, 0.5), weight_decay=0.1)),
    ("radam", lambda: RAdam(0.01)),  # not rectified until t = 6
    ("radam torch", lambda: RAdam.torch(0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    (
        "radam decoupled",
        lambda: RAdam(0.01, beta2=0.9, weight_decay=0.1, decoupled_weight_decay=True),
    ),
    ("adamax", lambda: Adamax(0.01, weight_decay=0.1, clip_norm=0.5)),
    ("adadelta", lambda: Adadelta(1.0, rho=0.8, weight_decay=0.1)),
    ("lion", lambda: Lion(0.01, clip_value=0.3)),
    ("lion decay", lambda: Lion(0.01, beta1=0.5, weight_decay=0.5)),
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


class _MyAdam(Adam):
    """A subclass may change the rule: no kernel is assumed for it."""


@pytest.mark.parametrize(
    ("optimizer", "supported"),
    [
        (GD(0.1), True),
        (Momentum(0.1, 0.5, clip_norm=1.0, nesterov=True), True),
        (Adam(0.1, on_nonfinite="skip", amsgrad=True, weight_decay=0.1), True),
        (Adam(0.1, epsilon_inside_sqrt=True), True),
        (AdamW(0.1), True),
        (RMSProp(0.1), True),
        (AdaGrad(0.1), True),
        (NAdam(0.1, momentum_decay=None), True),
        (NAdamW(0.1), True),
        (RAdam.torch(), True),
        (Adamax(), True),
        (Adadelta(), True),
        (Lion(), True),
        (_MyAdam(0.1), False),
    ],
    ids=str,
)
def test_supports(optimizer, supported):
    assert supports(optimizer) is supported


#: registry names run by NumPy (BLAS for the matrix products), never compiled: the
#: compiled backend falls back to NumPy for them, saying why (issue 13)
NUMPY_ONLY = {"adafactor", "lamb", "lars", "muon", "prodigy", "sf_sgd", "sf_adamw"}


def test_every_registered_optimizer_has_a_kernel():
    from descend.registry import NAMES, make_optimizer

    assert all(supports(make_optimizer(name, 0.01)) for name in set(NAMES) - NUMPY_ONLY)


@pytest.mark.parametrize("name", sorted(NUMPY_ONLY))
def test_rules_without_a_kernel_fall_back_and_flat_refuses(name):
    import numpy as np

    from descend import training
    from descend.batching import MiniBatches
    from descend.gradients import NetworkGradients
    from descend.registry import NAMES, make_optimizer

    if name not in NAMES:
        pytest.skip(f"{name} is not in this build's registry yet")
    opt = make_optimizer(name, 0.01)
    params = {"W1": np.ones((2, 2)), "b1": np.zeros((2, 1))}
    X, Y = np.ones((2, 4)), np.ones((1, 4))
    backend, why = training.select_backend(
        "auto", params, opt, MiniBatches(X, Y, 2, seed=0), NetworkGradients()
    )
    assert backend == "numpy" and "no compiled kernel" in why
    with pytest.raises(ValueError, match="cannot run"):
        training.select_backend(
            "numba", params, opt, MiniBatches(X, Y, 2, seed=0), NetworkGradients()
        )
    with pytest.raises(ValueError):
        FlatOptimizer(opt, params)


def test_rule_codes_match_the_kernels():
    for name in ("NESTEROV", "AMSGRAD", "EPS_INSIDE", "EPS_HAT", "DECOUPLED", "CONSTANT_MU"):
        assert getattr(rules, name) == getattr(kernels, name)
    for name in ("GD", "MOMENTUM", "ADAM", "RMSPROP", "ADAGRAD"):
        assert getattr(rules, f"{name}_CODE") == getattr(kernels, name)
    for name in ("NADAM", "RADAM", "ADAMAX", "ADADELTA", "LION"):
        assert getattr(rules, f"{name}_CODE") == getattr(kernels, name)


@pytest.mark.parametrize(("name", "make"), RULES, ids=[r[0] for r in RULES])
def test_hyperparameters_fill_the_kernels_vector(name, make):
    assert rules.compile_rule(make()).hyper.shape == (kernels.HP_SIZE,)


def test_flat_refuses_unsupported_rule():
    with pytest.raises(ValueError, match="no fused kernel"):
        FlatOptimizer(_MyAdam(0.1), {"w": np.zeros(2)})


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


def test_import_descend_does_not_import_numba():
    code = "import sys, descend, descend.training; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
