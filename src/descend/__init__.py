"""descend: gradient-descent optimizers on dictionaries of NumPy arrays.

>>> import numpy as np, descend
>>> opt = descend.Adam(learning_rate=0.01)
>>> params = {"w": np.array([1.0, -2.0])}
>>> state = opt.init(params)
>>> params, state = opt.step(params, {"w": 2 * params["w"]}, state)

The optimizers need only NumPy. scikit-learn, matplotlib and numba are
imported when a data set, the estimator, a figure or a fast path is asked for:
``descend.MLPClassifier`` is loaded on first access.
"""

from typing import Any

from . import schedules
from .optim import (
    GD,
    LAMB,
    LARS,
    Adadelta,
    Adafactor,
    AdaGrad,
    Adam,
    Adamax,
    AdamW,
    Lion,
    Momentum,
    Muon,
    NAdam,
    NAdamW,
    Optimizer,
    Partition,
    Prodigy,
    RAdam,
    RMSProp,
    ScheduleFreeAdamW,
    ScheduleFreeSGD,
)

__version__ = "0.1.0"

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
    "Checkpoint",
    "Lion",
    "MLPClassifier",
    "Momentum",
    "Muon",
    "NAdam",
    "NAdamW",
    "Optimizer",
    "Partition",
    "Prodigy",
    "RAdam",
    "RMSProp",
    "ScheduleFreeAdamW",
    "ScheduleFreeSGD",
    "__version__",
    "check",
    "load_checkpoint",
    "load_model",
    "save_checkpoint",
    "schedules",
]


_LAZY = {  # name -> module; loaded on first access to keep `import descend` light
    "MLPClassifier": "estimator",  # imports scikit-learn
    "Checkpoint": "checkpoint",
    "check": "checker",  # the learner's checker: descend.check("my_notebook.ipynb")
    "load_checkpoint": "checkpoint",
    "load_model": "model",  # descend.load_model("model.npz").predict(X), from descend train --save
    "save_checkpoint": "checkpoint",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'descend' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
