"""RAdam: Adam whose adaptive step is rectified while ``s`` holds too few gradients (Liu et al.)."""

from __future__ import annotations

import math

import numpy as np

from .base import LearningRate, Optimizer
from .checks import check_bool, check_positive, check_range
from .presets import check_torch_flags, refuse, unpack_betas

__all__ = ["RAdam", "radam_rectification", "radam_update"]


def radam_rectification(t: int, beta2: float, threshold: float = 5.0) -> float | None:
    r"""The rectification :math:`r_t` of update ``t``; ``None`` while :math:`\rho_t` <= threshold.

    .. math::

        \rho_\infty = \frac{2}{1-\beta_2} - 1, \qquad
        \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1-\beta_2^t}, \qquad
        r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\,\rho_\infty}
                        {(\rho_\infty-4)(\rho_\infty-2)\,\rho_t}}

    :math:`\rho_t` is the length of the simple moving average that the
    exponential average ``s`` approximates after ``t`` updates; while it is
    short, the variance of the adaptive step is large (or undefined), and RAdam
    takes an un-adapted momentum step instead (``None``). The comparison is
    strict (``ρ_t > threshold``), as PyTorch's ``rho_t > 5``.

    Examples
    --------
    >>> radam_rectification(1, 0.999) is None, radam_rectification(6, 0.999) is None
    (True, False)
    >>> round(radam_rectification(6, 0.999), 4), round(radam_rectification(10**6, 0.999), 4)
    (0.0258, 1.0)
    """
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    b2t = math.pow(beta2, t)
    rho_t = rho_inf - 2 * t * b2t / (1.0 - b2t)
    if not rho_t > threshold:
        return None
    return math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))


