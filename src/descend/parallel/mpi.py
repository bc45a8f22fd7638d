"""Data-parallel training over MPI: the communicator and the ranks' thread budget.

The training itself is :func:`descend.training.train` with the gradient function
wrapped in :class:`descend.gradients.SummedOver` (``network_gradients(comm=...)``):
every rank holds the whole data set and the same parameters, computes its
slice of each global mini-batch, and one ``Allreduce`` of a flat float64 buffer
per step sums the slices; every rank then takes the same optimizer step, so
the parameters stay identical without being sent. Both backends run it.

Communication per step: ``(P + 1)`` numbers of 8 bytes (float64) for ``P``
parameters, whatever the batch size, so scaling pays off when a step's compute
(proportional to ``n / size``) outweighs the ``Allreduce`` latency and
``2 (size-1)/size · 8P`` bytes of ring traffic.
"""

from __future__ import annotations

from typing import Any

__all__ = ["limit_blas_threads", "world"]


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
