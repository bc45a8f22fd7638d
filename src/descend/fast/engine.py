"""The compiled backend of :func:`descend.training.train`: one epoch at a time, in numba.

:func:`unsupported` says, before anything runs, why a run cannot be compiled
(``None`` when it can); :class:`CompiledEngine` then runs it epoch by epoch for
the training loop, which keeps the epochs, the callbacks and the history. Two
modes, chosen from the batch source:

- a :class:`descend.batching.MiniBatches` (single process): each epoch is one
  compiled call that gathers its batches itself (the course's legacy shuffle is
  recomputed by a compiled MT19937, so its batches come out exactly);
- any other callable of the epoch, or a :class:`descend.gradients.SummedOver`
  gradient (MPI): the batches come from Python, and each is one compiled
  gradient (of this rank's slice, summed over the ranks by one ``Allreduce``)
  and one compiled step.

Everything lives in flat buffers (:class:`~descend.fast.flat.FlatLayout`); the
rule is chosen by the one table of :mod:`descend.fast.rules`. Data are cast to
the parameters' dtype. This module never imports :mod:`descend.training`.
"""

from __future__ import annotations

import importlib.util
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..batching import MiniBatches
from ..gradients import L2Penalty, NetworkGradients, SummedOver
from ..optim import Optimizer
from ..optim.base import Params, State
from ..optim.checks import check_params, check_slots, first_nonfinite
from .flat import FlatLayout
from .rules import compile_rule
from .step import cores

__all__ = ["BlasThreads", "CompiledEngine", "available", "single_threaded_blas", "unsupported"]

_AVAILABLE: bool | None = None
_CONTROLLER: Any = None


def _controller() -> Any:
    """threadpoolctl's view of the BLAS libraries, numba's (SciPy's) loaded first."""
    global _CONTROLLER
    if _CONTROLLER is None:
        import scipy.linalg.cython_blas  # noqa: F401  (load numba's BLAS before looking)
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


def single_threaded_blas() -> Any:
    """A context in which every BLAS thread pool of the process runs one thread.

    The base of the compiled backend's thread policy. numba's ``np.dot`` calls the
    OpenBLAS inside SciPy, NumPy's calls the one inside NumPy; each keeps its own
    pool of spinning threads, and a loop that uses both (or runs beside another
    busy process) makes them fight for the cores: on 2 cores the MLP step took
    5-25 ms instead of 1.5 ms. The training loop enters it once per call (about
    30 µs with threadpoolctl; the libraries are found once); :class:`BlasThreads`
    then gives BLAS more threads epoch by epoch, where that is faster.
    """
    return _controller().limit(limits=1, user_api="blas")


