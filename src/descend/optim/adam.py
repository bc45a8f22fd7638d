"""Adam and AdamW: momentum on the gradient, RMS scaling by its square, bias correction."""

from __future__ import annotations

import numpy as np

from .base import LearningRate, Optimizer
from .checks import check_bool, check_positive, check_range
from .nadam import NAdam, NAdamW
from .presets import check_torch_flags, refuse, unpack_betas

__all__ = ["Adam", "AdamW", "adam_update", "bias_corrected"]


def bias_corrected(moment: np.ndarray, beta: float, t: int) -> np.ndarray:
    r"""The bias-corrected moment of update ``t``: ``moment / (1 - beta**t)``.

    .. math::

        \hat v = \frac{v}{1 - \beta^t}

    An average that starts at zero and takes ``t`` steps of
    :math:`v \leftarrow \beta v + (1-\beta)\,g` is :math:`(1-\beta^t)` times the
    weighted mean of the gradients it has seen, so dividing by that factor
    removes the pull toward zero of the first steps. ``t`` is the number of the
    update, 1 for the first; as ``t`` grows the factor tends to 1.

    Examples
    --------
    >>> bias_corrected(np.array([0.1]), 0.9, 1)  # the first step: v = 0.1 * g, v-hat = g
    array([1.])
    """
    return moment / (1.0 - beta**t)


