"""Two-parameter loss surfaces with known minima, for pictures and convergence tests.

Each surface maps a point ``p = (x, y)`` to a loss and its gradient; the
optimizers see it as ``params = {"p": p}``. :func:`run_path` records the path
an optimizer takes from the surface's start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .optim.base import Optimizer

__all__ = [
    "SURFACES",
    "Surface",
    "camel",
    "get_surface",
    "logistic",
    "quadratic",
    "rosenbrock",
    "run_path",
    "saddle",
]


@dataclass(frozen=True)
class Surface:
    """A smooth loss on the plane.

    ``loss(p, batch)`` and ``grad(p, batch)`` take a point and, for surfaces
    built from data, the indices of the examples to average over (``None``:
    all of them). ``n_examples`` is 0 for analytic surfaces. ``learning_rates``
    holds a rate for every registry name (``descend trajectory``'s default);
    Prodigy's is 1 everywhere, the rate it is meant to run at, so its paths
    show its overshoot while ``d`` grows past the distance to the minimum.
    """

    name: str
    title: str
    loss: Callable[[np.ndarray, np.ndarray | None], float]
    grad: Callable[[np.ndarray, np.ndarray | None], np.ndarray]
    start: tuple[float, float]
    minimum: tuple[float, float]
    extent: tuple[float, float, float, float]  # x0, x1, y0, y1
    learning_rates: dict[str, float] = field(default_factory=dict)
    steps: int = 100
    axes: tuple[str, str] = ("x", "y")
    n_examples: int = 0
    log_levels: bool = False


def quadratic(condition: float = 20.0) -> Surface:
    r"""The ill-conditioned bowl :math:`f = \tfrac12 (x^2 + \kappa y^2)`, minimum at 0."""
    scale = np.array([1.0, condition])
    return Surface(
        name="quadratic",
        title=f"Quadratic bowl, condition number {condition:g}",
        loss=lambda p, batch=None: 0.5 * float(np.sum(scale * p * p)),
        grad=lambda p, batch=None: scale * p,
        start=(-4.0, 1.2),
        minimum=(0.0, 0.0),
        extent=(-4.5, 1.5, -1.6, 1.6),
        learning_rates={
            "gd": 0.09,
            "momentum": 0.09,
            "nesterov": 0.09,
            "adam": 0.2,
            "amsgrad": 0.2,
            "adamw": 0.2,
            "rmsprop": 0.05,
            "adagrad": 1.0,
            "nadam": 0.3,
            "nadamw": 0.3,
            "radam": 0.3,
            "adamax": 0.5,
            "adadelta": 1.0,
            "lion": 0.1,
            "muon": 0.2,
            "sf_sgd": 0.09,
            "sf_adamw": 0.2,
            "lamb": 0.2,
            "lars": 10.0,
            "adafactor": 0.5,
            "prodigy": 1.0,
        },
    )


def rosenbrock() -> Surface:
    r"""Rosenbrock's valley :math:`f = (1 - x)^2 + 100 (y - x^2)^2`, minimum at (1, 1)."""

    def loss(p, batch=None):
        x, y = p
        return float((1 - x) ** 2 + 100 * (y - x * x) ** 2)

    def grad(p, batch=None):
        x, y = p
        return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])

    return Surface(
        name="rosenbrock",
        title="Rosenbrock's valley",
        loss=loss,
        grad=grad,
        start=(-1.5, 1.5),
        minimum=(1.0, 1.0),
        extent=(-2.0, 2.0, -0.8, 3.0),
        learning_rates={
            "gd": 2e-3,
            "momentum": 2e-3,
            "nesterov": 2e-3,
            "adam": 0.02,
            "amsgrad": 0.02,
            "adamw": 0.02,
            "rmsprop": 0.005,
            "adagrad": 0.5,
            "nadam": 0.02,
            "nadamw": 0.02,
            "radam": 0.003,
            "adamax": 0.3,
            "adadelta": 0.2,
            "lion": 0.003,
            "muon": 0.02,
            "sf_sgd": 1e-3,
            "sf_adamw": 0.02,
            "lamb": 0.02,
            "lars": 5.0,
            "adafactor": 0.1,
            "prodigy": 1.0,
        },
        steps=3000,
        log_levels=True,
    )


