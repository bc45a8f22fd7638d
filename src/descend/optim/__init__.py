"""Update rules on name-keyed dicts of NumPy arrays (NumPy only)."""

from .adam import Adam, AdamW, adam_update
from .adaptive import AdaGrad, RMSProp, adagrad_update, rmsprop_update
from .base import Optimizer, Params, State, clip_by_global_norm, clip_by_value
from .sgd import GD, Momentum, gd_update, momentum_update
from .state import state_from_flat, state_to_flat

__all__ = [
    "GD",
    "AdaGrad",
    "Adam",
    "AdamW",
    "Momentum",
    "Optimizer",
    "Params",
    "RMSProp",
    "State",
    "adagrad_update",
    "adam_update",
    "clip_by_global_norm",
    "clip_by_value",
    "gd_update",
    "momentum_update",
    "rmsprop_update",
    "state_from_flat",
    "state_to_flat",
]
