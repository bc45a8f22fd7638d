"""Update rules on name-keyed dicts of NumPy arrays (NumPy only)."""

from .adadelta import Adadelta, adadelta_update
from .adafactor import Adafactor
from .adam import Adam, AdamW, adam_update
from .adamax import Adamax, adamax_update
from .adaptive import AdaGrad, RMSProp, adagrad_update, rmsprop_update
from .base import Optimizer, Params, State, clip_by_global_norm, clip_by_value
from .lion import Lion, lion_update
from .muon import Muon, newton_schulz
from .nadam import NAdam, NAdamW, nadam_update
from .partition import Partition
from .prodigy import Prodigy
from .radam import RAdam, radam_update
from .schedule_free import ScheduleFreeAdamW, ScheduleFreeSGD
from .sgd import GD, Momentum, gd_update, momentum_update
from .state import state_from_flat, state_to_flat
from .trust import LAMB, LARS, trust_ratio

__all__ = [
    "GD",
    "LAMB",
    "LARS",
    "AdaGrad",
    "Adadelta",
    "Adafactor",
    "Adam",
    "AdamW",
    "Adamax",
    "Lion",
    "Momentum",
    "Muon",
    "NAdam",
    "NAdamW",
    "Optimizer",
    "Params",
    "Partition",
    "Prodigy",
    "RAdam",
    "RMSProp",
    "ScheduleFreeAdamW",
    "ScheduleFreeSGD",
    "State",
    "adadelta_update",
    "adagrad_update",
    "adam_update",
    "adamax_update",
    "clip_by_global_norm",
    "clip_by_value",
    "gd_update",
    "lion_update",
    "momentum_update",
    "nadam_update",
    "newton_schulz",
    "radam_update",
    "rmsprop_update",
    "state_from_flat",
    "state_to_flat",
    "trust_ratio",
]
