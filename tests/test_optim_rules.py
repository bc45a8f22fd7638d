"""Each update rule and option against two steps computed by hand.

Every expected number is written out with its arithmetic in the comment; the
small hyperparameters (β = 0.5, ε = 0) keep that arithmetic short.
"""

from __future__ import annotations

import numpy as np
import pytest

from descend.optim import (
    GD,
    AdaGrad,
    Adam,
    AdamW,
    Momentum,
    RMSProp,
    adagrad_update,
    adam_update,
    gd_update,
    momentum_update,
    rmsprop_update,
)
from descend.schedules import Step

ADAM = {"beta1": 0.5, "beta2": 0.5, "epsilon": 0.0}

# (id, optimizer, w0, [g1, g2], [w after update 1, w after update 2], {slot: value after 2})
TWO_STEPS = [
    # w1 = 1 - 0.1*0.5 = 0.95; w2 = 0.95 - 0.1*1 = 0.85
    ("gd", GD(0.1), [1.0], [[0.5], [1.0]], [[0.95], [0.85]], {}),
    # v1 = 0.5*0 + 0.5*2 = 1, w1 = 1 - 0.1*1 = 0.9
    # v2 = 0.5*1 + 0.5*4 = 2.5, w2 = 0.9 - 0.1*2.5 = 0.65
    ("momentum", Momentum(0.1, beta=0.5), [1.0], [[2.0], [4.0]], [[0.9], [0.65]], {"v": [2.5]}),
    # w1 = 1 - 0.1*(0.5*1 + 0.5*2) = 0.85; w2 = 0.85 - 0.1*(0.5*2.5 + 0.5*4) = 0.525
    (
        "momentum_nesterov",
        Momentum(0.1, beta=0.5, nesterov=True),
        [1.0],
        [[2.0], [4.0]],
        [[0.85], [0.525]],
        {"v": [2.5]},
    ),
    # PyTorch trace b: b1 = 2, w1 = 1 - 0.1*2 = 0.8; b2 = 0.5*2 + 4 = 5, w2 = 0.8 - 0.1*5 = 0.3
    # (descend: α = 0.1/(1-0.5) = 0.2 and v = (1-β)·b: v2 = 2.5)
    (
        "momentum_torch_preset",
        Momentum.torch(0.1, momentum=0.5),
        [1.0],
        [[2.0], [4.0]],
        [[0.8], [0.3]],
        {"v": [2.5]},
    ),
    # Keras buffer m = βm - α·g: m1 = -0.2, w1 = 0.8; m2 = -0.1 - 0.4 = -0.5, w2 = 0.3
    (
        "momentum_keras_preset",
        Momentum.keras(0.1, momentum=0.5),
        [1.0],
        [[2.0], [4.0]],
        [[0.8], [0.3]],
        {"v": [2.5]},
    ),
    # v1 = 0.5*1 = 0.5, s1 = 0.5*1 = 0.5, v̂ = 0.5/0.5 = 1, ŝ = 0.5/0.5 = 1: w1 = 1 - 0.1*1/1 = 0.9
    # v2 = 0.25 + 0.5*11 = 5.75, s2 = 0.25 + 0.5*121 = 60.75, v̂ = 5.75/0.75 = 23/3,
    # ŝ = 60.75/0.75 = 81: w2 = 0.9 - 0.1*(23/3)/9 = 0.9 - 23/270 = 0.81481481481481...
    (
        "adam",
        Adam(0.1, **ADAM),
        [1.0],
        [[1.0], [11.0]],
        [[0.9], [0.8148148148148149]],
        {"v": [5.75], "s": [60.75]},
    ),
    # g 11 then 1. Update 1: v = 5.5, s = 60.5, v̂ = 11, ŝ = 121: w1 = 1 - 0.1*11/11 = 0.9
    # Update 2: v = 2.75 + 0.5 = 3.25, s = 30.25 + 0.5 = 30.75, s_max = max(60.5, 30.75) = 60.5
    # w2 = 0.9 - 0.1*(3.25/0.75)/sqrt(60.5/0.75) = 0.9 - 0.1*4.3333/8.98146 = 0.85175247476...
    (
        "adam_amsgrad",
        Adam(0.1, amsgrad=True, **ADAM),
        [1.0],
        [[11.0], [1.0]],
        [[0.9], [0.8517524747633617]],
        {"v": [3.25], "s": [30.75], "s_max": [60.5]},
    ),
    # Same gradients without AMSGrad: w2 = 0.9 - 0.1*(3.25/0.75)/sqrt(30.75/0.75 = 41)
    # = 0.9 - 0.43333/6.40312 = 0.83232470318...
    (
        "adam_not_amsgrad",
        Adam(0.1, **ADAM),
        [1.0],
        [[11.0], [1.0]],
        [[0.9], [0.832324703181604]],
        {"v": [3.25], "s": [30.75]},
    ),
    # ε = 3 inside: w1 = 1 - 0.1*1/sqrt(1 + 3) = 0.95
    # w2 = 0.95 - 0.1*(23/3)/sqrt(81 + 3) = 0.95 - 0.76667/9.16515 = 0.86634980874...
    (
        "adam_epsilon_inside_sqrt",
        Adam(0.1, beta1=0.5, beta2=0.5, epsilon=3.0, epsilon_inside_sqrt=True),
        [1.0],
        [[1.0], [11.0]],
        [[0.95], [0.8663498087428695]],
        {"v": [5.75], "s": [60.75]},
    ),
    # ε-hat = 1: w1 = 1 - 0.1*sqrt(1-0.5)/(1-0.5) * 0.5/(sqrt(0.5) + 1)
    #              = 1 - 0.1*0.70711/1.70711 = 0.95857864376...
    # w2 = w1 - 0.1*sqrt(0.75)/0.75 * 5.75/(sqrt(60.75) + 1) = w1 - 0.11547*5.75/8.79423
    (
        "adam_epsilon_hat",
        Adam.keras(0.1, beta_1=0.5, beta_2=0.5, epsilon=1.0),
        [1.0],
        [[1.0], [11.0]],
        [[0.9585786437626905], [0.8830799460148758]],
        {"v": [5.75], "s": [60.75]},
    ),
    # coupled λ = 1: g1 = 0 + 1*1 = 1 and g2 = 10.1 + 1*0.9 = 11: the "adam" row's numbers
    (
        "adam_coupled_weight_decay",
        Adam(0.1, weight_decay=1.0, **ADAM),
        [1.0],
        [[0.0], [10.1]],
        [[0.9], [0.8148148148148149]],
        {"v": [5.75], "s": [60.75]},
    ),
    # decoupled λ = 1: w ← w*(1 - 0.1*1) first. w1 = 1*0.9 - 0.1*1/1 = 0.8
    # w2 = 0.8*0.9 - 0.1*(23/3)/9 = 0.72 - 0.0851851851... = 0.63481481481...
    (
        "adamw",
        AdamW(0.1, weight_decay=1.0, **ADAM),
        [1.0],
        [[1.0], [11.0]],
        [[0.8], [0.6348148148148147]],
        {"v": [5.75], "s": [60.75]},
    ),
    # s1 = 0.25*4 = 1, w1 = 1 - 0.1*2/1 = 0.8; s2 = 0.75*1 + 0.25*1 = 1, w2 = 0.8 - 0.1*1/1 = 0.7
    (
        "rmsprop",
        RMSProp(0.1, beta=0.75, epsilon=0.0),
        [1.0],
        [[2.0], [1.0]],
        [[0.8], [0.7]],
        {"s": [1.0]},
    ),
    # s1 = 16, w1 = 1 - 0.5*4/4 = 0.5; s2 = 16 + 9 = 25, w2 = 0.5 - 0.5*3/5 = 0.2
    (
        "adagrad",
        AdaGrad(0.5, epsilon=0.0),
        [1.0],
        [[4.0], [3.0]],
        [[0.5], [0.2]],
        {"s": [25.0]},
    ),
    # clip to [-0.5, 0.5]: w1 = 0 - 1*[0.5, -0.25, -0.5]; w2 = w1 - 1*[0.5, 0, 0]
    (
        "clip_value",
        GD(1.0, clip_value=0.5),
        [0.0, 0.0, 0.0],
        [[2.0, -0.25, -3.0], [0.75, 0.0, 0.0]],
        [[-0.5, 0.25, 0.5], [-1.0, 0.25, 0.5]],
        {},
    ),
    # norm sqrt(36 + 64) = 10 > 5: scale 5/(10 + 1e-6) = 0.49999995, w1 = -[6, 8]*0.49999995
    # update 2: norm 0.5 <= 5, not clipped: w2 = w1 - [0.3, 0.4]
    (
        "clip_norm",
        GD(1.0, clip_norm=5.0),
        [0.0, 0.0],
        [[6.0, 8.0], [0.3, 0.4]],
        [[-2.9999997000000302, -3.99999960000004], [-3.2999997000000302, -4.39999960000004]],
        {},
    ),
    # schedule Step(0.1, γ=0.5, every update): rate 0.1 then 0.05; w1 = 0.9, w2 = 0.85
    ("schedule", GD(Step(0.1, 0.5, 1)), [1.0], [[1.0], [1.0]], [[0.9], [0.85]], {}),
]


