"""Schedule-Free SGD and AdamW (Defazio et al., 2024): no decay schedule, an average instead."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .base import LearningRate, Optimizer, Params, State
from .checks import check_int, check_positive, check_range

__all__ = ["ScheduleFreeAdamW", "ScheduleFreeSGD"]


class _ScheduleFree(Optimizer):
    r"""What both Schedule-Free rules share: ``z``, the averaging weight, ``eval_params``.

    Three sequences: ``z`` takes the base rule's steps, ``x`` is a weighted
    average of the ``z`` seen so far, and the parameters ``y`` that the
    gradients are taken at interpolate them, :math:`y = (1-\beta) z + \beta x`.
    The state keeps ``z`` (a slot, starting at the parameters) and two scalars,
    ``lr_max`` (the largest rate so far, -1 before the first update) and
    ``weight_sum``; ``x`` is recovered from ``y`` and ``z`` by :meth:`eval_params`.
    """

    slots = ("z",)
    scalars = ("lr_max", "weight_sum")
    evaluates_elsewhere = True

    def __init__(
        self,
        learning_rate: LearningRate,
        beta: float,
        *,
        weight_decay: float,
        warmup_steps: int,
        r: float,
        weight_lr_power: float,
        **options,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.beta = check_range("beta", beta, 0.0, 1.0, low_open=True)
        self.weight_decay = check_positive("weight_decay", weight_decay, allow_zero=True)
        self.warmup_steps = check_int("warmup_steps", warmup_steps, 0)
        self.r = check_positive("r", r, allow_zero=True)
        self.weight_lr_power = check_positive("weight_lr_power", weight_lr_power, allow_zero=True)

    def init_slot(self, slot: str, w: np.ndarray) -> np.ndarray:
        return w.copy()  # z starts at the parameters

    def init_scalars(self) -> dict[str, float]:
        return {"lr_max": -1.0, "weight_sum": 0.0}

    def apply(self, params, grads, state, t, learning_rate):
        scale = (t + 1) / self.warmup_steps if t < self.warmup_steps else 1.0
        lr = learning_rate * scale
        lr_max = max(lr, state["scalars"]["lr_max"])
        weight = (t + 1) ** self.r * lr_max**self.weight_lr_power
        weight_sum = state["scalars"]["weight_sum"] + weight
        c = weight / weight_sum if weight_sum else 0.0
        new_params, new_slots = self.lift(params, grads, state, t + 1, lr=lr, c=c)
        return new_params, new_slots, {"lr_max": lr_max, "weight_sum": weight_sum}

    def direction(self, w, g, t):
        """The base rule's direction at ``y = w``; returns ``(d, *its slots)``."""
        raise NotImplementedError

    def update(self, w, g, z, *rest, t, lr, c):
        d, *other = self.direction(w, g, *rest, t=t)
        y = w + c * (z - w)
        y = y + (lr * (self.beta * (1.0 - c) - 1.0)) * d
        return y, z - lr * d, *other

    def eval_params(self, params: Mapping[str, np.ndarray], state: State) -> Params:
        r"""The average ``x`` to evaluate at: :math:`x = y + (1 - 1/\beta)(z - y)`.

        PyTorch's ``optimizer.eval()`` (schedulefree) and Optax's
        ``schedule_free_eval_params``; before the first update ``x = y``.
        """
        factor = 1.0 - 1.0 / self.beta
        return {k: w + factor * (state["z"][k] - w) for k, w in params.items()}


