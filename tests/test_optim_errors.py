"""Bad options, bad steps and bad checkpoints: each error names what is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from descend.optim import GD, AdaGrad, Adam, AdamW, Momentum, RMSProp
from descend.schedules import Constant

OPTIMIZERS = {
    "GD": GD,
    "Momentum": Momentum,
    "Adam": Adam,
    "AdamW": AdamW,
    "RMSProp": RMSProp,
    "AdaGrad": AdaGrad,
}

# (optimizer, kwargs, exception, message pattern)
BAD_OPTIONS = [
    *[
        (name, {"learning_rate": lr}, ValueError, r"Invalid learning_rate: .* \(expected a finite")
        for name in OPTIMIZERS
        for lr in (0.0, -0.1, float("nan"), float("inf"))
    ],
    ("GD", {"learning_rate": "0.1"}, TypeError, "learning_rate must be a real number"),
    ("GD", {"learning_rate": True}, TypeError, "learning_rate must be a real number"),
    (
        "Momentum",
        {"learning_rate": 0.1, "beta": 1.0},
        ValueError,
        r"Invalid beta: 1.0 \(expected 0 <= beta < 1\)",
    ),
    ("Momentum", {"learning_rate": 0.1, "beta": -0.1}, ValueError, "Invalid beta: -0.1"),
    (
        "Momentum",
        {"learning_rate": 0.1, "nesterov": "yes"},
        TypeError,
        "nesterov must be True or False",
    ),
    ("Adam", {"beta1": 1.0}, ValueError, r"Invalid beta1: 1.0 \(expected 0 <= beta1 < 1\)"),
    ("Adam", {"beta1": -0.5}, ValueError, "Invalid beta1"),
    ("Adam", {"beta2": 1.0}, ValueError, r"Invalid beta2: 1.0 \(expected 0 <= beta2 < 1\)"),
    ("Adam", {"beta2": float("nan")}, ValueError, "Invalid beta2"),
    ("AdamW", {"beta1": 1.5}, ValueError, "Invalid beta1"),
    ("RMSProp", {"beta": 1.0}, ValueError, "Invalid beta: 1.0"),
    (
        "Adam",
        {"epsilon": -1e-8},
        ValueError,
        r"Invalid epsilon: -1e-08 \(expected a finite number >= 0\)",
    ),
    ("Adam", {"epsilon": float("inf")}, ValueError, "Invalid epsilon"),
    ("AdamW", {"epsilon": -1.0}, ValueError, "Invalid epsilon"),
    ("RMSProp", {"epsilon": -1.0}, ValueError, "Invalid epsilon"),
    ("AdaGrad", {"epsilon": -1.0}, ValueError, "Invalid epsilon"),
    ("Adam", {"epsilon": "1e-8"}, TypeError, "epsilon must be a real number"),
    (
        "Adam",
        {"weight_decay": -0.1},
        ValueError,
        r"Invalid weight_decay: -0.1 \(expected a finite number >= 0\)",
    ),
    ("Adam", {"weight_decay": float("nan")}, ValueError, "Invalid weight_decay"),
    ("AdamW", {"weight_decay": -1.0}, ValueError, "Invalid weight_decay"),
    ("AdamW", {"weight_decay": None}, TypeError, "weight_decay must be a real number"),
    ("Adam", {"amsgrad": 1}, TypeError, "amsgrad must be True or False"),
    ("Adam", {"epsilon_inside_sqrt": "no"}, TypeError, "epsilon_inside_sqrt must be True or False"),
    ("Adam", {"epsilon_hat": True, "epsilon_inside_sqrt": True}, ValueError, "Invalid epsilon_hat"),
    *[
        (name, {"learning_rate": 0.1, option: value}, ValueError, f"Invalid {option}: ")
        for name in ("GD", "Adam")
        for option in ("clip_norm", "clip_value")
        for value in (0.0, -1.0, float("inf"))
    ],
    (
        "GD",
        {"learning_rate": 0.1, "on_nonfinite": "ignore"},
        ValueError,
        "Invalid on_nonfinite: 'ignore'",
    ),
    ("Adam", {"on_nonfinite": None}, ValueError, "Invalid on_nonfinite"),
    ("Adam", {"clipnorm": 1.0}, TypeError, "clipnorm"),
]


@pytest.mark.parametrize(("name", "kwargs", "error", "pattern"), BAD_OPTIONS)
def test_bad_option_is_refused(name, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        OPTIMIZERS[name](**kwargs)


BAD_PRESETS = [
    (lambda: Momentum.torch(0.1, momentum=1.0), ValueError, "Invalid momentum: 1.0"),
    (lambda: Momentum.torch(-0.1, momentum=0.9), ValueError, "Invalid lr: -0.1"),
    (lambda: Momentum.keras(0.0, momentum=0.9), ValueError, "Invalid learning_rate: 0.0"),
    (lambda: Momentum.keras(Constant(0.1), 0.9), TypeError, "must be a number for Momentum.keras"),
    (lambda: Adam.keras(beta_1=1.0), ValueError, "Invalid beta1"),
    (lambda: Adam.keras(epsilon=-1.0), ValueError, "Invalid epsilon"),
]


@pytest.mark.parametrize(("make", "error", "pattern"), BAD_PRESETS)
def test_bad_preset_is_refused(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


# Flags are keyword-only: a fifth positional argument of Adam used to be amsgrad,
# of AdamW weight_decay, so a call written for one read silently as the other.
POSITIONAL_FLAGS = [
    ("adam_amsgrad", lambda: Adam(0.1, 0.9, 0.999, 1e-8, True)),
    ("adam_inside_sqrt", lambda: Adam(0.1, 0.9, 0.999, 1e-8, False, True)),
    ("adamw_weight_decay", lambda: AdamW(0.1, 0.9, 0.999, 1e-8, 0.1)),
    ("momentum_nesterov", lambda: Momentum(0.1, 0.9, True)),
    ("momentum_torch_nesterov", lambda: Momentum.torch(0.1, 0.9, True)),
    ("momentum_keras_nesterov", lambda: Momentum.keras(0.1, 0.9, True)),
    ("adam_keras_amsgrad", lambda: Adam.keras(0.1, 0.9, 0.999, 1e-7, True)),
]


@pytest.mark.parametrize(
    "make", [row[1] for row in POSITIONAL_FLAGS], ids=[row[0] for row in POSITIONAL_FLAGS]
)
def test_flags_are_keyword_only(make):
    with pytest.raises(TypeError, match="positional argument"):
        make()


PARAMS = {"W1": np.ones((2, 3)), "b1": np.zeros((2, 1))}
GRADS = {"W1": np.full((2, 3), 0.5), "b1": np.ones((2, 1))}

BAD_STEPS = [
    ({"W1": np.ones((2, 3))}, ValueError, "grads is missing key 'b1'"),
    ({**GRADS, "W2": np.ones(1)}, ValueError, "grads has key 'W2'"),
    ({**GRADS, "b1": np.ones((1, 2))}, ValueError, r"grads\['b1'\] has shape \(1, 2\)"),
    ({**GRADS, "b1": [[1.0], [1.0]]}, TypeError, r"grads\['b1'\] must be a numpy.ndarray"),
    ({**GRADS, "b1": np.ones((2, 1), dtype=int)}, TypeError, r"grads\['b1'\] has dtype int"),
    ({**GRADS, "b1": np.array([[1.0], [np.nan]])}, ValueError, r"grads\['b1'\] holds NaN or inf"),
    ({**GRADS, "W1": np.full((2, 3), np.inf)}, ValueError, r"grads\['W1'\] holds NaN or inf"),
]


@pytest.mark.parametrize(("grads", "error", "pattern"), BAD_STEPS)
def test_bad_step_is_refused_and_changes_nothing(grads, error, pattern):
    opt = Adam(0.1)
    state = opt.init(PARAMS)
    before = {k: w.copy() for k, w in PARAMS.items()}
    with pytest.raises(error, match=pattern):
        opt.step(PARAMS, grads, state)
    assert state["t"] == 0
    for k in PARAMS:
        np.testing.assert_array_equal(PARAMS[k], before[k])


BAD_SCHEDULES = [
    (lambda n: -0.1, "learning_rate schedule at update 0: Invalid learning_rate: -0.1"),
    (lambda n: float("nan"), "learning_rate schedule at update 0: Invalid learning_rate: nan"),
    (lambda n: "fast", "learning_rate schedule at update 0: learning_rate must be a real number"),
]


@pytest.mark.parametrize(("schedule", "pattern"), BAD_SCHEDULES)
def test_bad_schedule_value_is_refused(schedule, pattern):
    opt = GD(schedule)
    with pytest.raises(ValueError, match=pattern):
        opt.step(PARAMS, GRADS, opt.init(PARAMS))


def test_schedule_may_return_zero():
    opt = GD(lambda n: 0.0)
    new, state = opt.step(PARAMS, GRADS, opt.init(PARAMS))
    np.testing.assert_array_equal(new["W1"], PARAMS["W1"])
    assert state["t"] == 1


def test_state_of_another_optimizer_is_refused_by_step():
    state = Momentum(0.1).init(PARAMS)
    with pytest.raises(
        ValueError, match=r"state does not belong to this optimizer .*: missing \[.s.\]"
    ):
        Adam().step(PARAMS, GRADS, state)


# -- checkpoints ---------------------------------------------------------------------
def flat_state(opt=None):
    opt = opt or Adam(0.1)
    state = opt.init(PARAMS)
    _, state = opt.step(PARAMS, GRADS, state)
    return opt.state_dict(state)


def without(flat, key):
    return {k: v for k, v in flat.items() if k != key}


BAD_CHECKPOINTS = [
    ("missing_t", Adam(0.1), lambda f: without(f, "t"), "state_dict is missing key 't'"),
    ("missing_kind", Adam(0.1), lambda f: without(f, "kind"), "state_dict is missing key 'kind'"),
    ("missing_slot", Adam(0.1), lambda f: without(f, "s/b1"), "state_dict is missing key 's/b1'"),
    ("extra_key", Adam(0.1), lambda f: {**f, "v/W2": np.ones(1)}, "unexpected key 'v/W2'"),
    ("extra_slot", Adam(0.1), lambda f: {**f, "m/W1": np.ones((2, 3))}, "unexpected key 'm/W1'"),
    (
        "wrong_shape",
        Adam(0.1),
        lambda f: {**f, "v/W1": np.ones((3, 2))},
        r"key 'v/W1' has shape \(3, 2\), but params\['W1'\] has shape \(2, 3\)",
    ),
    (
        "not_float",
        Adam(0.1),
        lambda f: {**f, "v/W1": np.ones((2, 3), dtype=int)},
        "key 'v/W1' must be a floating array",
    ),
    (
        "negative_t",
        Adam(0.1),
        lambda f: {**f, "t": np.array(-1)},
        r"state\['t'\] must be an int >= 0",
    ),
    ("float_t", Adam(0.1), lambda f: {**f, "t": np.array(1.0)}, "key 't' must be a 0-d integer"),
    (
        "other_kind",
        RMSProp(0.1),
        lambda f: f,
        "key 'kind' is .*'adam'.* this optimizer is 'rmsprop'",
    ),
    ("adam_into_adamw", AdamW(0.1), lambda f: f, "this optimizer is 'adamw'"),
    (
        "amsgrad_off_into_on",
        Adam(0.1, amsgrad=True),
        lambda f: f,
        "state_dict is missing key 's_max/W1'",
    ),
    (
        "amsgrad_on_into_off",
        Adam(0.1),
        lambda f: flat_state(Adam(0.1, amsgrad=True)),
        "unexpected key 's_max/W1'",
    ),
    (
        "kind_as_object",
        Adam(0.1),
        lambda f: {**f, "kind": np.array("adam", dtype=object)},
        "key 'kind'",
    ),
]


@pytest.mark.parametrize(
    ("opt", "corrupt", "pattern"),
    [row[1:] for row in BAD_CHECKPOINTS],
    ids=[row[0] for row in BAD_CHECKPOINTS],
)
def test_bad_checkpoint_is_refused(opt, corrupt, pattern):
    with pytest.raises(ValueError, match=pattern):
        opt.load_state_dict(PARAMS, corrupt(flat_state()))


def test_state_dict_refuses_a_state_of_another_optimizer():
    with pytest.raises(ValueError, match="state is missing key 's'"):
        Adam().state_dict(Momentum(0.1).init(PARAMS))


def test_state_dict_is_plain_arrays():
    flat = flat_state()
    assert sorted(flat) == ["kind", "s/W1", "s/b1", "skipped", "t", "v/W1", "v/b1"]
    assert all(isinstance(v, np.ndarray) and v.dtype != object for v in flat.values())
    assert str(flat["kind"]) == "adam" and flat["t"].dtype == np.int64