def adam_update(
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
    s_max: np.ndarray | None = None,
    epsilon_inside_sqrt: bool = False,
    epsilon_hat: bool = False,
    weight_decay: float = 0.0,
    decoupled_weight_decay: bool = False,
) -> tuple[np.ndarray, ...]:
    r"""One Adam step on one array; returns ``(new_w, new_v, new_s)``.

    .. math::

        v &\leftarrow \beta_1 v + (1-\beta_1)\, dW \\
        s &\leftarrow \beta_2 s + (1-\beta_2)\, dW^2 \\
        \hat v &= v / (1-\beta_1^t), \qquad \hat s = s / (1-\beta_2^t) \\
        W &\leftarrow W - \alpha\, \hat v / (\sqrt{\hat s} + \varepsilon)

    ``t`` is the number of this update, 1 for the first. By default ε is added
    *outside* the square root, as in Kingma & Ba (2015), PyTorch and Optax.

    The keyword options change one term each:

    - ``epsilon_inside_sqrt``: the denominator is :math:`\sqrt{\hat s + \varepsilon}`
      (the origin note's code; Optax ``adam(eps=0, eps_root=ε)``).
    - ``epsilon_hat``: the "ε-hat" form of Keras and scikit-learn,
      :math:`W \leftarrow W - \alpha \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}
      \frac{v}{\sqrt{s} + \hat\varepsilon}`, i.e. Adam with
      :math:`\varepsilon = \hat\varepsilon / \sqrt{1-\beta_2^t}`.
    - ``s_max`` (AMSGrad): pass the running maximum; it becomes
      :math:`s_{max} \leftarrow \max(s_{max}, s)` of the *uncorrected* ``s`` and
      replaces ``s`` in the denominator (bias-corrected after the maximum, as
      PyTorch ``amsgrad=True`` does). The function then returns
      ``(new_w, new_v, new_s, new_s_max)``.
    - ``weight_decay`` λ, coupled (default): :math:`dW \leftarrow dW + \lambda W`
      before the moments (L2 regularisation, PyTorch ``Adam(weight_decay=λ)``);
      with ``decoupled_weight_decay``: :math:`W \leftarrow W(1 - \alpha\lambda)`
      before the Adam step (PyTorch ``AdamW``, Loshchilov & Hutter 2019).

    Examples
    --------
    The first step moves each weight by about α against its gradient's sign:

    >>> w, v, s = adam_update(np.array([1.0]), np.array([4.0]), np.zeros(1), np.zeros(1),
    ...                       t=1, learning_rate=0.1, beta1=0.9, beta2=0.999, epsilon=0.0)
    >>> w
    array([0.9])
    """
    if weight_decay:
        if decoupled_weight_decay:
            w = w * (1.0 - learning_rate * weight_decay)
        else:
            g = g + weight_decay * w
    v = beta1 * v + (1.0 - beta1) * g
    s = beta2 * s + (1.0 - beta2) * (g * g)
    denominator = s if s_max is None else np.maximum(s_max, s)
    correction1 = 1.0 - beta1**t
    correction2 = 1.0 - beta2**t
    if epsilon_hat:
        if epsilon_inside_sqrt:
            raise ValueError("epsilon_hat and epsilon_inside_sqrt cannot both be True")
        step = learning_rate * correction2**0.5 / correction1
        new_w = w - step * v / (np.sqrt(denominator) + epsilon)
    elif epsilon_inside_sqrt:
        new_w = w - learning_rate * (v / correction1) / np.sqrt(denominator / correction2 + epsilon)
    else:
        new_w = w - learning_rate * (v / correction1) / (
            np.sqrt(denominator / correction2) + epsilon
        )
    if s_max is None:
        return new_w, v, s
    return new_w, v, s, denominator


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015) with bias correction.

    .. math::

        v &\leftarrow \beta_1 v + (1-\beta_1)\, dW, \qquad
        s \leftarrow \beta_2 s + (1-\beta_2)\, dW^2 \\
        W &\leftarrow W - \alpha\,
            \frac{v / (1-\beta_1^t)}{\sqrt{s / (1-\beta_2^t)} + \varepsilon}

    where ``t`` counts the updates, starting at 1; the state counts them itself.

    Parameters
    ----------
    learning_rate : float or callable, default 0.001
        α > 0, or a schedule of the number of updates already applied.
    beta1 : float, default 0.9
        Decay of the first-moment average ``v``, ``0 <= beta1 < 1``.
    beta2 : float, default 0.999
        Decay of the second-moment average ``s``, ``0 <= beta2 < 1``.
    epsilon : float, default 1e-8
        ε >= 0, added outside the square root (see the two options below).
    amsgrad : bool, default False
        Keep the running maximum ``s_max`` of the uncorrected ``s`` (an extra
        state slot) and divide by it instead of ``s`` (Reddi et al., 2018), as
        PyTorch ``amsgrad=True``.
    epsilon_inside_sqrt : bool, default False
        Divide by :math:`\sqrt{\hat s + \varepsilon}`: the origin note's code,
        and Optax ``adam(eps=0, eps_root=ε)``.
    weight_decay : float, default 0
        λ >= 0 of a *coupled* decay: ``λ·W`` is added to the gradient before the
        moments (L2 regularisation), as PyTorch ``Adam(weight_decay=λ)``. For the
        decoupled form use :class:`AdamW`.
    epsilon_hat : bool, default False
        The "ε-hat" form of Keras and scikit-learn: ε added to :math:`\sqrt{s}`
        before bias correction (see :meth:`keras`). Exclusive with
        ``epsilon_inside_sqrt``.
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    The exact update is :func:`adam_update`. ε outside the root matches PyTorch
    ``Adam(eps=ε)`` and Optax ``adam(eps=ε)``. AMSGrad follows PyTorch: the
    maximum is taken over the *uncorrected* ``s`` and bias-corrected after; Optax
    ``amsgrad`` takes the maximum of the *corrected* ``ŝ``, so its steps differ.

    Examples
    --------
    >>> opt = Adam(learning_rate=0.1)
    >>> params = {"w": np.array([1.0, -1.0])}
    >>> state = opt.init(params)
    >>> params, state = opt.step(params, {"w": np.array([3.0, -0.5])}, state)
    >>> np.round(params["w"], 6)
    array([ 0.9, -0.9])
    """

    kind = "adam"
    slots = ("v", "s")

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        *,
        amsgrad: bool = False,
        epsilon_inside_sqrt: bool = False,
        weight_decay: float = 0.0,
        epsilon_hat: bool = False,
        **options,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.beta1 = check_range("beta1", beta1, 0.0, 1.0)
        self.beta2 = check_range("beta2", beta2, 0.0, 1.0)
        self.epsilon = check_positive("epsilon", epsilon, allow_zero=True)
        self.amsgrad = check_bool("amsgrad", amsgrad)
        self.epsilon_inside_sqrt = check_bool("epsilon_inside_sqrt", epsilon_inside_sqrt)
        self.epsilon_hat = check_bool("epsilon_hat", epsilon_hat)
        if self.epsilon_hat and self.epsilon_inside_sqrt:
            raise ValueError(
                "Invalid epsilon_hat: True with epsilon_inside_sqrt=True "
                "(ε sits in one place: choose at most one of them)"
            )
        self.weight_decay = check_positive("weight_decay", weight_decay, allow_zero=True)
        if self.amsgrad:
            self.slots = ("v", "s", "s_max")

    _decoupled = False

    def update(self, w, g, v, s, *rest, t, learning_rate):
        return adam_update(
            w,
            g,
            v,
            s,
            t,
            learning_rate,
            self.beta1,
            self.beta2,
            self.epsilon,
            s_max=rest[0] if rest else None,
            epsilon_inside_sqrt=self.epsilon_inside_sqrt,
            epsilon_hat=self.epsilon_hat,
            weight_decay=self.weight_decay,
            decoupled_weight_decay=self._decoupled,
        )

    @classmethod
    def keras(
        cls,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        *,
        amsgrad: bool = False,
        **options,
    ) -> Adam:
        r"""The equivalent of Keras ``Adam`` (and scikit-learn's Adam): the ε-hat form.

        Returns ``Adam(learning_rate, beta_1, beta_2, epsilon, amsgrad=amsgrad,
        epsilon_hat=True)``, whose step is
        :math:`W \leftarrow W - \alpha \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}
        \frac{v}{\sqrt{s} + \varepsilon}`. Defaults are Keras's (ε = 1e-7);
        scikit-learn's ``MLPClassifier(solver="adam")`` is this with ε = 1e-8.

        Examples
        --------
        >>> Adam.keras(learning_rate=0.01).epsilon_hat
        True
        """
        return cls(
            learning_rate,
            beta1=beta_1,
            beta2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            epsilon_hat=True,
            **options,
        )

    @classmethod
    def torch(
        cls,
        lr: LearningRate = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        *,
        amsgrad: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
        **options,
    ) -> Adam:
        """The equivalent of ``torch.optim.Adam(params, **same arguments)`` (PyTorch 2.13).

        Returns ``Adam(lr, *betas, eps, weight_decay=..., amsgrad=...)``, or
        :class:`AdamW` with ``decoupled_weight_decay=True`` (PyTorch's ``AdamW``
        is that same rule). ``foreach``, ``capturable``, ``differentiable`` and
        ``fused`` change how PyTorch computes, not what: they are accepted and
        ignored; ``maximize=True`` is refused.

        Examples
        --------
        >>> Adam.torch(lr=0.01, betas=(0.8, 0.99), amsgrad=True).slots
        ('v', 's', 's_max')
        """
        del foreach, capturable, differentiable, fused  # how PyTorch computes, not what
        return _adam_torch(
            f"{cls.__name__}.torch",
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled=decoupled_weight_decay,
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
        nesterov: bool = False,
        **options,
    ) -> Optimizer:
        r"""The equivalent of ``optax.adam(learning_rate, **same arguments)`` (Optax 0.2.8).

        Optax divides by :math:`\sqrt{\hat s + \varepsilon_{root}} + \varepsilon`;
        descend puts ε in one place, so one of ``eps`` and ``eps_root`` must be
        0: ``eps_root=ε, eps=0`` gives ``Adam(..., epsilon=ε,
        epsilon_inside_sqrt=True)``. ``nesterov=True`` (``optax.nadam``) gives
        :class:`~descend.optim.NAdam` with ``momentum_decay=None``.
        ``mu_dtype`` must be ``None`` (descend keeps ``v`` in the parameters'
        dtype).

        Examples
        --------
        >>> Adam.optax(0.05, eps=0.0, eps_root=1e-3).epsilon_inside_sqrt
        True
        """
        return _adam_optax(
            f"{cls.__name__}.optax",
            learning_rate,
            b1,
            b2,
            eps,
            eps_root,
            mu_dtype=mu_dtype,
            nesterov=nesterov,
            **options,
        )


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as PyTorch ``AdamW``.

    .. math::

        W \leftarrow W (1 - \alpha\lambda), \quad\text{then the Adam step of}\quad
        \frac{v / (1-\beta_1^t)}{\sqrt{s / (1-\beta_2^t)} + \varepsilon}

    The decay does not pass through the moments, unlike ``Adam(weight_decay=λ)``.

    Parameters
    ----------
    learning_rate : float or callable, default 0.001
        α > 0, or a schedule of the number of updates already applied.
    beta1, beta2, epsilon, amsgrad
        As in :class:`Adam`.
    weight_decay : float, default 0.01
        λ >= 0; each step multiplies ``W`` by ``1 - α·λ`` (α of that step).
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    Equals PyTorch ``AdamW(lr=α, weight_decay=λ)`` and Optax
    ``adamw(α, weight_decay=λ)`` (Optax's default λ is 1e-4, PyTorch's 0.01).
    ``AdamW.keras(learning_rate, weight_decay=λ, ...)`` is Keras ``AdamW``
    (ε-hat form, Keras's default λ is 0.004).
    """

    kind = "adamw"
    _decoupled = True

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        *,
        weight_decay: float = 0.01,
        amsgrad: bool = False,
        **options,
    ) -> None:
        super().__init__(
            learning_rate,
            beta1,
            beta2,
            epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            **options,
        )

    @classmethod
    def torch(
        cls,
        lr: LearningRate = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        *,
        amsgrad: bool = False,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        **options,
    ) -> Adam:
        """The equivalent of ``torch.optim.AdamW(params, **same arguments)`` (PyTorch 2.13).

        Examples
        --------
        >>> AdamW.torch().weight_decay
        0.01
        """
        del foreach, capturable, differentiable, fused  # how PyTorch computes, not what
        return _adam_torch(
            f"{cls.__name__}.torch",
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled=True,
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
        nesterov: bool = False,
        **options,
    ) -> Optimizer:
        """The equivalent of ``optax.adamw(learning_rate, **same arguments)`` (Optax 0.2.8).

        As :meth:`Adam.optax`, with the decoupled ``weight_decay`` (Optax's default
        1e-4); ``nesterov=True`` (``optax.nadamw``) gives
        :class:`~descend.optim.NAdamW`. ``mask`` (decay only some arrays) must be
        ``None``.

        Examples
        --------
        >>> AdamW.optax(0.05, weight_decay=0.1).weight_decay
        0.1
        """
        preset = f"{cls.__name__}.optax"
        refuse(preset, "mask", mask, None, "every array is decayed alike")
        return _adam_optax(
            preset,
            learning_rate,
            b1,
            b2,
            eps,
            eps_root,
            mu_dtype=mu_dtype,
            nesterov=nesterov,
            weight_decay=weight_decay,
            **options,
        )