@pytest.mark.parametrize(
    ("optimizer", "w0", "grads", "expected", "slots"),
    [row[1:] for row in TWO_STEPS],
    ids=[row[0] for row in TWO_STEPS],
)
def test_two_steps_by_hand(optimizer, w0, grads, expected, slots):
    params = {"w": np.array(w0)}
    state = optimizer.init(params)
    for t, (g, w) in enumerate(zip(grads, expected, strict=True), start=1):
        params, state = optimizer.step(params, {"w": np.array(g)}, state)
        np.testing.assert_allclose(params["w"], w, rtol=1e-14, atol=1e-15)
        assert state["t"] == t
    assert set(state) == {"t", "skipped", *optimizer.slots}
    for slot, value in slots.items():
        np.testing.assert_allclose(state[slot]["w"], value, rtol=1e-14)


def test_clip_value_then_norm_on_all_arrays_together():
    # clip_value 1 turns [3, -4] into [1, -1] and [0.5] stays: norm sqrt(1 + 1 + 0.25) = 1.5
    # clip_norm 0.75 scales by 0.75/(1.5 + 1e-6) = 0.49999966666688894
    opt = GD(1.0, clip_value=1.0, clip_norm=0.75)
    params = {"a": np.zeros(2), "b": np.zeros(1)}
    new, _ = opt.step(params, {"a": np.array([3.0, -4.0]), "b": np.array([0.5])}, opt.init(params))
    np.testing.assert_allclose(new["a"], [-0.49999966666688894, 0.49999966666688894], rtol=1e-14)
    np.testing.assert_allclose(new["b"], [-0.24999983333344447], rtol=1e-14)


