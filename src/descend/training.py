"""The training loop: the one place where batches, gradients and optimizer steps meet.

Every entry point trains through :func:`train`: ``textbook.model``, ``descend
train``/``compare``/``sweep``, :class:`descend.MLPClassifier` and
``--distributed mpi``. What differs between them is plugged into its seams:

- the **gradient function** (:mod:`descend.gradients`): the network's loss and
  gradients by default, wrapped by an L2 penalty or an MPI reduction;
- the **batch source**: ``batches(epoch)``, usually a
  :class:`~descend.batching.MiniBatches` (data the compiled backend can gather
  itself);
- the **callback**, ``callback(epoch, mean_cost, params)`` after every epoch, in
  every backend; returning ``True`` stops training after that epoch (early
  stopping, :class:`~descend.stopping.EarlyStopping`, progress bars and time
  limits are callbacks);
- the **backend**: ``"numpy"`` runs the readable reference epoch below (a loop of
  ``gradients`` and ``optimizer.reference_step``), ``"numba"`` the compiled one of
  :mod:`descend.fast.engine`, ``"auto"`` the compiled one when numba is installed
  and supports the run. Both give the same batches, costs and parameters to
  rounding. When ``"auto"`` falls back to the NumPy epoch (a custom gradient
  function, parameters that are not a network), its steps are
  ``optimizer.step``, compiled where :mod:`descend.fast.step` applies.

The environment variable ``DESCEND_BACKEND`` (``numpy``, ``numba`` or ``auto``)
overrides the argument; ``DESCEND_NO_FAST=1`` is ``DESCEND_BACKEND=numpy``.
"""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from .batching import MiniBatches
from .gradients import GradientFunction, NetworkGradients
from .optim.base import Optimizer, Params, State
from .optim.checks import check_int

__all__ = ["BACKENDS", "History", "MiniBatches", "evaluation_view", "select_backend", "train"]

Batches = Callable[[int], Iterable[tuple[np.ndarray, np.ndarray]]]
#: ``callback(epoch, mean_cost, params) -> bool | None``; ``True`` stops training.
EpochCallback = Callable[[int, float, Params], "bool | None"]
BACKENDS = ("auto", "numpy", "numba")


@dataclass
class History:
    """What a run records.

    Attributes
    ----------
    costs : list of float
        The mean cost of each epoch run, in order: the cost of each batch,
        taken just before that batch's update, summed over the epoch and
        divided by the examples seen. So epoch 0's cost is measured during the
        first pass, from the initial parameters onwards.
    backend : str
        ``"numpy"`` or ``"numba"``: the backend that ran.
    reason : str
        Why that backend ran (asked for, or why the compiled one could not).
    stopped : bool
        Whether the callback asked to stop (returned ``True``), even on the
        last epoch: a caller that trains in chunks must not start another.
    """

    costs: list[float] = field(default_factory=list)
    backend: str = "numpy"
    reason: str = ""
    stopped: bool = False


