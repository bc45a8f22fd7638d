"""The fast training loop: :func:`descend.training.train` on flat buffers and compiled kernels.

:func:`train_fast` takes the arguments of :func:`descend.training.train` and
returns ``None`` when it cannot reproduce the reference for them (numba missing,
another activation or rule option, data of another dtype...), before anything
has run; the caller then runs the NumPy loop. Two modes:

- ``batches`` is a :class:`descend.training.MiniBatches`: whole chunks of epochs
  run in one compiled call, shuffles included (the legacy ``RandomState``
  permutation is recomputed by a compiled MT19937, so the course's batches come
  out exactly);
- any other callable: it is called once per epoch, as by the reference; each
  batch is one compiled step (a batch of another dtype takes the reference step
  on views of the buffers).

Callbacks run after each chunk of epochs (at most ``CHUNK_EPOCHS``), each with
that epoch's mean cost and a snapshot of that epoch's params.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..network import backward, cost, forward
from ..optim import Adam, Momentum, Optimizer
from ..optim.base import Params, State
from ..optim.checks import check_params, check_slots, first_nonfinite
from ..training import Batches, EpochCallback, History, MiniBatches
from .flat import FlatLayout, supports

__all__ = ["CHUNK_EPOCHS", "available", "train_fast"]

#: Most epochs one compiled call runs when a callback waits for them.
CHUNK_EPOCHS = 1000
#: Most bytes of parameter snapshots (for callbacks) or permutations held per chunk.
CHUNK_BYTES = 1 << 23

_AVAILABLE: bool | None = None


def available() -> bool:
    """Whether numba can be imported (checked once, without importing it)."""
    global _AVAILABLE
    if _AVAILABLE is None:
        _AVAILABLE = importlib.util.find_spec("numba") is not None
    return _AVAILABLE


def _network_dims(params: Params) -> list[int] | None:
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


def _same_math(dtype: np.dtype, *arrays: np.ndarray) -> bool:
    """Whether the reference computes in ``dtype`` with these data arrays (NumPy promotion)."""
    return all(
        isinstance(a, np.ndarray) and a.dtype.kind in "biuf" and np.result_type(dtype, a) == dtype
        for a in arrays
    )


@dataclass
class _Run:
    """The flat buffers and workspaces of one training run."""

    optimizer: Optimizer
    layout: FlatLayout
    dims: np.ndarray
    P: np.ndarray
    G: np.ndarray
    slots: dict[str, np.ndarray]
    t: int
    skipped: int

    @property
    def dtype(self) -> np.dtype:
        return self.P.dtype

    def buffers(self, dtype_buffer: np.ndarray) -> dict:
        return {self.dtype: dtype_buffer}

    def params(self) -> Params:
        return self.layout.views(self.buffers(self.P))

    def state(self) -> State:
        views = {s: self.layout.views(self.buffers(b)) for s, b in self.slots.items()}
        return {"t": self.t, "skipped": self.skipped, **views}

    def rule_args(self) -> tuple:
        """``rule, V, S, consts, betas`` for :func:`descend.fast.net.update`."""
        from . import kernels

        opt, T = self.optimizer, self.dtype.type
        empty = np.empty(0, self.dtype)
        beta = getattr(opt, "beta", 0.0)
        beta1, beta2 = getattr(opt, "beta1", 0.0), getattr(opt, "beta2", 0.0)
        clip = opt.clip_value if opt.clip_value is not None else 0.0
        consts = np.array(
            [beta, 1.0 - beta, beta1, 1.0 - beta1, beta2, 1.0 - beta2,
             getattr(opt, "epsilon", 0.0), clip],
            dtype=T,
        )  # fmt: skip
        rule = (
            kernels.ADAM
            if isinstance(opt, Adam)
            else kernels.MOMENTUM
            if isinstance(opt, Momentum)
            else kernels.GD
        )
        V = self.slots.get("v", empty)
        S = self.slots.get("s", empty)
        return rule, V, S, consts, np.array([beta1, beta2])

    def workspace(self, mb: int) -> dict[str, np.ndarray]:
        """Scratch arrays for batches of up to ``mb`` examples."""
        dims = self.dims
        widest = int(dims.max())
        return {
            "abuf": np.empty(int(dims[1:].sum()) * mb, self.dtype),
            "d1": np.empty(widest * mb, self.dtype),
            "d2": np.empty(widest * mb, self.dtype),
            "xb": np.empty(int(dims[0]) * mb, self.dtype),
            "yb": np.empty(int(dims[-1]) * mb, self.dtype),
        }


def _offsets(layout: FlatLayout, L: int) -> tuple[np.ndarray, np.ndarray]:
    woff = np.array([layout.offsets[f"W{l}"] for l in range(1, L + 1)], dtype=np.int64)
    boff = np.array([layout.offsets[f"b{l}"] for l in range(1, L + 1)], dtype=np.int64)
    return woff, boff


def _rates(optimizer: Optimizer, t_base: int, n: int) -> tuple[np.ndarray, Exception | None]:
    """Learning rates of updates ``t_base + 1 ...``; stops at the first that raises."""
    rates = np.empty(n)
    for i in range(n):
        try:
            rates[i] = optimizer.rate(t_base + i)
        except (TypeError, ValueError) as err:
            return rates[:i], err
    return rates, None


def train_fast(
    params: Params,
    optimizer: Optimizer,
    batches: Batches,
    epochs: int,
    *,
    activation: str = "relu",
    state: State | None = None,
    callback: EpochCallback | None = None,
) -> tuple[Params, State, History] | None:
    """:func:`descend.training.train` compiled, or ``None`` if this run is not supported.

    The returned params and state arrays are views into the run's flat buffers.
    """
    if not available() or activation != "relu" or not supports(optimizer):
        return None
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        return None
    dims = _network_dims(params)
    if dims is None:
        return None
    dtype = params["W1"].dtype
    spec = batches if isinstance(batches, MiniBatches) else None
    if spec is not None and not (
        spec.X.shape[0] == dims[0]
        and spec.Y.shape[0] == dims[-1]
        and _same_math(dtype, spec.X, spec.Y)
    ):
        return None
    # validation as the reference does it (init, or the first step's check of the state)
    if state is None:
        state = optimizer.init(params)
    else:
        check_params(params)
        check_slots(state, params, optimizer.slots)
    layout = FlatLayout(params)
    run = _Run(
        optimizer=optimizer,
        layout=layout,
        dims=np.array(dims, dtype=np.int64),
        P=layout.pack(params)[dtype],
        G=layout.empty()[dtype],
        slots={s: layout.pack(state[s])[dtype] for s in optimizer.slots},
        t=int(state["t"]),
        skipped=int(state["skipped"]),
    )
    history = History()
    if spec is not None:
        _train_epochs(run, spec, epochs, callback, history)
    else:
        _train_batches(run, batches, epochs, callback, history)
    return run.params(), run.state(), history


def _raise_nonfinite(run: _Run) -> None:
    grads = run.layout.views(run.buffers(run.G))
    raise ValueError(f"grads[{first_nonfinite(grads)!r}] holds NaN or inf")


def _example_major(X: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``X.T`` as a new C-ordered array of ``dtype`` (a compiled tiled transpose if it can)."""
    if X.dtype != dtype:
        return np.ascontiguousarray(X.T, dtype=dtype)
    from . import net

    out = np.empty((X.shape[1], X.shape[0]), dtype)
    net.transpose_into(X, out)
    return out


