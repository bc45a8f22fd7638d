"""Flat buffers: params, gradients and optimizer state as views into one array per dtype."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..optim import Optimizer
from ..optim.base import Params, State
from ..optim.checks import check_grads, check_params, check_slots, first_nonfinite
from .rules import compile_rule, supports

__all__ = ["FlatLayout", "FlatOptimizer", "supports"]

#: Buffers of at least this many elements use the multi-threaded kernels by default.
PARALLEL_THRESHOLD = 1 << 22


class FlatLayout:
    """Where each named array lives in the flat buffers: one 1-D buffer per dtype.

    Arrays are packed in the order of the dict, without padding.
    """

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.keys = list(arrays)
        self.shapes = {k: a.shape for k, a in arrays.items()}
        self.dtypes = {k: a.dtype for k, a in arrays.items()}
        self.offsets: dict[str, int] = {}
        self.sizes: dict[np.dtype, int] = {}
        for k, a in arrays.items():
            self.offsets[k] = self.sizes.get(a.dtype, 0)
            self.sizes[a.dtype] = self.offsets[k] + a.size

    def empty(self, fill: float | None = 0.0) -> dict[np.dtype, np.ndarray]:
        """New buffers, one per dtype, zero-filled (or uninitialised with ``fill=None``)."""
        if fill is None:
            return {dt: np.empty(n, dt) for dt, n in self.sizes.items()}
        return {dt: np.full(n, fill, dt) for dt, n in self.sizes.items()}

    def views(self, buffers: Mapping[np.dtype, np.ndarray]) -> Params:
        """The named arrays as views into ``buffers`` (writing to a view writes the buffer)."""
        out: Params = {}
        for k in self.keys:
            o, shape = self.offsets[k], self.shapes[k]
            out[k] = buffers[self.dtypes[k]][o : o + math.prod(shape)].reshape(shape)
        return out

    def pack(self, arrays: Mapping[str, np.ndarray]) -> dict[np.dtype, np.ndarray]:
        """Copy ``arrays`` (keyed like the layout) into new buffers."""
        buffers = self.empty(fill=None)
        self.copy_into(buffers, arrays)
        return buffers

    def copy_into(self, buffers: Mapping[np.dtype, np.ndarray], arrays: Mapping[str, np.ndarray]):
        """Write ``arrays`` into ``buffers`` (cast to each buffer's dtype)."""
        views = self.views(buffers)
        for k in self.keys:
            np.copyto(views[k], arrays[k], casting="unsafe")


class FlatOptimizer:
    """A descend optimizer run in place, by one fused kernel, over flat buffers.

    The parameters, the gradients and every state slot are copied once into one
    contiguous 1-D buffer per dtype; :attr:`params`, :attr:`grads` and the slots of
    :attr:`state` are dicts of *views* into those buffers. Write the gradients
    into :attr:`grads` (``np.matmul(a, b, out=opt.grads["W1"])``, or
    ``opt.grads["W1"][...] = g``), call :meth:`step`, read :attr:`params`: the
    step updates the buffers in place, one pass over each buffer, with one
    kernel per rule fusing clipping, moments, bias correction and the update.

    The result equals ``optimizer.step`` (the NumPy reference) to rounding; the
    state keeps the reference layout ``{"t", "skipped", <slot>: {name: array}}``.

    Parameters
    ----------
    optimizer : Optimizer
        Any optimizer of :data:`descend.fast.rules.RULES` (every built-in rule,
        with all its options).
    params : dict of arrays
        Initial parameters; copied, never modified.
    state : dict, optional
        A state to continue from (copied); ``optimizer.init(params)`` if omitted.
    parallel : bool, optional
        Use the multi-threaded kernels (numba ``parallel=True``). By default
        they run for buffers of at least ``PARALLEL_THRESHOLD`` elements. Keep
        it False while other threaded code (BLAS) runs at the same time.
    check_finite : bool, default True
        Read the gradients once before the update to apply ``on_nonfinite``
        (so that a step that raises or skips changes nothing). False saves that
        pass (about 1/8 of Adam's memory traffic) and, like PyTorch and Optax,
        lets a NaN or inf gradient flow into the parameters and state.

    Raises
    ------
    ImportError
        numba is not installed (``pip install descend[fast]``).
    ValueError
        The optimizer has an option the kernels do not implement.

    Examples
    --------
    >>> import numpy as np
    >>> from descend import Adam
    >>> opt = FlatOptimizer(Adam(0.1), {"w": np.array([1.0, -1.0])})
    >>> opt.grads["w"][...] = [3.0, -0.5]
    >>> opt.step()
    >>> np.round(opt.params["w"], 6)
    array([ 0.9, -0.9])
    """

    def __init__(
        self,
        optimizer: Optimizer,
        params: Mapping[str, np.ndarray],
        state: State | None = None,
        *,
        parallel: bool | None = None,
        check_finite: bool = True,
    ) -> None:
        from . import kernels  # numba, on first use only

        self._kernels = kernels
        rule = compile_rule(optimizer)
        if rule is None:
            raise ValueError(
                f"FlatOptimizer has no fused kernel for {optimizer!r} "
                "(see descend.fast.rules.RULES)"
            )
        self._rule = rule
        if state is None:
            state = optimizer.init(params)
        else:
            check_params(params)
            check_slots(state, params, optimizer.slots)
        self.optimizer = optimizer
        self.layout = FlatLayout(params)
        self.parallel = parallel
        self.check_finite = bool(check_finite)
        self._params = self.layout.pack(params)
        self._grads = self.layout.empty()
        self._slots = {slot: self.layout.pack(state[slot]) for slot in optimizer.slots}
        self.params: Params = self.layout.views(self._params)
        self.grads: Params = self.layout.views(self._grads)
        self._slot_views = {slot: self.layout.views(b) for slot, b in self._slots.items()}
        self.t = int(state["t"])
        self.skipped = int(state["skipped"])

    @property
    def state(self) -> State:
        """The state in the reference layout; its slot arrays are views into the buffers."""
        return {"t": self.t, "skipped": self.skipped, **self._slot_views}

    def _parallel(self, n: int) -> bool:
        return n >= PARALLEL_THRESHOLD if self.parallel is None else bool(self.parallel)

    def step(self, grads: Mapping[str, np.ndarray] | None = None) -> None:
        """Apply one update in place, from :attr:`grads` or from ``grads`` if given.

        ``grads`` (a dict keyed like the params) is first copied into
        :attr:`grads`, which costs one more pass over memory: writing the
        gradients there directly is faster.

        Raises
        ------
        ValueError
            A gradient holds NaN or inf (with ``on_nonfinite="raise"``; nothing is
            changed), or a schedule returns an invalid learning rate.
        """
        if grads is not None:
            check_grads(grads, self.params)
            self.layout.copy_into(self._grads, grads)
        opt, k = self.optimizer, self._kernels
        use_clip = opt.clip_value is not None
        clip = opt.clip_value if use_clip else 0.0
        # Pre-pass: every buffer is checked before any is written, so a step that
        # raises or skips changes nothing, as in the reference.
        total = 0.0
        for g in self._grads.values():
            par = self._parallel(g.size)
            if opt.clip_norm is not None:
                finite, sumsq = k.grad_stats(g, clip, use_clip, par)
                total += sumsq
            elif self.check_finite:
                finite = k.all_finite(g, par)
            else:
                finite = True
            if not finite:
                if opt.on_nonfinite == "raise":
                    raise ValueError(f"grads[{first_nonfinite(self.grads)!r}] holds NaN or inf")
                self.skipped += 1
                return
        learning_rate = opt.rate(self.t)
        scale, use_scale = 1.0, False
        if opt.clip_norm is not None:
            coef = opt.clip_norm / (math.sqrt(total) + 1e-6)
            scale, use_scale = coef, coef < 1.0
        t = self.t + 1
        rule = self._rule
        for dtype, w in self._params.items():
            apply = k.apply_par if self._parallel(w.size) else k.apply
            slots = [self._slots[s][dtype] for s in opt.slots]
            slots += [w[:0]] * (3 - len(slots))
            apply(
                rule.code, rule.flags, w, self._grads[dtype], *slots, rule.hyper,
                np.empty(16, dtype), t, learning_rate, clip, use_clip, scale, use_scale,
            )  # fmt: skip
        self.t = t

    def export(self) -> tuple[Params, State]:
        """Copies of the parameters and the state, independent of the buffers."""
        state = self.state
        return (
            {k: a.copy() for k, a in self.params.items()},
            {
                "t": state["t"],
                "skipped": state["skipped"],
                **{s: {k: a.copy() for k, a in d.items()} for s, d in self._slot_views.items()},
            },
        )
