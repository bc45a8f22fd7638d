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
from descend.fast import step as fused

TOLERANCE = {np.float64: 1e-12, np.float32: 1e-6}


def assert_close(actual, expected, rtol):
    for key in expected:
        scale = np.abs(expected[key]).max(initial=0.0)
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
        ref_params, ref_state = opt.reference_step(ref_params, grads, ref_state)
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
    expected, _ = opt.reference_step(params, grads, opt.init(params))
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


# -- the public step on compiled kernels (descend.fast.step) ------------------------------


def _fused_runs(opt, params, grads, state):
    """Whether ``opt.step`` takes the compiled path for these arguments."""
    return fused.fused_step(opt, params, grads, state, state["t"]) is not None


@pytest.mark.parametrize("threads", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("name", "make"), RULES, ids=[r[0] for r in RULES])
def test_step_equals_reference_step(name, make, dtype, threads, monkeypatch):
    """``Optimizer.step`` (fused kernels) against ``reference_step`` (NumPy), 6 steps."""
    if threads:  # every array split into jobs, the jobs over the threads
        monkeypatch.setattr(fused, "PARALLEL_THRESHOLD", 1)
        monkeypatch.setattr(fused, "_CHUNK", 8)
    rng = np.random.default_rng(1)
    opt = make()
    params = make_params(dtype, rng)
    fast_params, fast_state = params, opt.init(params)
    ref_params, ref_state = params, opt.init(params)
    for _ in range(6):
        grads = {k: rng.standard_normal(w.shape).astype(dtype) for k, w in params.items()}
        assert _fused_runs(opt, fast_params, grads, fast_state)
        fast_params, fast_state = opt.step(fast_params, grads, fast_state)
        ref_params, ref_state = opt.reference_step(ref_params, grads, ref_state)
    rtol = TOLERANCE[dtype]
    assert_close(fast_params, ref_params, rtol)
    for slot in opt.slots:
        assert_close(fast_state[slot], ref_state[slot], rtol)
    assert set(fast_state) == set(ref_state)
    assert (fast_state["t"], fast_state["skipped"]) == (ref_state["t"], ref_state["skipped"])
    for key, w in params.items():
        assert fast_params[key].dtype == dtype and fast_params[key].shape == w.shape


def _snapshot(tree):
    if isinstance(tree, dict):
        return {k: _snapshot(v) for k, v in tree.items()}
    return tree.copy() if isinstance(tree, np.ndarray) else tree


def _assert_same(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _assert_same(a[k], b[k])
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("name", "arrays"),
    [
        ("2-d and 1-d", {"W": np.ones((3, 4)), "b": np.ones(3)}),
        ("0-d", {"scale": np.array(2.0), "w": np.ones(2)}),
        ("fortran order", {"W": np.asfortranarray(np.arange(12.0).reshape(3, 4))}),
        ("strided view", {"w": np.arange(20.0)[::2]}),
        ("empty", {"w": np.ones(3), "none": np.ones((0, 4))}),
        ("two dtypes", {"a": np.ones((2, 2)), "b": np.ones(5, np.float32)}),
    ],
)
def test_step_keeps_the_contract(name, arrays):
    """New arrays, inputs untouched, shapes and dtypes kept: for every input layout."""
    opt = Adam(0.1, amsgrad=True)
    rng = np.random.default_rng(4)
    params = {k: np.asarray(a + 0.5) for k, a in arrays.items()} if "view" not in name else arrays
    grads = {k: rng.standard_normal(a.shape).astype(a.dtype) for k, a in params.items()}
    state = opt.reference_step(params, grads, opt.init(params))[1]  # a non-zero state
    before = _snapshot((params, grads, state))
    assert _fused_runs(opt, params, grads, state)
    new_params, new_state = opt.step(params, grads, state)
    ref_params, ref_state = opt.reference_step(params, grads, state)
    _assert_same((params, grads, state), before)
    for key in params:
        for new, old in ((new_params, params), (new_state["v"], state["v"])):
            assert isinstance(new[key], np.ndarray)
            assert new[key].shape == old[key].shape and new[key].dtype == old[key].dtype
            for other in (*params.values(), *grads.values(), *state["v"].values()):
                assert not np.shares_memory(new[key], other)
    assert_close(new_params, ref_params, 1e-6)
    assert_close(new_state["s_max"], ref_state["s_max"], 1e-6)


