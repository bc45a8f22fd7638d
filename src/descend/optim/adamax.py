"""Adamax: Adam with the infinity norm in place of the root mean square (Kingma & Ba, §7.1)."""

from __future__ import annotations

import numpy as np

from .base import LearningRate, Optimizer
from .checks import check_positive, check_range
from .presets import check_torch_flags, unpack_betas

__all__ = ["Adamax", "adamax_update"]


def adamax_update(
    w: np.ndarray,
    g: np.ndarray,
    v: np.ndarray,
    u: np.ndarray,
    t: int,
    learning_rate: float,
    beta1: float,
    beta2: float,
    epsilon: float,
    *,
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""One Adamax step on one array; returns ``(new_w, new_v, new_u)``.

    .. math::

        v &\leftarrow \beta_1 v + (1-\beta_1)\, dW, \qquad
        u \leftarrow \max(\beta_2 u,\ |dW| + \varepsilon) \\
        W &\leftarrow W - \frac{\alpha}{1-\beta_1^t}\, \frac{v}{u}

    ``u`` is an exponentially weighted infinity norm and needs no bias
    correction. ε sits *inside* the maximum (PyTorch and Optax alike), so
    ``u >= ε`` after the first update. ``weight_decay`` λ is coupled: ``dW += λW``
    before the moments.

    Examples
    --------
    >>> adamax_update(np.array([1.0]), np.array([-2.0]), np.zeros(1), np.zeros(1),
    ...               t=1, learning_rate=0.1, beta1=0.9, beta2=0.999, epsilon=0.0)
    (array([1.1]), array([-0.2]), array([2.]))
    """
    if weight_decay:
        g = g + weight_decay * w
    v = beta1 * v + (1.0 - beta1) * g
    u = np.maximum(beta2 * u, np.abs(g) + epsilon)
    return w - (learning_rate / (1.0 - beta1**t)) * v / u, v, u


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2015, §7.1): Adam's step over a decaying maximum of :math:`|dW|`.

    .. math::

        v &\leftarrow \beta_1 v + (1-\beta_1)\, dW, \qquad
        u \leftarrow \max(\beta_2 u,\ |dW| + \varepsilon) \\
        W &\leftarrow W - \frac{\alpha}{1-\beta_1^t}\, \frac{v}{u}

    where ``t`` counts the updates from 1.

    Parameters
    ----------
    learning_rate : float or callable, default 0.002
        α > 0, or a schedule of the number of updates already applied (the
        paper's and PyTorch's default is 0.002).
    beta1 : float, default 0.9
        Decay of the first moment ``v``, ``0 <= beta1 < 1``.
    beta2 : float, default 0.999
        Decay of the infinity norm ``u``, ``0 <= beta2 < 1``.
    epsilon : float, default 1e-8
        ε >= 0, added to :math:`|dW|` inside the maximum. With ε = 0 an element
        whose gradients have all been zero gives 0/0 = NaN.
    weight_decay : float, default 0
        λ >= 0, coupled: ``λ·W`` is added to the gradient (PyTorch's).
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    The exact update is :func:`adamax_update`. Momentum convention: ``v`` is an
    exponential *average*, bias-corrected by :math:`1-\beta_1^t`; ``u`` is not
    corrected. Equals PyTorch ``Adamax(lr=α, betas=(β1, β2), eps=ε,
    weight_decay=λ)`` (:meth:`torch`) and Optax ``adamax(α, b1, b2, eps)``
    (:meth:`optax`); both put ε inside the maximum. The paper's Algorithm 2
    has no ε.

    Reference: D. P. Kingma and J. Ba, *Adam: A Method for Stochastic
    Optimization*, ICLR 2015, §7.1, https://arxiv.org/abs/1412.6980

    Examples
    --------
    >>> opt = Adamax(learning_rate=0.1, epsilon=0.0)
    >>> params = {"w": np.array([1.0, -1.0])}
    >>> params, state = opt.step(params, {"w": np.array([3.0, -0.5])}, opt.init(params))
    >>> params["w"], state["u"]["w"]
    (array([ 0.9, -0.9]), array([3. , 0.5]))
    """

    kind = "adamax"
    slots = ("v", "u")

    def __init__(
        self,
        learning_rate: LearningRate = 0.002,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        *,
        weight_decay: float = 0.0,
        **options,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.beta1 = check_range("beta1", beta1, 0.0, 1.0)
        self.beta2 = check_range("beta2", beta2, 0.0, 1.0)
        self.epsilon = check_positive("epsilon", epsilon, allow_zero=True)
        self.weight_decay = check_positive("weight_decay", weight_decay, allow_zero=True)

    def update(self, w, g, v, u, *, t, learning_rate):
        return adamax_update(
            w,
            g,
            v,
            u,
            t,
            learning_rate,
            self.beta1,
            self.beta2,
            self.epsilon,
            weight_decay=self.weight_decay,
        )

    @classmethod
    def torch(
        cls,
        lr: LearningRate = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
        **options,
    ) -> Adamax:
        """The equivalent of ``torch.optim.Adamax(params, **same arguments)`` (PyTorch 2.13).

        ``foreach``, ``differentiable`` and ``capturable`` are accepted and
        ignored; ``maximize=True`` is refused.

        Examples
        --------
        >>> Adamax.torch(betas=(0.8, 0.99)).beta2
        0.99
        """
        del foreach, differentiable, capturable  # how PyTorch computes, not what
        preset = f"{cls.__name__}.torch"
        check_torch_flags(preset, maximize=maximize)
        beta1, beta2 = unpack_betas(preset, betas)
        return cls(lr, beta1, beta2, eps, weight_decay=weight_decay, **options)

    @classmethod
    def optax(
        cls,
        learning_rate: LearningRate,
        b1: float = 0.9,
        b2: float = 0.999,
        eps: float = 1e-8,
        **options,
    ) -> Adamax:
        """The equivalent of ``optax.adamax(learning_rate, **same arguments)`` (Optax 0.2.8).

        Examples
        --------
        >>> Adamax.optax(0.01).learning_rate
        0.01
        """
        return cls(learning_rate, b1, b2, eps, **options)
