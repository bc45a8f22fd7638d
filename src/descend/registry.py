"""Optimizers by name, for the command line and the estimator.

``make_optimizer("adam", 0.01)`` builds ``Adam(learning_rate=0.01)``. Names whose
class is not available (an older install) are left out of :data:`NAMES`.
"""

from __future__ import annotations

from typing import Any

from . import optim
from .optim import Optimizer

__all__ = ["DEFAULT_RATES", "NAMES", "make_optimizer"]

# name -> (class name in descend.optim, fixed keyword arguments)
_TABLE: dict[str, tuple[str, dict[str, Any]]] = {
    "gd": ("GD", {}),
    "momentum": ("Momentum", {}),
    "nesterov": ("Momentum", {"nesterov": True}),
    "adam": ("Adam", {}),
    "amsgrad": ("Adam", {"amsgrad": True}),
    "adamw": ("AdamW", {}),
    "rmsprop": ("RMSProp", {}),
    "adagrad": ("AdaGrad", {}),
}

#: A learning rate that trains a standardised MLP reasonably, per optimizer
#: (the command line's default; plain GD needs a far larger rate than Adam).
DEFAULT_RATES: dict[str, float] = {
    "gd": 0.1,
    "momentum": 0.1,
    "nesterov": 0.1,
    "adam": 0.001,
    "amsgrad": 0.001,
    "adamw": 0.001,
    "rmsprop": 0.001,
    "adagrad": 0.01,
}

NAMES: tuple[str, ...] = tuple(n for n, (cls, _) in _TABLE.items() if hasattr(optim, cls))


def make_optimizer(name: str, learning_rate: Any, **options: Any) -> Optimizer:
    """Build the optimizer called ``name`` with ``learning_rate`` and ``options``.

    Raises ``ValueError`` listing the valid names when ``name`` is unknown.
    """
    if name not in NAMES:
        raise ValueError(f"unknown optimizer {name!r} (expected one of: {', '.join(NAMES)})")
    cls, fixed = _TABLE[name]
    return getattr(optim, cls)(learning_rate, **fixed, **options)
