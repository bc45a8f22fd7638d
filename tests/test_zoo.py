"""The problem zoo: every optimizer of the registry converges on problems with known minima.

Each name runs with its default hyperparameters and the rate of the surface's
table (``Surface.learning_rates``) or, failing that, of :data:`ZOO_RATES` or the
registry's default. The bowl must be solved (distance to the minimum < 5e-2, from 4.2: rules
with a constant rate and no momentum, RMSProp and Lion, end oscillating about
it), the
Rosenbrock valley must be descended (the loss at least 10 times lower than at the
start). A new rule needs a rate in every surface's table (the last test says so).
"""

from __future__ import annotations

import numpy as np
import pytest

from descend.registry import DEFAULT_RATES, NAMES, make_optimizer
from descend.surfaces import SURFACES, quadratic, rosenbrock, run_path

#: rates for rules the surfaces' tables lack (none at present: every registry name has
#: one on every surface, see the last test)
ZOO_RATES: dict[str, dict[str, float]] = {"quadratic": {}, "rosenbrock": {}}
STEPS = {"quadratic": 2000, "rosenbrock": 3000}


def _rate(surface, name):
    return surface.learning_rates.get(name, ZOO_RATES[surface.name].get(name, DEFAULT_RATES[name]))


def _final(surface, name):
    opt = make_optimizer(name, _rate(surface, name))
    params = {"p": np.array(surface.start, dtype=float)}
    state = opt.init(params)
    for _ in range(STEPS[surface.name]):
        params, state = opt.step(params, {"p": surface.grad(params["p"])}, state)
    return opt.eval_params(params, state)["p"]


@pytest.mark.parametrize("name", NAMES)
def test_every_optimizer_solves_the_bowl(name):
    surface = quadratic()
    x = _final(surface, name)
    assert np.linalg.norm(x - np.array(surface.minimum)) < 5e-2


@pytest.mark.parametrize("name", NAMES)
def test_every_optimizer_descends_rosenbrock(name):
    surface = rosenbrock()
    x = _final(surface, name)
    assert surface.loss(x) < surface.loss(np.array(surface.start)) / 10


def test_run_path_matches_the_zoo_loop():
    surface = quadratic()
    path = run_path(surface, make_optimizer("adam", 0.2), 5)
    assert path.shape == (6, 2)


@pytest.mark.parametrize("surface", SURFACES)
def test_every_registry_name_has_a_rate_on_every_surface(surface):
    """``descend trajectory --optimizers NAME`` needs no --learning-rate for any name."""
    rates = SURFACES[surface]().learning_rates
    assert [name for name in NAMES if name not in rates] == []
    assert all(rate > 0 for rate in rates.values())
