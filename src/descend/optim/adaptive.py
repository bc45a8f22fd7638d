"""RMSProp and AdaGrad: per-element step sizes from the squared gradients."""

from __future__ import annotations

import numpy as np

from .base import LearningRate, Optimizer
from .checks import check_positive, check_range

__all__ = ["AdaGrad", "RMSProp", "adagrad_update", "rmsprop_update"]


def rmsprop_update(
    w: np.ndarray, g: np.ndarray, s: np.ndarray, learning_rate: float, beta: float, epsilon: float
) -> tuple[np.ndarray, np.ndarray]:
    r"""One RMSProp step on one array; returns ``(new_w, new_s)``.

    .. math::

        s \leftarrow \beta s + (1 - \beta)\, dW^2, \qquad
        W \leftarrow W - \alpha\, \frac{dW}{\sqrt{s} + \varepsilon}

    No bias correction: ``s`` starts at zero, so the first steps are larger
    than α (by up to :math:`1/\sqrt{1-\beta}`). ε sits outside the root.

    Examples
    --------
    >>> rmsprop_update(np.array([1.0]), np.array([2.0]), np.zeros(1), 0.1, 0.75, 0.0)
    (array([0.8]), array([1.]))
    """
    s = beta * s + (1.0 - beta) * (g * g)
    return w - learning_rate * g / (np.sqrt(s) + epsilon), s


def adagrad_update(
    w: np.ndarray, g: np.ndarray, s: np.ndarray, learning_rate: float, epsilon: float
) -> tuple[np.ndarray, np.ndarray]:
    r"""One AdaGrad step on one array; returns ``(new_w, new_s)``.

    .. math::

        s \leftarrow s + dW^2, \qquad
        W \leftarrow W - \alpha\, \frac{dW}{\sqrt{s} + \varepsilon}

    ``s`` is the running *sum* of squared gradients, so the steps shrink as
    :math:`1/\sqrt{t}` for a steady gradient. ε sits outside the root.

    Examples
    --------
    >>> adagrad_update(np.array([1.0]), np.array([3.0]), np.array([16.0]), 0.5, 0.0)
    (array([0.7]), array([25.]))
    """
    s = s + g * g
    return w - learning_rate * g / (np.sqrt(s) + epsilon), s


class RMSProp(Optimizer):
    r"""RMSProp (Tieleman & Hinton, 2012): divide by a running RMS of the gradient.

    .. math::

        s \leftarrow \beta s + (1 - \beta)\, dW^2, \qquad
        W \leftarrow W - \alpha\, \frac{dW}{\sqrt{s} + \varepsilon}

    Parameters
    ----------
    learning_rate : float or callable, default 0.01
        α > 0, or a schedule of the number of updates already applied.
    beta : float, default 0.9
        Decay of the average ``s`` of squared gradients, ``0 <= beta < 1``.
    epsilon : float, default 1e-8
        ε >= 0, added outside the square root.
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    The exact update is :func:`rmsprop_update`. Equals PyTorch
    ``RMSprop(lr=α, alpha=β, eps=ε)`` (its defaults α = 0.01, β = 0.99) and
    Optax ``rmsprop(α, decay=β, eps=ε, eps_in_sqrt=False)``. Optax's default
    ``eps_in_sqrt=True`` and Keras ``RMSprop`` divide by
    :math:`\sqrt{s + \varepsilon}` instead, which differs.

    Examples
    --------
    >>> opt = RMSProp(learning_rate=0.1, beta=0.75, epsilon=0.0)
    >>> params = {"w": np.array([1.0])}
    >>> params, state = opt.step(params, {"w": np.array([2.0])}, opt.init(params))
    >>> params["w"], state["s"]["w"]
    (array([0.8]), array([1.]))
    """

    kind = "rmsprop"
    slots = ("s",)

    def __init__(
        self,
        learning_rate: LearningRate = 0.01,
        beta: float = 0.9,
        epsilon: float = 1e-8,
        **options,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.beta = check_range("beta", beta, 0.0, 1.0)
        self.epsilon = check_positive("epsilon", epsilon, allow_zero=True)

    def update(self, w, g, s, *, t, learning_rate):
        return rmsprop_update(w, g, s, learning_rate, self.beta, self.epsilon)


class AdaGrad(Optimizer):
    r"""AdaGrad (Duchi, Hazan & Singer, 2011): divide by the root of the summed squares.

    .. math::

        s \leftarrow s + dW^2, \qquad
        W \leftarrow W - \alpha\, \frac{dW}{\sqrt{s} + \varepsilon}

    Parameters
    ----------
    learning_rate : float or callable, default 0.01
        α > 0, or a schedule of the number of updates already applied.
    epsilon : float, default 1e-10
        ε >= 0, added outside the square root. With ε = 0 an element whose
        gradients have all been zero gives 0/0 = NaN.
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    The exact update is :func:`adagrad_update`; ``s`` starts at zero. Equals
    PyTorch ``Adagrad(lr=α, eps=ε)`` (with ``lr_decay=0`` and
    ``initial_accumulator_value=0``, its defaults). Optax and Keras ``Adagrad``
    differ: ε sits inside the root and the accumulator starts at 0.1.

    Examples
    --------
    >>> opt = AdaGrad(learning_rate=0.5, epsilon=0.0)
    >>> params = {"w": np.array([1.0])}
    >>> params, state = opt.step(params, {"w": np.array([4.0])}, opt.init(params))
    >>> params["w"], state["s"]["w"]
    (array([0.5]), array([16.]))
    """

    kind = "adagrad"
    slots = ("s",)

    def __init__(
        self, learning_rate: LearningRate = 0.01, epsilon: float = 1e-10, **options
    ) -> None:
        super().__init__(learning_rate, **options)
        self.epsilon = check_positive("epsilon", epsilon, allow_zero=True)

    def update(self, w, g, s, *, t, learning_rate):
        return adagrad_update(w, g, s, learning_rate, self.epsilon)
