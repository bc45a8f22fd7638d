"""Adadelta: steps in the units of the parameters, from two running averages (Zeiler, 2012)."""

from __future__ import annotations

import numpy as np

from .base import LearningRate, Optimizer
from .checks import check_positive, check_range
from .presets import check_torch_flags, refuse

__all__ = ["Adadelta", "adadelta_update"]


def adadelta_update(
    w: np.ndarray,
    g: np.ndarray,
    s: np.ndarray,
    d: np.ndarray,
    learning_rate: float,
    rho: float,
    epsilon: float,
    *,
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""One Adadelta step on one array; returns ``(new_w, new_s, new_d)``.

    .. math::

        s &\leftarrow \rho s + (1-\rho)\, dW^2 \\
        \Delta &= \frac{\sqrt{d + \varepsilon}}{\sqrt{s + \varepsilon}}\, dW \\
        d &\leftarrow \rho d + (1-\rho)\, \Delta^2, \qquad
        W \leftarrow W - \alpha \Delta

    ``s`` averages the squared gradients, ``d`` the squared steps; ε sits
    *inside* both roots, and is what starts the first steps (``d = 0``). The
    step uses the *old* ``d`` and the *new* ``s``. ``weight_decay`` λ is
    coupled: ``dW += λW`` first.

    Examples
    --------
    >>> w, s, d = adadelta_update(np.array([1.0]), np.array([2.0]), np.zeros(1), np.zeros(1),
    ...                           learning_rate=1.0, rho=0.5, epsilon=1.0)
    >>> w, s, d  # Δ = sqrt(1)/sqrt(2 + 1) * 2
    (array([-0.15470054]), array([2.]), array([0.66666667]))
    """
    if weight_decay:
        g = g + weight_decay * w
    s = rho * s + (1.0 - rho) * (g * g)
    delta = np.sqrt(d + epsilon) / np.sqrt(s + epsilon) * g
    d = rho * d + (1.0 - rho) * (delta * delta)
    return w - learning_rate * delta, s, d


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012): the ratio of two RMS, with a learning rate as PyTorch.

    .. math::

        s &\leftarrow \rho s + (1-\rho)\, dW^2, \qquad
        \Delta = \frac{\sqrt{d + \varepsilon}}{\sqrt{s + \varepsilon}}\, dW \\
        d &\leftarrow \rho d + (1-\rho)\, \Delta^2, \qquad
        W \leftarrow W - \alpha \Delta

    The paper's rule is α = 1: the step has the units of ``W`` and needs no
    rate; PyTorch and Optax scale it by a learning rate.

    Parameters
    ----------
    learning_rate : float or callable, default 1.0
        α > 0, or a schedule of the number of updates already applied.
    rho : float, default 0.9
        Decay of both running averages, ``0 <= rho < 1`` (ρ of the paper;
        PyTorch's and Optax's ``rho``).
    epsilon : float, default 1e-6
        ε >= 0, inside both square roots. It sets the size of the first steps
        (about :math:`\sqrt{\varepsilon / (1-\rho)}` for a steady gradient), so
        it matters far more than Adam's ε.
    weight_decay : float, default 0
        λ >= 0, coupled: ``λ·W`` is added to the gradient (PyTorch's and Optax's).
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    The exact update is :func:`adadelta_update`. No momentum and no bias
    correction: ``s`` and ``d`` are exponential averages that start at zero.
    Equals PyTorch ``Adadelta(lr=α, rho=ρ, eps=ε, weight_decay=λ)`` (:meth:`torch`)
    and Optax ``adadelta(α, rho=ρ, eps=ε, weight_decay=λ)`` (:meth:`optax`).
    Optax's default ``learning_rate=None`` applies the update *unnegated* (its
    ``scale_by_learning_rate(None)`` is the identity), which climbs the loss;
    :meth:`optax` refuses it.

    Reference: M. D. Zeiler, *ADADELTA: An Adaptive Learning Rate Method*,
    2012, https://arxiv.org/abs/1212.5701

    Examples
    --------
    >>> opt = Adadelta(rho=0.5, epsilon=1.0)
    >>> params = {"w": np.array([1.0])}
    >>> params, state = opt.step(params, {"w": np.array([2.0])}, opt.init(params))
    >>> np.round(params["w"], 6), state["d"]["w"]
    (array([-0.154701]), array([0.66666667]))
    """

    kind = "adadelta"
    slots = ("s", "d")

    def __init__(
        self,
        learning_rate: LearningRate = 1.0,
        rho: float = 0.9,
        epsilon: float = 1e-6,
        *,
        weight_decay: float = 0.0,
        **options,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.rho = check_range("rho", rho, 0.0, 1.0)
        self.epsilon = check_positive("epsilon", epsilon, allow_zero=True)
        self.weight_decay = check_positive("weight_decay", weight_decay, allow_zero=True)

    def update(self, w, g, s, d, *, t, learning_rate):
        return adadelta_update(
            w, g, s, d, learning_rate, self.rho, self.epsilon, weight_decay=self.weight_decay
        )

    @classmethod
    def torch(
        cls,
        lr: LearningRate = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        foreach: bool | None = None,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
        **options,
    ) -> Adadelta:
        """The equivalent of ``torch.optim.Adadelta(params, **same arguments)`` (PyTorch 2.13).

        ``foreach``, ``capturable`` and ``differentiable`` are accepted and
        ignored; ``maximize=True`` is refused.

        Examples
        --------
        >>> Adadelta.torch().learning_rate
        1.0
        """
        del foreach, capturable, differentiable  # how PyTorch computes, not what
        check_torch_flags(f"{cls.__name__}.torch", maximize=maximize)
        return cls(lr, rho, eps, weight_decay=weight_decay, **options)

    @classmethod
    def optax(
        cls,
        learning_rate: LearningRate | None = None,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        weight_decay_mask: object = None,
        **options,
    ) -> Adadelta:
        """The equivalent of ``optax.adadelta(learning_rate, **same arguments)`` (Optax 0.2.8).

        ``learning_rate`` must be given: Optax's default ``None`` leaves the
        update's sign unflipped, so the parameters move *up* the gradient
        (``learning_rate=1.0`` is Zeiler's descent step). ``weight_decay`` must
        be a number and ``weight_decay_mask`` ``None``.

        Examples
        --------
        >>> Adadelta.optax(1.0, weight_decay=0.1).weight_decay
        0.1
        """
        preset = f"{cls.__name__}.optax"
        if learning_rate is None:
            raise ValueError(
                f"{preset}(learning_rate=None) has no descend equivalent: Optax then applies "
                "the update unnegated (scale_by_learning_rate(None) is the identity), which "
                "climbs the loss; pass learning_rate=1.0 for Zeiler's descent step"
            )
        refuse(preset, "weight_decay_mask", weight_decay_mask, None, "every array is decayed")
        return cls(learning_rate, rho, eps, weight_decay=weight_decay, **options)
