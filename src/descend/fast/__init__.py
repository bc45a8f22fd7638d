"""Compiled fast paths: fused update kernels on flat buffers, and a compiled training loop.

Install with ``pip install descend[fast]`` (numba). Nothing here imports numba
until a fast path actually runs, so ``import descend`` stays as light as NumPy.

Design
------
*Flat buffers.* :class:`FlatOptimizer` copies the parameters, the gradients and
every state slot into one contiguous 1-D buffer per dtype (:class:`FlatLayout`;
arrays packed in dict order, no padding). ``opt.params``, ``opt.grads`` and the
slots of ``opt.state`` are dicts of *views* into those buffers, keyed like the
params, so NumPy code reads and writes them as usual, while ``opt.step()``
runs one fused kernel per buffer: gradient clipping, moments, bias correction
and the update in a single pass, touching each byte once. A pre-pass reads the
gradients once to check that they are finite (and to get the global norm for
``clip_norm``), so that a step that raises or skips changes nothing, as in the
reference. No single in-place pass can promise that: by the time a NaN shows
up, earlier elements are overwritten, and Adam's rounded update cannot be undone
exactly without a copy of the old values (more traffic than the pre-pass). The
pre-pass is therefore made cheap instead: one vectorised read of the gradients
(4 of Adam's 32 bytes per parameter), in parallel for big buffers, visiting
blocks backwards so that the update's first reads still find them in cache.
``check_finite=False`` drops it, as PyTorch and Optax do. ``FlatOptimizer`` is
the in-place step, for users who accept mutation; it must equal the NumPy
reference (``Optimizer.reference_step``, ``tests/test_fast.py``)::

    from descend.fast import FlatOptimizer
    opt = FlatOptimizer(descend.Adam(1e-3), params)   # params copied into buffers
    for X, Y in data:
        write_gradients_into(opt.grads, opt.params, X, Y)  # e.g. np.matmul(..., out=)
        opt.step()                                    # in place, one kernel

*Kernels.* :mod:`descend.fast.kernels` holds one numba kernel per rule family
(GD, Momentum with Nesterov, Adam with AMSGrad, both weight decays and the three
ε placements, RMSProp with ε in or out of the root, AdaGrad; NAdam with or without
its momentum schedule, RAdam in both ε forms, Adamax, Adadelta, Lion), written
element by element with scalars
rounded to the buffer's dtype, and one dispatcher, ``apply``, compiled twice:
single-threaded and ``parallel=True``. :mod:`descend.fast.rules` is the one table
that maps an optimizer to its kernel. GD, Momentum, RMSProp and AdaGrad follow
the reference's order of operations to the last bit; Adam folds its bias
corrections into two per-step scalars (one division and one square root per
element, as PyTorch's fused kernel), which agrees with the reference to a few
ulps of the update. ``FlatOptimizer`` uses the parallel twin for buffers of at
least ``flat.PARALLEL_THRESHOLD`` elements (``parallel=`` overrides it).

*The public step.* With numba installed, ``descend.Adam(...).step(params, grads,
state)`` and the step of every rule in the table run :mod:`descend.fast.step`:
the same kernels, out of place (they read the inputs and write new flat buffers,
handed out as views and recycled once nothing refers to them), with the finite
check folded into the pass, on a thread per core for big steps. The contract of
the reference holds (new arrays, inputs untouched, a failed step changes
nothing); ``Optimizer.reference_step`` is the NumPy reference, and
``DESCEND_NO_FAST=1`` puts every step back on it.

*Training backend.* :func:`descend.training.train` (and through it
``textbook.model``, ``descend train``, ``compare``, ``sweep`` and the estimator)
runs on :class:`descend.fast.engine.CompiledEngine` when ``backend`` is
``"numba"``, or ``"auto"`` and the run is supported: any registered rule and
option, relu/tanh/logistic/identity hidden layers, an L2 penalty, an MPI
reduction, float32 or float64. With a :class:`descend.batching.MiniBatches`
each epoch is one compiled call, shuffles included (a compiled MT19937 gives
``RandomState(seed).permutation`` exactly); other batch sources give one
compiled gradient and step per batch. The loop's kernels are single-threaded:
numba ``parallel=True`` threads next to live OpenBLAS threads oversubscribe
small machines.

Caching: numba caches each compiled function beside its source
(``__pycache__/*.nbi``, ``*.nbc``) and checks only that function's own file. The
training loop in ``net.py`` inlines the rule kernels of ``kernels.py``, so after
editing ``kernels.py`` in a checkout, delete ``src/descend/fast/__pycache__`` (an
install from a release rewrites every file and is not affected).

Threading: ``FlatOptimizer``'s parallel kernels use numba's threading layer and
``numba.set_num_threads``; ``Optimizer.step`` deals big steps to a Python thread
per core (its kernels release the GIL). BLAS products inside the training loop
use the BLAS that numba links (SciPy's OpenBLAS); during a training call every
BLAS pool runs the thread count that :class:`descend.fast.engine.BlasThreads`
measures fastest, epoch by epoch: every core on a quiet machine, one thread
beside a busy process, one thread for MPI ranks.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FlatLayout", "FlatOptimizer", "available", "supports"]


def available() -> bool:
    """Whether the fast paths can run (numba importable); does not import numba."""
    from .engine import available as _available

    return _available()


def __getattr__(name: str) -> Any:
    if name in ("FlatLayout", "FlatOptimizer"):
        from . import flat

        return getattr(flat, name)
    if name == "supports":
        from .rules import supports

        return supports
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