class BlasThreads:
    """How many threads BLAS runs, epoch by epoch: ``most`` (every core) or 1.

    One per network shape, batch size and dtype for the whole process
    (``_POLICIES``), so that what one training call measured serves the next:
    ``partial_fit`` trains one epoch a call.

    Inside a compiled epoch the only BLAS calls are numba's (SciPy's OpenBLAS),
    so the pools cannot fight there, and on a quiet machine the products can take
    every core: the MLP step took 1.9 ms with every pool on one thread, 1.2 ms with
    every pool on two, at the two-thread GEMM floor. (Two threads for SciPy's pool
    and one for NumPy's, idle meanwhile, measured 1.2 ms or 2.3 ms from run to run,
    so every pool gets the same count.) Beside another busy process, two threads
    wait for each other's core at every product (3.3 times slower, against 1.3
    times on one thread).

    Which holds is measured, not guessed. Training starts on ``most`` threads (the
    first epoch warms up and is not timed). The other count is tried for one epoch
    (a probe) at epoch :attr:`FIRST_PROBE`, every :attr:`PROBE` epochs after, and
    after two epochs in a row on ``most`` that ran :attr:`SLOWER` times slower per
    example than the best seen (another process started; one slow epoch is the
    machine's noise). The probe wins if it beats the better of the current
    count's last two epochs. A probe costs one epoch at the slower count, so a training
    call of three epochs or fewer on a quiet machine never pays one. On one thread
    a slowdown triggers no probe (a load that comes and goes would draw it back
    into the worse count); the periodic probes bring ``most`` back once the
    neighbour has left. ``most`` is 1 (no choice) for MPI ranks, which share the
    machine.
    """

    #: The epoch of the first probe, then every ``PROBE`` epochs.
    FIRST_PROBE, PROBE = 3, 16
    #: A slowdown per example (against the best seen for the count) that triggers a probe.
    SLOWER = 1.3

    def __init__(self, most: int) -> None:
        self.options = (most, 1) if most > 1 else (1,)
        self.choice = self.planned = self.options[0]
        self.recent: dict[int, list[float]] = {}  # threads -> its last two seconds per example
        self.best: dict[int, float] = {}  # threads -> the fewest seconds per example
        self.epochs = 0
        self.current = 1  # single_threaded_blas() sets every pool to 1

    def choose(self) -> int:
        """The thread count for the next epoch, set on every BLAS pool."""
        threads = self.planned
        if threads != self.current:
            for lib in _controller().lib_controllers:
                if lib.user_api == "blas":
                    lib.set_num_threads(threads)
            self.current = threads
        return threads

    def record(self, threads: int, seconds: float, examples: int) -> None:
        """The epoch just run took ``seconds`` for ``examples`` examples on ``threads``."""
        first = self.epochs == 0
        self.epochs += 1
        if first or not examples or len(self.options) == 1:
            return
        x = seconds / examples
        recent = self.recent.setdefault(threads, [])
        recent[:] = [*recent[-1:], x]
        if threads != self.choice:  # a probe: the faster wins, and its level is the norm
            if x < min(self.recent.get(self.choice, [math.inf])):
                self.choice = threads
            self.best[self.choice] = min(self.recent[self.choice])
            self.planned = self.choice
            return
        self.best[threads] = min(x, self.best.get(threads, x))
        due = self.epochs == self.FIRST_PROBE or self.epochs % self.PROBE == 0
        most, one = self.options
        # only threads that wait for each other read a slowdown as a neighbour (one
        # thread under a fluctuating load would probe into the worse choice), and only
        # two slow epochs in a row: one is the machine's noise
        slowed = (
            threads == most and len(recent) == 2 and min(recent) > self.SLOWER * self.best[threads]
        )
        self.planned = (one if threads == most else most) if (due or slowed) else threads


#: The thread policy of each network shape, batch size and dtype trained so far.
_POLICIES: dict[tuple, BlasThreads] = {}


def available() -> bool:
    """Whether numba can be imported (checked once, without importing it)."""
    global _AVAILABLE
    if _AVAILABLE is None:
        _AVAILABLE = importlib.util.find_spec("numba") is not None
    return _AVAILABLE