class ScheduleFreeSGD(_ScheduleFree):
    r"""Schedule-Free SGD (Defazio et al., 2024): SGD with momentum replaced by averaging.

    With ``y`` the parameters (where gradients are taken), ``k`` the number of
    updates already applied and γ the rate of this update:

    .. math::

        \gamma &= \alpha \cdot \min\!\left(1, \tfrac{k+1}{\text{warmup\_steps}}\right),
        \qquad \gamma_{max} \leftarrow \max(\gamma_{max}, \gamma) \\
        w_k &= (k+1)^r \gamma_{max}^{p}, \qquad S \leftarrow S + w_k, \qquad c = w_k / S \\
        d &= dW + \lambda y \\
        y &\leftarrow (1-c)\, y + c\, z + \gamma\,(\beta(1-c) - 1)\, d \\
        z &\leftarrow z - \gamma\, d

    and the point to evaluate at is :math:`x = y + (1 - 1/\beta)(z - y)`
    (:meth:`eval_params`): ``x`` is the ``w``-weighted average of the ``z``
    sequence and :math:`y = (1-\beta) z + \beta x`. The weight decay λ is
    coupled (added to the gradient at ``y``).

    Parameters
    ----------
    learning_rate : float or callable, default 1.0
        α > 0 (schedulefree's default), or a schedule of the updates already
        applied (multiplied by the warmup).
    momentum : float, default 0.9
        β, the interpolation ``0 < momentum < 1``.
    weight_decay : float, default 0
        λ >= 0, coupled.
    warmup_steps : int, default 0
        Linear warmup of the rate over this many updates, from α/warmup_steps.
    r : float, default 0
        Power of ``k+1`` in the averaging weight.
    weight_lr_power : float, default 2
        Power ``p`` of the largest rate in the averaging weight.
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    Equals ``schedulefree.SGDScheduleFree`` (1.4.x) with the same arguments
    (:meth:`torch`) and, without warmup and with ``r = 0``,
    ``optax.contrib.schedule_free_sgd`` (:meth:`optax`). Train at ``params``;
    evaluate, predict and keep ``opt.eval_params(params, state)``.
    Reference: https://arxiv.org/abs/2405.15682,
    https://github.com/facebookresearch/schedule_free.

    Examples
    --------
    >>> opt = ScheduleFreeSGD(0.5)
    >>> params = {"w": np.array([2.0])}
    >>> state = opt.init(params)
    >>> for _ in range(50):
    ...     params, state = opt.step(params, {"w": params["w"]}, state)
    >>> bool(abs(opt.eval_params(params, state)["w"][0]) < 0.1)
    True
    """

    kind = "sf_sgd"

    def __init__(
        self,
        learning_rate: LearningRate = 1.0,
        momentum: float = 0.9,
        *,
        weight_decay: float = 0.0,
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2.0,
        **options,
    ) -> None:
        super().__init__(
            learning_rate,
            momentum,
            weight_decay=weight_decay,
            warmup_steps=warmup_steps,
            r=r,
            weight_lr_power=weight_lr_power,
            **options,
        )
        self.momentum = self.beta

    def direction(self, w, g, t):
        return (g + self.weight_decay * w if self.weight_decay else g,)

    @classmethod
    def torch(
        cls,
        lr: LearningRate = 1.0,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2.0,
        foreach: bool | None = None,
        **options,
    ) -> ScheduleFreeSGD:
        """``schedulefree.SGDScheduleFree(params, **same arguments)`` (1.4.x); no ``foreach``.

        >>> ScheduleFreeSGD.torch(lr=0.5).learning_rate
        0.5
        """
        return cls(
            lr,
            momentum,
            weight_decay=weight_decay,
            warmup_steps=warmup_steps,
            r=r,
            weight_lr_power=weight_lr_power,
            **options,
        )

    @classmethod
    def optax(
        cls,
        learning_rate: float = 1.0,
        warmup_steps: int | None = None,
        b1: float = 0.9,
        weight_decay: float | None = None,
        weight_lr_power: float = 2.0,
        state_dtype: None = None,
        **options,
    ) -> ScheduleFreeSGD:
        """``optax.contrib.schedule_free_sgd(**same arguments)`` (0.2.8), without warmup.

        Optax's warmup feeds the base step the rate of count ``k`` (0 first) but
        the averaging weight the rate of ``k + 1``, a rule of its own: a
        ``warmup_steps`` raises ``ValueError``, as does a ``state_dtype``.
        """
        _no_optax_warmup(warmup_steps, state_dtype)
        return cls(
            learning_rate,
            b1,
            weight_decay=0.0 if weight_decay is None else weight_decay,
            weight_lr_power=weight_lr_power,
            **options,
        )


