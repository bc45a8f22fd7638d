"""Optional scale-out: data-parallel training on MPI, sweeps on Dask.

Nothing here is imported by ``import descend``; each module imports its engine
(``mpi4py``, ``dask.distributed``) only when used. Install with
``pip install 'descend[mpi]'`` or ``pip install 'descend[dask]'``.
"""
