r"""Data-parallel training over MPI: one ``Allreduce`` of a flat buffer per step.

Every rank holds the whole data set and the same parameters. Each global
mini-batch of ``n`` examples is cut into ``size`` consecutive slices of
near-equal length, rank ``r`` taking columns ``n·r//size`` to ``n·(r+1)//size``.
A rank computes the *summed* gradient and cost of its slice; one
``Allreduce(SUM)`` over a single contiguous buffer (all gradients, then the
cost) adds them up; dividing by ``n`` gives the gradient of
the mean cost over the global batch, exactly what one process computes, up to
the order of floating-point additions. Then every rank applies the same
optimizer step, so the parameters stay identical on all ranks without being
sent.

Communication per step: ``(P + 1)`` numbers of 8 bytes (float64) for ``P``
parameters, whatever the batch size, so scaling pays off when a step's compute
(proportional to ``n / size``) outweighs the ``Allreduce`` latency and
``2 (size-1)/size · 8P`` bytes of ring traffic.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..network import backward, cost, forward
from ..optim.base import Optimizer, Params, State
from ..training import Batches, EpochCallback, History

__all__ = ["allreduce_train", "limit_blas_threads", "world"]


def world() -> Any:
    """``MPI.COMM_WORLD`` (imports mpi4py; ``ImportError`` says how to install it)."""
    try:
        from mpi4py import MPI
    except ImportError as err:  # pragma: no cover - depends on the install
        raise ImportError(
            "--distributed mpi needs mpi4py and an MPI library: pip install 'descend[mpi]'"
        ) from err
    return MPI.COMM_WORLD


def limit_blas_threads(comm: Any) -> Any:
    """Share this machine's cores among the ranks on it: a ``threadpool_limits`` context.

    Each rank's BLAS would otherwise start one thread per core, and ``N`` ranks
    on one machine would run ``N`` times too many threads, which costs far more
    than the parallelism gives.
    """
    import os

    from mpi4py import MPI
    from threadpoolctl import threadpool_limits

    local = comm.Split_type(MPI.COMM_TYPE_SHARED).Get_size()
    return threadpool_limits(limits=max(1, (os.cpu_count() or 1) // local))


def allreduce_train(
    params: Params,
    optimizer: Optimizer,
    batches: Batches,
    epochs: int,
    comm: Any,
    *,
    activation: str = "relu",
    state: State | None = None,
    callback: EpochCallback | None = None,
) -> tuple[Params, State, History]:
    """:func:`descend.training.train`, with each global batch shared out over ``comm``.

    ``batches(epoch)`` must return the same global batches on every rank (the
    same seed); ``params`` must be equal on every rank.
    """
    from mpi4py import MPI

    rank, size = comm.Get_rank(), comm.Get_size()
    if state is None:
        state = optimizer.init(params)
    keys = list(params)
    shapes = [params[k].shape for k in keys]
    ends = np.cumsum([int(np.prod(s)) for s in shapes])
    buffer = np.empty(int(ends[-1]) + 1, dtype=np.float64)
    history = History()
    for epoch in range(epochs):
        total, seen = 0.0, 0
        for X_batch, Y_batch in batches(epoch):
            n = Y_batch.shape[1]
            lo, hi = n * rank // size, n * (rank + 1) // size
            buffer[:] = 0.0
            if hi > lo:
                softmax = Y_batch.shape[0] > 1
                X_local, Y_local = X_batch[:, lo:hi], Y_batch[:, lo:hi]
                _, cache = forward(X_local, params, activation, softmax=softmax)
                grads = backward(Y_local, params, cache, activation)
                start = 0
                for key, end in zip(keys, ends, strict=True):
                    buffer[start:end] = grads[key].ravel()
                    start = end
                buffer[:-1] *= hi - lo  # mean over the slice -> sum over the slice
                buffer[-1] = cost(cache, Y_local, softmax=softmax)
            comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
            summed, start = {}, 0
            for key, end, shape in zip(keys, ends, shapes, strict=True):
                summed[key] = (
                    (buffer[start:end] / n).reshape(shape).astype(params[key].dtype, copy=False)
                )
                start = end
            total += float(buffer[-1])
            params, state = optimizer.step(params, summed, state)
            seen += n
        history.costs.append(total / seen)
        if callback is not None:
            callback(epoch, total / seen, params)
    return params, state, history