@pytest.mark.parametrize("policy", ["raise", "skip"])
@pytest.mark.parametrize(
    ("name", "opt", "grad", "message"),
    [
        ("nan", Adam(0.1), np.nan, r"grads\['W2'\] holds NaN or inf"),
        ("inf clipped by value", GD(0.1, clip_value=1.0), np.inf, r"grads\['W2'\] holds"),
        ("-inf, clip_norm", Momentum(0.1, clip_norm=1.0), -np.inf, r"grads\['W2'\] holds"),
        ("nan, lr 0", GD(lambda t: 0.0), np.nan, r"grads\['W2'\] holds"),
        ("overflow of s", Adam(0.1), 1e200, r"overflowed: 's/b1'"),
        ("overflow of w", GD(1e300), 1e300, r"overflowed: 'W2'"),
        ("overflow of w, momentum", Momentum(1e10, beta=0.5), 1e308, r"overflowed: 'W2'"),
    ],
)
def test_a_failed_step_changes_nothing(name, opt, grad, message, policy):
    """The fused step raises (or skips) exactly as the reference does, and writes nothing."""
    opt.on_nonfinite = policy
    rng = np.random.default_rng(5)
    params = make_params(np.float64, rng)
    grads = {k: np.zeros_like(w) for k, w in params.items()}
    grads["W2"][1, 2] = grad
    grads["b1"][0, 0] = 1e200 if name == "overflow of s" else 0.0  # an earlier key: the order
    state = opt.init(params)
    before = _snapshot((params, grads, state))
    assert _fused_runs(opt, params, grads, state)
    outcomes = []
    for step in (opt.step, opt.reference_step):
        if policy == "raise":
            with pytest.raises(ValueError, match=message) as info:
                step(params, grads, state)
            outcomes.append(str(info.value))
        else:
            new_params, new_state = step(params, grads, state)
            assert new_state["skipped"] == 1 and new_state["t"] == 0
            _assert_same(new_params, params)
            outcomes.append(new_state["skipped"])
    assert outcomes[0] == outcomes[1]
    _assert_same((params, grads, state), before)


def test_nonfinite_gradient_is_reported_before_a_bad_schedule():
    opt = GD(lambda t: float("nan"), on_nonfinite="skip")
    params = {"w": np.ones(3)}
    grads = {"w": np.array([1.0, np.inf, 0.0])}
    for step in (opt.step, opt.reference_step):
        _, state = step(params, grads, opt.init(params))
        assert state["skipped"] == 1
    with pytest.raises(ValueError, match="schedule"):
        opt.step(params, {"w": np.ones(3)}, opt.init(params))


def test_returned_arrays_are_never_reused_while_alive():
    """The recycled buffers: a kept result (or a view of one) is never written again."""
    opt = Adam(0.1)
    rng = np.random.default_rng(6)
    params = {"W": rng.standard_normal((30, 20)), "b": rng.standard_normal(30)}
    state = opt.init(params)
    kept = []
    for i in range(8):
        grads = {k: rng.standard_normal(w.shape) for k, w in params.items()}
        params, state = opt.step(params, grads, state)
        if i in (1, 4):
            kept.append((params["W"][2:5], params["b"], state["s"]["W"]))
            kept.append(tuple(a.copy() for a in kept[-1]))
    for arrays, copies in zip(kept[::2], kept[1::2], strict=True):
        for a, c in zip(arrays, copies, strict=True):
            np.testing.assert_array_equal(a, c)
    buffers = fused._recycler(opt).pools
    assert sum(len(pool) for pool in buffers.values()) <= 3 * 3  # bounded: 3 generations


class _Unweakrefable:
    __slots__ = ()


@pytest.mark.parametrize(
    ("name", "opt", "params", "env"),
    [
        ("float16", Adam(0.1), {"w": np.ones(3, np.float16)}, {}),
        ("subclass", _MyAdam(0.1), {"w": np.ones(3)}, {}),
        ("no kernel", None, {"w": np.ones(3)}, {}),
        ("DESCEND_NO_FAST", Adam(0.1), {"w": np.ones(3)}, {"DESCEND_NO_FAST": "1"}),
        ("DESCEND_BACKEND=numpy", Adam(0.1), {"w": np.ones(3)}, {"DESCEND_BACKEND": "numpy"}),
        ("slot of another dtype", Adam(0.1), {"w": np.ones(3)}, {}),
    ],
)
def test_step_falls_back_to_the_reference(name, opt, params, env, monkeypatch):
    from descend import Adafactor

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    opt = opt or Adafactor(0.1)
    state = opt.init(params)
    if name == "slot of another dtype":
        state["v"]["w"] = state["v"]["w"].astype(np.float32)
    grads = {k: np.full(w.shape, 0.5, w.dtype) for k, w in params.items()}
    assert not _fused_runs(opt, params, grads, state)
    new_params, _ = opt.step(params, grads, state)
    expected, _ = opt.reference_step(params, grads, state)
    _assert_same(new_params, expected)
    assert new_params["w"].dtype == params["w"].dtype


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
