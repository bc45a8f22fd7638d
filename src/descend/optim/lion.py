"""Lion: the sign of an interpolated momentum, found by program search (Chen et al., 2023)."""

from __future__ import annotations

import numpy as np

from .base import LearningRate, Optimizer
from .checks import check_positive, check_range
from .presets import refuse

__all__ = ["Lion", "lion_update"]


def lion_update(
    w: np.ndarray,
    g: np.ndarray,
    v: np.ndarray,
    learning_rate: float,
    beta1: float,
    beta2: float,
    *,
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    r"""One Lion step on one array; returns ``(new_w, new_v)``.

    .. math::

        c &= \beta_1 v + (1-\beta_1)\, dW \\
        W &\leftarrow W (1 - \alpha\lambda) - \alpha\, \mathrm{sign}(c) \\
        v &\leftarrow \beta_2 v + (1-\beta_2)\, dW

    Every element moves by exactly α (or 0 where ``c = 0``): the size of the
    step does not depend on the gradient's. ``c`` interpolates with β1, the
    stored momentum ``v`` (an exponential average) with β2, and ``v`` is
    updated *after* the step. Weight decay λ is decoupled.

    Examples
    --------
    >>> lion_update(np.array([1.0, 1.0]), np.array([0.3, -20.0]), np.zeros(2), 0.1, 0.9, 0.99)
    (array([0.9, 1.1]), array([ 0.003, -0.2  ]))
    """
    c = beta1 * v + (1.0 - beta1) * g
    if weight_decay:
        w = w * (1.0 - learning_rate * weight_decay)
    new_w = w - learning_rate * np.sign(c)
    return new_w, beta2 * v + (1.0 - beta2) * g


class Lion(Optimizer):
    r"""Lion (Chen et al., 2023): a step of fixed size in the sign of an interpolated momentum.

    .. math::

        W &\leftarrow W (1 - \alpha\lambda) - \alpha\,
            \mathrm{sign}\big(\beta_1 v + (1-\beta_1)\, dW\big) \\
        v &\leftarrow \beta_2 v + (1-\beta_2)\, dW

    Parameters
    ----------
    learning_rate : float or callable, default 1e-4
        α > 0, or a schedule of the number of updates already applied. Every
        element moves by α per step, so Lion wants a rate 3-10 times smaller
        than Adam's (the authors' default is 1e-4).
    beta1 : float, default 0.9
        Weight of the momentum in the direction of this step, ``0 <= beta1 < 1``.
    beta2 : float, default 0.99
        Decay of the stored momentum ``v``, ``0 <= beta2 < 1``.
    weight_decay : float, default 0
        λ >= 0, decoupled: ``W *= 1 - α·λ`` before the step. The authors suggest
        a λ 3-10 times larger than AdamW's, to keep α·λ alike. Optax's default
        is 1e-3 (see :meth:`optax`).
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    The exact update is :func:`lion_update`; there is no ε (no division) and no
    bias correction. Momentum convention: ``v`` is an exponential *average*
    (the paper's ``m``), updated after the step with β2, while the step
    interpolates with β1. ``sign(0) = 0``. Equals the authors' PyTorch code
    (``Lion(params, lr=α, betas=(β1, β2), weight_decay=λ)``, defaults 1e-4,
    (0.9, 0.99), 0) and Optax ``lion(α, b1=β1, b2=β2, weight_decay=λ)``, which
    writes the decay as ``W -= α(sign(c) + λW)`` (:meth:`optax`). PyTorch has no Lion.

    Reference: X. Chen et al., *Symbolic Discovery of Optimization Algorithms*,
    NeurIPS 2023, https://arxiv.org/abs/2302.06675 (code:
    https://github.com/google/automl/tree/master/lion)

    Examples
    --------
    >>> opt = Lion(learning_rate=0.1)
    >>> params = {"w": np.array([1.0, -1.0])}
    >>> params, state = opt.step(params, {"w": np.array([3.0, -0.5])}, opt.init(params))
    >>> params["w"], state["v"]["w"]
    (array([ 0.9, -0.9]), array([ 0.03 , -0.005]))
    """

    kind = "lion"
    slots = ("v",)

    def __init__(
        self,
        learning_rate: LearningRate = 1e-4,
        beta1: float = 0.9,
        beta2: float = 0.99,
        *,
        weight_decay: float = 0.0,
        **options,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.beta1 = check_range("beta1", beta1, 0.0, 1.0)
        self.beta2 = check_range("beta2", beta2, 0.0, 1.0)
        self.weight_decay = check_positive("weight_decay", weight_decay, allow_zero=True)

    def update(self, w, g, v, *, t, learning_rate):
        return lion_update(
            w, g, v, learning_rate, self.beta1, self.beta2, weight_decay=self.weight_decay
        )

    @classmethod
    def optax(
        cls,
        learning_rate: LearningRate,
        b1: float = 0.9,
        b2: float = 0.99,
        *,
        mu_dtype: object = None,
        weight_decay: float = 1e-3,
        mask: object = None,
        **options,
    ) -> Lion:
        """The equivalent of ``optax.lion(learning_rate, **same arguments)`` (Optax 0.2.8).

        Note Optax's default ``weight_decay=1e-3`` (the authors' code: 0).
        ``mu_dtype`` and ``mask`` must be ``None``.

        Examples
        --------
        >>> Lion.optax(3e-4).weight_decay
        0.001
        """
        preset = f"{cls.__name__}.optax"
        refuse(preset, "mu_dtype", mu_dtype, None, "v is kept in the parameters' dtype")
        refuse(preset, "mask", mask, None, "every array is decayed alike")
        return cls(learning_rate, b1, b2, weight_decay=weight_decay, **options)
