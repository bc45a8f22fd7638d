"""Gradient descent and momentum (the exponentially weighted average form)."""

from __future__ import annotations

import numpy as np

from .base import LearningRate, Optimizer
from .checks import check_range

__all__ = ["GD", "Momentum", "gd_update", "momentum_update"]


def gd_update(w: np.ndarray, g: np.ndarray, learning_rate: float) -> np.ndarray:
    r"""One gradient-descent step on one array.

    .. math:: W \leftarrow W - \alpha\, dW

    Examples
    --------
    >>> gd_update(np.array([1.0, 2.0]), np.array([0.5, -1.0]), 0.1)
    array([0.95, 2.1 ])
    """
    return w - learning_rate * g


def momentum_update(
    w: np.ndarray, g: np.ndarray, v: np.ndarray, learning_rate: float, beta: float
) -> tuple[np.ndarray, np.ndarray]:
    r"""One momentum step on one array; returns ``(new_w, new_v)``.

    .. math::

        v \leftarrow \beta v + (1 - \beta)\, dW, \qquad W \leftarrow W - \alpha v

    ``v`` is an exponentially weighted *average* of the gradients (the step uses
    the new ``v``). This differs from the *trace* ``v = βv + g`` of PyTorch's
    ``SGD(momentum=β)``: the two agree exactly when PyTorch is given
    ``lr = α(1 - β)`` and ``dampening = 0``.

    Examples
    --------
    >>> momentum_update(np.array([1.0]), np.array([2.0]), np.array([0.0]), 0.1, 0.9)
    (array([0.98]), array([0.2]))
    """
    v = beta * v + (1.0 - beta) * g
    return w - learning_rate * v, v


class GD(Optimizer):
    r"""Plain gradient descent: :math:`W \leftarrow W - \alpha\, dW`.

    Batch GD, stochastic GD and mini-batch GD are this same rule; they differ
    only in how many examples the gradient averages (see :mod:`descend.batching`).

    Parameters
    ----------
    learning_rate : float or callable
        α > 0, or a schedule of the number of updates already applied.
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Examples
    --------
    >>> opt = GD(learning_rate=0.1)
    >>> params = {"w": np.array([1.0, -2.0])}
    >>> state = opt.init(params)
    >>> params, state = opt.step(params, {"w": np.array([1.0, 1.0])}, state)
    >>> params["w"], state["t"]
    (array([ 0.9, -2.1]), 1)
    """

    kind = "gd"

    def update(self, w, g, *, t, learning_rate):
        return (gd_update(w, g, learning_rate),)


class Momentum(Optimizer):
    r"""Gradient descent with momentum, as an exponentially weighted average.

    .. math::

        v \leftarrow \beta v + (1 - \beta)\, dW, \qquad W \leftarrow W - \alpha v

    with ``v`` starting at zero. With ``beta = 0`` this is :class:`GD`.

    Parameters
    ----------
    learning_rate : float or callable
        α > 0, or a schedule of the number of updates already applied.
    beta : float, default 0.9
        Momentum, ``0 <= beta < 1``: the weight of the past in the average
        (it averages over roughly ``1 / (1 - beta)`` steps).
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    Equals PyTorch ``SGD(lr=α·(1-β), momentum=β, dampening=0)`` step for step.
    PyTorch's ``dampening=β`` is *not* the same (PyTorch stores the first
    gradient undamped). Keras and scikit-learn keep α inside the buffer
    (``v = βv - α·dW; W += v``), which differs when α changes during training.
    """

    kind = "momentum"
    slots = ("v",)

    def __init__(self, learning_rate: LearningRate, beta: float = 0.9, **options) -> None:
        super().__init__(learning_rate, **options)
        self.beta = check_range("beta", beta, 0.0, 1.0)

    def update(self, w, g, v, *, t, learning_rate):
        return momentum_update(w, g, v, learning_rate, self.beta)
