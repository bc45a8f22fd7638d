"""Gradient descent and momentum (the exponentially weighted average form, or Nesterov)."""

from __future__ import annotations

import numpy as np

from .base import LearningRate, Optimizer
from .checks import check_bool, check_positive, check_range
from .presets import check_torch_flags, refuse, scaled_rate

__all__ = ["GD", "Momentum", "gd_update", "momentum_update"]

_NO_DECAY = "descend's GD and Momentum have no weight decay (add λW to the gradient)"
_SAME_DTYPE = "the trace is kept in the parameters' dtype"


def gd_update(w: np.ndarray, g: np.ndarray, learning_rate: float) -> np.ndarray:
    r"""One gradient-descent step on one array.

    .. math:: W \leftarrow W - \alpha\, dW

    Examples
    --------
    >>> gd_update(np.array([1.0, 2.0]), np.array([0.5, -1.0]), 0.1)
    array([0.95, 2.1 ])
    """
    return w - learning_rate * g


def momentum_update(
    w: np.ndarray,
    g: np.ndarray,
    v: np.ndarray,
    learning_rate: float,
    beta: float,
    *,
    nesterov: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    r"""One momentum step on one array; returns ``(new_w, new_v)``.

    .. math::

        v \leftarrow \beta v + (1 - \beta)\, dW, \qquad
        W \leftarrow W - \alpha v
        \quad\text{or, with Nesterov,}\quad
        W \leftarrow W - \alpha\,(\beta v + (1 - \beta)\, dW)

    ``v`` is an exponentially weighted *average* of the gradients (the step uses
    the new ``v``; Nesterov looks one average ahead). This differs from the
    *trace* ``v = βv + dW`` of PyTorch's ``SGD(momentum=β)``: the two agree
    exactly when PyTorch is given ``lr = α(1 - β)`` and ``dampening = 0``.

    Examples
    --------
    >>> momentum_update(np.array([1.0]), np.array([2.0]), np.array([0.0]), 0.1, 0.9)
    (array([0.98]), array([0.2]))
    """
    v = beta * v + (1.0 - beta) * g
    if nesterov:
        return w - learning_rate * (beta * v + (1.0 - beta) * g), v
    return w - learning_rate * v, v


class GD(Optimizer):
    r"""Plain gradient descent: :math:`W \leftarrow W - \alpha\, dW`.

    Batch GD, stochastic GD and mini-batch GD are this same rule; they differ
    only in how many examples the gradient averages (see :mod:`descend.batching`).

    Parameters
    ----------
    learning_rate : float or callable
        α > 0, or a schedule of the number of updates already applied.
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Examples
    --------
    >>> opt = GD(learning_rate=0.1)
    >>> params = {"w": np.array([1.0, -2.0])}
    >>> state = opt.init(params)
    >>> params, state = opt.step(params, {"w": np.array([1.0, 1.0])}, state)
    >>> params["w"], state["t"]
    (array([ 0.9, -2.1]), 1)
    """

    kind = "gd"

    def update(self, w, g, *, t, learning_rate):
        return (gd_update(w, g, learning_rate),)

    @classmethod
    def torch(
        cls,
        lr: LearningRate = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        *,
        nesterov: bool = False,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
        **options,
    ) -> GD:
        """The equivalent of ``torch.optim.SGD(params, **same arguments)`` without momentum.

        Returns ``GD(lr)``. PyTorch 2.13's arguments and defaults; ``momentum``
        must be 0 (use :meth:`Momentum.torch`), and so must ``weight_decay``
        (descend's GD has no decay: add ``λW`` to the gradient, e.g. with
        :class:`descend.gradients.L2Penalty`). ``dampening`` does nothing without
        momentum, as in PyTorch. ``foreach``, ``differentiable`` and ``fused``
        are accepted and ignored; ``maximize=True`` is refused.

        Examples
        --------
        >>> GD.torch(lr=0.1)
        GD(learning_rate=0.1, on_nonfinite='raise')
        """
        del foreach, differentiable, fused, dampening  # no effect on GD's steps
        preset = f"{cls.__name__}.torch"
        check_torch_flags(preset, maximize=maximize)
        refuse(preset, "momentum", momentum, 0, "GD has no momentum: use Momentum.torch")
        refuse(preset, "nesterov", nesterov, False, "GD has no momentum: use Momentum.torch")
        refuse(preset, "weight_decay", weight_decay, 0, _NO_DECAY)
        return cls(lr, **options)

    @classmethod
    def optax(
        cls,
        learning_rate: LearningRate,
        momentum: float | None = None,
        *,
        nesterov: bool = False,
        accumulator_dtype: object = None,
        **options,
    ) -> GD:
        """The equivalent of ``optax.sgd(learning_rate, **same arguments)`` without momentum.

        Returns ``GD(learning_rate)``; ``momentum`` must be ``None`` or 0 (use
        :meth:`Momentum.optax`). ``accumulator_dtype`` (the trace's dtype) is
        accepted and ignored: without momentum there is no trace.

        Examples
        --------
        >>> GD.optax(0.1).learning_rate
        0.1
        """
        del accumulator_dtype  # no trace without momentum
        preset = f"{cls.__name__}.optax"
        refuse(preset, "momentum", momentum or None, None, "GD has no momentum: use Momentum.optax")
        refuse(preset, "nesterov", nesterov, False, "GD has no momentum: use Momentum.optax")
        return cls(learning_rate, **options)


class Momentum(Optimizer):
    r"""Gradient descent with momentum, as an exponentially weighted average.

    .. math::

        v \leftarrow \beta v + (1 - \beta)\, dW, \qquad W \leftarrow W - \alpha v

    with ``v`` starting at zero. With ``nesterov=True`` the step looks ahead:
    :math:`W \leftarrow W - \alpha(\beta v + (1 - \beta)\, dW)` with the new ``v``.
    With ``beta = 0`` both are :class:`GD`.

    Parameters
    ----------
    learning_rate : float or callable
        α > 0, or a schedule of the number of updates already applied.
    beta : float, default 0.9
        Momentum, ``0 <= beta < 1``: the weight of the past in the average
        (it averages over roughly ``1 / (1 - beta)`` steps).
    nesterov : bool, default False
        Use Nesterov's look-ahead step.
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    ``v`` is an *average* (``v = βv + (1-β)dW``), not a *trace* (``v = βv + dW``)
    as in PyTorch, nor a velocity holding α (``v = βv - α·dW; W += v``) as in
    Keras and scikit-learn. Exact equivalences (see :meth:`torch`, :meth:`keras`):

    - PyTorch ``SGD(lr=α·(1-β), momentum=β, dampening=0, nesterov=n)`` step for
      step, for any learning-rate schedule. PyTorch's ``dampening=β`` is *not*
      the same: PyTorch stores the first gradient undamped.
    - Keras ``SGD(learning_rate=α·(1-β), momentum=β, nesterov=n)`` and
      scikit-learn's ``SGDOptimizer`` alike, for a *constant* rate only: they
      keep α inside the buffer, so a change of α acts later than here.
    """

    kind = "momentum"
    slots = ("v",)

    def __init__(
        self,
        learning_rate: LearningRate,
        beta: float = 0.9,
        *,
        nesterov: bool = False,
        **options,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.beta = check_range("beta", beta, 0.0, 1.0)
        self.nesterov = check_bool("nesterov", nesterov)

    def update(self, w, g, v, *, t, learning_rate):
        return momentum_update(w, g, v, learning_rate, self.beta, nesterov=self.nesterov)

    @classmethod
    def torch(
        cls,
        lr: LearningRate = 1e-3,
        momentum: float = 0,
        *,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
        **options,
    ) -> Momentum:
        """The equivalent of ``torch.optim.SGD(params, **same arguments)`` (PyTorch 2.13).

        Returns ``Momentum(lr / (1 - momentum), beta=momentum, nesterov=nesterov)``.
        PyTorch's trace ``b = βb + dW`` is ``v / (1-β)``, so the two take the same
        steps, also under a schedule (``lr`` may be a callable of the update
        count; it is scaled by ``1 / (1 - momentum)``). ``momentum=0`` gives
        plain gradient descent (β = 0). ``dampening`` must be 0 (PyTorch stores
        its first gradient undamped, which no average does) and so must
        ``weight_decay`` (add ``λW`` to the gradient instead, e.g. with
        :class:`descend.gradients.L2Penalty`). ``foreach``, ``differentiable``
        and ``fused`` are accepted and ignored; ``maximize=True`` is refused.

        Examples
        --------
        >>> Momentum.torch(lr=0.01, momentum=0.9)
        Momentum(learning_rate=0.10000000000000002, on_nonfinite='raise', beta=0.9, nesterov=False)
        """
        del foreach, differentiable, fused  # how PyTorch computes, not what
        preset = f"{cls.__name__}.torch"
        check_torch_flags(preset, maximize=maximize)
        refuse(preset, "dampening", dampening, 0, "PyTorch's first buffer is undamped")
        refuse(preset, "weight_decay", weight_decay, 0, _NO_DECAY)
        beta = check_range("momentum", momentum, 0.0, 1.0)
        if nesterov and beta == 0:
            raise ValueError(f"{preset}: Nesterov momentum requires a momentum (got 0)")
        return cls(
            scaled_rate("lr", lr, 1.0 / (1.0 - beta)), beta=beta, nesterov=nesterov, **options
        )

    @classmethod
    def optax(
        cls,
        learning_rate: LearningRate,
        momentum: float | None = None,
        *,
        nesterov: bool = False,
        accumulator_dtype: object = None,
        **options,
    ) -> Momentum:
        """The equivalent of ``optax.sgd(learning_rate, **same arguments)`` (Optax 0.2.8).

        Optax's ``trace`` is PyTorch's (``b = μb + dW``, Nesterov
        ``dW + μb``), so this is :meth:`torch` with ``lr = learning_rate``:
        ``Momentum(learning_rate / (1 - momentum), beta=momentum, nesterov=...)``.
        ``momentum=None`` gives β = 0 (plain gradient descent).
        ``accumulator_dtype`` must be ``None`` (the trace is kept in the
        parameters' dtype).

        Examples
        --------
        >>> Momentum.optax(0.01, momentum=0.9).beta
        0.9
        """
        preset = f"{cls.__name__}.optax"
        refuse(preset, "accumulator_dtype", accumulator_dtype, None, _SAME_DTYPE)
        beta = 0.0 if momentum is None else check_range("momentum", momentum, 0.0, 1.0)
        rate = scaled_rate("learning_rate", learning_rate, 1.0 / (1.0 - beta))
        return cls(rate, beta=beta, nesterov=nesterov, **options)

    @classmethod
    def keras(
        cls, learning_rate: float, momentum: float, *, nesterov: bool = False, **options
    ) -> Momentum:
        """The equivalent of Keras ``SGD(learning_rate, momentum, nesterov)``.

        Also scikit-learn's ``MLPClassifier(solver="sgd", learning_rate="constant",
        momentum=..., nesterovs_momentum=...)`` update. Keras keeps the rate in
        its buffer (``m = βm - α·dW``), which equals this class only for a
        constant rate, so ``learning_rate`` must be a number here.

        Examples
        --------
        >>> Momentum.keras(learning_rate=0.01, momentum=0.5).learning_rate
        0.02
        """
        if callable(learning_rate):
            raise TypeError(
                "learning_rate must be a number for Momentum.keras: Keras keeps the rate "
                "inside its momentum buffer, which equals descend's only at a constant rate"
            )
        beta = check_range("momentum", momentum, 0.0, 1.0)
        rate = check_positive("learning_rate", learning_rate) / (1.0 - beta)
        return cls(rate, beta=beta, nesterov=nesterov, **options)
