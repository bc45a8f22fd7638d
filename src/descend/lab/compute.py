"""What the page asks for, computed with descend: surfaces, their contours, optimizer runs.

:class:`Lab` answers the three kinds of question of the JSON API with plain
dicts, and checks every field of a request first: a bad one raises
:class:`RequestError` naming it. The server only moves JSON in and out.

Every point, loss, gradient and state on the page is computed here by
descend's own optimizers (``optimizer.step``) and the surfaces of
:mod:`descend.surfaces`; the page holds no update rule. The "internals" of a
step are read from the state the optimizer returns; the bias-corrected moments
of the Adam family come from :func:`descend.optim.adam.bias_corrected`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from .. import surfaces
from ..optim import GD, Momentum, Optimizer
from ..registry import DEFAULT_RATES
from . import theory
from .contours import GRID, contours
from .paths import trace
from .specs import SpecError, build, settings_of

__all__ = [
    "GRID",
    "MAX_OPTIMIZERS",
    "MAX_STEPS",
    "Lab",
    "RequestError",
    "custom_surface",
    "trace",
]

MAX_STEPS = 5000
MAX_OPTIMIZERS = 8
#: the quadratic's condition number: default and range
CONDITION = (20.0, 1.0, 1e4)
_FIELDS = (
    "surface",
    "condition",
    "start",
    "steps",
    "batch_size",
    "seed",
    "optimizers",
    "internals",
)


class RequestError(ValueError):
    """A request the lab cannot answer: ``field`` names the part at fault (or is None)."""

    def __init__(self, field: str | None, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def custom_surface(
    loss: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], np.ndarray],
    *,
    extent: tuple[float, float, float, float] = (-3.0, 3.0, -3.0, 3.0),
    start: tuple[float, float] | None = None,
    minimum: tuple[float, float] | None = None,
    title: str = "Your objective",
    steps: int = 200,
) -> surfaces.Surface:
    """A two-parameter objective of yours as a :class:`~descend.surfaces.Surface`.

    ``loss(p)`` returns a number and ``grad(p)`` an array of 2 for a point
    ``p`` of shape (2,). ``start`` defaults to a point a quarter in from the
    lower left of ``extent``. With ``minimum`` the loss plot shows the loss
    above it on a log scale, else the loss itself. Both functions are called
    once here, at the start, to check what they return.

    >>> s = custom_surface(lambda p: float(p @ p), lambda p: 2 * p, minimum=(0, 0))
    >>> s.loss(np.array([1.0, 2.0])), s.grad(np.array([1.0, 2.0]))
    (5.0, array([2., 4.]))
    """
    x0, x1, y0, y1 = (float(v) for v in extent)
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"extent must be (x0, x1, y0, y1) with x0 < x1 and y0 < y1, got {extent}")
    if start is None:
        start = (x0 + (x1 - x0) / 4, y0 + (y1 - y0) / 4)

    def wrapped_loss(p, batch=None):
        return float(loss(p))

    def wrapped_grad(p, batch=None):
        g = np.asarray(grad(p), dtype=float)
        if g.shape != (2,):
            raise ValueError(f"the objective's gradient must have shape (2,), got {g.shape}")
        return g

    point = np.array(start, dtype=float)
    if not math.isfinite(wrapped_loss(point)) or not np.all(np.isfinite(wrapped_grad(point))):
        raise ValueError(f"the objective or its gradient is not finite at the start {start}")
    return surfaces.Surface(
        name="custom",
        title=title,
        loss=wrapped_loss,
        grad=wrapped_grad,
        start=(float(point[0]), float(point[1])),
        minimum=None if minimum is None else (float(minimum[0]), float(minimum[1])),
        extent=(x0, x1, y0, y1),
        steps=steps,
    )


@lru_cache(maxsize=32)
def _builtin(name: str, condition: float) -> surfaces.Surface:
    if name == "quadratic":
        return surfaces.quadratic(condition)
    return surfaces.get_surface(name)


def _theory_rate(optimizer: Optimizer, eigenvalues: list[float]) -> float | None:
    """The rate in theory of GD and momentum themselves (not of subclasses: other rules)."""
    if type(optimizer) is Momentum:
        return theory.momentum_rate(
            optimizer.learning_rate, optimizer.beta, eigenvalues, nesterov=optimizer.nesterov
        )
    if type(optimizer) is GD:
        return theory.gd_rate(optimizer.learning_rate, eigenvalues)
    return None


class Lab:
    """The lab's answers: built-in surfaces, and ``objective`` as surface ``"custom"``.

    ``objective`` is a :class:`~descend.surfaces.Surface` (see
    :func:`custom_surface`) or a pair ``(loss, grad)`` of callables of a point
    of shape (2,).
    """

    def __init__(self, objective: Any = None) -> None:
        if objective is None or isinstance(objective, surfaces.Surface):
            self.custom = objective
        elif isinstance(objective, tuple) and len(objective) == 2 and all(map(callable, objective)):
            self.custom = custom_surface(*objective)
        else:
            raise TypeError(
                "objective must be a descend.surfaces.Surface or a pair (loss, grad) of "
                f"callables, got {type(objective).__name__}"
            )
        self.names = (["custom"] if self.custom is not None else []) + list(surfaces.SURFACES)
        self._custom_contours: dict[str, Any] | None = None

    # -- the surfaces ----------------------------------------------------------------
    def _surface(self, name: Any, condition: Any) -> tuple[surfaces.Surface, float]:
        """The surface called ``name`` and its condition number (0 off the quadratic)."""
        if not isinstance(name, str) or name not in self.names:
            raise RequestError(
                "surface", f"unknown surface {name!r} (expected one of: {', '.join(self.names)})"
            )
        if name != "quadratic":
            if condition is not None:
                raise RequestError("condition", "condition applies only to the quadratic surface")
            return (self.custom if name == "custom" else _builtin(name, 0.0)), 0.0
        default, low, high = CONDITION
        condition = default if condition is None else condition
        if not _is_number(condition) or not low <= condition <= high:
            raise RequestError(
                "condition",
                f"condition must be a number from {low:g} to {high:g}, got {condition!r}",
            )
        return _builtin(name, float(condition)), float(condition)

    def surfaces(self) -> list[dict[str, Any]]:
        """What each surface offers the page: title, start, extent, rates, parameters."""
        out = []
        for name in self.names:
            s, _ = self._surface(name, None)
            out.append(
                {
                    "name": name,
                    "title": s.title,
                    "start": list(s.start),
                    "minimum": None if s.minimum is None else list(s.minimum),
                    "extent": list(s.extent),
                    "axes": list(s.axes),
                    "steps": s.steps,
                    "n_examples": s.n_examples,
                    "learning_rates": s.learning_rates,
                    "parameters": [_condition_spec()] if name == "quadratic" else [],
                }
            )
        return out

    def surface(self, query: Mapping[str, str]) -> dict[str, Any]:
        """The grid of losses, contour levels and contour lines of one surface.

        ``query`` holds strings, as a URL's query does: ``name`` and, for the
        quadratic, ``condition``.
        """
        unknown = sorted(set(query) - {"name", "condition"})
        if unknown:
            raise RequestError(unknown[0], f"unknown parameter {unknown[0]!r}")
        name = query.get("name", "quadratic")
        condition: Any = query.get("condition")
        if condition is not None:
            try:
                condition = float(condition)
            except ValueError:
                message = f"condition must be a number, got {condition!r}"
                raise RequestError("condition", message) from None
        surface, condition = self._surface(name, condition)
        if name == "custom":
            if self._custom_contours is None:
                self._custom_contours = {"name": name, **contours(surface)}
            return self._custom_contours
        return _cached_contours(name, condition)

    # -- runs -------------------------------------------------------------------------
    def run(self, body: Any) -> dict[str, Any]:
        """Run the optimizers of ``body`` on its surface; see the README for the fields."""
        if not isinstance(body, dict):
            raise RequestError(None, "the request must be a JSON object")
        for key in body:
            if key not in _FIELDS:
                raise RequestError(key, f"unknown field {key!r} (expected: {', '.join(_FIELDS)})")
        name = body.get("surface", "quadratic")
        surface, condition = self._surface(name, body.get("condition"))
        steps = _integer(body, "steps", surface.steps, 1, MAX_STEPS)
        seed = _integer(body, "seed", 0, 0, 2**32 - 1)
        batch_size = _batch_size(body.get("batch_size"), surface)
        start = _point(body.get("start", surface.start))
        internals = body.get("internals", True)
        if not isinstance(internals, bool):
            raise RequestError("internals", f"internals must be true or false, got {internals!r}")
        entries = body.get("optimizers")
        if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_OPTIMIZERS:
            raise RequestError(
                "optimizers",
                f"optimizers must be a list of 1 to {MAX_OPTIMIZERS} objects like "
                '{"name": "adam", "learning_rate": 0.1}',
            )
        optimizers = [_optimizer(i, entry, surface) for i, entry in enumerate(entries)]
        eigenvalues = [1.0, condition]  # the quadratic's f = (x² + κy²) / 2
        minimum = surface.minimum
        runs = []
        for optimizer_name, rate, optimizer in optimizers:
            run = trace(
                surface,
                optimizer,
                start,
                steps,
                batch_size=batch_size,
                seed=seed,
                internals=internals,
            )
            run = {"name": optimizer_name, **_settings(optimizer, rate), **run}
            if batch_size is not None:
                full = trace(surface, optimizer, start, steps, internals=False)
                run["full_batch"] = {"path": full["path"], "loss": full["loss"]}
            if name == "quadratic":
                measured = None
                if run["stopped"] is None:
                    measured = theory.measured_rate(np.array(run["path"]), minimum)
                run["rate"] = {
                    "theory": _theory_rate(optimizer, eigenvalues),
                    "measured": measured,
                }
            runs.append(run)
        out: dict[str, Any] = {
            "surface": name,
            "title": surface.title,
            "start": list(start),
            "steps": steps,
            "batch_size": batch_size,
            "seed": seed,
            "minimum": None if minimum is None else list(minimum),
            "minimum_loss": None if minimum is None else surface.loss(np.array(minimum)),
            "runs": runs,
        }
        if name == "quadratic":
            out["condition"] = eigenvalues[1]
            out["theory"] = {
                "eigenvalues": eigenvalues,
                "gd_optimal": theory.gd_optimal(eigenvalues),
                "heavy_ball_optimal": theory.heavy_ball_optimal(eigenvalues),
            }
        return out


# -- checks of the request's fields ------------------------------------------------------
def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _integer(body: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RequestError(key, f"{key} must be an integer from {low} to {high}, got {value!r}")
    return value


def _batch_size(value: Any, surface: surfaces.Surface) -> int | None:
    """``None`` (or every example) is batch GD; only surfaces built from data have batches."""
    if value is None:
        return None
    if surface.n_examples == 0:
        raise RequestError("batch_size", "batch_size applies only to surfaces built from data")
    n = surface.n_examples
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= n:
        raise RequestError("batch_size", f"batch_size must be an integer from 1 to {n}, or null")
    return None if value == n else value


def _point(value: Any) -> list[float]:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(_is_number(v) and abs(v) <= 1e6 for v in value)
    ):
        raise RequestError("start", f"start must be [x, y], two finite numbers, got {value!r}")
    return [float(v) for v in value]


def _optimizer(i: int, entry: Any, surface: surfaces.Surface) -> tuple[str, float, Optimizer]:
    """The name, learning rate and optimizer of the request's ``optimizers[i]``."""
    where = f"optimizers[{i}]"
    if not isinstance(entry, dict) or "name" not in entry:
        raise RequestError(where, f'{where} must be an object like {{"name": "gd", ...}}')
    options = dict(entry)
    name = options.pop("name")
    default = surface.learning_rates.get(name, DEFAULT_RATES.get(name, 0.01))
    rate = options.pop("learning_rate", default)
    try:
        return name, rate, build(name, rate, options)
    except SpecError as err:
        field = where if err.field is None else f"{where}.{err.field}"
        raise RequestError(field, str(err)) from None


def _settings(optimizer: Optimizer, learning_rate: float) -> dict[str, Any]:
    """The optimizer's class and every setting it has, defaults and fixed ones included."""
    settings = {"learning_rate": learning_rate, **settings_of(optimizer)}
    return {"class": type(optimizer).__name__, "settings": settings}


def _condition_spec() -> dict[str, Any]:
    default, low, high = CONDITION
    return {
        "name": "condition",
        "symbol": "κ",
        "type": "float",
        "default": default,
        "min": low,
        "max": high,
        "scale": "log",
    }


@lru_cache(maxsize=32)
def _cached_contours(name: str, condition: float) -> dict[str, Any]:
    return {"name": name, **contours(_builtin(name, condition))}
