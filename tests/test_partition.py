"""Partition: one optimizer per group of parameters, strict assignment, one state."""

from __future__ import annotations

import re

import numpy as np
import pytest

from descend import GD, Adam, AdamW, Muon, Partition
from descend.checkpoint import load_checkpoint, save_checkpoint
from descend.registry import make_optimizer


def _params():
    rng = np.random.default_rng(0)
    return {
        "W1": rng.standard_normal((4, 3)),
        "b1": np.zeros((4, 1)),
        "W2": rng.standard_normal((1, 4)),
        "b2": np.zeros((1, 1)),
    }


def _grads(params, k=0):
    return {key: np.cos(w + k) for key, w in params.items()}


def _by_name():
    return Partition({"weights": ("W*", Adam(0.01)), "biases": (re.compile(r"b\d+"), GD(0.1))})


def test_each_group_takes_its_own_optimizers_steps():
    params = _params()
    opt = _by_name()
    state = opt.init(params)
    weights, biases = Adam(0.01), GD(0.1)
    w_params = {k: params[k] for k in ("W1", "W2")}
    b_params = {k: params[k] for k in ("b1", "b2")}
    w_state, b_state = weights.init(w_params), biases.init(b_params)
    for k in range(3):
        grads = _grads(params, k)
        params, state = opt.step(params, grads, state)
        w_params, w_state = weights.step(w_params, {n: grads[n] for n in w_params}, w_state)
        b_params, b_state = biases.step(b_params, {n: grads[n] for n in b_params}, b_state)
    for key in ("W1", "W2"):
        np.testing.assert_array_equal(params[key], w_params[key])
    for key in ("b1", "b2"):
        np.testing.assert_array_equal(params[key], b_params[key])
    assert list(params) == ["W1", "b1", "W2", "b2"]
    assert state["t"] == 3 and state["weights"]["t"] == 3
    assert opt.assign(params) == {"W1": "weights", "b1": "biases", "W2": "weights", "b2": "biases"}


@pytest.mark.parametrize(
    ("groups", "pattern"),
    [
        ({"w": ("W*", GD(0.1))}, r"params\['b1'\].*selected by no group"),
        (
            {"w": ("W*", GD(0.1)), "all": ("*", GD(0.1))},
            r"params\['W1'\].*selected by the groups \['w', 'all'\]",
        ),
        ({"w": (lambda n, w: w.ndim == 2, GD(0.1))}, None),
    ],
)  # fmt: skip
def test_every_key_needs_exactly_one_group(groups, pattern):
    opt = Partition(groups)
    if pattern is None:
        opt.init(_params())  # every param is 2-D: covered once
        return
    with pytest.raises(ValueError, match=pattern):
        opt.init(_params())


@pytest.mark.parametrize(
    ("groups", "error", "pattern"),
    [
        ({}, TypeError, "non-empty dict"),
        ({"a/b": ("*", GD(0.1))}, ValueError, "Invalid group label"),
        ({"t": ("*", GD(0.1))}, ValueError, "Invalid group label"),
        ({"a": ("*",)}, TypeError, "pair"),
        ({"a": ("*", "adam")}, TypeError, "not a descend optimizer"),
        ({"a": (3, GD(0.1))}, TypeError, "glob string"),
    ],
)
def test_bad_groups_are_refused(groups, error, pattern):
    with pytest.raises(error, match=pattern):
        Partition(groups).init(_params())


def test_state_dict_round_trip_and_refusals(tmp_path):
    params = _params()
    opt = _by_name()
    state = opt.init(params)
    for k in range(2):
        params, state = opt.step(params, _grads(params, k), state)
    flat = opt.state_dict(state)
    assert {"kind", "t", "skipped", "weights/kind", "weights/v/W1", "biases/kind"} <= set(flat)
    restored = opt.load_state_dict(params, flat)
    a, _sa = opt.step(params, _grads(params, 5), state)
    b, _sb = opt.step(params, _grads(params, 5), restored)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    with pytest.raises(ValueError, match=r"group 'weights'.*unexpected key 'extra'"):
        opt.load_state_dict(params, {**flat, "weights/extra": np.zeros(1)})
    with pytest.raises(ValueError, match="missing the group 'biases'"):
        opt.load_state_dict(params, {k: v for k, v in flat.items() if not k.startswith("biases/")})
    with pytest.raises(ValueError, match="another optimizer kind"):
        Adam(0.01).load_state_dict(params, flat)
    save_checkpoint(tmp_path / "ck.npz", params, state, opt, epoch=2)
    p2, s2 = load_checkpoint(tmp_path / "ck.npz").restore(opt)
    c, _ = opt.step(p2, _grads(p2, 5), s2)
    for key in a:
        np.testing.assert_array_equal(a[key], c[key])


def test_nonfinite_gradient_and_clipping_cover_all_groups():
    params = _params()
    opt = Partition(
        {"w": ("W*", GD(0.1)), "b": ("b*", GD(0.1))}, clip_norm=0.5, on_nonfinite="skip"
    )
    state = opt.init(params)
    grads = _grads(params)
    new, state2 = opt.step(params, {**grads, "b2": np.full((1, 1), np.nan)}, state)
    assert state2["skipped"] == 1 and state2["t"] == 0
    new, _state3 = opt.step(params, grads, state)
    reference, _ = GD(0.1, clip_norm=0.5).step(params, grads, GD(0.1).init(params))
    for key in params:
        np.testing.assert_allclose(new[key], reference[key], rtol=1e-15)
    with pytest.raises(ValueError, match=r"grads\['b2'\] holds NaN"):
        Partition({"w": ("W*", GD(0.1)), "b": ("b*", GD(0.1))}).step(
            params, {**grads, "b2": np.full((1, 1), np.nan)}, state
        )


def test_muon_refuses_arrays_that_are_not_2d():
    with pytest.raises(ValueError, match=r"params\['b'\] has shape \(3,\).*Partition"):
        Muon().init({"b": np.zeros(3)})


def test_muon_by_name_is_muon_on_2d_weights_and_adamw_elsewhere():
    opt = make_optimizer("muon", 0.01)
    assert isinstance(opt, Partition)
    params = {**_params(), "p": np.zeros(2)}
    labels = opt.assign(params)
    assert labels == {"W1": "muon", "b1": "adamw", "W2": "muon", "b2": "adamw", "p": "adamw"}
    assert isinstance(opt.groups["muon"][1], Muon) and isinstance(opt.groups["adamw"][1], AdamW)
