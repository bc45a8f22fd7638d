"""The one dispatch table from descend's optimizers to the compiled kernels.

Every compiled path (:class:`~descend.fast.flat.FlatOptimizer` and the compiled
training backend) asks :func:`compile_rule` how to run an optimizer: a rule code
and option flags for :func:`descend.fast.kernels.apply`, and the
hyperparameters as one float64 array. A rule missing from :data:`RULES` has no
kernel; a new optimizer becomes compiled by adding its row here and its kernel
in :mod:`descend.fast.kernels`. This module imports neither numba nor
:mod:`descend.optim`: :meth:`descend.optim.Optimizer.step` asks it whether a
kernel runs a rule, so the table names the classes instead of importing them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["RULES", "CompiledRule", "compile_rule", "supports"]

# the codes and flags of descend.fast.kernels (kept equal by tests/test_fast.py,
# so that this table needs no numba)
GD_CODE, MOMENTUM_CODE, ADAM_CODE, RMSPROP_CODE, ADAGRAD_CODE = 0, 1, 2, 3, 4
NADAM_CODE, RADAM_CODE, ADAMAX_CODE, ADADELTA_CODE, LION_CODE = 5, 6, 7, 8, 9
NESTEROV, AMSGRAD, EPS_INSIDE, EPS_HAT, DECOUPLED = 1, 2, 4, 8, 16
CONSTANT_MU = 32


@dataclass(frozen=True)
class CompiledRule:
    """How the kernels run one optimizer: ``apply(code, flags, ..., hyper, ...)``."""

    code: int
    flags: int
    #: float64 ``[beta, beta1, beta2, epsilon, weight_decay, momentum_decay, threshold,
    #: negligible]`` (unused entries 0; kernels.HP_SIZE long)
    hyper: np.ndarray


def _hyper(
    beta=0.0, beta1=0.0, beta2=0.0, epsilon=0.0, weight_decay=0.0, momentum_decay=0.0,
    threshold=0.0, negligible=0.0,
) -> np.ndarray:  # fmt: skip
    values = [beta, beta1, beta2, epsilon, weight_decay, momentum_decay, threshold, negligible]
    return np.array(values, dtype=np.float64)


def _gd(opt: Any) -> CompiledRule:
    return CompiledRule(GD_CODE, 0, _hyper())


def _momentum(opt: Any) -> CompiledRule:
    return CompiledRule(MOMENTUM_CODE, NESTEROV if opt.nesterov else 0, _hyper(beta=opt.beta))


def _adam(opt: Any) -> CompiledRule:
    flags = (
        (AMSGRAD if opt.amsgrad else 0)
        | (EPS_INSIDE if opt.epsilon_inside_sqrt else 0)
        | (EPS_HAT if opt.epsilon_hat else 0)
        | (DECOUPLED if opt._decoupled else 0)
    )
    hyper = _hyper(
        beta1=opt.beta1, beta2=opt.beta2, epsilon=opt.epsilon, weight_decay=opt.weight_decay
    )
    return CompiledRule(ADAM_CODE, flags, hyper)


def _rmsprop(opt: Any) -> CompiledRule:
    flags = EPS_INSIDE if opt.epsilon_inside_sqrt else 0
    return CompiledRule(RMSPROP_CODE, flags, _hyper(beta=opt.beta, epsilon=opt.epsilon))


def _adagrad(opt: Any) -> CompiledRule:
    return CompiledRule(ADAGRAD_CODE, 0, _hyper(epsilon=opt.epsilon))


# -- the element-wise rules of #13 -------------------------------------------------


def _nadam(opt: Any) -> CompiledRule:
    constant = opt.momentum_decay is None
    flags = (DECOUPLED if opt._decoupled else 0) | (CONSTANT_MU if constant else 0)
    hyper = _hyper(
        beta1=opt.beta1,
        beta2=opt.beta2,
        epsilon=opt.epsilon,
        weight_decay=opt.weight_decay,
        momentum_decay=0.0 if constant else opt.momentum_decay,
        negligible=opt.negligible,
    )
    return CompiledRule(NADAM_CODE, flags, hyper)


def _radam(opt: Any) -> CompiledRule:
    flags = (DECOUPLED if opt.decoupled_weight_decay else 0) | (EPS_HAT if opt.epsilon_hat else 0)
    hyper = _hyper(
        beta1=opt.beta1,
        beta2=opt.beta2,
        epsilon=opt.epsilon,
        weight_decay=opt.weight_decay,
        threshold=opt.threshold,
    )
    return CompiledRule(RADAM_CODE, flags, hyper)


def _adamax(opt: Any) -> CompiledRule:
    hyper = _hyper(
        beta1=opt.beta1, beta2=opt.beta2, epsilon=opt.epsilon, weight_decay=opt.weight_decay
    )
    return CompiledRule(ADAMAX_CODE, 0, hyper)


def _adadelta(opt: Any) -> CompiledRule:
    hyper = _hyper(beta=opt.rho, epsilon=opt.epsilon, weight_decay=opt.weight_decay)
    return CompiledRule(ADADELTA_CODE, 0, hyper)


def _lion(opt: Any) -> CompiledRule:
    hyper = _hyper(beta1=opt.beta1, beta2=opt.beta2, weight_decay=opt.weight_decay)
    return CompiledRule(LION_CODE, 0, hyper)


#: ``"module.Class"`` of an optimizer (exactly: a subclass may change the rule) -> its
#: kernel's settings
RULES: dict[str, Callable[[Any], CompiledRule]] = {
    "descend.optim.sgd.GD": _gd,
    "descend.optim.sgd.Momentum": _momentum,
    "descend.optim.adam.Adam": _adam,
    "descend.optim.adam.AdamW": _adam,
    "descend.optim.adaptive.RMSProp": _rmsprop,
    "descend.optim.adaptive.AdaGrad": _adagrad,
    "descend.optim.nadam.NAdam": _nadam,
    "descend.optim.nadam.NAdamW": _nadam,
    "descend.optim.radam.RAdam": _radam,
    "descend.optim.adamax.Adamax": _adamax,
    "descend.optim.adadelta.Adadelta": _adadelta,
    "descend.optim.lion.Lion": _lion,
}


def compile_rule(optimizer: Any) -> CompiledRule | None:
    """The kernel settings of ``optimizer``, or ``None`` if no kernel implements it."""
    cls = type(optimizer)
    make = RULES.get(f"{cls.__module__}.{cls.__qualname__}")
    return None if make is None else make(optimizer)


def supports(optimizer: Any) -> bool:
    """Whether a compiled kernel implements ``optimizer`` exactly (every option included).

    True for the classes of :data:`RULES` themselves, not for subclasses, which
    may change the rule.

    Examples
    --------
    >>> from descend import Adam
    >>> supports(Adam(amsgrad=True, clip_norm=1.0)), supports(object())
    (True, False)
    """
    return compile_rule(optimizer) is not None