def network_dims(params: Any) -> list[int] | None:
    """``[n_0, ..., n_L]`` if ``params`` is exactly ``W1, b1, ..., WL, bL`` of one float dtype."""
    if not isinstance(params, dict) or not params or len(params) % 2:
        return None
    L = len(params) // 2
    if set(params) != {f"{p}{l}" for p in "Wb" for l in range(1, L + 1)}:
        return None
    arrays = list(params.values())
    if not all(isinstance(a, np.ndarray) for a in arrays):
        return None
    dtype = arrays[0].dtype
    if dtype not in (np.float32, np.float64) or any(a.dtype != dtype for a in arrays):
        return None
    if params["W1"].ndim != 2:
        return None
    dims = [params["W1"].shape[1]]
    for l in range(1, L + 1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        if W.ndim != 2 or W.shape[1] != dims[-1] or b.shape != (W.shape[0], 1):
            return None
        dims.append(W.shape[0])
    return dims


def _unwrap(gradients: Callable) -> tuple[str, float, SummedOver | None] | str:
    """``(activation, l2, summed)`` of a built-in gradient chain, or why it is not one."""
    l2, summed, g = 0.0, None, gradients
    if isinstance(g, L2Penalty):
        l2, g = g.alpha, g.inner
    if isinstance(g, SummedOver):
        summed, g = g, g.inner
    if type(g) is not NetworkGradients:
        return (
            f"the gradient function {type(gradients).__name__} is not one of descend.gradients "
            "(NetworkGradients, optionally in SummedOver then L2Penalty)"
        )
    return g.activation, l2, summed


def unsupported(
    params: Params, optimizer: Optimizer, batches: Callable, gradients: Callable
) -> str | None:
    """Why the compiled backend cannot run this, or ``None`` if it can."""
    if not available():
        return "numba is not installed (pip install 'descend[fast]')"
    if compile_rule(optimizer) is None:
        return f"no compiled kernel for {type(optimizer).__name__} (see descend.fast.rules)"
    if network_dims(params) is None:
        return "the parameters are not a W1, b1, ..., WL, bL network of one float dtype"
    unwrapped = _unwrap(gradients)
    if isinstance(unwrapped, str):
        return unwrapped
    if isinstance(batches, MiniBatches):
        for name, a in (("X", batches.X), ("Y", batches.Y)):
            if a.dtype.kind not in "biuf":
                return f"the batches' {name} has dtype {a.dtype}"
    return None


def _rates(optimizer: Optimizer, t: int, n: int) -> tuple[np.ndarray, Exception | None]:
    """Learning rates of updates ``t + 1 ... t + n``; stops at the first that raises."""
    rates = np.empty(n)
    for i in range(n):
        try:
            rates[i] = optimizer.rate(t + i)
        except (TypeError, ValueError) as err:
            return rates[:i], err
    return rates, None


class CompiledEngine:
    """One training run in flat buffers: ``run_epoch(epoch)``, ``params()``, ``state()``.

    Check first with :func:`unsupported`. ``state`` (optional) is checked as the
    reference's first step checks it; the arguments are never modified.
    """

    name = "numba"

    def __init__(
        self,
        params: Params,
        optimizer: Optimizer,
        batches: Callable,
        gradients: Callable,
        state: State | None = None,
    ) -> None:
        from . import net

        self._net = net
        activation, l2, self._summed = _unwrap(gradients)  # type: ignore[misc]
        if state is None:
            state = optimizer.init(params)
        else:
            check_params(params)
            check_slots(state, params, optimizer.slots)
        rule = compile_rule(optimizer)
        assert rule is not None  # checked by unsupported()
        self.optimizer = optimizer
        self.batches = batches
        self.layout = FlatLayout(params)
        dims = network_dims(params)
        self.dims = np.array(dims, dtype=np.int64)
        self.dtype = params["W1"].dtype
        self.P = self.layout.pack(params)[self.dtype]
        self.G = self.layout.empty()[self.dtype]
        self._views = self.layout.views({self.dtype: self.P})
        for view in self._views.values():
            view.flags.writeable = False
        self.slots = [self.layout.pack(state[s])[self.dtype] for s in optimizer.slots]
        self._S = tuple(self.slots + [self.P[:0]] * (3 - len(self.slots)))
        self.t, self.skipped = int(state["t"]), int(state["skipped"])
        L = len(dims) - 1
        offsets = self.layout.offsets
        woff = np.array([offsets[f"W{l}"] for l in range(1, L + 1)], dtype=np.int64)
        boff = np.array([offsets[f"b{l}"] for l in range(1, L + 1)], dtype=np.int64)
        self._net_layout = (self.dims, woff, boff)
        self.hp = rule.hyper
        self.sc = np.empty(16, self.dtype)
        constant = not callable(optimizer.learning_rate)
        self.cfg = np.array(
            [
                rule.code,
                rule.flags,
                net.ACTIVATION_CODES[activation],
                0,  # softmax: set per batch source
                optimizer.clip_value is not None,
                optimizer.clip_norm is not None,
                optimizer.on_nonfinite == "skip",
                constant,
            ],
            dtype=np.int64,
        )
        self.fcfg = np.array(
            [optimizer.clip_norm or 0.0, optimizer.clip_value or 0.0, l2], dtype=np.float64
        )
        self._rule = (self.hp, self.sc, self.cfg, self.fcfg)
        self._capacity = 0
        self._threads, self._seen = BlasThreads(1), 0  # session() sets the policy
        self._spec = batches if isinstance(batches, MiniBatches) else None
        if self._spec is not None:
            spec = self._spec
            self.X = self._example_major(spec.X)
            self.Y = self._example_major(spec.Y)
            self.cfg[net.CFG_SOFTMAX] = self.Y.shape[1] > 1
            m = self.X.shape[0]
            self._size = min(spec.mini_batch_size, m)
            self._order = np.arange(m, dtype=np.int64)
            self._key = np.empty(624, np.uint32)
            self._workspace(self._size)

    # -- buffers ----------------------------------------------------------------
    def _example_major(self, X: np.ndarray) -> np.ndarray:
        """``X.T`` as a new C-ordered array of the params' dtype (a compiled tiled transpose)."""
        if X.dtype != self.dtype:
            return np.ascontiguousarray(X.T, dtype=self.dtype)
        out = np.empty((X.shape[1], X.shape[0]), self.dtype)
        self._net.transpose_into(X, out)
        return out

    def _workspace(self, mb: int) -> None:
        """Scratch arrays for batches of up to ``mb`` examples."""
        if mb <= self._capacity:
            return
        dims, dtype = self.dims, self.dtype
        widest = int(dims.max())
        self._ws = (
            np.empty(int(dims[1:].sum()) * mb, dtype),  # activations, then Z_L
            np.empty(widest * mb, dtype),  # dZ, alternately
            np.empty(widest * mb, dtype),
            np.empty(int(dims[0]) * mb, dtype),  # the batch's X, example-major
            np.empty(int(dims[-1]) * mb, dtype),  # its Y
        )
        self._capacity = mb

    def current(self) -> Params:
        """The current parameters as read-only views of the buffers (for callbacks)."""
        return self._views

    def session(self) -> Any:
        """The context of a training call: every BLAS pool on one thread, for a start.

        :meth:`run_epoch` then sets numba's BLAS threads epoch by epoch (:class:`BlasThreads`).
        """
        dims, mb = self.dims, self._size if self._spec is not None else 1 << 30
        uses_blas = max(int(dims[l] * dims[l + 1]) for l in range(len(dims) - 1)) * mb > (
            self._net._BLAS_FLOPS
        )
        # MPI ranks share the machine; a network whose products all run as loops
        # (the course's moons network) never calls BLAS, so nothing is to choose
        most = 1 if self._summed is not None or not uses_blas else cores()
        key = (
            tuple(self.dims),
            self._size if self._spec is not None else None,
            self.dtype.str,
            bool(self.fcfg[self._net.F_L2]),  # the penalty's pass costs ~15% more per example
        )
        self._threads = _POLICIES.setdefault((most, *key), BlasThreads(most))
        self._threads.current = 1  # as single_threaded_blas() leaves every pool
        return single_threaded_blas()

    def params(self) -> Params:
        """Copies of the current parameters."""
        return {k: a.copy() for k, a in self.layout.views({self.dtype: self.P}).items()}

    def state(self) -> State:
        """A copy of the optimizer state, in the reference layout."""
        slots = {
            s: {k: a.copy() for k, a in self.layout.views({self.dtype: b}).items()}
            for s, b in zip(self.optimizer.slots, self.slots, strict=True)
        }
        return {"t": self.t, "skipped": self.skipped, **slots}

    def _raise_nonfinite(self) -> None:
        grads = self.layout.views({self.dtype: self.G})
        raise ValueError(f"grads[{first_nonfinite(grads)!r}] holds NaN or inf")

    # -- training ---------------------------------------------------------------
    def run_epoch(self, epoch: int) -> float:
        """Train one epoch; return its mean cost (summed cost over the examples seen).

        Run it inside :meth:`session` (the training loop does), which sets the
        thread policy: every BLAS pool on one thread, then on the number of
        threads :class:`BlasThreads` finds fastest.
        """
        run = self._spec_epoch if self._spec is not None else self._batch_epoch
        if len(self._threads.options) == 1:  # nothing to choose: no timing (moons: 2% a step)
            return run(epoch)
        threads = self._threads.choose()
        start = time.perf_counter()
        mean = run(epoch)
        self._threads.record(threads, time.perf_counter() - start, self._seen)
        return mean

    def _spec_epoch(self, epoch: int) -> float:
        net, spec, opt = self._net, self._spec, self.optimizer
        m = self.X.shape[0]
        if callable(spec.shuffle) or (spec.shuffle and not spec.legacy):
            self._order[:] = spec.order(epoch)
        elif spec.shuffle:
            net.shuffle_legacy(self._order, spec.seed + epoch, self._key)
        if self._summed is not None:  # a Python loop around the Allreduce of each batch
            total = 0.0
            for start in range(0, m, self._size):
                total += self._step_batch(
                    lambda lo, hi, start=start: net.gathered_grads(
                        self.X, self.Y, self._order, start + lo, hi - lo, self.P, self.G,
                        self._net_layout, self._ws, self.cfg[net.CFG_ACT],
                        bool(self.cfg[net.CFG_SOFTMAX]),
                    ),
                    min(self._size, m - start),
                )  # fmt: skip
            self._seen = m
            return total / m
        n_batches = -(-m // self._size)
        rate_error = None
        if self.cfg[net.CFG_CONSTANT]:
            rates = np.array([opt.learning_rate], dtype=np.float64)
        else:
            rates, rate_error = _rates(opt, self.t, n_batches)
        counters = np.array([self.t, self.skipped, self.t], dtype=np.int64)
        total, status = net.run_epoch(
            self.X, self.Y, self._order, self._size, self.P, self.G, self._S, self._net_layout,
            self._ws, self._rule, rates, counters,
        )  # fmt: skip
        self.t, self.skipped = int(counters[0]), int(counters[1])
        self._seen = m
        if status == net.NONFINITE:
            self._raise_nonfinite()
        if status == net.NEED_RATE:
            raise rate_error  # type: ignore[misc]
        return total / m

    def _batch_epoch(self, epoch: int) -> float:
        net, dtype = self._net, self.dtype
        total, seen = 0.0, 0
        for X_batch, Y_batch in self.batches(epoch):
            X_batch = np.asarray(X_batch, dtype=dtype)
            Y_batch = np.asarray(Y_batch, dtype=dtype)
            n = Y_batch.shape[1]
            self.cfg[net.CFG_SOFTMAX] = Y_batch.shape[0] > 1
            total += self._step_batch(
                lambda lo, hi, X=X_batch, Y=Y_batch: net.batch_grads(
                    X[:, lo:hi], Y[:, lo:hi], self.P, self.G, self._net_layout, self._ws,
                    self.cfg[net.CFG_ACT], bool(self.cfg[net.CFG_SOFTMAX]),
                ),
                n,
            )  # fmt: skip
            seen += n
        self._seen = seen
        return total / seen

    def _step_batch(self, grads_of: Callable[[int, int], float], n: int) -> float:
        """One batch of ``n`` examples: gradients, reduction, L2, step; its summed cost.

        ``grads_of(lo, hi)`` fills ``G`` with the mean gradient of the batch's
        examples ``lo:hi`` and returns their summed cost. With a
        :class:`~descend.gradients.SummedOver`, this rank computes its slice and
        one ``Allreduce`` sums the slices, as the NumPy backend does.
        """
        net, opt, summed = self._net, self.optimizer, self._summed
        if summed is None:
            self._workspace(n)
            total = grads_of(0, n)
        else:
            lo, hi = summed.part(n)
            buffer = np.zeros(self.G.size + 1)
            if hi > lo:
                self._workspace(hi - lo)
                buffer[-1] = grads_of(lo, hi)
                buffer[:-1] = self.G
                buffer[:-1] *= hi - lo  # the mean over the slice -> the sum over it
            summed.reduce(buffer)
            np.divide(buffer[:-1], n, out=self.G, casting="unsafe")
            total = float(buffer[-1])
        if self.fcfg[net.F_L2]:
            total += net.add_l2(self.P, self.G, self._net_layout, self.fcfg[net.F_L2], n, self.sc)
        if net.step(self.P, self.G, self._S, self._rule, self.t + 1, opt.rate(self.t)):
            self.t += 1
        elif opt.on_nonfinite == "skip":
            self.skipped += 1
        else:
            self._raise_nonfinite()
        return total