def _train_epochs(
    run: _Run, spec: MiniBatches, epochs: int, callback: EpochCallback | None, history: History
) -> None:
    """Whole epochs in compiled chunks (``batches`` is a :class:`MiniBatches`)."""
    from . import net

    opt, dtype = run.optimizer, run.dtype
    X = _example_major(spec.X, dtype)  # batches gather rows
    Y = _example_major(spec.Y, dtype)
    m, size = X.shape[0], min(spec.mini_batch_size, X.shape[0])
    n_batches = -(-m // size)
    L = run.dims.size - 1
    woff, boff = _offsets(run.layout, L)
    rule, V, S, consts, betas = run.rule_args()
    ws = run.workspace(size)
    order, key = np.arange(m, dtype=np.int64), np.empty(624, np.uint32)
    sc = np.empty(4, dtype)
    counters = np.zeros(3, np.int64)
    shuffle = net.NO_SHUFFLE if not spec.shuffle else net.LEGACY if spec.legacy else net.GIVEN
    constant_rate = not callable(opt.learning_rate)
    n_params = run.P.size
    chunk = epochs if callback is None else CHUNK_EPOCHS
    if callback is not None:
        chunk = min(chunk, max(1, CHUNK_BYTES // (n_params * dtype.itemsize)))
    if shuffle == net.GIVEN:
        chunk = min(chunk, max(1, CHUNK_BYTES // (8 * m)))
    if not constant_rate:
        chunk = min(chunk, max(1, (1 << 16) // n_batches))
    rate_error: Exception | None = None
    epoch = 0
    while epoch < epochs:
        k = min(chunk, epochs - epoch)
        if constant_rate:
            rates = np.array([opt.learning_rate], dtype=np.float64)
        else:
            rates, rate_error = _rates(opt, run.t, k * n_batches)
        perms = np.empty((0, m), np.int64)
        if shuffle == net.GIVEN:
            perms = np.stack([spec.order(epoch + e) for e in range(k)]).astype(np.int64)
        costs = np.zeros(k)
        snap = np.empty((k if callback is not None else 0, n_params), dtype)
        counters[:] = (run.t, run.skipped, run.t)
        done, status = net.run_epochs(
            X, Y, size, shuffle, spec.seed + epoch, perms, k,
            run.P, run.G, V, S, run.dims, woff, boff,
            ws["abuf"], ws["d1"], ws["d2"], ws["xb"], ws["yb"], order, key,
            rule, consts, betas, sc, rates, constant_rate, counters,
            float(opt.clip_norm or 0.0), opt.clip_value is not None, opt.clip_norm is not None,
            opt.on_nonfinite == "skip", bool(run.dims[-1] > 1), costs, snap,
        )  # fmt: skip
        run.t, run.skipped = int(counters[0]), int(counters[1])
        history.costs.extend(costs[:done].tolist())
        if callback is not None:
            per_key = {
                name: snap[:, o : o + math.prod(run.layout.shapes[name])].reshape(
                    (k, *run.layout.shapes[name])
                )
                for name, o in run.layout.offsets.items()
            }
            for e in range(done):
                callback(epoch + e, history.costs[epoch + e], {n: a[e] for n, a in per_key.items()})
        if status == net.NONFINITE:
            _raise_nonfinite(run)
        if status == net.NEED_RATE:
            raise rate_error  # type: ignore[misc]
        epoch += k


def _train_batches(
    run: _Run, batches: Callable, epochs: int, callback: EpochCallback | None, history: History
) -> None:
    """One compiled step per batch of an arbitrary ``batches(epoch)`` callable."""
    from . import kernels, net

    opt, dtype = run.optimizer, run.dtype
    L = run.dims.size - 1
    woff, boff = _offsets(run.layout, L)
    rule, V, S, consts, betas = run.rule_args()
    sc = np.empty(4, dtype)
    capacity, ws = 0, {}
    clip_norm = float(opt.clip_norm or 0.0)
    use_clip, use_norm = opt.clip_value is not None, opt.clip_norm is not None
    for epoch in range(epochs):
        total, seen = 0.0, 0
        for X_batch, Y_batch in batches(epoch):
            if not (
                isinstance(X_batch, np.ndarray)
                and isinstance(Y_batch, np.ndarray)
                and X_batch.ndim == 2
                and Y_batch.ndim == 2
                and X_batch.shape[0] == run.dims[0]
                and Y_batch.shape[0] == run.dims[-1]
                and X_batch.shape[1] == Y_batch.shape[1] >= 1
                and _same_math(dtype, X_batch, Y_batch)
            ):
                total += _reference_step(run, X_batch, Y_batch)
                seen += Y_batch.shape[1]
                continue
            mb = X_batch.shape[1]
            if mb > capacity:
                capacity, ws = mb, run.workspace(mb)
            total += net.batch_grads(
                X_batch, Y_batch, run.P, run.G, run.dims, woff, boff,
                ws["abuf"], ws["d1"], ws["d2"], ws["xb"], ws["yb"], Y_batch.shape[0] > 1,
            )  # fmt: skip
            if not kernels.all_finite(run.G, False):
                if opt.on_nonfinite == "raise":
                    _raise_nonfinite(run)
                run.skipped += 1
            else:
                rate = opt.rate(run.t)
                net.update(
                    rule, run.P, run.G, V, S, consts, betas, sc, run.t + 1, rate,
                    clip_norm, use_clip, use_norm,
                )  # fmt: skip
                run.t += 1
            seen += Y_batch.shape[1]
        history.costs.append(total / seen)
        if callback is not None:
            callback(epoch, total / seen, {k: a.copy() for k, a in run.params().items()})


def _reference_step(run: _Run, X_batch: np.ndarray, Y_batch: np.ndarray) -> float:
    """The NumPy step on views of the buffers, written back; return the batch's cost."""
    params = run.params()
    softmax = Y_batch.shape[0] > 1
    _, cache = forward(X_batch, params, "relu", softmax=softmax)
    batch_cost = cost(cache, Y_batch, softmax=softmax)
    grads = backward(Y_batch, params, cache, "relu")
    new_params, new_state = run.optimizer.step(params, grads, run.state())
    run.layout.copy_into(run.buffers(run.P), new_params)
    for slot, buffer in run.slots.items():
        run.layout.copy_into(run.buffers(buffer), new_state[slot])
    run.t, run.skipped = new_state["t"], new_state["skipped"]
    return batch_cost