def _adam_torch(preset, lr, betas, eps, weight_decay, *, amsgrad, maximize, decoupled, **options):
    """``torch.optim.Adam``/``AdamW``'s arguments -> :class:`Adam` or :class:`AdamW`."""
    check_torch_flags(preset, maximize=maximize)
    beta1, beta2 = unpack_betas(preset, betas)
    rule = AdamW if decoupled else Adam
    return rule(lr, beta1, beta2, eps, amsgrad=amsgrad, weight_decay=weight_decay, **options)


def _adam_optax(
    preset: str,
    learning_rate: LearningRate,
    b1: float,
    b2: float,
    eps: float,
    eps_root: float,
    *,
    mu_dtype: object,
    nesterov: bool,
    weight_decay: float | None = None,
    **options,
) -> Optimizer:
    """``optax.adam``/``adamw``/``nadam``/``nadamw``'s arguments -> the descend rule.

    ``weight_decay=None`` is ``adam`` (no decay), a number ``adamw`` (decoupled);
    ``nesterov`` chooses :class:`~descend.optim.NAdam`/``NAdamW`` without a
    momentum schedule (Optax's Nesterov form). See :meth:`Adam.optax`.
    """
    decay = {} if weight_decay is None else {"weight_decay": weight_decay}
    if nesterov:  # optax.nadam and optax.nadamw
        rule = NAdam if weight_decay is None else NAdamW
        return rule.optax(learning_rate, b1, b2, eps, eps_root, mu_dtype=mu_dtype, **decay,
                          **options)  # fmt: skip
    refuse(preset, "mu_dtype", mu_dtype, None, "v is kept in the parameters' dtype")
    inside = False
    if eps_root:
        refuse(
            preset, "eps", eps, 0.0,
            "descend puts ε either outside the root (eps) or inside it (eps_root), not both",
        )  # fmt: skip
        eps, inside = eps_root, True
    rule = Adam if weight_decay is None else AdamW
    return rule(learning_rate, b1, b2, eps, epsilon_inside_sqrt=inside, **decay, **options)
