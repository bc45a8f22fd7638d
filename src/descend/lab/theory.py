r"""Convergence rates on the quadratic bowl, in theory and as measured.

On :math:`f = \tfrac12 \sum_i \lambda_i x_i^2` every linear rule acts on each
eigen-direction separately, and its error shrinks like :math:`\rho^k` where
:math:`\rho` is the largest modulus of the roots of the rule's characteristic
polynomial over the eigenvalues :math:`\lambda_i`.

- Gradient descent, :math:`x \leftarrow x - \alpha\lambda x`:
  :math:`\rho = \max_i |1 - \alpha\lambda_i|`.
- Heavy ball (Polyak), :math:`x_{k+1} = x_k - \eta \nabla f(x_k) + \beta (x_k - x_{k-1})`:
  the roots of :math:`z^2 - (1 + \beta - \eta\lambda) z + \beta`.
- Nesterov, :math:`y_k = x_k + \beta (x_k - x_{k-1})`, :math:`x_{k+1} = y_k - \eta\nabla f(y_k)`:
  the roots of :math:`z^2 - (1 + \beta)(1 - \eta\lambda) z + \beta (1 - \eta\lambda)`.

descend's :class:`~descend.optim.Momentum` is the *average* form
``v = βv + (1-β)g, w = w - αv``. Eliminating ``v`` gives
``w_{k+1} = w_k - α(1-β) g_k + β (w_k - w_{k-1})``: the heavy ball with step
:math:`\eta = \alpha(1-\beta)` and the same β (and Nesterov likewise), which is
how :func:`momentum_rate` calls the formulas above.

At Polyak's optimal settings, :math:`\eta^* = 4 / (\sqrt{\lambda_{max}} + \sqrt{\lambda_{min}})^2`
and :math:`\beta^* = \left(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\right)^2`,
the rate is :math:`\sqrt{\beta^*} = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}`
against GD's best :math:`\frac{\kappa - 1}{\kappa + 1}` at
:math:`\alpha = 2 / (\lambda_{min} + \lambda_{max})`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "gd_optimal",
    "gd_rate",
    "heavy_ball_optimal",
    "heavy_ball_rate",
    "measured_rate",
    "momentum_rate",
    "nesterov_rate",
]


def _radius(trace: float, det: float) -> float:
    """The largest modulus of the roots of ``z**2 - trace * z + det``."""
    disc = trace * trace - 4.0 * det
    if disc < 0:  # complex pair: |z|^2 = det
        return math.sqrt(det)
    return (abs(trace) + math.sqrt(disc)) / 2.0


def gd_rate(learning_rate: float, eigenvalues: Sequence[float]) -> float:
    """``max |1 - α λ|``: the factor by which GD shrinks the error per step.

    >>> gd_rate(0.1, [1.0, 10.0])
    0.9
    """
    return max(abs(1.0 - learning_rate * lam) for lam in eigenvalues)


def heavy_ball_rate(step_size: float, beta: float, eigenvalues: Sequence[float]) -> float:
    """The rate of ``x+ = x - η∇f(x) + β(x - x-)`` (Polyak's form, η the step size).

    >>> round(heavy_ball_rate(4 / 9, 0.25, [1.0, 4.0]), 12)  # optimal for κ = 4: √β
    0.5
    """
    return max(_radius(1.0 + beta - step_size * lam, beta) for lam in eigenvalues)


def nesterov_rate(step_size: float, beta: float, eigenvalues: Sequence[float]) -> float:
    """The rate of Nesterov's ``y = x + β(x - x-)``, ``x+ = y - η∇f(y)``."""
    return max(
        _radius((1.0 + beta) * (1.0 - step_size * lam), beta * (1.0 - step_size * lam))
        for lam in eigenvalues
    )


def momentum_rate(
    learning_rate: float, beta: float, eigenvalues: Sequence[float], *, nesterov: bool = False
) -> float:
    """The rate of descend's ``Momentum(α, β)``: the heavy ball (or Nesterov) with η = α(1-β).

    >>> momentum_rate(0.1, 0.0, [1.0, 10.0]) == gd_rate(0.1, [1.0, 10.0])
    True
    """
    step_size = learning_rate * (1.0 - beta)
    if nesterov:
        return nesterov_rate(step_size, beta, eigenvalues)
    return heavy_ball_rate(step_size, beta, eigenvalues)


def gd_optimal(eigenvalues: Sequence[float]) -> dict[str, float]:
    """GD's best constant rate ``α = 2/(λmin + λmax)`` and its rate ``(κ-1)/(κ+1)``."""
    low, high = min(eigenvalues), max(eigenvalues)
    return {"learning_rate": 2.0 / (low + high), "rate": (high - low) / (high + low)}


def heavy_ball_optimal(eigenvalues: Sequence[float]) -> dict[str, float]:
    """Polyak's optimal heavy ball, with descend's α for the same steps.

    Returns ``step_size`` η*, ``beta`` β*, ``rate`` √β* and ``learning_rate``
    α* = η* / (1 - β*), the rate to give ``Momentum(α*, beta=β*)``.

    >>> opt = heavy_ball_optimal([1.0, 100.0])
    >>> round(opt["rate"], 12), round(opt["beta"], 12)  # (√κ-1)/(√κ+1) = 9/11
    (0.818181818182, 0.669421487603)
    """
    low, high = math.sqrt(min(eigenvalues)), math.sqrt(max(eigenvalues))
    step_size = 4.0 / (high + low) ** 2
    rate = (high - low) / (high + low)
    beta = rate * rate
    return {
        "step_size": step_size,
        "beta": beta,
        "rate": rate,
        "learning_rate": step_size / (1.0 - beta),
    }


def measured_rate(path: np.ndarray, minimum: Sequence[float]) -> float | None:
    r"""The rate seen along ``path``: :math:`\exp` of the slope of :math:`\log E_k`.

    :math:`e_k = \lVert (x_k - x^*, x_{k-1} - x^*) \rVert` is the error of the
    last two points together, and :math:`E_k = \max_{j \ge k} e_j` the largest
    error from step k on: a path that spirals in (complex roots) makes
    :math:`e_k` wave, and its upper envelope :math:`E_k` shrinks steadily at
    the rate. The slope is fitted by least squares over the second half of the
    steps, where the slowest direction dominates. ``None`` when the path has
    fewer than 8 steps or its error reaches zero (a rate of 0 has no logarithm).

    >>> round(measured_rate(np.array([[0.5**k, 0.0] for k in range(40)]), (0.0, 0.0)), 12)
    0.5
    """
    errors = np.asarray(path, dtype=float) - np.asarray(minimum, dtype=float)
    if errors.ndim != 2 or errors.shape[1] != 2:
        raise ValueError(f"path must have shape (steps + 1, 2), got {errors.shape}")
    if len(errors) < 9:
        return None
    points = np.hypot(errors[:, 0], errors[:, 1])  # hypot: no underflow of tiny squares
    pairs = np.hypot(points[1:], points[:-1])
    late = pairs[len(pairs) // 2 :]
    if np.any(late <= 0) or not np.all(np.isfinite(late)):
        return None
    envelope = np.maximum.accumulate(late[::-1])[::-1]
    slope = np.polyfit(np.arange(len(envelope), dtype=float), np.log(envelope), 1)[0]
    return float(np.exp(slope))
