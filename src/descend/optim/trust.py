"""LAMB and LARS: layer-wise trust ratios, one per array (You et al., 2017 and 2020)."""

from __future__ import annotations

import numpy as np

from .base import LearningRate, Optimizer
from .checks import check_bool, check_positive, check_range

__all__ = ["LAMB", "LARS", "trust_ratio"]


def trust_ratio(w: np.ndarray, u: np.ndarray, coefficient: float = 1.0, epsilon: float = 0.0):
    r"""``coefficient · ‖w‖ / (‖u‖ + ε)``, or 1 when either norm is 0 (Optax's rule).

    Norms are the L2 norm of the whole array (Frobenius for a matrix).

    >>> trust_ratio(np.array([3.0, 4.0]), np.array([0.5, 0.0]))
    10.0
    """
    w_norm = float(np.linalg.norm(w))
    u_norm = float(np.linalg.norm(u))
    if w_norm == 0.0 or u_norm == 0.0:
        return 1.0
    return coefficient * w_norm / (u_norm + epsilon)


class LAMB(Optimizer):
    r"""LAMB (You et al., 2020): Adam's direction, rescaled per array by a trust ratio.

    .. math::

        v &\leftarrow \beta_1 v + (1-\beta_1)\, dW, \qquad
        s \leftarrow \beta_2 s + (1-\beta_2)\, dW^2 \\
        u &= \frac{v/(1-\beta_1^t)}{\sqrt{s/(1-\beta_2^t) + \varepsilon_{root}} + \varepsilon}
             + \lambda W \\
        W &\leftarrow W - \alpha\, \frac{\lVert W\rVert}{\lVert u\rVert}\, u

    with the ratio 1 when either norm is 0. Norms are per array (one "layer"
    is one array of the dict), ε outside the root.

    Parameters
    ----------
    learning_rate : float or callable, default 0.001
        α > 0, or a schedule.
    beta1, beta2 : float, default 0.9, 0.999
        Decays of ``v`` and ``s``, in ``[0, 1)``.
    epsilon : float, default 1e-6
        ε >= 0 outside the root (Optax's default).
    epsilon_root : float, default 0
        ε >= 0 inside the root.
    weight_decay : float, default 0
        λ >= 0, added to the direction before the trust ratio.
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    Equals ``optax.lamb`` (0.2.8; :meth:`optax`). Reference:
    https://arxiv.org/abs/1904.00962.
    """

    kind = "lamb"
    slots = ("v", "s")

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-6,
        *,
        epsilon_root: float = 0.0,
        weight_decay: float = 0.0,
        **options,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.beta1 = check_range("beta1", beta1, 0.0, 1.0)
        self.beta2 = check_range("beta2", beta2, 0.0, 1.0)
        self.epsilon = check_positive("epsilon", epsilon, allow_zero=True)
        self.epsilon_root = check_positive("epsilon_root", epsilon_root, allow_zero=True)
        self.weight_decay = check_positive("weight_decay", weight_decay, allow_zero=True)

    def update(self, w, g, v, s, *, t, learning_rate):
        v = self.beta1 * v + (1.0 - self.beta1) * g
        s = self.beta2 * s + (1.0 - self.beta2) * (g * g)
        v_hat = v / (1.0 - self.beta1**t)
        s_hat = s / (1.0 - self.beta2**t)
        u = v_hat / (np.sqrt(s_hat + self.epsilon_root) + self.epsilon)
        if self.weight_decay:
            u = u + self.weight_decay * w
        return w - learning_rate * (trust_ratio(w, u) * u), v, s

    @classmethod
    def optax(
        cls,
        learning_rate: LearningRate,
        b1: float = 0.9,
        b2: float = 0.999,
        eps: float = 1e-6,
        eps_root: float = 0.0,
        weight_decay: float = 0.0,
        mask: None = None,
        **options,
    ) -> LAMB:
        """``optax.lamb(learning_rate, **same arguments)`` (0.2.8); no ``mask``.

        >>> LAMB.optax(0.01, eps=1e-4).epsilon
        0.0001
        """
        if mask is not None:
            raise ValueError("mask is not supported: use a descend.Partition instead")
        return cls(
            learning_rate, b1, b2, eps, epsilon_root=eps_root, weight_decay=weight_decay, **options
        )


class LARS(Optimizer):
    r"""LARS (You et al., 2017): SGD with momentum on a per-array trust-scaled direction.

    .. math::

        u &= dW + \lambda W, \qquad
        u \leftarrow \eta\, \frac{\lVert W\rVert}{\lVert u\rVert + \varepsilon}\, u \\
        m &\leftarrow \mu m + \alpha u, \qquad
        W \leftarrow W - m \quad (\text{Nesterov: } W \leftarrow W - (\alpha u + \mu m))

    with the ratio 1 when either norm is 0. The buffer ``m`` is a *trace that
    includes the rate* (Optax applies the rate before ``trace``), so a schedule
    changes the rate of new contributions only.

    Parameters
    ----------
    learning_rate : float or callable, default 1.0
        α > 0, or a schedule.
    momentum : float, default 0.9
        μ, ``0 <= momentum < 1``.
    weight_decay : float, default 0
        λ >= 0, coupled (added to the gradient before the ratio).
    trust_coefficient : float, default 0.001
        η > 0.
    epsilon : float, default 0
        ε >= 0 added to ``‖u‖``.
    nesterov : bool, default False
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    Equals ``optax.lars`` (0.2.8; :meth:`optax`). Reference:
    https://arxiv.org/abs/1708.03888.
    """

    kind = "lars"
    slots = ("m",)

    def __init__(
        self,
        learning_rate: LearningRate = 1.0,
        momentum: float = 0.9,
        *,
        weight_decay: float = 0.0,
        trust_coefficient: float = 0.001,
        epsilon: float = 0.0,
        nesterov: bool = False,
        **options,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.momentum = check_range("momentum", momentum, 0.0, 1.0)
        self.weight_decay = check_positive("weight_decay", weight_decay, allow_zero=True)
        self.trust_coefficient = check_positive("trust_coefficient", trust_coefficient)
        self.epsilon = check_positive("epsilon", epsilon, allow_zero=True)
        self.nesterov = check_bool("nesterov", nesterov)

    def update(self, w, g, m, *, t, learning_rate):
        u = g + self.weight_decay * w if self.weight_decay else g
        u = u * trust_ratio(w, u, self.trust_coefficient, self.epsilon)
        step = learning_rate * u
        m = step + self.momentum * m
        return w - (step + self.momentum * m if self.nesterov else m), m

    @classmethod
    def optax(
        cls,
        learning_rate: LearningRate,
        weight_decay: float = 0.0,
        weight_decay_mask: bool = True,
        trust_coefficient: float = 0.001,
        eps: float = 0.0,
        trust_ratio_mask: bool = True,
        momentum: float = 0.9,
        nesterov: bool = False,
        **options,
    ) -> LARS:
        """``optax.lars(learning_rate, **same arguments)`` (0.2.8); masks must stay ``True``.

        >>> LARS.optax(0.1, nesterov=True).nesterov
        True
        """
        if weight_decay_mask is not True or trust_ratio_mask is not True:
            raise ValueError("masks are not supported: use a descend.Partition instead")
        return cls(
            learning_rate,
            momentum,
            weight_decay=weight_decay,
            trust_coefficient=trust_coefficient,
            epsilon=eps,
            nesterov=nesterov,
            **options,
        )
