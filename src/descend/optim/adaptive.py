"""RMSProp and AdaGrad: per-element step sizes from the squared gradients."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .base import LearningRate, Optimizer
from .checks import check_bool, check_positive, check_range
from .presets import check_torch_flags, refuse

__all__ = ["AdaGrad", "RMSProp", "adagrad_update", "rmsprop_update"]


def rmsprop_update(
    w: np.ndarray,
    g: np.ndarray,
    s: np.ndarray,
    learning_rate: float,
    beta: float,
    epsilon: float,
    *,
    epsilon_inside_sqrt: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    r"""One RMSProp step on one array; returns ``(new_w, new_s)``.

    .. math::

        s \leftarrow \beta s + (1 - \beta)\, dW^2, \qquad
        W \leftarrow W - \alpha\, \frac{dW}{\sqrt{s} + \varepsilon}

    No bias correction: ``s`` starts at zero, so the first steps are larger
    than α (by up to :math:`1/\sqrt{1-\beta}`). ε sits outside the root, or
    inside it with ``epsilon_inside_sqrt``: :math:`dW / \sqrt{s + \varepsilon}`
    (Optax's default, Keras).

    Examples
    --------
    >>> rmsprop_update(np.array([1.0]), np.array([2.0]), np.zeros(1), 0.1, 0.75, 0.0)
    (array([0.8]), array([1.]))
    """
    s = beta * s + (1.0 - beta) * (g * g)
    if epsilon_inside_sqrt:
        return w - learning_rate * g / np.sqrt(s + epsilon), s
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
    epsilon_inside_sqrt : bool, default False
        Divide by :math:`\sqrt{s + \varepsilon}` instead: Optax's default
        (``eps_in_sqrt=True``) and Keras ``RMSprop``.
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    The exact update is :func:`rmsprop_update`. Equals PyTorch
    ``RMSprop(lr=α, alpha=β, eps=ε)`` (its defaults α = 0.01, β = 0.99;
    :meth:`torch`) and Optax ``rmsprop(α, decay=β, eps=ε, eps_in_sqrt=False)``;
    Optax's default ``eps_in_sqrt=True`` is ``epsilon_inside_sqrt=True``
    (:meth:`optax`).

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
        *,
        epsilon_inside_sqrt: bool = False,
        **options,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.beta = check_range("beta", beta, 0.0, 1.0)
        self.epsilon = check_positive("epsilon", epsilon, allow_zero=True)
        self.epsilon_inside_sqrt = check_bool("epsilon_inside_sqrt", epsilon_inside_sqrt)

    def update(self, w, g, s, *, t, learning_rate):
        return rmsprop_update(
            w,
            g,
            s,
            learning_rate,
            self.beta,
            self.epsilon,
            epsilon_inside_sqrt=self.epsilon_inside_sqrt,
        )

    @classmethod
    def torch(
        cls,
        lr: LearningRate = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        *,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        **options,
    ) -> RMSProp:
        """The equivalent of ``torch.optim.RMSprop(params, **same arguments)`` (PyTorch 2.13).

        Returns ``RMSProp(lr, beta=alpha, epsilon=eps)``. ``weight_decay``,
        ``momentum`` and ``centered`` must keep their defaults (descend's RMSProp
        has neither decay, nor a momentum buffer, nor the centred variance);
        ``capturable``, ``foreach`` and ``differentiable`` are accepted and
        ignored; ``maximize=True`` is refused.

        Examples
        --------
        >>> RMSProp.torch().beta
        0.99
        """
        del capturable, foreach, differentiable  # how PyTorch computes, not what
        preset = f"{cls.__name__}.torch"
        check_torch_flags(preset, maximize=maximize)
        refuse(preset, "weight_decay", weight_decay, 0, "RMSProp has no weight decay")
        refuse(preset, "momentum", momentum, 0, "RMSProp has no momentum buffer")
        refuse(preset, "centered", centered, False, "RMSProp divides by the uncentred RMS")
        return cls(lr, alpha, eps, **options)

    @classmethod
    def optax(
        cls,
        learning_rate: LearningRate,
        decay: float = 0.9,
        eps: float = 1e-8,
        initial_scale: float = 0.0,
        *,
        eps_in_sqrt: bool = True,
        centered: bool = False,
        momentum: float | None = None,
        nesterov: bool = False,
        bias_correction: bool = False,
        **options,
    ) -> RMSProp:
        """The equivalent of ``optax.rmsprop(learning_rate, **same arguments)`` (Optax 0.2.8).

        Returns ``RMSProp(learning_rate, beta=decay, epsilon=eps,
        epsilon_inside_sqrt=eps_in_sqrt)``: Optax's default puts ε inside the
        root. ``initial_scale`` must be 0 (descend's ``s`` starts at zero),
        ``centered`` and ``bias_correction`` False, ``momentum`` ``None``.

        Examples
        --------
        >>> RMSProp.optax(0.01).epsilon_inside_sqrt
        True
        """
        preset = f"{cls.__name__}.optax"
        refuse(preset, "initial_scale", initial_scale, 0.0, "s starts at zero")
        refuse(preset, "centered", centered, False, "RMSProp divides by the uncentred RMS")
        refuse(preset, "momentum", momentum, None, "RMSProp has no momentum buffer")
        refuse(preset, "nesterov", nesterov, False, "RMSProp has no momentum buffer")
        refuse(preset, "bias_correction", bias_correction, False, "s is not bias-corrected")
        return cls(learning_rate, decay, eps, epsilon_inside_sqrt=eps_in_sqrt, **options)


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

    @classmethod
    def torch(
        cls,
        lr: LearningRate = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        **options,
    ) -> AdaGrad:
        """The equivalent of ``torch.optim.Adagrad(params, **same arguments)`` (PyTorch 2.13).

        Returns ``AdaGrad(lr, epsilon=eps)``; a ``lr_decay`` r becomes the
        schedule ``lr / (1 + r·n)`` of the ``n`` updates already applied
        (:class:`~descend.schedules.InverseTime`, or the product with ``lr``'s
        own schedule), which is PyTorch's ``lr / (1 + (step - 1)·r)``.
        ``weight_decay`` and ``initial_accumulator_value`` must be 0 (no
        decay; ``s`` starts at zero). ``foreach``, ``differentiable`` and
        ``fused`` are accepted and ignored; ``maximize=True`` is refused.

        There is no ``AdaGrad.optax``: Optax's ``adagrad`` (and Keras's) start
        the accumulator at 0.1 and put ε inside the root, which differs.

        Examples
        --------
        >>> AdaGrad.torch(lr=0.1, lr_decay=0.5).rate(2)  # 0.1 / (1 + 0.5 * 2)
        0.05
        """
        del foreach, differentiable, fused  # how PyTorch computes, not what
        preset = f"{cls.__name__}.torch"
        check_torch_flags(preset, maximize=maximize)
        refuse(preset, "weight_decay", weight_decay, 0, "AdaGrad has no weight decay")
        refuse(
            preset, "initial_accumulator_value", initial_accumulator_value, 0, "s starts at zero"
        )
        decay = check_positive("lr_decay", lr_decay, allow_zero=True)
        rate = lr
        if decay:
            from ..schedules import InverseTime

            rate = _DecayedRate(lr, decay) if callable(lr) else InverseTime(lr, decay)
        return cls(rate, eps, **options)


@dataclass(frozen=True)
class _DecayedRate:
    """``n -> schedule(n) / (1 + decay·n)``: PyTorch Adagrad's ``lr_decay`` on a scheduled rate."""

    schedule: Callable[[int], float]
    decay: float

    def __call__(self, n: int) -> float:
        return self.schedule(n) / (1 + self.decay * n)
