"""Prodigy (Mishchenko & Defazio, 2023): Adam whose step size estimates itself."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .base import LearningRate, Optimizer
from .checks import check_bool, check_positive, check_range
from .presets import refuse, unpack_betas

__all__ = ["Prodigy"]


def _check_growth_rate(value) -> float | None:
    """``growth_rate`` is ``None`` (no limit) or a real number >= 1; ``inf`` means ``None``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"growth_rate must be a real number, got {type(value).__name__}: {value!r}")
    if not float(value) >= 1.0:  # also refuses NaN
        raise ValueError(f"Invalid growth_rate: {value!r} (expected 1 <= growth_rate <= inf)")
    return None if math.isinf(value) else float(value)


class Prodigy(Optimizer):
    r"""Prodigy: Adam with the step size ``d·α`` and ``d`` estimated from the path so far.

    ``d`` estimates the distance from the start ``W₀`` to a solution. With ``k``
    the number of updates applied (see below), ``α`` this update's rate (1 by
    default: a multiplier of ``d``), sums over every array and element and
    :math:`\langle\cdot,\cdot\rangle` the dot product of whole arrays:

    .. math::

        b &= \frac{\sqrt{1-\beta_2^{k+1}}}{1-\beta_1^{k+1}}
            \ \text{(with bias\_correction, else 1)}, \qquad \eta = d\,\alpha\, b \\
        dW &\leftarrow dW + \lambda W \quad \text{(coupled decay only)} \\
        r &\leftarrow \beta_3\, r + \tfrac{d}{d_0}\, \eta\,
            \textstyle\sum \langle dW, W_0 - W \rangle \\
        v &\leftarrow \beta_1 v + (1-\beta_1)\, d\, dW, \qquad
        s \leftarrow \beta_2 s + (1-\beta_2)\, d^2\, dW^2 \\
        a &\leftarrow \beta_3\, a + \tfrac{d}{d_0}\, \eta\, dW
            \quad (\text{safeguard\_warmup: } \tfrac{d}{d_0}\, d\, dW) \\
        \hat d &= c\, r \,/ \textstyle\sum |a| \\
        d &\leftarrow \max(d, \hat d) \ \text{while}\ d = d_0, \qquad
        d_{max} \leftarrow \max(d_{max}, \hat d), \qquad
        d \leftarrow \min(d_{max},\ \gamma\, d) \\
        W &\leftarrow W (1 - \lambda\eta) \quad \text{(decoupled decay, the default)} \\
        W &\leftarrow W - \eta\, \frac{v}{\sqrt{s} + d\,\varepsilon}

    ``η`` and the moments use the ``d`` from before this update, the denominator
    the new one. ``v`` is Adam's first moment of ``d·dW`` (an EMA, not a trace),
    ``s`` its second, ε sits outside the root (scaled by ``d``). With β1 = 0
    there is no ``v`` and the step is :math:`\eta\, d\, dW / (\sqrt{s} + d\varepsilon)`
    with the *new* ``d`` (prodigyopt's rule). Without γ (the default, γ = ∞),
    ``d`` is the largest estimate so far.

    A step with rate 0 changes nothing (not ``k`` either); a step whose
    :math:`\sum |a|` is 0 (every gradient so far exactly 0) updates the moments
    only. Both as prodigyopt does.

    State: the slots ``v``, ``s``, ``grad_sum`` (``a``) and ``w0`` (a copy of the
    parameters at ``init``) and the scalars ``d``, ``d_max``, ``d_numerator``
    (``r``) and ``k`` (prodigyopt's step count: it equals ``state["t"]`` unless a
    rate-0 step or a zero ``Σ|a|`` held it back; the bias correction uses it).

    Parameters
    ----------
    learning_rate : float or callable, default 1.0
        α > 0, which multiplies ``d``: leave it at 1 (or a schedule that starts
        and peaks there). A schedule may return 0 (a frozen step).
    beta1, beta2 : float, default 0.9, 0.999
        Decays of ``v`` and ``s``, in ``[0, 1)``.
    epsilon : float, default 1e-8
        ε >= 0, added to :math:`\sqrt{s}` after scaling by ``d``.
    beta3 : float, optional
        β3 in ``[0, 1)``, the decay of ``r`` and ``a``; :math:`\sqrt{\beta_2}` if omitted.
    weight_decay : float, default 0
        λ >= 0.
    decoupled_weight_decay : bool, default True
        Decay the weights by ``λη`` (AdamW-style) or, if False, add ``λW`` to
        the gradient before anything else sees it.
    bias_correction : bool, default False
        Multiply η by Adam's bias correction ``b`` (prodigyopt's
        ``use_bias_correction``; Optax always does).
    safeguard_warmup : bool, default False
        Leave α out of ``a``, so that a warmup of α does not inflate ``d̂``.
    d0 : float, default 1e-6
        d₀ > 0, the first estimate (an underestimate).
    d_coef : float, default 1.0
        c > 0, multiplying every estimate.
    growth_rate : float, optional
        γ >= 1: ``d`` grows at most by this factor per update; no limit if
        omitted (``None``, or ``inf`` as prodigyopt spells it).
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    Equals ``prodigyopt.Prodigy`` (1.1.x, the authors' package;
    :meth:`torch`) and ``optax.contrib.prodigy`` (0.2.8; :meth:`optax`), which
    differ: Optax always corrects the bias, always decouples the decay, has no
    ``growth_rate``, advances its moments at a rate of 0 (and divides 0 by 0 if
    the first rate is 0 or the first gradients are 0, where prodigyopt and
    descend take no step), counts ``k`` as every update, and with β1 = 0 steps
    along the *old* ``d·dW``. The ``d`` of prodigyopt's ``d == d0`` test and the
    β1 = 0 step are prodigyopt's; :meth:`optax` refuses ``b1 = 0``.
    References: https://arxiv.org/abs/2306.06101,
    https://github.com/konstmish/prodigy,
    https://optax.readthedocs.io/en/latest/api/contrib.html#optax.contrib.prodigy.

    Examples
    --------
    >>> opt = Prodigy()
    >>> params = {"w": np.array([3.0, -2.0])}
    >>> state = opt.init(params)
    >>> for _ in range(200):
    ...     params, state = opt.step(params, {"w": params["w"]}, state)
    >>> state["scalars"]["d"] > 1.0, bool(np.abs(params["w"]).max() < 0.5)
    (True, True)
    """

    kind = "prodigy"
    slots = ("v", "s", "grad_sum", "w0")
    scalars = ("d", "d_max", "d_numerator", "k")

    def __init__(
        self,
        learning_rate: LearningRate = 1.0,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        *,
        beta3: float | None = None,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = True,
        bias_correction: bool = False,
        safeguard_warmup: bool = False,
        d0: float = 1e-6,
        d_coef: float = 1.0,
        growth_rate: float | None = None,
        **options,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.beta1 = check_range("beta1", beta1, 0.0, 1.0)
        self.beta2 = check_range("beta2", beta2, 0.0, 1.0)
        self.epsilon = check_positive("epsilon", epsilon, allow_zero=True)
        self.beta3 = (
            math.sqrt(self.beta2) if beta3 is None else check_range("beta3", beta3, 0.0, 1.0)
        )
        self.weight_decay = check_positive("weight_decay", weight_decay, allow_zero=True)
        self.decoupled_weight_decay = check_bool("decoupled_weight_decay", decoupled_weight_decay)
        self.bias_correction = check_bool("bias_correction", bias_correction)
        self.safeguard_warmup = check_bool("safeguard_warmup", safeguard_warmup)
        self.d0 = check_positive("d0", d0)
        self.d_coef = check_positive("d_coef", d_coef)
        self.growth_rate = _check_growth_rate(growth_rate)
        if self.beta1 == 0.0:
            self.slots = ("s", "grad_sum", "w0")

    def init_slot(self, slot: str, w: np.ndarray) -> np.ndarray:
        return w.copy() if slot == "w0" else np.zeros_like(w)

    def init_scalars(self) -> dict[str, float]:
        return {"d": self.d0, "d_max": self.d0, "d_numerator": 0.0, "k": 0.0}

    def apply(self, params, grads, state, t, learning_rate):
        scalars = state["scalars"]
        d, d_max, k = scalars["d"], scalars["d_max"], scalars["k"]
        if learning_rate == 0.0:  # prodigyopt's frozen step: nothing moves
            return dict(params), {slot: dict(state[slot]) for slot in self.slots}, dict(scalars)
        b1, b2, b3 = self.beta1, self.beta2, self.beta3
        dlr = d * learning_rate
        if self.bias_correction:
            dlr *= math.sqrt(1.0 - b2 ** (k + 1)) / (1.0 - b1 ** (k + 1))
        a_scale = (d / self.d0) * (d if self.safeguard_warmup else dlr)
        coupled = self.weight_decay if not self.decoupled_weight_decay else 0.0
        new_slots = {slot: {} for slot in self.slots}
        used_grads, progress, denominator = {}, 0.0, 0.0
        for key, w in params.items():
            g = grads[key].astype(w.dtype, copy=False)
            if coupled:
                g = g + coupled * w
            w0 = state["w0"][key]
            progress += (d / self.d0) * dlr * float(np.vdot(g, w0 - w))
            if b1 > 0.0:
                new_slots["v"][key] = b1 * state["v"][key] + (d * (1.0 - b1)) * g
            new_slots["s"][key] = b2 * state["s"][key] + (d * d * (1.0 - b2)) * (g * g)
            grad_sum = b3 * state["grad_sum"][key] + a_scale * g
            new_slots["grad_sum"][key] = grad_sum
            new_slots["w0"][key] = w0
            denominator += float(np.sum(np.abs(grad_sum)))
            used_grads[key] = g
        if denominator == 0.0:  # no gradient yet: prodigyopt keeps the moments, moves nothing
            return dict(params), new_slots, dict(scalars)
        numerator = b3 * scalars["d_numerator"] + progress
        d_hat = self.d_coef * numerator / denominator
        if d == self.d0:
            d = max(d, d_hat)
        d_max = max(d_max, d_hat)
        d = d_max if self.growth_rate is None else min(d_max, d * self.growth_rate)
        new_params = {}
        for key, w in params.items():
            denom = np.sqrt(new_slots["s"][key]) + d * self.epsilon
            if self.weight_decay and self.decoupled_weight_decay:
                w = w - (self.weight_decay * dlr) * w
            if b1 > 0.0:
                new_params[key] = w - dlr * (new_slots["v"][key] / denom)
            else:
                new_params[key] = w - (dlr * d) * (used_grads[key] / denom)
        new_scalars = {"d": d, "d_max": d_max, "d_numerator": numerator, "k": k + 1.0}
        return new_params, new_slots, new_scalars

    @classmethod
    def torch(
        cls,
        lr: LearningRate = 1.0,
        betas: tuple[float, float] = (0.9, 0.999),
        beta3: float | None = None,
        eps: float = 1e-8,
        weight_decay: float = 0,
        decouple: bool = True,
        use_bias_correction: bool = False,
        safeguard_warmup: bool = False,
        d0: float = 1e-6,
        d_coef: float = 1.0,
        growth_rate: float = math.inf,
        fsdp_in_use: bool = False,
        slice_p: int = 1,
        **options,
    ) -> Prodigy:
        """``prodigyopt.Prodigy(params, **same arguments)`` (1.1.x, the authors' PyTorch package).

        ``fsdp_in_use`` must stay False (sharded parameters) and ``slice_p`` 1
        (statistics of every ``slice_p``-th element only, an approximation).

        >>> opt = Prodigy.torch(betas=(0.9, 0.99), decouple=False)
        >>> opt.decoupled_weight_decay, round(opt.beta3, 6)
        (False, 0.994987)
        """
        preset = f"{cls.__name__}.torch"
        refuse(preset, "fsdp_in_use", fsdp_in_use, False, "descend does not shard parameters")
        refuse(preset, "slice_p", slice_p, 1, "descend keeps the statistics of every element")
        beta1, beta2 = unpack_betas(preset, betas)
        return cls(
            lr,
            beta1,
            beta2,
            eps,
            beta3=beta3,
            weight_decay=weight_decay,
            decoupled_weight_decay=decouple,
            bias_correction=use_bias_correction,
            safeguard_warmup=safeguard_warmup,
            d0=d0,
            d_coef=d_coef,
            growth_rate=growth_rate,
            **options,
        )

    @classmethod
    def optax(
        cls,
        learning_rate: LearningRate = 1.0,
        betas: tuple[float, float] = (0.9, 0.999),
        beta3: float | None = None,
        eps: float = 1e-8,
        estim_lr0: float = 1e-6,
        estim_lr_coef: float = 1.0,
        weight_decay: float = 0.0,
        safeguard_warmup: bool = False,
        **options,
    ) -> Prodigy:
        """``optax.contrib.prodigy(**same arguments)`` (0.2.8): bias-corrected, decoupled decay.

        ``estim_lr0`` is ``d0`` and ``estim_lr_coef`` is ``d_coef``. A first
        beta of 0 is refused: Optax then steps along the ``d·dW`` of the estimate
        before the update, prodigyopt (and descend) along the one after it.

        >>> Prodigy.optax(estim_lr0=1e-5).bias_correction
        True
        """
        preset = f"{cls.__name__}.optax"
        beta1, beta2 = unpack_betas(preset, betas)
        if beta1 == 0:
            raise ValueError(
                f"{preset}(betas=({beta1!r}, ...)) has no descend equivalent: with beta1 = 0 "
                "Optax steps along d·dW with d before the update, descend (as prodigyopt) "
                "with d after it"
            )
        return cls(
            learning_rate,
            beta1,
            beta2,
            eps,
            beta3=beta3,
            weight_decay=weight_decay,
            bias_correction=True,
            safeguard_warmup=safeguard_warmup,
            d0=estim_lr0,
            d_coef=estim_lr_coef,
            **options,
        )
