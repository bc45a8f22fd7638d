"""The public ``Optimizer.step`` on compiled kernels: fused, out of place, on dicts of arrays.

With numba installed, ``descend.Adam(...).step(params, grads, state)`` (and the
step of every rule of :data:`descend.fast.rules.RULES`) runs :func:`fused_step`
instead of the NumPy reference, and keeps the reference's contract:

- *new arrays*: the new parameters and slots are views into fresh flat buffers,
  one per slot and dtype, which no input shares;
- *inputs untouched*: the kernels only read ``params``, ``grads`` and ``state``;
- *a failed step changes nothing*: a non-finite gradient or an overflow is
  found by the same pass that computes the update (:func:`kernels.apply_out`),
  and the new buffers are then dropped.

The result equals the reference to rounding (bit for bit for GD, Momentum,
RMSProp and AdaGrad; a few ulps for the Adam family, whose bias corrections the
kernels fold into two per-step scalars, as PyTorch's fused kernel does).
``tests/test_fast.py`` holds the two paths together.

*Recycled buffers.* A step writes about 12 bytes per Adam parameter into new
memory. Memory fresh from the operating system costs a page fault and a zeroing
pass per page, which made an out-of-place step at 10M parameters about four times
slower than the arithmetic. Each optimizer therefore keeps the flat buffers it
handed out and reuses one once nothing refers to it any more (no returned view,
nor any view of one, is alive: its reference count says so). In a training loop
``params, state = opt.step(params, grads, state)`` three generations of
buffers circulate; a one-off step keeps one spare generation until the optimizer
is dropped.

This module imports neither numba (until a step runs) nor :mod:`descend.optim`,
which calls it.
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
import weakref
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import numpy as np

from .rules import compile_rule

__all__ = ["PARALLEL_THRESHOLD", "Fused", "enabled", "fused_step"]

#: Steps over at least this many elements in all run on several threads.
PARALLEL_THRESHOLD = 1 << 18
#: Arrays longer than this are cut into ranges of this many elements, one job each.
_CHUNK = 1 << 17
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_AVAILABLE: bool | None = None


def enabled() -> bool:
    """Whether ``Optimizer.step`` may run compiled: numba is importable and not switched off.

    ``DESCEND_NO_FAST=1`` or ``DESCEND_BACKEND=numpy`` keep every step on the
    NumPy reference, as they keep training on the NumPy backend.
    """
    global _AVAILABLE
    if os.environ.get("DESCEND_NO_FAST") or os.environ.get("DESCEND_BACKEND") == "numpy":
        return False
    if _AVAILABLE is None:
        _AVAILABLE = importlib.util.find_spec("numba") is not None
    return _AVAILABLE


class Fused(NamedTuple):
    """What :func:`fused_step` computed, for :meth:`descend.optim.Optimizer.step` to finish."""

    #: The first key (in dict order) whose gradient is not finite; then nothing else is set.
    bad_grad: str | None
    learning_rate: float
    new_params: dict[str, np.ndarray]
    new_slots: dict[str, dict[str, np.ndarray]]
    #: Whether some new value is not finite (finite inputs: the arithmetic overflowed).
    overflowed: bool


class _Recycler:
    """Flat buffers handed out as views, taken back once nothing refers to them."""

    def __init__(self) -> None:
        self.pools: dict[tuple[np.dtype, int], list[np.ndarray]] = {}

    def take(self, dtype: np.dtype, n: int, cap: int) -> np.ndarray:
        pool = self.pools.setdefault((dtype, n), [])
        for buffer in pool:
            # references: the pool's list, this loop's name, getrefcount's argument
            if sys.getrefcount(buffer) == 3:
                return buffer
        buffer = np.empty(n, dtype)
        if len(pool) < cap:
            pool.append(buffer)
        return buffer


_RECYCLERS: weakref.WeakKeyDictionary[Any, _Recycler] = weakref.WeakKeyDictionary()


def _recycler(optimizer: Any) -> _Recycler:
    try:
        return _RECYCLERS[optimizer]
    except KeyError:
        return _RECYCLERS.setdefault(optimizer, _Recycler())
    except TypeError:  # not weakly referenceable: no recycling
        return _Recycler()


def _flat(a: np.ndarray) -> np.ndarray:
    """``a`` as a 1-D C-contiguous array: a view where it can be, else a copy."""
    if a.ndim == 1 and a.flags.c_contiguous:
        return a
    return np.ascontiguousarray(a).reshape(-1)


_POOL: list[ThreadPoolExecutor] = []


#: The cores this process may run on (the threads of a big step).
def cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


N_THREADS = min(cores(), 8)


def _run_jobs(apply, rule, jobs, use_clip, use_scale, total) -> list[int]:
    """Run ``apply`` on each job, the jobs dealt round-robin to :data:`N_THREADS` threads.

    The kernels release the GIL (``nogil``), so Python threads run them in
    parallel: the calling thread takes one share, a pool the others. An
    out-of-place step is bound by memory bandwidth, which one core does not
    saturate (1M float32 Adam parameters in 100 arrays: about 2.0 ms on one
    thread, 1.2 ms on two). Below :data:`PARALLEL_THRESHOLD` elements the
    hand-off costs more than it gains. No BLAS runs meanwhile, so no pools fight.
    """

    def run(part):
        return [
            apply(rule.code, rule.flags, mode, ins, outs, g, sc, use_clip, use_scale)
            for _, ins, outs, g, sc, mode in part
        ]

    n = min(N_THREADS, len(jobs))
    if total < PARALLEL_THRESHOLD or n == 1:
        return run(jobs)
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(N_THREADS - 1, thread_name_prefix="descend-step"))
    futures = [_POOL[0].submit(run, jobs[i::n]) for i in range(1, n)]
    statuses = [0] * len(jobs)
    statuses[0::n] = run(jobs[0::n])
    for i, future in enumerate(futures, start=1):
        statuses[i::n] = future.result()
    return statuses


def fused_step(
    optimizer: Any,
    params: Mapping[str, np.ndarray],
    grads: Mapping[str, np.ndarray],
    state: Mapping[str, Any],
    t: int,
) -> Fused | None:
    """One step of ``optimizer`` on compiled kernels, or ``None`` where they do not apply.

    ``params``, ``grads`` and ``state`` have passed the reference's checks; ``t``
    is the number of updates already applied. ``None`` (the caller runs the NumPy
    reference) when numba is missing or switched off, when no kernel implements
    the optimizer exactly (a subclass, a rule of the reference only), or for
    dtypes other than float32 and float64. Raises what ``optimizer.rate`` raises
    for an invalid scheduled rate, unless a gradient is not finite (which the
    reference reports first).
    """
    if not enabled():
        return None
    rule = compile_rule(optimizer)
    if rule is None:
        return None
    sizes: dict[np.dtype, int] = {}
    for w in params.values():
        dt = w.dtype
        if dt is not _F32 and dt is not _F64:  # also a non-native byte order: the reference
            return None
        sizes[dt] = sizes.get(dt, 0) + w.size
    slots = optimizer.slots
    slot_dicts = [state[s] for s in slots]
    for d in slot_dicts:
        if any(d[key].dtype is not w.dtype for key, w in params.items()):
            return None
    from . import kernels  # numba, on the first compiled step only

    def flat_grads():
        return ((k, _flat(grads[k]).astype(w.dtype, copy=False)) for k, w in params.items())

    use_clip = optimizer.clip_value is not None
    clip = optimizer.clip_value if use_clip else 0.0
    total = 0.0
    if optimizer.clip_norm is not None:  # the global norm needs every gradient first
        for key, g in flat_grads():
            finite, sumsq = kernels.grad_stats(g, clip, use_clip, g.size >= PARALLEL_THRESHOLD)
            if not finite:
                return Fused(key, 0.0, {}, {}, False)
            total += sumsq
    try:
        learning_rate = optimizer.rate(t)
    except ValueError:
        for key, g in flat_grads():  # the reference checks the gradients first
            if not kernels.all_finite(g, False):
                return Fused(key, 0.0, {}, {}, False)
        raise
    scale, use_scale = 1.0, False
    if optimizer.clip_norm is not None:
        coef = optimizer.clip_norm / (math.sqrt(total) + 1e-6)
        scale, use_scale = coef, coef < 1.0

    recycler = _recycler(optimizer)
    names = ("", *slots)
    cap = 3 * len(names)
    buffers = {dt: [recycler.take(dt, n, cap) for _ in names] for dt, n in sizes.items()}
    scalars = {}
    for dt in sizes:
        sc = np.empty(16, dt)
        mode = kernels.scalars(rule.code, rule.flags, rule.hyper, sc, t + 1, learning_rate, clip,
                               scale)  # fmt: skip
        scalars[dt] = (sc, mode)
    new_params: dict[str, np.ndarray] = {}
    new_slots: dict[str, dict[str, np.ndarray]] = {s: {} for s in slots}
    new_slot_dicts = list(new_slots.values())
    offsets = dict.fromkeys(sizes, 0)
    pad = 4 - len(names)
    jobs = []  # (key, ins, outs, gradient, sc, mode): the kernel's arguments, one range each
    for key, w in params.items():
        dt, n, shape = w.dtype, w.size, w.shape
        o = offsets[dt]
        offsets[dt] = o + n
        g = grads[key]
        g = _flat(g if g.dtype is dt else g.astype(dt))
        ins = [_flat(w), *[_flat(d[key]) for d in slot_dicts]]
        out = [b[o : o + n] for b in buffers[dt]]
        if len(shape) == 1:
            new_params[key] = out[0]
            for d, array in zip(new_slot_dicts, out[1:], strict=True):
                d[key] = array
        else:
            new_params[key] = out[0].reshape(shape)
            for d, array in zip(new_slot_dicts, out[1:], strict=True):
                d[key] = array.reshape(shape)
        if pad:
            empty = g[:0]
            ins += [empty] * pad
            out += [empty] * pad
        sc, mode = scalars[dt]
        if n <= _CHUNK:
            jobs.append((key, tuple(ins), tuple(out), g, sc, mode))
            continue
        for a in range(0, n, _CHUNK):  # a big array in ranges, for the threads
            z = a + _CHUNK
            jobs.append((key, tuple(x[a:z] for x in ins), tuple(x[a:z] for x in out), g[a:z],
                         sc, mode))  # fmt: skip
    statuses = _run_jobs(kernels.apply_out, rule, jobs, use_clip, use_scale, sum(sizes.values()))
    if kernels.GRAD_NONFINITE in statuses:
        return Fused(jobs[statuses.index(kernels.GRAD_NONFINITE)][0], learning_rate, {}, {}, False)
    overflowed = kernels.RESULT_NONFINITE in statuses
    if overflowed:  # a non-finite gradient, or the arithmetic overflowed
        for key, g in flat_grads():
            if not kernels.all_finite(g, False):
                return Fused(key, learning_rate, {}, {}, False)
    return Fused(None, learning_rate, new_params, new_slots, overflowed)