def logistic() -> Surface:
    r"""Logistic regression with one weight and one bias on real data.

    The breast-cancer data bundled with scikit-learn, feature "mean radius"
    standardised, label malignant = 1:
    :math:`f(w, b) = \tfrac1m \sum_i \log(1 + e^{z_i}) - y_i z_i`, :math:`z_i = w x_i + b`.
    Its minimum is found once by Newton's method.
    """
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    x = data.data[:, 0]
    x = (x - x.mean()) / x.std()
    y = (data.target == 0).astype(float)  # 0 is malignant in scikit-learn's coding

    def parts(batch):
        return (x, y) if batch is None else (x[batch], y[batch])

    def loss(p, batch=None):
        xb, yb = parts(batch)
        z = p[0] * xb + p[1]
        return float(np.mean(np.logaddexp(0, z) - yb * z))

    def grad(p, batch=None):
        xb, yb = parts(batch)
        r = 1 / (1 + np.exp(-(p[0] * xb + p[1]))) - yb
        return np.array([np.mean(r * xb), np.mean(r)])

    p = np.zeros(2)
    for _ in range(50):  # Newton: the loss is strictly convex
        s = 1 / (1 + np.exp(-(p[0] * x + p[1])))
        h = s * (1 - s)
        hessian = np.array([[np.mean(h * x * x), np.mean(h * x)], [np.mean(h * x), np.mean(h)]])
        p = p - np.linalg.solve(hessian, grad(p))
    return Surface(
        name="logistic",
        title="Logistic regression on breast cancer (mean radius)",
        loss=loss,
        grad=grad,
        start=(-2.0, 3.0),
        minimum=(float(p[0]), float(p[1])),
        extent=(-3.0, 6.5, -3.5, 3.5),
        learning_rates={
            "gd": 1.0,
            "momentum": 1.0,
            "nesterov": 1.0,
            "adam": 0.1,
            "amsgrad": 0.1,
            "adamw": 0.1,
            "rmsprop": 0.05,
            "adagrad": 1.0,
            "nadam": 0.3,
            "nadamw": 0.3,
            "radam": 1.0,
            "adamax": 2.0,
            "adadelta": 10.0,
            "lion": 0.2,
            "muon": 0.1,
            "sf_sgd": 1.0,
            "sf_adamw": 0.1,
            "lamb": 0.05,
            "lars": 2.0,
            "adafactor": 0.1,
            "prodigy": 1.0,
        },
        steps=300,
        axes=("weight w", "bias b"),
        n_examples=len(x),
    )


def saddle() -> Surface:
    r"""A saddle between two valleys: :math:`f = \tfrac12 x^2 + \tfrac14 y^4 - \tfrac12 y^2`.

    The origin is a saddle point (curvature +1 along x, -1 along y); the minima
    are (0, 1) and (0, -1), where f = -1/4. A start just off the line y = 0
    shows how long each optimizer lingers near the saddle before it escapes;
    a start on y = 0 never leaves it, since the gradient has no y component there.
    """

    def loss(p, batch=None):
        x, y = p
        return float(0.5 * x * x + 0.25 * y**4 - 0.5 * y * y)

    def grad(p, batch=None):
        x, y = p
        return np.array([x, y**3 - y])

    return Surface(
        name="saddle",
        title="A saddle at (0, 0) between two minima",
        loss=loss,
        grad=grad,
        start=(-2.5, 0.01),
        minimum=(0.0, 1.0),
        extent=(-3.0, 3.0, -1.8, 1.8),
        learning_rates={
            "gd": 0.1,
            "momentum": 0.1,
            "nesterov": 0.1,
            "adam": 0.05,
            "amsgrad": 0.05,
            "adamw": 0.05,
            "rmsprop": 0.02,
            "adagrad": 0.5,
            "nadam": 0.05,
            "nadamw": 0.05,
            "radam": 0.5,
            "adamax": 0.5,
            "adadelta": 10.0,
            "lion": 0.05,
            "muon": 0.05,
            "sf_sgd": 0.5,
            "sf_adamw": 0.05,
            "lamb": 0.02,
            "lars": 10.0,
            "adafactor": 0.5,
            "prodigy": 1.0,
        },
        steps=150,
    )


