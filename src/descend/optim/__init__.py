"""Update rules on name-keyed dicts of NumPy arrays (NumPy only)."""

from .adam import Adam, adam_update
from .base import Optimizer, Params, State, clip_by_global_norm, clip_by_value
from .sgd import GD, Momentum, gd_update, momentum_update

__all__ = [
    "GD",
    "Adam",
    "Momentum",
    "Optimizer",
    "Params",
    "State",
    "adam_update",
    "clip_by_global_norm",
    "clip_by_value",
    "gd_update",
    "momentum_update",
]
