"""The lab's rates on the quadratic: the closed forms, and descend's measured paths against them."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from descend.lab import Lab, trace
from descend.lab.theory import (
    gd_optimal,
    gd_rate,
    heavy_ball_optimal,
    heavy_ball_rate,
    measured_rate,
    momentum_rate,
    nesterov_rate,
)
from descend.optim import GD, Momentum
from descend.surfaces import quadratic


# -- the closed forms, against values worked by hand ------------------------------------------
def test_gd_rate_by_hand():
    # κ = 10, α = 0.15: |1 - 0.15| = 0.85 and |1 - 1.5| = 0.5
    assert gd_rate(0.15, [1.0, 10.0]) == pytest.approx(0.85)
    # past 2/λmax the stiff direction dominates: |1 - 0.25 * 10| = 1.5
    assert gd_rate(0.25, [1.0, 10.0]) == pytest.approx(1.5)


def test_heavy_ball_rate_by_hand():
    # z² - (1 + β - ηλ) z + β with η = 0.5, β = 0.25, λ = 1: z² - 0.75 z + 0.25,
    # discriminant 0.5625 - 1 < 0, so |z| = √0.25 = 0.5
    assert heavy_ball_rate(0.5, 0.25, [1.0]) == pytest.approx(0.5)
    # λ = 4: z² + 0.75 z + 0.25, complex again: 0.5
    assert heavy_ball_rate(0.5, 0.25, [1.0, 4.0]) == pytest.approx(0.5)
    # η = 0.1, β = 0.01, λ = 1: z² - 0.91 z + 0.01, real roots (0.91 ± √0.7881)/2
    assert heavy_ball_rate(0.1, 0.01, [1.0]) == pytest.approx((0.91 + math.sqrt(0.7881)) / 2)


def test_nesterov_rate_by_hand():
    # η = 0.5, β = 0.5, λ = 1: z² - 1.5·0.5 z + 0.5·0.5 = z² - 0.75 z + 0.25: |z| = 0.5
    assert nesterov_rate(0.5, 0.5, [1.0]) == pytest.approx(0.5)


@pytest.mark.parametrize("kappa", [1.0, 4.0, 100.0, 1e4])
def test_optimal_settings_by_hand(kappa):
    root = math.sqrt(kappa)
    best = heavy_ball_optimal([1.0, kappa])
    assert best["rate"] == pytest.approx((root - 1) / (root + 1))
    assert best["beta"] == pytest.approx(((root - 1) / (root + 1)) ** 2)
    assert best["step_size"] == pytest.approx(4 / (1 + root) ** 2)
    # descend's α gives the same steps: α(1 - β) = η
    assert best["learning_rate"] * (1 - best["beta"]) == pytest.approx(best["step_size"])
    assert heavy_ball_rate(best["step_size"], best["beta"], [1.0, kappa]) == pytest.approx(
        best["rate"], abs=1e-6
    )
    gd = gd_optimal([1.0, kappa])
    assert gd == pytest.approx(
        {"learning_rate": 2 / (1 + kappa), "rate": (kappa - 1) / (kappa + 1)}
    )


def test_momentum_rate_is_the_heavy_ball_with_step_alpha_times_one_minus_beta():
    assert momentum_rate(0.2, 0.75, [1.0, 30.0]) == heavy_ball_rate(0.05, 0.75, [1.0, 30.0])
    assert momentum_rate(0.2, 0.75, [1.0, 30.0], nesterov=True) == nesterov_rate(
        0.05, 0.75, [1.0, 30.0]
    )


# -- measured against theory over a grid of settings ----------------------------------------------
def _measured(optimizer, kappa, expected):
    surface = quadratic(kappa)
    # enough steps for the error to fall far (200 to 1000), yet stay above underflow
    steps = int(min(1000, max(200, math.log(1e-150) / math.log(max(expected, 1e-3)))))
    run = trace(surface, optimizer, surface.start, steps, internals=False)
    assert run["stopped"] is None
    return measured_rate(np.array(run["path"]), surface.minimum)


KAPPAS = [2.0, 10.0, 50.0, 300.0, 1000.0]
BETAS = [0.0, 0.3, 0.6, 0.8, 0.9]
FRACTIONS = [0.1, 0.3, 0.5, 0.7, 0.9]  # of the largest stable step, η λmax < 2(1 + β)


def _grid():
    for kappa, beta, fraction in itertools.product(KAPPAS, BETAS, FRACTIONS):
        step_size = fraction * 2 * (1 + beta) / kappa
        yield kappa, beta, step_size / (1 - beta)  # descend's α for that heavy-ball step


GRID = list(_grid())


def test_the_grid_has_at_least_100_settings():
    assert len(GRID) >= 100
    assert len({(k, b) for k, b, _ in GRID}) == len(KAPPAS) * len(BETAS)


@pytest.mark.parametrize(("kappa", "beta", "alpha"), GRID)
def test_measured_momentum_rate_within_1_percent_of_theory(kappa, beta, alpha):
    expected = momentum_rate(alpha, beta, [1.0, kappa])
    assert expected < 1
    measured = _measured(Momentum(alpha, beta=beta), kappa, expected)
    assert measured == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize("kappa", KAPPAS)
def test_measured_rate_at_the_optimal_heavy_ball(kappa):
    best = heavy_ball_optimal([1.0, kappa])
    optimizer = Momentum(best["learning_rate"], beta=best["beta"])
    # a double root at both eigenvalues: the error is k ρ^k, the slowest case to measure
    assert _measured(optimizer, kappa, best["rate"]) == pytest.approx(best["rate"], rel=0.01)


@pytest.mark.parametrize(("kappa", "fraction"), list(itertools.product(KAPPAS, FRACTIONS)))
def test_measured_gd_rate_within_1_percent_of_theory(kappa, fraction):
    alpha = fraction * 2 / kappa
    expected = gd_rate(alpha, [1.0, kappa])
    assert _measured(GD(alpha), kappa, expected) == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize(
    ("kappa", "beta", "fraction"),
    list(itertools.product([10.0, 300.0], [0.5, 0.9], [0.2, 0.6, 0.9])),
)
def test_measured_nesterov_rate_within_1_percent_of_theory(kappa, beta, fraction):
    step_size = fraction * 2 * (1 + beta) / (1 + 2 * beta) / kappa  # Nesterov's stable limit
    alpha = step_size / (1 - beta)
    expected = momentum_rate(alpha, beta, [1.0, kappa], nesterov=True)
    optimizer = Momentum(alpha, beta=beta, nesterov=True)
    assert _measured(optimizer, kappa, expected) == pytest.approx(expected, rel=0.01)


def test_the_api_reports_the_same_rates():
    kappa, beta, alpha = 50.0, 0.6, 0.05
    result = Lab().run(
        {
            "surface": "quadratic",
            "condition": kappa,
            "steps": 2000,
            "internals": False,
            "optimizers": [
                {"name": "gd", "learning_rate": 0.03},
                {"name": "momentum", "learning_rate": alpha, "beta": beta},
                {"name": "adam", "learning_rate": 0.1},
            ],
        }
    )
    gd, momentum, adam = (run["rate"] for run in result["runs"])
    assert gd["theory"] == pytest.approx(gd_rate(0.03, [1.0, kappa]))
    assert gd["measured"] == pytest.approx(gd["theory"], rel=0.01)
    assert momentum["theory"] == pytest.approx(momentum_rate(alpha, beta, [1.0, kappa]))
    assert momentum["measured"] == pytest.approx(momentum["theory"], rel=0.01)
    assert adam["theory"] is None  # no closed form for a nonlinear rule
    assert result["theory"]["heavy_ball_optimal"] == heavy_ball_optimal([1.0, kappa])
    assert result["theory"]["eigenvalues"] == [1.0, kappa]


def test_measured_rate_needs_a_path_that_has_not_reached_the_minimum():
    assert measured_rate(np.zeros((5, 2)), (0.0, 0.0)) is None  # too short
    assert measured_rate(np.zeros((50, 2)), (0.0, 0.0)) is None  # at the minimum: rate 0
