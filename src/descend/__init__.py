"""descend: gradient-descent optimizers on dictionaries of NumPy arrays.

>>> import numpy as np, descend
>>> opt = descend.Adam(learning_rate=0.01)
>>> params = {"w": np.array([1.0, -2.0])}
>>> state = opt.init(params)
>>> params, state = opt.step(params, {"w": 2 * params["w"]}, state)

The optimizers need only NumPy; scikit-learn and matplotlib are imported when
a data set or a figure is asked for.
"""

from . import schedules
from .optim import GD, Adam, Momentum, Optimizer

__version__ = "0.1.0"

__all__ = ["GD", "Adam", "Momentum", "Optimizer", "__version__", "schedules"]
