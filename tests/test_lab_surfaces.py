"""The lab's new surfaces: a saddle and the six-hump camel, with their known minima."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from descend import surfaces
from descend.cli import main
from descend.registry import make_optimizer

NEW = ["saddle", "camel"]


@pytest.mark.parametrize("name", NEW)
def test_gradient_matches_finite_differences(name):
    surface = surfaces.get_surface(name)
    rng = np.random.default_rng(0)
    x0, x1, y0, y1 = surface.extent
    for p in rng.uniform([x0, y0], [x1, y1], size=(20, 2)):
        h = 1e-6
        numeric = [(surface.loss(p + h * e) - surface.loss(p - h * e)) / (2 * h) for e in np.eye(2)]
        np.testing.assert_allclose(surface.grad(p), numeric, rtol=1e-6, atol=1e-6)


def test_saddle_by_hand():
    s = surfaces.saddle()
    # f = x²/2 + y⁴/4 - y²/2: 0 at the saddle, -1/4 at the minima (0, ±1)
    assert s.loss(np.zeros(2)) == 0.0
    assert s.loss(np.array([0.0, 1.0])) == s.loss(np.array([0.0, -1.0])) == -0.25
    np.testing.assert_array_equal(s.grad(np.array([2.0, 2.0])), [2.0, 6.0])
    np.testing.assert_array_equal(s.grad(np.zeros(2)), [0.0, 0.0])  # stationary, not a minimum
    # from the default start, just off y = 0, GD lingers by the saddle and then escapes
    path = surfaces.run_path(s, make_optimizer("gd", 0.1), 200)
    assert abs(path[-1][1]) == pytest.approx(1.0, abs=1e-6)
    # on the line y = 0 the gradient has no y part: a start there never leaves it
    on_the_line = dataclasses.replace(s, start=(-2.5, 0.0))
    path = surfaces.run_path(on_the_line, make_optimizer("gd", 0.1), 200)
    np.testing.assert_allclose(path[-1], [0.0, 0.0], atol=1e-8)


# the six minima of the camel, with their losses (Newton's method from nearby points)
CAMEL_MINIMA = [
    ((0.0898420131, -0.7126564030), -1.0316284535),
    ((-0.0898420131, 0.7126564030), -1.0316284535),
    ((-1.7036067150, 0.7960835687), -0.2154638244),
    ((1.7036067150, -0.7960835687), -0.2154638244),
    ((1.6071047529, 0.5686514549), 2.1042503103),
    ((-1.6071047529, -0.5686514549), 2.1042503103),
]


@pytest.mark.parametrize(("point", "loss"), CAMEL_MINIMA)
def test_camel_minima(point, loss):
    s = surfaces.camel()
    p = np.array(point)
    assert s.loss(p) == pytest.approx(loss, abs=1e-9)
    np.testing.assert_allclose(s.grad(p), 0.0, atol=1e-8)
    x, y = p  # a minimum: the Hessian is positive definite
    hessian = np.array([[8 - 25.2 * x**2 + 10 * x**4, 1.0], [1.0, -8 + 48 * y**2]])
    assert np.all(np.linalg.eigvalsh(hessian) > 0)


def test_camel_global_minimum_is_the_surfaces():
    s = surfaces.camel()
    assert s.loss(np.array(s.minimum)) == pytest.approx(-1.0316284534898774, abs=1e-12)


@pytest.mark.parametrize("name", NEW)
@pytest.mark.parametrize(
    "optimizer", ["gd", "momentum", "nesterov", "adam", "amsgrad", "adamw", "rmsprop", "adagrad"]
)
def test_every_optimizer_reaches_a_minimum_at_the_tuned_rate(name, optimizer):
    s = surfaces.get_surface(name)
    path = surfaces.run_path(s, make_optimizer(optimizer, s.learning_rates[optimizer]), 2 * s.steps)
    end = path[-1]
    # the saddle's minima are (0, ±1); the camel has six: any of them will do
    minima = [(0.0, 1.0), (0.0, -1.0)] if name == "saddle" else [m for m, _ in CAMEL_MINIMA]
    assert min(np.hypot(*(end - np.array(m))) for m in minima) < 0.05


def test_from_the_camels_start_momentum_finds_the_global_minimum_and_gd_does_not():
    s = surfaces.camel()
    gd = surfaces.run_path(s, make_optimizer("gd", 0.02), s.steps)[-1]
    momentum = surfaces.run_path(s, make_optimizer("momentum", 0.02), s.steps)[-1]
    assert s.loss(gd) == pytest.approx(2.1042503103, abs=1e-6)
    assert s.loss(momentum) == pytest.approx(-1.0316284535, abs=1e-6)


@pytest.mark.parametrize("name", NEW)
def test_trajectory_command_draws_them(tmp_path, name, capsys):
    assert main(["trajectory", "--surface", name, "--steps", "20", "--out", str(tmp_path)]) == 0
    assert (tmp_path / f"trajectory-{name}.png").stat().st_size > 1000
