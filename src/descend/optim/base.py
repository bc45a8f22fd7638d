"""The optimizer protocol: ``init(params) -> state``, ``step(params, grads, state)``.

An optimizer holds only its hyperparameters. Everything that changes during
training lives in the state, a plain dict::

    {"t": 3,                         # updates applied so far
     "skipped": 0,                   # steps skipped for non-finite gradients
     "v": {"W1": array, "b1": ...},  # one dict per slot, keyed like params
     "s": {...}}

``step`` is pure: it validates everything first, then returns a new params
dict of new arrays and a new state, and never writes into the arrays or dicts
it was given. A step that raises has therefore changed nothing.

Each rule is written once, as a kernel on single arrays (``update``); the base
class lifts it over the dict, after the gradient preprocessing that all rules
share (non-finite guard, then clipping).

Two extensions serve the rules whose state is not "one array shaped like each
parameter per slot" (Adafactor, Prodigy, Schedule-Free):

- :meth:`Optimizer.slot_shape` gives a slot's shape from its parameter (the
  parameter's own shape by default), and :meth:`Optimizer.init_slot` its first
  value (zeros by default; a copy of the parameter for Schedule-Free's ``z``);
- ``scalars`` names numbers that belong to the whole step, not to one array
  (Prodigy's ``d``, Schedule-Free's ``weight_sum``). They live in
  ``state["scalars"]`` (a dict of Python floats), present only when the rule has
  scalars, and are saved as ``"scalars/<name>"``. A rule with scalars overrides
  :meth:`Optimizer.apply`, which sees the whole dict at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from .checks import (
    check_grads,
    check_learning_rate,
    check_params,
    check_positive,
    check_slots,
    first_nonfinite,
)
from .state import state_from_flat, state_to_flat

Params = dict[str, np.ndarray]
State = dict[str, Any]
LearningRate = float | Callable[[int], float]

_NONFINITE_POLICIES = ("raise", "skip")


def clip_by_global_norm(grads: Mapping[str, np.ndarray], max_norm: float) -> Params:
    r"""Scale all gradients together so that their joint L2 norm is at most ``max_norm``.

    .. math::

        n = \sqrt{\textstyle\sum_k \lVert g_k \rVert_2^2}, \qquad
        g_k \leftarrow g_k \cdot \min\!\left(1, \frac{c}{n + 10^{-6}}\right)

    The :math:`10^{-6}` and the clamp at 1 follow
    ``torch.nn.utils.clip_grad_norm_``, so results agree with PyTorch.
    """
    norm = math.sqrt(sum(float(np.vdot(g, g).real) for g in grads.values()))
    coef = max_norm / (norm + 1e-6)
    if coef >= 1.0:
        return dict(grads)
    return {k: g * g.dtype.type(coef) for k, g in grads.items()}


def clip_by_value(grads: Mapping[str, np.ndarray], limit: float) -> Params:
    r"""Clamp every gradient element to :math:`[-c, c]` (``torch.nn.utils.clip_grad_value_``)."""
    return {k: np.clip(g, -limit, limit) for k, g in grads.items()}


def _fused_step(optimizer, params, grads, state, t):
    """:func:`descend.fast.step.fused_step` (``None`` where the kernels do not apply)."""
    from ..fast.step import fused_step  # light; numba is imported by the first compiled step

    return fused_step(optimizer, params, grads, state, t)


class Optimizer:
    """Base class of every optimizer; subclasses give ``slots`` and ``update``.

    Parameters
    ----------
    learning_rate : float or callable
        The step size α > 0, or a schedule: a callable taking the number of
        updates already applied (0 for the first update) and returning α.
        A schedule may return 0 (the first step of a linear warmup from 0, as
        in PyTorch and Optax) but never a negative or non-finite rate.
    clip_norm : float, optional
        If given, gradients are first scaled so that their global L2 norm over
        all arrays is at most ``clip_norm`` (as ``torch.nn.utils.clip_grad_norm_``).
    clip_value : float, optional
        If given, each gradient element is clamped to ``[-clip_value, clip_value]``
        (applied before ``clip_norm`` when both are set).
    on_nonfinite : {"raise", "skip"}
        What a step does with a gradient holding NaN or inf: ``"raise"`` a
        ``ValueError`` naming the first such key, or ``"skip"``: return the
        params and state unchanged except ``state["skipped"]``, which counts it.
    """

    kind: ClassVar[str] = "optimizer"
    #: Names of the state's per-parameter arrays. A class attribute for most
    #: rules; an instance may override it when an option adds a slot
    #: (``Adam(amsgrad=True)`` keeps ``s_max``).
    slots: tuple[str, ...] = ()
    #: Names of the state's scalars (``state["scalars"][name]``, a float); most
    #: rules have none, and then the state has no ``"scalars"`` key.
    scalars: tuple[str, ...] = ()

    def __init__(
        self,
        learning_rate: LearningRate,
        *,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        on_nonfinite: str = "raise",
    ) -> None:
        self.learning_rate = check_learning_rate(learning_rate)
        self.clip_norm = None if clip_norm is None else check_positive("clip_norm", clip_norm)
        self.clip_value = None if clip_value is None else check_positive("clip_value", clip_value)
        if on_nonfinite not in _NONFINITE_POLICIES:
            raise ValueError(
                f"Invalid on_nonfinite: {on_nonfinite!r} (expected one of {_NONFINITE_POLICIES})"
            )
        self.on_nonfinite = on_nonfinite

    # -- the per-array rule --------------------------------------------------
    def update(
        self, w: np.ndarray, g: np.ndarray, *slots: np.ndarray, t: int, learning_rate: float
    ) -> tuple[np.ndarray, ...]:
        """Apply the rule to one array; return ``(new_w, *new_slots)``."""
        raise NotImplementedError

    def slot_shape(self, slot: str, w: np.ndarray) -> tuple[int, ...]:
        """The shape of ``slot`` for the parameter ``w``: ``w.shape`` by default."""
        return w.shape

    def _shapes(self) -> Callable[[str, np.ndarray], tuple[int, ...]] | None:
        """``slot_shape`` if this rule overrides it, else ``None`` (slots shaped like params)."""
        return None if type(self).slot_shape is Optimizer.slot_shape else self.slot_shape

    def init_slot(self, slot: str, w: np.ndarray) -> np.ndarray:
        """The first value of ``slot`` for the parameter ``w``: zeros of :meth:`slot_shape`."""
        return np.zeros(self.slot_shape(slot, w), dtype=w.dtype)

    def init_scalars(self) -> dict[str, float]:
        """The first values of :attr:`scalars` (0.0 each unless a rule says otherwise)."""
        return dict.fromkeys(self.scalars, 0.0)

    #: Whether :meth:`eval_params` differs from the parameters (Schedule-Free).
    evaluates_elsewhere: ClassVar[bool] = False

    def eval_params(self, params: Mapping[str, np.ndarray], state: State) -> Params:
        """The parameters to evaluate (accuracy, validation loss, predictions) at.

        The parameters themselves for every rule that trains and evaluates at the
        same point, i.e. all but Schedule-Free, which takes its gradients at one
        sequence and evaluates at another. ``params`` are returned as they are.
        """
        return params  # type: ignore[return-value]

    # -- the public protocol -------------------------------------------------
    def init(self, params: Mapping[str, np.ndarray]) -> State:
        """Return the initial state for ``params``: ``t = 0`` and zero-filled slots."""
        check_params(params)
        bad = first_nonfinite(params)
        if bad is not None:
            raise ValueError(f"params[{bad!r}] holds NaN or inf")
        state: State = {"t": 0, "skipped": 0}
        for slot in self.slots:
            state[slot] = {k: self.init_slot(slot, w) for k, w in params.items()}
        if self.scalars:
            state["scalars"] = self.init_scalars()
        return state

    def rate(self, t: int) -> float:
        """The learning rate of the update that follows ``t`` applied updates."""
        if not callable(self.learning_rate):
            return self.learning_rate
        value = self.learning_rate(t)
        try:
            return check_positive("learning_rate", value, allow_zero=True)
        except (TypeError, ValueError) as err:
            raise ValueError(f"the learning_rate schedule at update {t}: {err}") from None

    def step(
        self,
        params: Mapping[str, np.ndarray],
        grads: Mapping[str, np.ndarray],
        state: State,
    ) -> tuple[Params, State]:
        """Apply one update; return ``(new_params, new_state)`` without mutating inputs.

        With numba installed, the built-in rules (:data:`descend.fast.rules.RULES`)
        run as fused compiled kernels (:mod:`descend.fast.step`), which keep this
        contract and equal :meth:`reference_step`, the NumPy reference, to
        rounding. ``DESCEND_NO_FAST=1`` keeps every step on the reference.

        Raises
        ------
        TypeError
            ``params`` or ``grads`` is not a dict of floating arrays.
        ValueError
            Keys or shapes disagree, the state belongs to other params or another
            optimizer, a gradient is not finite or the update overflows to a
            non-finite value (with ``on_nonfinite="raise"``; ``"skip"`` skips the
            step instead), or a schedule returns an invalid learning rate.
        """
        return self._step(params, grads, state, compiled=True)

    def reference_step(
        self,
        params: Mapping[str, np.ndarray],
        grads: Mapping[str, np.ndarray],
        state: State,
    ) -> tuple[Params, State]:
        """:meth:`step` on the NumPy reference only, never on compiled kernels.

        The readable definition of the rule, which the compiled kernels are
        tested against; the NumPy training backend uses it.
        """
        return self._step(params, grads, state, compiled=False)

    def _step(
        self,
        params: Mapping[str, np.ndarray],
        grads: Mapping[str, np.ndarray],
        state: State,
        *,
        compiled: bool,
    ) -> tuple[Params, State]:
        check_params(params)
        check_grads(grads, params)
        t = check_slots(state, params, self.slots, self._shapes(), self.scalars)
        fused = _fused_step(self, params, grads, state, t) if compiled else None
        if fused is not None:
            bad = fused.bad_grad
        else:
            bad = first_nonfinite(grads)
        if bad is not None:
            if self.on_nonfinite == "raise":
                raise ValueError(f"grads[{bad!r}] holds NaN or inf")
            return dict(params), {**state, "skipped": state["skipped"] + 1}
        if fused is not None:
            learning_rate, new_params, new_slots = fused[1:4]
            new_scalars = dict(state.get("scalars", {}))
            overflow = self._overflow(new_params, new_slots, {}) if fused.overflowed else None
        else:
            learning_rate = self.rate(t)
            if self.clip_value is not None:
                grads = clip_by_value(grads, self.clip_value)
            if self.clip_norm is not None:
                grads = clip_by_global_norm(grads, self.clip_norm)
            with np.errstate(over="ignore", invalid="ignore"):  # overflow is checked below
                new_params, new_slots, new_scalars = self.apply(
                    params, grads, state, t, learning_rate
                )
            # arithmetic on 0-d arrays gives NumPy scalars: return arrays, as given
            new_params = {k: np.asarray(v) for k, v in new_params.items()}
            new_slots = {s: {k: np.asarray(v) for k, v in d.items()} for s, d in new_slots.items()}
            overflow = self._overflow(new_params, new_slots, new_scalars)
        if overflow is not None:  # finite inputs, non-finite result: the arithmetic overflowed
            if self.on_nonfinite == "raise":
                raise ValueError(
                    f"the update overflowed: {overflow!r} would hold NaN or inf "
                    f"(learning rate {learning_rate:g}); nothing was changed"
                )
            return dict(params), {**state, "skipped": state["skipped"] + 1}
        new_state = {"t": t + 1, "skipped": state["skipped"], **new_slots}
        if self.scalars:
            new_state["scalars"] = new_scalars
        return new_params, new_state

    def _overflow(
        self, new_params: Params, new_slots: dict[str, Params], new_scalars: dict[str, float]
    ) -> str | None:
        """The first non-finite value of a step's result, named as in the error message."""
        return (
            first_nonfinite(new_params)
            or next(
                (f"{slot}/{k}" for slot in self.slots if (k := first_nonfinite(new_slots[slot]))),
                None,
            )
            or next((f"scalars/{k}" for k, v in new_scalars.items() if not math.isfinite(v)), None)
        )

    def apply(
        self,
        params: Mapping[str, np.ndarray],
        grads: Mapping[str, np.ndarray],
        state: State,
        t: int,
        learning_rate: float,
    ) -> tuple[Params, dict[str, Params], dict[str, float]]:
        """The rule on the whole dict, after the checks and clipping of :meth:`step`.

        Returns ``(new_params, new_slots, new_scalars)``; ``t`` is the number of
        updates already applied. By default :meth:`lift` runs :meth:`update` on
        each array; rules that need the whole dict (global sums, scalars)
        override this.
        """
        new_params, new_slots = self.lift(params, grads, state, t + 1, learning_rate=learning_rate)
        return new_params, new_slots, dict(state.get("scalars", {}))

    def lift(
        self,
        params: Mapping[str, np.ndarray],
        grads: Mapping[str, np.ndarray],
        state: State,
        t: int,
        **hyper: Any,
    ) -> tuple[Params, dict[str, Params]]:
        """Run ``update(w, g, *slots, t=t, **hyper)`` on each array (``g`` in ``w``'s dtype)."""
        new_params: Params = {}
        new_slots: dict[str, Params] = {slot: {} for slot in self.slots}
        for key, w in params.items():
            out = self.update(
                w,
                grads[key].astype(w.dtype, copy=False),
                *(state[slot][key] for slot in self.slots),
                t=t,
                **hyper,
            )
            new_params[key] = out[0]
            for slot, value in zip(self.slots, out[1:], strict=True):
                new_slots[slot][key] = value
        return new_params, new_slots

    # -- checkpoints of the state ---------------------------------------------
    def state_dict(self, state: State) -> dict[str, np.ndarray]:
        """Flatten ``state`` into arrays for ``np.savez``; see :mod:`descend.optim.state`.

        Keys are ``"kind"``, ``"t"``, ``"skipped"`` and ``"<slot>/<param name>"``.
        """
        return state_to_flat(state, self.kind, self.slots, self.scalars)

    def load_state_dict(
        self, params: Mapping[str, np.ndarray], flat: Mapping[str, np.ndarray]
    ) -> State:
        """Rebuild the state saved by :meth:`state_dict`, checked against ``params``.

        Raises ``ValueError`` naming the key for a missing or extra key, a wrong
        shape, or a state written by another optimizer kind.
        """
        return state_from_flat(
            flat, params, self.kind, self.slots, shape=self._shapes(), scalars=self.scalars
        )

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{k}={v!r}" for k, v in vars(self).items() if v is not None and k != "slots"
        )
        return f"{type(self).__name__}({fields})"
