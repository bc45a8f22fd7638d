"""The generated inputs each course function is checked on.

Every case is drawn from its own seeded generator, so a case number names the
same inputs on every run and machine (``cases(name)[k - 1].args`` are the
arguments of case ``k``). Together they cover 1 to 4 layers with odd shapes
(layers of one unit, more inputs than units and the reverse), default and
non-default hyperparameters, ``t`` from 1 to 100 000, gradients from 1e-4 to
10 (small ones make ε's place visible), fresh and used optimizer state,
mini-batch sizes that divide ``m`` and that do not, batch GD, SGD, and seeds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Case", "cases"]


@dataclass(frozen=True)
class Case:
    """The positional arguments of one call, and what a learner needs to recognise them."""

    args: tuple
    about: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """``about`` as one line: ``name=value`` pairs, then the arguments left to defaults."""
        parts = [
            f"{k}={v}" if k != "state" else str(v) for k, v in self.about.items() if k != "defaults"
        ]
        if self.about.get("defaults"):
            parts.append(f"defaults for {', '.join(self.about['defaults'])}")
        return ", ".join(parts)


def _parameters(rng: np.random.Generator, dims: list[int]) -> dict[str, np.ndarray]:
    parameters = {}
    for l in range(1, len(dims)):
        parameters[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1]))
        parameters[f"b{l}"] = rng.standard_normal((dims[l], 1))
    return parameters


def _keyed_like(
    rng: np.random.Generator, parameters: dict[str, np.ndarray], scale: float, square=False
) -> dict[str, np.ndarray]:
    """Random arrays keyed ``dW1, db1, ...``; squared (so >= 0) for a second moment."""
    out = {f"d{k}": scale * rng.standard_normal(w.shape) for k, w in parameters.items()}
    return {k: a * a for k, a in out.items()} if square else out


def _zeros_like(parameters: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {f"d{k}": np.zeros_like(w) for k, w in parameters.items()}


# layers_dims, learning_rate
_GD = [
    ([3, 1], 0.01),
    ([2, 5, 1], 0.1),
    ([4, 3, 2, 1], 1.3),
    ([5, 1, 3], 0.003),
    ([7, 4, 3, 2, 1], 0.5),
    ([1, 1], 2.0),
]


def _gd_cases() -> list[Case]:
    out = []
    for i, (dims, rate) in enumerate(_GD):
        rng = np.random.default_rng(100 + i)
        parameters = _parameters(rng, dims)
        grads = _keyed_like(rng, parameters, 1.0)
        out.append(Case((parameters, grads, rate), {"layers_dims": dims, "learning_rate": rate}))
    return out


_INIT = [[3, 1], [2, 5, 1], [4, 3, 2, 1], [7, 4, 3, 2, 1], [1, 1], [5, 1, 3]]


def _init_cases() -> list[Case]:
    out = []
    for i, dims in enumerate(_INIT):
        parameters = _parameters(np.random.default_rng(200 + i), dims)
        out.append(Case((parameters,), {"layers_dims": dims}))
    return out


# layers_dims, beta, learning_rate, gradient scale, fresh velocity
_MOMENTUM = [
    ([3, 1], 0.9, 0.01, 1.0, True),
    ([2, 5, 1], 0.5, 0.1, 1.0, False),
    ([4, 3, 2, 1], 0.99, 1.2, 1.0, False),
    ([5, 1, 3], 0.0, 0.05, 1.0, False),
    ([7, 4, 3, 2, 1], 0.3, 0.003, 10.0, False),
    ([1, 1], 0.8, 0.5, 1.0, False),
]


def _momentum_cases() -> list[Case]:
    out = []
    for i, (dims, beta, rate, scale, fresh) in enumerate(_MOMENTUM):
        rng = np.random.default_rng(300 + i)
        parameters = _parameters(rng, dims)
        grads = _keyed_like(rng, parameters, scale)
        v = _zeros_like(parameters) if fresh else _keyed_like(rng, parameters, scale / 2)
        about = {"layers_dims": dims, "beta": beta, "learning_rate": rate}
        about["state"] = "v zeros" if fresh else "v random"
        out.append(Case((parameters, grads, v, beta, rate), about))
    return out


# layers_dims, t, (learning_rate, beta1, beta2, epsilon) or None for the defaults,
# gradient scale, fresh (v, s)
_ADAM = [
    ([3, 1], 1, None, 1.0, True),
    ([2, 5, 1], 2, (0.1, 0.8, 0.99, 1e-3), 1.0, False),
    ([4, 3, 2, 1], 3, (0.01, 0.9, 0.999, 1e-8), 1e-4, False),
    ([5, 1, 3], 10, (0.003, 0.5, 0.9, 0.1), 1.0, False),
    ([7, 4, 3, 2, 1], 100, (1.0, 0.95, 0.9999, 1e-6), 10.0, False),
    ([2, 3, 1], 1000, None, 1.0, False),
    ([1, 1], 100_000, (0.05, 0.7, 0.97, 1e-4), 1.0, False),
    ([3, 4, 2], 1, (0.02, 0.6, 0.95, 1e-2), 0.1, True),
]


def _adam_cases() -> list[Case]:
    out = []
    for i, (dims, t, hyper, scale, fresh) in enumerate(_ADAM):
        rng = np.random.default_rng(400 + i)
        parameters = _parameters(rng, dims)
        grads = _keyed_like(rng, parameters, scale)
        if fresh:
            v, s = _zeros_like(parameters), _zeros_like(parameters)
        else:
            v = _keyed_like(rng, parameters, scale / 2)
            s = _keyed_like(rng, parameters, scale, square=True)
        about: dict[str, Any] = {"layers_dims": dims, "t": t}
        if hyper is None:
            about["defaults"] = ["learning_rate", "beta1", "beta2", "epsilon"]
            args: tuple = (parameters, grads, v, s, t)
        else:
            about.update(zip(("learning_rate", "beta1", "beta2", "epsilon"), hyper, strict=True))
            args = (parameters, grads, v, s, t, *hyper)
        about["state"] = "v and s zeros" if fresh else "v and s random"
        out.append(Case(args, about))
    return out


# n_x, m, mini_batch_size (None: left to its default), seed (None: default)
_BATCHES = [
    (2, 148, 64, 0),
    (3, 128, 64, 1),
    (5, 7, 1, 11),  # SGD
    (12, 10, 3, 4999),  # more rows than examples
    (4, 300, 300, 2),  # batch GD
    (1, 10, 64, 3),  # one short batch
    (2, 200, None, None),  # the defaults: 64 and 0
    (3, 50, 16, 42),
]


def _batch_cases() -> list[Case]:
    out = []
    for i, (n_x, m, size, seed) in enumerate(_BATCHES):
        rng = np.random.default_rng(500 + i)
        X = rng.standard_normal((n_x, m))
        if i % 2:
            Y = rng.integers(0, 2, (1, m)).astype(float)
        else:
            Y = rng.permutation(m).reshape(1, m).astype(float)
        about: dict[str, Any] = {"X.shape": (n_x, m), "Y.shape": (1, m)}
        args: tuple = (X, Y)
        if size is not None:
            args += (size,)
            about["mini_batch_size"] = size
        if seed is not None:
            args += (seed,)
            about["seed"] = seed
        about["defaults"] = [n for n, x in (("mini_batch_size", size), ("seed", seed)) if x is None]
        out.append(Case(args, about))
    return out


# learning_rate0, epoch_num, decay_rate
_UPDATE_LR = [
    (0.5, 0, 1.0),
    (0.5, 2, 1.0),
    (0.1, 7, 0.3),
    (1.0, 100, 0.01),
    (0.01, 3, 2.0),
    (0.2, 1, 0.0),
    (0.05, 12345, 0.5),
]

# learning_rate0, epoch_num, decay_rate, time_interval (None: the default 1000)
_SCHEDULE = [
    (0.5, 0, 1.0, None),
    (0.5, 999, 1.0, None),
    (0.5, 1000, 1.0, None),
    (0.3, 2500, 0.5, None),
    (0.1, 150, 1.0, 100),
    (0.1, 10, 0.3, 7),
    (1.0, 23, 2.0, 5),
    (0.01, 12345, 0.1, 1000),
    (0.2, 4, 1.0, 1),
]


def _lr_cases(rows: list[tuple], names: tuple[str, ...]) -> list[Case]:
    out = []
    for row in rows:
        args = tuple(x for x in row if x is not None)
        about = dict(zip(names, args, strict=False))
        about["defaults"] = list(names[len(args) :])
        out.append(Case(args, about))
    return out


_BUILDERS: dict[str, Callable[[], list[Case]]] = {
    "update_parameters_with_gd": _gd_cases,
    "random_mini_batches": _batch_cases,
    "initialize_velocity": _init_cases,
    "update_parameters_with_momentum": _momentum_cases,
    "initialize_adam": _init_cases,
    "update_parameters_with_adam": _adam_cases,
    "update_lr": lambda: _lr_cases(_UPDATE_LR, ("learning_rate0", "epoch_num", "decay_rate")),
    "schedule_lr_decay": lambda: _lr_cases(
        _SCHEDULE, ("learning_rate0", "epoch_num", "decay_rate", "time_interval")
    ),
}


def cases(name: str) -> list[Case]:
    """The cases of course function ``name``, in the order they are checked."""
    try:
        return _BUILDERS[name]()
    except KeyError:
        raise ValueError(f"no cases for {name!r}") from None