def camel() -> Surface:
    r"""The six-hump camel function, non-convex with six minima of three heights.

    .. math::

        f = \left(4 - 2.1 x^2 + \tfrac13 x^4\right) x^2 + x y + (4 y^2 - 4) y^2

    Global minima at :math:`\pm(0.0898, -0.7127)` with f = -1.0316; local
    minima at :math:`\pm(-1.7036, 0.7961)` (f = -0.2155) and
    :math:`\pm(1.6071, 0.5687)` (f = 2.1043). Which one an optimizer reaches
    depends on the start, the rule and the rate. ``minimum`` is the first
    global one, found by Newton's method.
    """

    def loss(p, batch=None):
        x, y = p
        return float((4 - 2.1 * x * x + x**4 / 3) * x * x + x * y + (4 * y * y - 4) * y * y)

    def grad(p, batch=None):
        x, y = p
        return np.array([8 * x - 8.4 * x**3 + 2 * x**5 + y, x - 8 * y + 16 * y**3])

    return Surface(
        name="camel",
        title="Six-hump camel: six minima, two of them global",
        loss=loss,
        grad=grad,
        start=(-2.0, -1.0),
        minimum=(0.08984201310031807, -0.7126564030207396),
        extent=(-2.2, 2.2, -1.2, 1.2),
        learning_rates={
            "gd": 0.02,
            "momentum": 0.02,
            "nesterov": 0.02,
            "adam": 0.05,
            "amsgrad": 0.05,
            "adamw": 0.05,
            "rmsprop": 0.01,
            "adagrad": 0.3,
            "nadam": 0.05,
            "nadamw": 0.05,
            "radam": 0.2,
            "adamax": 0.3,
            "adadelta": 2.0,
            "lion": 0.02,
            "muon": 0.05,
            "sf_sgd": 0.02,
            "sf_adamw": 0.05,
            "lamb": 0.02,
            "lars": 5.0,
            "adafactor": 0.5,
            "prodigy": 1.0,
        },
        steps=200,
    )


SURFACES: dict[str, Callable[[], Surface]] = {
    "quadratic": quadratic,
    "rosenbrock": rosenbrock,
    "logistic": logistic,
    "saddle": saddle,
    "camel": camel,
}


def get_surface(name: str) -> Surface:
    """The surface called ``name``; ``ValueError`` lists the valid names."""
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r} (expected one of: {', '.join(SURFACES)})")
    return SURFACES[name]()


def run_path(
    surface: Surface,
    optimizer: Optimizer,
    steps: int,
    *,
    batch_size: int | None = None,
    seed: int = 0,
) -> np.ndarray:
    """The points visited in ``steps`` updates from ``surface.start``, shape ``(steps + 1, 2)``.

    With ``batch_size`` (data surfaces only) each update uses the gradient of a
    random mini-batch, drawn without replacement within each pass.
    """
    rng = np.random.default_rng(seed)
    params = {"p": np.array(surface.start, dtype=float)}
    state = optimizer.init(params)
    path = [params["p"]]
    order: list[int] = []
    for _ in range(steps):
        batch = None
        if batch_size is not None:
            if len(order) < batch_size:
                order = list(rng.permutation(surface.n_examples))
            batch, order = np.array(order[:batch_size]), order[batch_size:]
        params, state = optimizer.step(params, {"p": surface.grad(params["p"], batch)}, state)
        path.append(params["p"])
    return np.array(path)
