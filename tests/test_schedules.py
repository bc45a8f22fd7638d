"""Learning-rate schedules against values computed by hand, and their errors.

The values recorded from PyTorch, Optax and Keras are compared in
tests/test_optim_reference.py.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from descend.schedules import (
    Constant,
    Cosine,
    Exponential,
    InverseTime,
    Step,
    Warmup,
    per_epoch,
)

# (id, schedule, {n: expected rate}); n counts the updates already applied, from 0
BY_HAND = [
    ("constant", Constant(0.5), {0: 0.5, 1000: 0.5}),
    # course update_lr: 0.5/(1 + 0.5*n): n=0 -> 0.5, n=1 -> 0.5/1.5, n=2 -> 0.5/2
    ("inverse_time", InverseTime(0.5, 0.5), {0: 0.5, 1: 1 / 3, 2: 0.25, 6: 0.125}),
    # course schedule_lr_decay, interval 1000: floor(999/1000) = 0, floor(1000/1000) = 1,
    # floor(2999/1000) = 2 -> 0.5/(1 + 0.5*2) = 0.25
    (
        "inverse_time_interval",
        InverseTime(0.5, 0.5, 1000),
        {0: 0.5, 999: 0.5, 1000: 1 / 3, 2999: 0.25},
    ),
    # 0.8 * 0.5**floor(n/3)
    ("step", Step(0.8, 0.5, 3), {0: 0.8, 2: 0.8, 3: 0.4, 5: 0.4, 6: 0.2, 9: 0.1}),
    # 0.8 * 0.5**(n/2): n=1 -> 0.8/sqrt(2)
    ("exponential", Exponential(0.8, 0.5, 2), {0: 0.8, 1: 0.8 / math.sqrt(2), 2: 0.4, 4: 0.2}),
    # 0.1 + (1.1 - 0.1)*(1 + cos(pi*n/4))/2: n=2 -> 0.1 + 0.5; n=1 -> 0.1 + (1 + sqrt(2)/2)/2
    (
        "cosine",
        Cosine(1.1, 4, final=0.1),
        {0: 1.1, 1: 0.1 + (1 + math.sqrt(0.5)) / 2, 2: 0.6, 4: 0.1, 100: 0.1},
    ),
    # warmup 0 -> 1 over 4 updates: n/4; then the cosine above from its own 0
    ("warmup", Warmup(Cosine(1.0, 4), 4), {0: 0.0, 1: 0.25, 3: 0.75, 4: 1.0, 6: 0.5, 8: 0.0}),
    # from start 0.2: 0.2 + 0.8*n/4
    ("warmup_start", Warmup(Constant(1.0), 4, start=0.2), {0: 0.2, 2: 0.6, 4: 1.0, 50: 1.0}),
    # epochs of 3 updates: updates 0-2 are epoch 0, 3-5 epoch 1
    ("per_epoch", per_epoch(Step(1.0, 0.5, 1), 3), {0: 1.0, 2: 1.0, 3: 0.5, 5: 0.5, 6: 0.25}),
]


@pytest.mark.parametrize(
    ("schedule", "expected"), [r[1:] for r in BY_HAND], ids=[r[0] for r in BY_HAND]
)
def test_schedule_by_hand(schedule, expected):
    for n, rate in expected.items():
        assert schedule(n) == pytest.approx(rate, rel=1e-14, abs=1e-15), n


@pytest.mark.parametrize(("schedule", "_"), [r[1:] for r in BY_HAND], ids=[r[0] for r in BY_HAND])
def test_schedule_is_a_value(schedule, _):
    clone = pickle.loads(pickle.dumps(schedule))
    assert clone == schedule and repr(clone) == repr(schedule)
    assert schedule(np.int64(3)) == schedule(3)


BAD = [
    (lambda: Constant(0.0), ValueError, "Invalid learning_rate: 0.0"),
    (lambda: Constant(float("nan")), ValueError, "Invalid learning_rate"),
    (lambda: InverseTime(0.1, -1.0), ValueError, "Invalid decay_rate: -1.0"),
    (
        lambda: InverseTime(0.1, 1.0, 0),
        ValueError,
        r"Invalid interval: 0 \(expected an int >= 1\)",
    ),
    (lambda: InverseTime(0.1, 1.0, 1.5), TypeError, "interval must be an int"),
    (lambda: Step(0.1, 0.0, 2), ValueError, "Invalid gamma: 0.0"),
    (lambda: Step(0.1, 1.5, 2), ValueError, "Invalid gamma: 1.5"),
    (lambda: Exponential(-0.1, 0.5), ValueError, "Invalid learning_rate: -0.1"),
    (lambda: Cosine(0.1, 0), ValueError, "Invalid steps: 0"),
    (lambda: Cosine(0.1, 10, final=-0.1), ValueError, "Invalid final: -0.1"),
    (lambda: Warmup(0.1, 10), TypeError, "after must be a schedule"),
    (lambda: Warmup(Constant(0.1), 0), ValueError, "Invalid steps: 0"),
    (lambda: Warmup(Constant(0.1), 5, start=-1.0), ValueError, "Invalid start: -1.0"),
    (lambda: per_epoch(0.1, 10), TypeError, "schedule must be callable"),
    (lambda: per_epoch(Constant(0.1), 0), ValueError, "Invalid batches_per_epoch: 0"),
    (lambda: Step(0.1, 0.5, 2)(-1), ValueError, r"Invalid n: -1 \(expected an int >= 0\)"),
    (lambda: Cosine(0.1, 5)(True), TypeError, "n must be an int"),
    (lambda: per_epoch(Constant(0.1), 2)(1.0), TypeError, "n must be an int"),
]


@pytest.mark.parametrize(("make", "error", "pattern"), BAD)
def test_bad_schedule_is_refused(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()