class _NumpyEngine:
    """The reference epoch: a plain loop over the batches, pure optimizer steps.

    ``compiled_steps``: take ``optimizer.step`` (fused kernels where they apply)
    rather than ``optimizer.reference_step`` (NumPy only).
    """

    name = "numpy"

    def __init__(self, params, optimizer, batches, gradients, state, *, compiled_steps) -> None:
        self._params = params
        self.optimizer, self.batches, self.gradients = optimizer, batches, gradients
        self._state = optimizer.init(params) if state is None else state
        # backend="numpy" asked for the reference; "auto" falling back still gets fused steps
        self._step = optimizer.step if compiled_steps else optimizer.reference_step

    def run_epoch(self, epoch: int) -> float:
        total, seen = 0.0, 0
        for X_batch, Y_batch in self.batches(epoch):
            cost, grads = self.gradients(self._params, X_batch, Y_batch)
            self._params, self._state = self._step(self._params, grads, self._state)
            total += cost
            seen += Y_batch.shape[1]
        return total / seen

    def params(self) -> Params:
        return self._params  # new arrays each step: never written again

    current = params  # what a callback sees

    def session(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()

    def state(self) -> State:
        return self._state


def select_backend(
    backend: str,
    params: Params,
    optimizer: Optimizer,
    batches: Batches,
    gradients: GradientFunction,
) -> tuple[str, str]:
    """``(backend that will run, why)`` for a run; raises if ``"numba"`` cannot run it.

    Raises
    ------
    ValueError
        An unknown backend name, or ``"numba"`` for a run it does not support.
    ImportError
        ``"numba"`` without numba installed.
    """
    override = os.environ.get("DESCEND_BACKEND") or (
        "numpy" if os.environ.get("DESCEND_NO_FAST") else None
    )
    where = "the environment variable DESCEND_BACKEND" if override else "backend"
    backend = override or backend
    if backend not in BACKENDS:
        raise ValueError(f"Invalid {where}: {backend!r} (expected one of {', '.join(BACKENDS)})")
    if backend == "numpy":
        return "numpy", f"asked for ({where})"
    from .fast import engine  # light: numba is imported only when a compiled run starts

    why = engine.unsupported(params, optimizer, batches, gradients)
    if why is None:
        if backend == "auto":
            return "numba", "auto: the compiled backend supports this run"
        return "numba", f"asked for ({where})"
    if backend == "numba":
        if not engine.available():
            raise ImportError("backend 'numba' needs numba: pip install 'descend[fast]'")
        raise ValueError(f"backend 'numba' cannot run this: {why}")
    return "numpy", f"auto: {why}"


def train(
    params: Params,
    optimizer: Optimizer,
    batches: Batches,
    epochs: int,
    *,
    gradients: GradientFunction | None = None,
    state: State | None = None,
    callback: EpochCallback | None = None,
    backend: str = "auto",
    first_epoch: int = 0,
) -> tuple[Params, State, History]:
    """Train ``params`` for up to ``epochs`` epochs; one optimizer step per mini-batch.

    Parameters
    ----------
    params : dict
        ``W1, b1, ..., WL, bL`` (or anything ``gradients`` understands); not
        modified: new arrays are returned.
    optimizer : Optimizer
        Any descend optimizer.
    batches : callable
        ``batches(epoch)`` returns that epoch's ``(X_batch, Y_batch)`` pairs
        (examples in columns). ``Y`` with one row trains a sigmoid output, with
        ``k >= 2`` one-hot rows a softmax output. A :class:`MiniBatches` lets the
        compiled backend run whole epochs in one call.
    epochs : int
        Number of epochs to run, ``>= 0``.
    gradients : callable, optional
        ``gradients(params, X, Y) -> (summed cost, grads of the mean cost)``;
        :class:`descend.gradients.NetworkGradients` (ReLU) if omitted.
    state : dict, optional
        Optimizer state to continue from; ``optimizer.init(params)`` if omitted.
    callback : callable, optional
        ``callback(epoch, mean_cost, params)`` after each epoch, with the
        parameters after that epoch (read-only, and on the compiled backend
        views of its buffers that the next epoch overwrites: copy what you keep);
        returning ``True`` stops training there.
    backend : {"auto", "numpy", "numba"}
        Where the epochs run (see the module notes); ``history.backend`` and
        ``history.reason`` say which ran and why.
    first_epoch : int, default 0
        The number of the first epoch, passed to ``batches`` and ``callback``
        (a run resumed after ``k`` epochs passes ``k``).

    Returns
    -------
    params, state, history
        The trained parameters, the optimizer state and the :class:`History`.

    Raises
    ------
    ValueError
        A gradient holds NaN or inf (with ``on_nonfinite="raise"``), or the
        arguments are invalid; ``params`` and ``state`` are left as they were.
    """
    check_int("epochs", epochs, 0)
    check_int("first_epoch", first_epoch, 0)
    if gradients is None:
        gradients = NetworkGradients()
    name, reason = select_backend(backend, params, optimizer, batches, gradients)
    if name == "numba":
        from .fast.engine import CompiledEngine

        engine = CompiledEngine(params, optimizer, batches, gradients, state)
    else:
        engine = _NumpyEngine(
            params, optimizer, batches, gradients, state, compiled_steps=reason.startswith("auto")
        )
    history = History(backend=name, reason=reason)
    with engine.session():
        for epoch in range(first_epoch, first_epoch + epochs):
            mean_cost = engine.run_epoch(epoch)
            history.costs.append(mean_cost)
            if callback is not None and callback(epoch, mean_cost, engine.current()) is True:
                history.stopped = True
                break
    return engine.params(), engine.state(), history


def evaluation_view(
    optimizer: Optimizer, state: State
) -> tuple[Optimizer, Callable[[Params], Params]]:
    """``(optimizer to train with, evaluate)``: the point to evaluate at, inside a callback.

    :func:`train`'s callback receives the parameters, not the optimizer state,
    and most rules evaluate where they train: for them this returns
    ``(optimizer, identity)`` and changes nothing (the compiled backend still
    runs them). Schedule-Free takes its gradients at ``y`` and evaluates at
    ``x``, which needs the state (:meth:`~descend.optim.Optimizer.eval_params`):
    for such rules the optimizer returned is a copy that takes the same steps
    and keeps the last state it returned, and ``evaluate(params)`` called from
    the callback is ``optimizer.eval_params(params, that state)``. ``state`` is
    the state training starts from.
    """
    if not optimizer.evaluates_elsewhere:
        return optimizer, lambda params: params
    last = {"state": state}
    tap = copy.copy(optimizer)

    def step(params, grads, state, *, compiled):
        new_params, last["state"] = optimizer._step(params, grads, state, compiled=compiled)
        return new_params, last["state"]

    # under step and reference_step both; the class, hence the backend, is unchanged
    tap._step = step  # type: ignore[method-assign]
    return tap, lambda params: optimizer.eval_params(params, last["state"])
