"""NAdam and NAdamW: Adam whose first moment looks one step ahead (Nesterov), after Dozat (2016)."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from .base import LearningRate, Optimizer
from .checks import check_positive, check_range
from .presets import check_torch_flags, refuse, unpack_betas

__all__ = ["NAdam", "NAdamW", "nadam_step_sizes", "nadam_update"]

#: Below this, ``1 - Π`` rounds to exactly 1 in float64 (it does below 2**-54), so the
#: product of the momentum schedule need not be carried further (see nadam_step_sizes).
NEGLIGIBLE = 2.0**-60


def nadam_step_sizes(
    t: int, learning_rate: float, beta1: float, momentum_decay: float | None
) -> tuple[float, float]:
    r"""The coefficients ``(c_g, c_m)`` of update ``t``'s gradient and first moment.

    .. math::

        c_g = \alpha \frac{1 - \mu_t}{1 - \prod_{i \le t} \mu_i}, \qquad
        c_m = \alpha \frac{\mu_{t+1}}{1 - \prod_{i \le t+1} \mu_i}

    with Dozat's momentum schedule :math:`\mu_t = \beta_1 (1 - \tfrac12 0.96^{t\psi})`
    (ψ = ``momentum_decay``, PyTorch), or :math:`\mu_t = \beta_1` for every
    ``t`` when ``momentum_decay`` is ``None`` (Optax: the products are then
    :math:`\beta_1^t` and :math:`\beta_1^{t+1}`).

    PyTorch keeps the product :math:`\prod_{i \le t}\mu_i` in its state
    (``mu_product``); it depends on ``t`` only, so it is recomputed here, by the
    same multiplications in the same order (bit for bit). Once
    :math:`\beta_1^t < 2^{-60}` the product is smaller still and
    :math:`1 - \prod` rounds to exactly 1, so the product is taken as 0: the
    loop runs at most about 400 times for β1 = 0.9, and never after that.

    Examples
    --------
    >>> c_g, c_m = nadam_step_sizes(1, 1.0, 0.9, None)   # Optax's form at t = 1
    >>> round(c_g, 12), round(c_m, 12)                    # 0.1/0.1 and 0.9/0.19
    (1.0, 4.736842105263)
    """
    if momentum_decay is None:
        mu = mu_next = beta1
        product, product_next = math.pow(beta1, t), math.pow(beta1, t + 1)
    else:
        mu = beta1 * (1.0 - 0.5 * math.pow(0.96, t * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * math.pow(0.96, (t + 1) * momentum_decay))
        product = 1.0
        if math.pow(beta1, t) < NEGLIGIBLE:
            product = 0.0
        else:
            for i in range(1, t + 1):
                product *= beta1 * (1.0 - 0.5 * math.pow(0.96, i * momentum_decay))
        product_next = product * mu_next
    return (
        learning_rate * (1.0 - mu) / (1.0 - product),
        learning_rate * mu_next / (1.0 - product_next),
    )


def nadam_update(
    w: np.ndarray,
    g: np.ndarray,
    v: np.ndarray,
    s: np.ndarray,
    t: int,
    learning_rate: float,
    beta1: float,
    beta2: float,
    epsilon: float,
    *,
    momentum_decay: float | None = 0.004,
    weight_decay: float = 0.0,
    decoupled_weight_decay: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""One NAdam step on one array; returns ``(new_w, new_v, new_s)``.

    .. math::

        v &\leftarrow \beta_1 v + (1-\beta_1)\, dW, \qquad
        s \leftarrow \beta_2 s + (1-\beta_2)\, dW^2 \\
        W &\leftarrow W - \frac{c_g\, dW + c_m\, v}{\sqrt{s / (1-\beta_2^t)} + \varepsilon}

    with :math:`c_g, c_m` from :func:`nadam_step_sizes`: the step mixes the
    bias-corrected gradient of this update with the bias-corrected moment of
    the next one (Nesterov's look-ahead, applied to Adam's average). ε sits
    outside the root. ``weight_decay`` λ is coupled (``dW += λW`` before the
    moments) unless ``decoupled_weight_decay`` (``W *= 1 - αλ`` first).

    Examples
    --------
    The first step of Optax's form moves each weight by about α against its gradient:

    >>> w, v, s = nadam_update(np.array([1.0]), np.array([4.0]), np.zeros(1), np.zeros(1),
    ...                        t=1, learning_rate=0.1, beta1=0.9, beta2=0.999, epsilon=0.0,
    ...                        momentum_decay=None)
    >>> np.round(w, 6)  # 1 - 0.1 * (1 + 0.9 * 0.4 / 0.19 / 4)
    array([0.852632])
    """
    if weight_decay:
        if decoupled_weight_decay:
            w = w * (1.0 - learning_rate * weight_decay)
        else:
            g = g + weight_decay * w
    v = beta1 * v + (1.0 - beta1) * g
    s = beta2 * s + (1.0 - beta2) * (g * g)
    c_g, c_m = nadam_step_sizes(t, learning_rate, beta1, momentum_decay)
    denominator = np.sqrt(s / (1.0 - beta2**t)) + epsilon
    return w - (c_g * g + c_m * v) / denominator, v, s


