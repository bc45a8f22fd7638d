"""Adafactor (Shazeer & Stern, 2018): a factored second moment, relative step sizes."""

from __future__ import annotations

import math

import numpy as np

from .base import LearningRate, Optimizer
from .checks import check_positive, check_range

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    r"""Adafactor, as ``torch.optim.Adafactor`` (2.13): row and column statistics for matrices.

    For update ``t`` (1 for the first), with :math:`\hat\beta_t = t^{c}`
    (``beta2_decay`` c < 0) and ε₁ (default: the dtype's machine epsilon):

    .. math::

        \rho &= \min(\alpha, 1/\sqrt t), \qquad
        a = \max\!\big(\varepsilon_2, \lVert W\rVert_2/\sqrt{n}\big)\, \rho
        \quad (n = \text{size of } W) \\
        W &\leftarrow W (1 - \alpha\lambda) \quad \text{(decoupled decay)} \\
        R &\leftarrow R + \hat\beta_t\,(\mathrm{mean}_j\, dW_{ij}^2 - R), \quad
        C \leftarrow C + \hat\beta_t\,(\mathrm{mean}_i\, dW_{ij}^2 - C) \\
        \hat V &= R\,C / \max(\mathrm{mean}(R), \varepsilon_1) \quad
        \text{(a vector keeps } \hat V = V \leftarrow V + \hat\beta_t (dW^2 - V)\text{)} \\
        U &= dW / \sqrt{\max(\hat V, \varepsilon_1^2)}, \qquad
        W \leftarrow W - \frac{a}{\max\big(1, \lVert U\rVert_2 / (\sqrt{n}\, d)\big)}\, U

    ``R`` (rows × 1) and ``C`` (1 × columns) are the state's slots ``row`` and
    ``col`` (over the last two axes; leading axes are batch axes): ``n + m``
    numbers for an n × m matrix instead of ``n·m``. For an array of fewer than
    2 dimensions, ``row`` holds the whole second moment ``V`` and ``col`` is
    empty. There is no first moment.

    Parameters
    ----------
    learning_rate : float or callable, default 0.01
        α > 0: the cap of the relative step ρ (and the rate of the decay).
    beta2_decay : float, default -0.8
        c <= 0, the decay exponent of :math:`\hat\beta_t`.
    epsilon1 : float, optional
        ε₁ > 0 of the variance; the machine epsilon of the dtype if omitted.
    epsilon2 : float, default 1e-3
        ε₂ > 0, the smallest parameter RMS a step is relative to.
    d : float, default 1.0
        Clipping threshold of the update's RMS, ``d >= 1``.
    weight_decay : float, default 0
        λ >= 0, decoupled.
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    Equals ``torch.optim.Adafactor`` with the same arguments (:meth:`torch`).
    Optax's ``adafactor`` is another variant (momentum-free but with a
    different decay schedule and factoring rule), not offered. Reference:
    https://arxiv.org/abs/1804.04235.
    """

    kind = "adafactor"
    slots = ("row", "col")

    def __init__(
        self,
        learning_rate: LearningRate = 0.01,
        beta2_decay: float = -0.8,
        *,
        epsilon1: float | None = None,
        epsilon2: float = 1e-3,
        d: float = 1.0,
        weight_decay: float = 0.0,
        **options,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.beta2_decay = check_range("beta2_decay", beta2_decay, -1e6, 0.0, high_open=False)
        self.epsilon1 = None if epsilon1 is None else check_positive("epsilon1", epsilon1)
        self.epsilon2 = check_positive("epsilon2", epsilon2)
        self.d = check_range("d", d, 1.0, math.inf)
        self.weight_decay = check_positive("weight_decay", weight_decay, allow_zero=True)

    def slot_shape(self, slot: str, w: np.ndarray) -> tuple[int, ...]:
        if w.ndim < 2:
            return w.shape if slot == "row" else (0,)
        if slot == "row":
            return (*w.shape[:-1], 1)
        return (*w.shape[:-2], 1, w.shape[-1])

    def update(self, w, g, row, col, *, t, learning_rate):
        eps1 = np.finfo(w.dtype).eps if self.epsilon1 is None else self.epsilon1
        beta = float(t) ** self.beta2_decay
        rho = min(learning_rate, 1.0 / math.sqrt(t))
        alpha = max(self.epsilon2, float(np.linalg.norm(w)) / math.sqrt(w.size)) * rho
        if self.weight_decay:
            w = w * (1.0 - learning_rate * self.weight_decay)
        if w.ndim >= 2:
            row = row + beta * (np.mean(g * g, axis=-1, keepdims=True) - row)
            col = col + beta * (np.mean(g * g, axis=-2, keepdims=True) - col)
            variance = (row @ col) / np.maximum(np.mean(row, axis=-2, keepdims=True), eps1)
        else:
            row = row + beta * (g * g - row)
            variance = row
        u = g / np.sqrt(np.maximum(variance, eps1 * eps1))
        denominator = max(1.0, float(np.linalg.norm(u)) / (math.sqrt(u.size) * self.d))
        return w - (alpha / denominator) * u, row, col

    @classmethod
    def torch(
        cls,
        lr: LearningRate = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        **options,
    ) -> Adafactor:
        """``torch.optim.Adafactor(params, **same arguments)`` (2.13); ``maximize`` must be False.

        >>> Adafactor.torch(eps=(1e-30, 1e-2)).epsilon2
        0.01
        """
        if maximize:
            raise ValueError("maximize=True is not supported: negate the gradients instead")
        epsilon1, epsilon2 = eps
        return cls(
            lr,
            beta2_decay,
            epsilon1=epsilon1,
            epsilon2=epsilon2,
            d=d,
            weight_decay=weight_decay,
            **options,
        )
