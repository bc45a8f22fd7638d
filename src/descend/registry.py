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

# -- the modern pack (issue 13): element-wise rules --
_TABLE.update(
    {
        "nadam": ("NAdam", {}),
        "nadamw": ("NAdamW", {}),
        "radam": ("RAdam", {}),
        "adamax": ("Adamax", {}),
        "adadelta": ("Adadelta", {}),
        "lion": ("Lion", {}),
    }
)
DEFAULT_RATES.update(
    {
        "nadam": 0.002,  # PyTorch's default for NAdam and Adamax (the papers')
        "nadamw": 0.002,
        "radam": 0.001,
        "adamax": 0.002,
        "adadelta": 1.0,  # Zeiler's rule, PyTorch's default: the step sets its own size
        "lion": 0.0003,  # every element moves by ±α: 3-10 times smaller than Adam's
    }
)

# -- the modern pack (issue 13): matrix, Schedule-Free and learning-rate-free rules --
_TABLE.update(
    {
        "adafactor": ("Adafactor", {}),
        "lamb": ("LAMB", {}),
        "lars": ("LARS", {}),
        "sf_sgd": ("ScheduleFreeSGD", {}),
        "sf_adamw": ("ScheduleFreeAdamW", {}),
        "prodigy": ("Prodigy", {}),
    }
)
DEFAULT_RATES.update(
    {
        "adafactor": 0.03,
        "lamb": 0.01,
        "lars": 1.0,
        "sf_sgd": 1.0,  # schedulefree's default
        "sf_adamw": 0.01,
        "prodigy": 1.0,  # learning-rate-free: 1 lets its estimate d set the step
        "muon": 0.01,  # Muon's step matched to AdamW's RMS: one rate serves both groups
    }
)
_PARTITION_OPTIONS = ("clip_norm", "clip_value", "on_nonfinite")


def _is_hidden_weight(name: str, w: Any) -> bool:
    return name.startswith("W") and getattr(w, "ndim", 0) == 2


def _muon(learning_rate: Any, **options: Any) -> Optimizer:
    """Muon for the 2-D weights ``W*``, AdamW for the rest, one learning rate for both.

    Muon's step is scaled to AdamW's RMS (``consistent_rms=0.2``, Moonshot's recipe),
    so the same rate and weight decay (0.01) suit both groups. Clipping and
    ``on_nonfinite`` apply to the whole partition; other options go to Muon.
    """
    outer = {k: options.pop(k) for k in _PARTITION_OPTIONS if k in options}
    muon = optim.Muon(learning_rate, **{"consistent_rms": 0.2, "weight_decay": 0.01, **options})
    return optim.Partition(
        {
            "muon": (_is_hidden_weight, muon),
            "adamw": (lambda name, w: not _is_hidden_weight(name, w), optim.AdamW(learning_rate)),
        },
        **outer,
    )


#: names built by a function (several rules) rather than by one class
_BUILDERS = {"muon": _muon}

NAMES: tuple[str, ...] = tuple(n for n, (cls, _) in _TABLE.items() if hasattr(optim, cls)) + tuple(
    _BUILDERS
)


def make_optimizer(name: str, learning_rate: Any, **options: Any) -> Optimizer:
    """Build the optimizer called ``name`` with ``learning_rate`` and ``options``.

    Raises ``ValueError`` listing the valid names when ``name`` is unknown.
    """
    if name not in NAMES:
        raise ValueError(f"unknown optimizer {name!r} (expected one of: {', '.join(NAMES)})")
    if name in _BUILDERS:
        return _BUILDERS[name](learning_rate, **options)
    cls, fixed = _TABLE[name]
    return getattr(optim, cls)(learning_rate, **fixed, **options)