class ScheduleFreeAdamW(_ScheduleFree):
    r"""Schedule-Free AdamW (Defazio et al., 2024): Adam's scaling, averaging for momentum.

    As :class:`ScheduleFreeSGD`, with the direction

    .. math::

        s &\leftarrow \beta_2 s + (1-\beta_2)\, dW^2 \\
        d &= \frac{dW}{\sqrt{s / (1-\beta_2^t)} + \varepsilon} + \lambda y

    (``t`` the number of this update, ε outside the root, λ decoupled from the
    scaling but applied at ``y``), and ``β = beta1`` in the interpolation.

    Parameters
    ----------
    learning_rate : float or callable, default 0.0025
        α > 0 (schedulefree's default), or a schedule.
    beta1 : float, default 0.9
        β of the interpolation, ``0 < beta1 < 1``.
    beta2 : float, default 0.999
        Decay of ``s``, ``0 <= beta2 < 1``.
    epsilon : float, default 1e-8
        ε >= 0, added outside the square root.
    weight_decay, warmup_steps, r, weight_lr_power, **options
        As in :class:`ScheduleFreeSGD`.

    Notes
    -----
    Equals ``schedulefree.AdamWScheduleFree`` (1.4.x; :meth:`torch`) and,
    without warmup, ``optax.contrib.schedule_free_adamw`` (:meth:`optax`).
    Evaluate at ``opt.eval_params(params, state)``.
    """

    kind = "sf_adamw"
    slots = ("z", "s")

    def __init__(
        self,
        learning_rate: LearningRate = 0.0025,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        *,
        weight_decay: float = 0.0,
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2.0,
        **options,
    ) -> None:
        super().__init__(
            learning_rate,
            beta1,
            weight_decay=weight_decay,
            warmup_steps=warmup_steps,
            r=r,
            weight_lr_power=weight_lr_power,
            **options,
        )
        self.beta1 = self.beta
        self.beta2 = check_range("beta2", beta2, 0.0, 1.0)
        self.epsilon = check_positive("epsilon", epsilon, allow_zero=True)

    def init_slot(self, slot: str, w: np.ndarray) -> np.ndarray:
        return w.copy() if slot == "z" else np.zeros_like(w)

    def direction(self, w, g, s, t):
        s = self.beta2 * s + (1.0 - self.beta2) * (g * g)
        d = g / (np.sqrt(s / (1.0 - self.beta2**t)) + self.epsilon)
        if self.weight_decay:
            d = d + self.weight_decay * w
        return d, s

    @classmethod
    def torch(
        cls,
        lr: LearningRate = 0.0025,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2.0,
        foreach: bool | None = None,
        **options,
    ) -> ScheduleFreeAdamW:
        """``schedulefree.AdamWScheduleFree(params, **same arguments)`` (1.4.x).

        >>> ScheduleFreeAdamW.torch(betas=(0.8, 0.99)).beta2
        0.99
        """
        beta1, beta2 = betas
        return cls(
            lr,
            beta1,
            beta2,
            eps,
            weight_decay=weight_decay,
            warmup_steps=warmup_steps,
            r=r,
            weight_lr_power=weight_lr_power,
            **options,
        )

    @classmethod
    def optax(
        cls,
        learning_rate: float = 0.0025,
        warmup_steps: int | None = None,
        b1: float = 0.9,
        b2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        weight_lr_power: float = 2.0,
        state_dtype: None = None,
        **options,
    ) -> ScheduleFreeAdamW:
        """``optax.contrib.schedule_free_adamw(**same arguments)`` (0.2.8), without warmup."""
        _no_optax_warmup(warmup_steps, state_dtype)
        return cls(
            learning_rate,
            b1,
            b2,
            eps,
            weight_decay=weight_decay,
            weight_lr_power=weight_lr_power,
            **options,
        )


def _no_optax_warmup(warmup_steps, state_dtype) -> None:
    if warmup_steps is not None:
        raise ValueError(
            "Optax's schedule-free warmup gives the step and the averaging weight rates one "
            "update apart; descend has no equivalent: use warmup_steps=None (or the torch preset)"
        )
    if state_dtype is not None:
        raise ValueError("state_dtype is not supported: z keeps the parameters' dtype")