def _check_momentum_decay(value: float | None) -> float | None:
    return None if value is None else check_positive("momentum_decay", value, allow_zero=True)


def _check_optax(preset: str, eps_root: float, mu_dtype: object, nesterov: bool) -> None:
    """What ``optax.nadam``/``nadamw`` may be given beyond what NAdam takes."""
    refuse(preset, "eps_root", eps_root, 0.0, "NAdam adds ε outside the root only")
    refuse(preset, "mu_dtype", mu_dtype, None, "v is kept in the parameters' dtype")
    refuse(preset, "nesterov", nesterov, True, "without Nesterov it is Adam: use Adam.optax")


def _nadam_torch(
    preset, lr, betas, eps, weight_decay, momentum_decay, *, decoupled_weight_decay, maximize,
    **options,
) -> NAdam:  # fmt: skip
    """``torch.optim.NAdam``'s arguments -> :class:`NAdam` or :class:`NAdamW`."""
    check_torch_flags(preset, maximize=maximize)
    beta1, beta2 = unpack_betas(preset, betas)
    rule = NAdamW if decoupled_weight_decay else NAdam
    return rule(
        lr, beta1, beta2, eps, momentum_decay=momentum_decay, weight_decay=weight_decay, **options
    )


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016): Adam with Nesterov momentum, as PyTorch ``NAdam``.

    .. math::

        v &\leftarrow \beta_1 v + (1-\beta_1)\, dW, \qquad
        s \leftarrow \beta_2 s + (1-\beta_2)\, dW^2 \\
        \mu_t &= \beta_1 \left(1 - \tfrac12\, 0.96^{t\psi}\right) \\
        W &\leftarrow W - \alpha \left(
            \frac{1-\mu_t}{1-\prod_{i\le t}\mu_i}\, dW +
            \frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i}\, v \right)
            \Big/ \left(\sqrt{s/(1-\beta_2^t)} + \varepsilon\right)

    where ``t`` counts the updates from 1 and ψ is ``momentum_decay``.

    Parameters
    ----------
    learning_rate : float or callable, default 0.002
        α > 0, or a schedule of the number of updates already applied.
    beta1 : float, default 0.9
        Decay of the first moment ``v``, ``0 <= beta1 < 1``; the momentum
        schedule rises from ``beta1 / 2`` towards ``beta1``.
    beta2 : float, default 0.999
        Decay of the second moment ``s``, ``0 <= beta2 < 1``.
    epsilon : float, default 1e-8
        ε >= 0, added outside the square root.
    momentum_decay : float or None, default 0.004
        ψ >= 0 of Dozat's schedule :math:`\mu_t = \beta_1(1 - \tfrac12 0.96^{t\psi})`
        (PyTorch's ``momentum_decay``). ``None``: no schedule, :math:`\mu_t = \beta_1`
        (Optax's ``nadam``). Note that ψ = 0 is not "no schedule": it holds
        :math:`\mu_t` at ``beta1 / 2``.
    weight_decay : float, default 0
        λ >= 0, *coupled*: ``λ·W`` is added to the gradient before the moments
        (PyTorch ``NAdam(weight_decay=λ)``). For the decoupled form use :class:`NAdamW`.
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    The exact update is :func:`nadam_update`, the two coefficients
    :func:`nadam_step_sizes`. Momentum convention: ``v`` is an exponential
    *average* (PyTorch's ``exp_avg.lerp_(grad, 1 - beta1)``), bias-corrected by
    the product of the schedule. ε sits outside the root of the bias-corrected
    ``s``, as in Adam.

    PyTorch and Optax differ (see :meth:`torch` and :meth:`optax`): PyTorch
    ``NAdam`` follows Dozat's paper with its warming momentum schedule, and
    corrects ``v`` by the running product of the schedule; Optax ``nadam``
    (``adam(nesterov=True)``) keeps :math:`\mu_t = \beta_1`, which makes the
    correction :math:`1-\beta_1^t` for the gradient and :math:`1-\beta_1^{t+1}`
    for ``v``. That is this class with ``momentum_decay=None``. Keras ``Nadam``
    uses :math:`0.96^t`, i.e. ψ = 1 (``momentum_decay=1.0``, ε = 1e-7; by its
    source, not recorded). The AlgoPerf baseline's NAdamW corrects
    both terms by :math:`1-\beta_1^t` and is neither of these (not offered).

    Reference: T. Dozat, *Incorporating Nesterov Momentum into Adam*, ICLR 2016
    workshop, https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ

    Examples
    --------
    >>> opt = NAdam(learning_rate=0.1)
    >>> params = {"w": np.array([1.0, -1.0])}
    >>> params, state = opt.step(params, {"w": np.array([3.0, -0.5])}, opt.init(params))
    >>> np.round(params["w"], 4)
    array([ 0.8944, -0.8944])
    """

    kind = "nadam"
    slots = ("v", "s")
    _decoupled = False
    #: The cutoff of the schedule's product (:data:`NEGLIGIBLE`), read by the kernels.
    negligible: ClassVar[float] = NEGLIGIBLE

    def __init__(
        self,
        learning_rate: LearningRate = 0.002,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        *,
        momentum_decay: float | None = 0.004,
        weight_decay: float = 0.0,
        **options,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.beta1 = check_range("beta1", beta1, 0.0, 1.0)
        self.beta2 = check_range("beta2", beta2, 0.0, 1.0)
        self.epsilon = check_positive("epsilon", epsilon, allow_zero=True)
        self.momentum_decay = _check_momentum_decay(momentum_decay)
        self.weight_decay = check_positive("weight_decay", weight_decay, allow_zero=True)

    def update(self, w, g, v, s, *, t, learning_rate):
        return nadam_update(
            w,
            g,
            v,
            s,
            t,
            learning_rate,
            self.beta1,
            self.beta2,
            self.epsilon,
            momentum_decay=self.momentum_decay,
            weight_decay=self.weight_decay,
            decoupled_weight_decay=self._decoupled,
        )

    def __repr__(self) -> str:
        text = super().__repr__()
        if self.momentum_decay is None:  # the base repr leaves out None; here it is a choice
            text = f"{text[:-1]}, momentum_decay=None)"
        return text

    @classmethod
    def torch(
        cls,
        lr: LearningRate = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        *,
        decoupled_weight_decay: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        **options,
    ) -> NAdam:
        """The equivalent of ``torch.optim.NAdam(params, **same arguments)`` (PyTorch 2.13).

        Returns :class:`NAdamW` when ``decoupled_weight_decay`` is True, else
        :class:`NAdam`. ``foreach``, ``capturable`` and ``differentiable`` change
        how PyTorch computes, not what: they are accepted and ignored;
        ``maximize=True`` is refused.

        Examples
        --------
        >>> NAdam.torch(lr=0.01, betas=(0.95, 0.99)).beta1
        0.95
        >>> type(NAdam.torch(weight_decay=0.1, decoupled_weight_decay=True)).__name__
        'NAdamW'
        """
        del foreach, capturable, differentiable  # how PyTorch computes, not what
        return _nadam_torch(
            f"{cls.__name__}.torch",
            lr,
            betas,
            eps,
            weight_decay,
            momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            **options,
        )

    @classmethod
    def optax(
        cls,
        learning_rate: LearningRate,
        b1: float = 0.9,
        b2: float = 0.999,
        eps: float = 1e-8,
        eps_root: float = 0.0,
        *,
        mu_dtype: object = None,
        nesterov: bool = True,
        **options,
    ) -> NAdam:
        """The equivalent of ``optax.nadam(learning_rate, **same arguments)`` (Optax 0.2.8).

        ``optax.nadam`` is ``optax.adam(..., nesterov=True)``: this returns
        ``NAdam(learning_rate, b1, b2, eps, momentum_decay=None)`` (no momentum
        schedule). ``eps_root`` (ε inside the root) must be 0, ``mu_dtype``
        ``None``, and ``nesterov`` True (``nesterov=False`` is ``optax.adam``:
        :meth:`Adam.optax <descend.optim.Adam.optax>`).

        Examples
        --------
        >>> NAdam.optax(0.003).momentum_decay is None
        True
        """
        _check_optax(f"{cls.__name__}.optax", eps_root, mu_dtype, nesterov)
        return NAdam(learning_rate, b1, b2, eps, momentum_decay=None, **options)


class NAdamW(NAdam):
    r"""NAdam with decoupled weight decay: PyTorch ``NAdam(decoupled_weight_decay=True)``.

    .. math::

        W \leftarrow W (1 - \alpha\lambda), \quad\text{then the}\ :class:`NAdam`\ \text{step}

    The decay does not pass through the moments, as in :class:`~descend.optim.AdamW`.
    This is the rule of the AlgoPerf NAdamW baseline up to its bias correction
    (see :class:`NAdam`'s notes).

    Parameters
    ----------
    learning_rate : float or callable, default 0.002
        α > 0, or a schedule of the number of updates already applied.
    beta1, beta2, epsilon, momentum_decay
        As in :class:`NAdam` (``momentum_decay=None``: Optax ``nadamw``).
    weight_decay : float, default 0.01
        λ >= 0; each step multiplies ``W`` by ``1 - α·λ`` (α of that step).
        PyTorch's default is 0, Optax's 1e-4; 0.01 is AdamW's.
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    Equals PyTorch ``NAdam(lr=α, weight_decay=λ, decoupled_weight_decay=True)``
    (:meth:`torch`) and, with ``momentum_decay=None``, Optax
    ``nadamw(α, weight_decay=λ)``, which writes the decay as
    ``W -= α(step + λW)`` (:meth:`optax`).
    """

    kind = "nadamw"
    _decoupled = True

    def __init__(
        self,
        learning_rate: LearningRate = 0.002,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        *,
        momentum_decay: float | None = 0.004,
        weight_decay: float = 0.01,
        **options,
    ) -> None:
        super().__init__(
            learning_rate,
            beta1,
            beta2,
            epsilon,
            momentum_decay=momentum_decay,
            weight_decay=weight_decay,
            **options,
        )

    @classmethod
    def torch(
        cls,
        lr: LearningRate = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        *,
        decoupled_weight_decay: bool = True,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        **options,
    ) -> NAdam:
        """``torch.optim.NAdam(params, **same arguments, decoupled_weight_decay=True)``.

        The arguments and defaults are ``torch.optim.NAdam``'s, except
        ``decoupled_weight_decay``, which is True (False gives :class:`NAdam`,
        as :meth:`NAdam.torch`).

        Examples
        --------
        >>> NAdamW.torch(lr=0.01, weight_decay=0.1).weight_decay
        0.1
        """
        del foreach, capturable, differentiable  # how PyTorch computes, not what
        return _nadam_torch(
            f"{cls.__name__}.torch",
            lr,
            betas,
            eps,
            weight_decay,
            momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            **options,
        )

    @classmethod
    def optax(
        cls,
        learning_rate: LearningRate,
        b1: float = 0.9,
        b2: float = 0.999,
        eps: float = 1e-8,
        eps_root: float = 0.0,
        *,
        mu_dtype: object = None,
        weight_decay: float = 1e-4,
        mask: object = None,
        nesterov: bool = True,
        **options,
    ) -> NAdamW:
        """The equivalent of ``optax.nadamw(learning_rate, **same arguments)`` (Optax 0.2.8).

        ``optax.nadamw`` is ``optax.adamw(..., nesterov=True)``: this returns
        ``NAdamW(learning_rate, b1, b2, eps, momentum_decay=None,
        weight_decay=weight_decay)``. As :meth:`NAdam.optax`; ``mask`` (decay
        only some arrays) must be ``None`` (give other arrays another rule with
        a :class:`~descend.optim.Partition`), and ``nesterov=False`` is
        :meth:`AdamW.optax <descend.optim.AdamW.optax>`.

        Examples
        --------
        >>> NAdamW.optax(0.003).weight_decay
        0.0001
        """
        preset = f"{cls.__name__}.optax"
        _check_optax(preset, eps_root, mu_dtype, nesterov)
        refuse(preset, "mask", mask, None, "every array is decayed alike")
        return NAdamW(
            learning_rate, b1, b2, eps, momentum_decay=None, weight_decay=weight_decay, **options
        )