# The kernels, called as the textbook adapters and a future fast path call them.
KERNELS = [
    # 1 - 0.1*0.5 = 0.95, 2 - 0.1*(-1) = 2.1
    ("gd", lambda: (gd_update(np.array([1.0, 2.0]), np.array([0.5, -1.0]), 0.1),), [[0.95, 2.1]]),
    # v = 0.9*1 + 0.1*2 = 1.1; w = 1 - 0.1*1.1 = 0.89
    (
        "momentum",
        lambda: momentum_update(np.array([1.0]), np.array([2.0]), np.array([1.0]), 0.1, 0.9),
        [[0.89], [1.1]],
    ),
    # v = 1.1; w = 1 - 0.1*(0.9*1.1 + 0.1*2) = 1 - 0.119 = 0.881
    (
        "momentum_nesterov",
        lambda: momentum_update(
            np.array([1.0]), np.array([2.0]), np.array([1.0]), 0.1, 0.9, nesterov=True
        ),
        [[0.881], [1.1]],
    ),
    # the "adam" row's update 2 from its state after update 1 (v = 0.5, s = 0.5), t = 2
    (
        "adam",
        lambda: adam_update(
            np.array([0.9]), np.array([11.0]), np.array([0.5]), np.array([0.5]), 2, 0.1, **ADAM
        ),
        [[0.8148148148148149], [5.75], [60.75]],
    ),
    # with s_max = 100 > s = 60.75: w = 0.9 - 0.1*(23/3)/sqrt(100/0.75) = 0.9 - 0.76667/11.547005
    (
        "adam_s_max",
        lambda: adam_update(
            np.array([0.9]),
            np.array([11.0]),
            np.array([0.5]),
            np.array([0.5]),
            2,
            0.1,
            **ADAM,
            s_max=np.array([100.0]),
        ),
        [[0.833604719043193], [5.75], [60.75], [100.0]],
    ),
    # s = 0.9*1 + 0.1*4 = 1.3; w = 1 - 0.1*2/sqrt(1.3)
    (
        "rmsprop",
        lambda: rmsprop_update(np.array([1.0]), np.array([2.0]), np.array([1.0]), 0.1, 0.9, 0.0),
        [[0.8245883961385941], [1.3]],
    ),
    # s = 16 + 9 = 25; w = 1 - 0.5*3/5 = 0.7
    (
        "adagrad",
        lambda: adagrad_update(np.array([1.0]), np.array([3.0]), np.array([16.0]), 0.5, 0.0),
        [[0.7], [25.0]],
    ),
]


@pytest.mark.parametrize(
    ("call", "expected"), [r[1:] for r in KERNELS], ids=[r[0] for r in KERNELS]
)
def test_kernel_by_hand(call, expected):
    out = call()
    assert len(out) == len(expected)
    for got, want in zip(out, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-14)


EQUIVALENT = [
    # β = 0 momentum is GD, with or without Nesterov
    ("momentum_beta0", lambda: Momentum(0.1, beta=0.0), lambda: GD(0.1)),
    ("nesterov_beta0", lambda: Momentum(0.1, beta=0.0, nesterov=True), lambda: GD(0.1)),
    # AdamW with λ = 0 is Adam
    ("adamw_lambda0", lambda: AdamW(0.01, weight_decay=0.0), lambda: Adam(0.01)),
    # the ε-hat form with ε = 0 is Adam with ε = 0
    ("hat_eps0", lambda: Adam.keras(0.01, epsilon=0.0), lambda: Adam(0.01, epsilon=0.0)),
    (
        "inside_eps0",
        lambda: Adam(0.01, epsilon=0.0, epsilon_inside_sqrt=True),
        lambda: Adam(0.01, epsilon=0.0),
    ),
]


@pytest.mark.parametrize(
    ("left", "right"), [r[1:] for r in EQUIVALENT], ids=[r[0] for r in EQUIVALENT]
)
def test_equivalent_settings(left, right):
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal((3, 1))}
    a, b = left(), right()
    pa, sa, pb, sb = params, a.init(params), params, b.init(params)
    for _ in range(10):
        grads = {k: rng.standard_normal(w.shape) for k, w in params.items()}
        pa, sa = a.step(pa, grads, sa)
        pb, sb = b.step(pb, grads, sb)
    for k in params:
        np.testing.assert_allclose(pa[k], pb[k], rtol=1e-13, atol=1e-15)