def radam_update(
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
    threshold: float = 5.0,
    epsilon_hat: bool = False,
    weight_decay: float = 0.0,
    decoupled_weight_decay: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""One RAdam step on one array; returns ``(new_w, new_v, new_s)``.

    .. math::

        v &\leftarrow \beta_1 v + (1-\beta_1)\, dW, \qquad
        s \leftarrow \beta_2 s + (1-\beta_2)\, dW^2 \\
        W &\leftarrow W - \alpha r_t \frac{v/(1-\beta_1^t)}{\sqrt{s/(1-\beta_2^t)} + \varepsilon}
        \quad\text{if}\ \rho_t > \text{threshold, else}\quad
        W \leftarrow W - \alpha\, \frac{v}{1-\beta_1^t}

    with :math:`r_t, \rho_t` of :func:`radam_rectification`. ε sits outside the
    root of the bias-corrected ``s`` (Optax), or, with ``epsilon_hat``, is added
    to :math:`\sqrt{s}` before the correction, :math:`\sqrt{1-\beta_2^t}/(\sqrt{s}+\varepsilon)`
    (PyTorch and the authors' code; :class:`~descend.optim.Adam`'s ε-hat form).
    ``weight_decay`` λ is coupled (``dW += λW``) unless ``decoupled_weight_decay``
    (``W *= 1 - αλ`` first).

    Examples
    --------
    The first updates are plain bias-corrected momentum: α times the gradient.

    >>> w, v, s = radam_update(np.array([1.0]), np.array([4.0]), np.zeros(1), np.zeros(1),
    ...                        t=1, learning_rate=0.1, beta1=0.9, beta2=0.999, epsilon=1e-8)
    >>> w
    array([0.6])
    """
    if weight_decay:
        if decoupled_weight_decay:
            w = w * (1.0 - learning_rate * weight_decay)
        else:
            g = g + weight_decay * w
    v = beta1 * v + (1.0 - beta1) * g
    s = beta2 * s + (1.0 - beta2) * (g * g)
    correction1 = 1.0 - beta1**t
    correction2 = 1.0 - beta2**t
    rectification = radam_rectification(t, beta2, threshold)
    if rectification is None:
        return w - (learning_rate / correction1) * v, v, s
    if epsilon_hat:
        step = learning_rate * rectification * math.sqrt(correction2) / correction1
        return w - step * v / (np.sqrt(s) + epsilon), v, s
    step = learning_rate * rectification / correction1
    return w - step * v / (np.sqrt(s / correction2) + epsilon), v, s


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2020): Adam with a rectified adaptive step, as Optax ``radam``.

    .. math::

        v &\leftarrow \beta_1 v + (1-\beta_1)\, dW, \qquad
        s \leftarrow \beta_2 s + (1-\beta_2)\, dW^2 \\
        W &\leftarrow W - \alpha r_t \frac{v/(1-\beta_1^t)}{\sqrt{s/(1-\beta_2^t)} + \varepsilon}
        \quad (\rho_t > 5), \qquad
        W \leftarrow W - \alpha\, \frac{v}{1-\beta_1^t} \quad (\text{otherwise})

    where ``t`` counts the updates from 1, and :math:`\rho_t, r_t` are those of
    :func:`radam_rectification`. With β2 = 0.999 the first 5 updates are
    momentum steps; :math:`r_t` then grows from about 0.03 towards 1.

    Parameters
    ----------
    learning_rate : float or callable, default 0.001
        α > 0, or a schedule of the number of updates already applied.
    beta1 : float, default 0.9
        Decay of the first moment ``v``, ``0 <= beta1 < 1``.
    beta2 : float, default 0.999
        Decay of the second moment ``s``, ``0 <= beta2 < 1``. With
        ``beta2 <= 0.6``, :math:`\rho_\infty <= 4` and the step is never
        rectified (always the momentum step).
    epsilon : float, default 1e-8
        ε >= 0, added outside the root of the bias-corrected ``s``.
    threshold : float, default 5
        Rectify when :math:`\rho_t` > ``threshold`` (>= 4, where :math:`r_t` is
        defined). PyTorch fixes it at 5; Optax's ``threshold`` compares with
        ``>=`` (see :meth:`optax`).
    epsilon_hat : bool, default False
        Add ε to :math:`\sqrt{s}` before the bias correction (PyTorch, the
        authors' code): :math:`\alpha r_t \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}
        \frac{v}{\sqrt{s}+\varepsilon}`.
    weight_decay : float, default 0
        λ >= 0, coupled (``λ·W`` added to the gradient) unless
        ``decoupled_weight_decay`` (``W *= 1 - α·λ`` before the step), as PyTorch.
    decoupled_weight_decay : bool, default False
        See ``weight_decay``.
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    The exact update is :func:`radam_update`. Momentum convention: ``v`` is an
    exponential *average*, bias-corrected by :math:`1-\beta_1^t` in both
    branches. PyTorch ``RAdam`` and Optax ``radam`` differ in where ε sits:
    PyTorch (like the paper authors' code) adds it to :math:`\sqrt{s}` before
    the bias correction (``epsilon_hat=True``, :meth:`torch`); Optax adds it to
    :math:`\sqrt{\hat s}`, as descend's Adam does (the default, :meth:`optax`).
    With ε = 1e-8 the two agree to about ε·√(1-β2^t) in the denominator.

    Reference: L. Liu et al., *On the Variance of the Adaptive Learning Rate and
    Beyond*, ICLR 2020, https://arxiv.org/abs/1908.03265

    Examples
    --------
    >>> opt = RAdam(learning_rate=0.1)
    >>> params = {"w": np.array([1.0, -1.0])}
    >>> params, state = opt.step(params, {"w": np.array([3.0, -0.5])}, opt.init(params))
    >>> params["w"]  # the first step is momentum SGD: α times the gradient
    array([ 0.7 , -0.95])
    """

    kind = "radam"
    slots = ("v", "s")

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        *,
        threshold: float = 5.0,
        epsilon_hat: bool = False,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
        **options,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.beta1 = check_range("beta1", beta1, 0.0, 1.0)
        self.beta2 = check_range("beta2", beta2, 0.0, 1.0)
        self.epsilon = check_positive("epsilon", epsilon, allow_zero=True)
        # ρ_t > threshold >= 4 keeps r_t real; the Optax preset passes the float just below
        # its threshold (ρ_t >= τ is ρ_t > nextafter(τ, -inf)), so 4 itself is let through.
        self.threshold = check_range(
            "threshold", threshold, math.nextafter(4.0, -math.inf), math.inf
        )
        self.epsilon_hat = check_bool("epsilon_hat", epsilon_hat)
        self.weight_decay = check_positive("weight_decay", weight_decay, allow_zero=True)
        self.decoupled_weight_decay = check_bool("decoupled_weight_decay", decoupled_weight_decay)

    def update(self, w, g, v, s, *, t, learning_rate):
        return radam_update(
            w,
            g,
            v,
            s,
            t,
            learning_rate,
            self.beta1,
            self.beta2,
            self.epsilon,
            threshold=self.threshold,
            epsilon_hat=self.epsilon_hat,
            weight_decay=self.weight_decay,
            decoupled_weight_decay=self.decoupled_weight_decay,
        )

    @classmethod
    def torch(
        cls,
        lr: LearningRate = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        *,
        decoupled_weight_decay: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        **options,
    ) -> RAdam:
        """The equivalent of ``torch.optim.RAdam(params, **same arguments)`` (PyTorch 2.13).

        Returns ``RAdam(lr, *betas, eps, epsilon_hat=True, weight_decay=...,
        decoupled_weight_decay=...)``: PyTorch adds ε before the bias
        correction and rectifies when ``rho_t > 5``. ``foreach``, ``capturable``
        and ``differentiable`` are accepted and ignored; ``maximize=True`` is
        refused.

        Examples
        --------
        >>> RAdam.torch(lr=0.01).epsilon_hat
        True
        """
        del foreach, capturable, differentiable  # how PyTorch computes, not what
        preset = f"{cls.__name__}.torch"
        check_torch_flags(preset, maximize=maximize)
        beta1, beta2 = unpack_betas(preset, betas)
        return cls(
            lr,
            beta1,
            beta2,
            eps,
            epsilon_hat=True,
            weight_decay=weight_decay,
            decoupled_weight_decay=decoupled_weight_decay,
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
        threshold: float = 5.0,
        *,
        nesterov: bool = False,
        **options,
    ) -> RAdam:
        """The equivalent of ``optax.radam(learning_rate, **same arguments)`` (Optax 0.2.8).

        Optax rectifies when ``ro >= threshold``; for floats that is
        ``ρ > nextafter(threshold, -inf)``, which is the ``threshold`` this
        returns. ``eps_root`` must be 0 and ``nesterov`` False.

        Examples
        --------
        >>> RAdam.optax(0.01).threshold < 5.0
        True
        """
        preset = f"{cls.__name__}.optax"
        refuse(preset, "eps_root", eps_root, 0.0, "RAdam adds ε outside the root only")
        refuse(preset, "nesterov", nesterov, False, "RAdam has no Nesterov form")
        limit = check_range("threshold", threshold, 4.0, math.inf)
        return cls(
            learning_rate, b1, b2, eps, threshold=math.nextafter(limit, -math.inf), **options
        )
