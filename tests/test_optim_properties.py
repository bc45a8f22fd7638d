"""Invariants of every optimizer, checked on generated parameters and gradients."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from descend.optim import (
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
)
from descend.schedules import Cosine, Warmup

OPTIMIZERS = [
    ("gd", lambda **o: GD(0.1, **o)),
    ("momentum", lambda **o: Momentum(0.1, beta=0.9, **o)),
    ("nesterov", lambda **o: Momentum(0.1, beta=0.9, nesterov=True, **o)),
    ("adam", lambda **o: Adam(0.01, **o)),
    ("adam_amsgrad", lambda **o: Adam(0.01, amsgrad=True, **o)),
    ("adam_inside", lambda **o: Adam(0.01, epsilon_inside_sqrt=True, **o)),
    ("adam_keras", lambda **o: Adam.keras(0.01, **o)),
    ("adam_weight_decay", lambda **o: Adam(0.01, weight_decay=0.1, **o)),
    ("adamw", lambda **o: AdamW(0.01, **o)),
    ("adamw_amsgrad", lambda **o: AdamW(0.01, amsgrad=True, **o)),
    ("rmsprop", lambda **o: RMSProp(0.01, **o)),
    ("adagrad", lambda **o: AdaGrad(0.01, **o)),
    ("clipped", lambda **o: Adam(0.01, clip_norm=1.0, clip_value=0.5, **o)),
    ("scheduled", lambda **o: Adam(Warmup(Cosine(0.01, 20), 5), **o)),
    ("rmsprop_inside", lambda **o: RMSProp(0.01, epsilon_inside_sqrt=True, **o)),
    ("nadam", lambda **o: NAdam(0.01, **o)),
    ("nadam_optax", lambda **o: NAdam(0.01, momentum_decay=None, **o)),
    ("nadamw", lambda **o: NAdamW(0.01, **o)),
    ("radam", lambda **o: RAdam(0.01, **o)),
    ("radam_torch", lambda **o: RAdam.torch(0.01, weight_decay=0.1, **o)),
    ("adamax", lambda **o: Adamax(0.01, **o)),
    ("adadelta", lambda **o: Adadelta(**o)),
    ("lion", lambda **o: Lion(0.001, **o)),
    ("lion_decay", lambda **o: Lion(0.001, weight_decay=0.1, **o)),
]
# Rules whose zero-gradient step from a fresh state must leave every parameter as it was
# (weight decay moves parameters on its own, by design).
STILL = [
    "gd",
    "momentum",
    "nesterov",
    "adam",
    "adam_amsgrad",
    "adam_inside",
    "adam_keras",
    "rmsprop",
    "adagrad",
    "clipped",
    "rmsprop_inside",
    "nadam",
    "nadam_optax",
    "radam",
    "adamax",
    "adadelta",
    "lion",
]

ids = [name for name, _ in OPTIMIZERS]
makers = dict(OPTIMIZERS)
SETTINGS = settings(max_examples=15, deadline=None)

shapes = st.sampled_from([(3,), (2, 3), (4, 1), (1,)])
finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=32)


@st.composite
def problems(draw, dtype=np.float64):
    """A dict of 1-3 arrays with their gradients for ``steps`` updates."""
    n = draw(st.integers(1, 3))
    keys = [f"p{i}" for i in range(n)]
    dims = [draw(shapes) for _ in keys]
    params = {
        k: draw(hnp.arrays(dtype, d, elements=finite)) for k, d in zip(keys, dims, strict=True)
    }
    steps = draw(st.integers(1, 4))
    grads = [
        {k: draw(hnp.arrays(dtype, d, elements=finite)) for k, d in zip(keys, dims, strict=True)}
        for _ in range(steps)
    ]
    return params, grads


def run(opt, params, grads):
    state = opt.init(params)
    for g in grads:
        params, state = opt.step(params, g, state)
    return params, state


def assert_same_state(a, b):
    assert set(a) == set(b)
    assert (a["t"], a["skipped"]) == (b["t"], b["skipped"])
    for slot in set(a) - {"t", "skipped"}:
        assert list(a[slot]) == list(b[slot])
        for k in a[slot]:
            assert a[slot][k].dtype == b[slot][k].dtype
            np.testing.assert_array_equal(a[slot][k], b[slot][k], strict=True)


@pytest.mark.parametrize("name", STILL)
@SETTINGS
@given(problem=problems())
def test_zero_gradient_moves_nothing(name, problem):
    params, _ = problem
    opt = makers[name]()
    zeros = {k: np.zeros_like(w) for k, w in params.items()}
    new, state = run(opt, params, [zeros, zeros])
    for k in params:
        np.testing.assert_array_equal(new[k], params[k])
    assert state["t"] == 2


@pytest.mark.parametrize("name", ids)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@SETTINGS
@given(problem=problems())
def test_skip_leaves_params_and_state_bit_identical(name, bad, problem):
    params, grads = problem
    opt = makers[name](on_nonfinite="skip")
    params, state = run(opt, params, grads)
    poisoned = {k: g.copy() for k, g in grads[0].items()}
    poisoned[next(iter(poisoned))].flat[-1] = bad
    new, new_state = opt.step(params, poisoned, state)
    for k in params:
        assert new[k].dtype == params[k].dtype
        np.testing.assert_array_equal(new[k], params[k], strict=True)
    assert new_state["skipped"] == state["skipped"] + 1
    assert_same_state({**new_state, "skipped": state["skipped"]}, state)


@pytest.mark.parametrize("name", ids)
@SETTINGS
@given(problem=problems())
def test_state_dict_round_trips_through_npz(name, problem):
    params, grads = problem
    opt = makers[name]()
    _, state = run(opt, params, grads)
    buffer = io.BytesIO()
    np.savez(buffer, **opt.state_dict(state))
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as flat:
        restored = opt.load_state_dict(params, dict(flat))
    assert_same_state(restored, state)
    # and training goes on identically
    a, _ = opt.step(params, grads[0], state)
    b, _ = opt.step(params, grads[0], restored)
    for k in params:
        np.testing.assert_array_equal(a[k], b[k], strict=True)


@pytest.mark.parametrize("name", ids)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@SETTINGS
@given(data=st.data())
def test_dtype_and_shape_kept(name, dtype, data):
    params, grads = data.draw(problems(dtype))
    opt = makers[name]()
    new, state = run(opt, params, grads)
    assert list(new) == list(params)
    for k, w in params.items():
        assert new[k].dtype == dtype and new[k].shape == w.shape
        for slot in opt.slots:
            assert state[slot][k].dtype == dtype and state[slot][k].shape == w.shape


@pytest.mark.parametrize("name", ids)
@SETTINGS
@given(problem=problems())
def test_step_is_pure(name, problem):
    params, grads = problem
    opt = makers[name]()
    state = opt.init(params)
    _, state = opt.step(params, grads[0], state)
    copies = (
        {k: w.copy() for k, w in params.items()},
        {k: g.copy() for k, g in grads[-1].items()},
        {s: {k: a.copy() for k, a in state[s].items()} for s in opt.slots},
    )
    new, new_state = opt.step(params, grads[-1], state)
    for before, after in zip(copies[:2], (params, grads[-1]), strict=True):
        for k in before:
            np.testing.assert_array_equal(before[k], after[k], strict=True)
    for s in opt.slots:
        for k in params:
            np.testing.assert_array_equal(copies[2][s][k], state[s][k], strict=True)
            assert new_state[s][k] is not state[s][k]
    assert all(new[k] is not params[k] for k in params)
