"""Optimizer state as a flat dict of arrays, for ``np.savez`` checkpoints.

The flat form of a state has one array per entry, all plain NumPy (no object
arrays), so it saves with ``np.savez`` and loads with ``allow_pickle=False``::

    "kind"       0-d unicode array, the optimizer's kind ("adam", ...)
    "t"          0-d int64, updates applied
    "skipped"    0-d int64, steps skipped for non-finite gradients
    "v/W1"       the slot ``v`` of parameter ``W1``, and so on for each slot
    "scalars/d"  0-d float64, a scalar of the state (only rules with scalars:
                 Prodigy, Schedule-Free)

A key is split at its *first* ``/``: slot names never contain one, so parameter
names may. Loading checks everything against the parameters and the optimizer
and names the first offending key; it never guesses.

>>> import numpy as np, io
>>> from descend.optim import Adam
>>> opt = Adam()
>>> params = {"w": np.ones(2)}
>>> state = opt.init(params)
>>> buffer = io.BytesIO()
>>> np.savez(buffer, **opt.state_dict(state))
>>> _ = buffer.seek(0)
>>> with np.load(buffer, allow_pickle=False) as flat:
...     restored = opt.load_state_dict(params, dict(flat))
>>> restored["t"], sorted(restored)
(0, ['s', 'skipped', 't', 'v'])
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .checks import check_params

__all__ = ["state_from_flat", "state_to_flat"]

_COUNTS = ("t", "skipped")


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"state[{name!r}] must be an int >= 0, got {value!r}")
    return int(value)


def state_to_flat(
    state: Mapping[str, Any], kind: str, slots: tuple[str, ...], scalars: tuple[str, ...] = ()
) -> dict[str, np.ndarray]:
    """Flatten a state into ``{"kind", "t", "skipped", "<slot>/<name>": array}``.

    The arrays are copies, so later changes to the state do not reach a saved
    dict. Raises ``ValueError`` if the state does not have exactly the counts
    and the ``slots`` of this optimizer, or if its slots disagree on the names.
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"state must be the dict returned by init(), got {type(state).__name__}")
    expected = {*_COUNTS, *slots, *(("scalars",) if scalars else ())}
    for key in sorted(expected ^ set(state)):
        where = "is missing" if key in expected else "has unexpected"
        raise ValueError(f"state {where} key {key!r} for a {kind!r} optimizer")
    flat: dict[str, np.ndarray] = {"kind": np.array(kind)}
    for key in _COUNTS:
        flat[key] = np.array(_count(key, state[key]), dtype=np.int64)
    names = None
    for slot in slots:
        arrays = check_params(state[slot], f"state[{slot!r}]")
        if names is None:
            names = list(arrays)
        elif list(arrays) != names:
            raise ValueError(f"state[{slot!r}] has keys {list(arrays)}, expected {names}")
        for name, array in arrays.items():
            flat[f"{slot}/{name}"] = np.array(array, copy=True)
    for name in scalars:
        if name not in state["scalars"]:
            raise ValueError(f"state['scalars'] is missing {name!r} for a {kind!r} optimizer")
        flat[f"scalars/{name}"] = np.array(float(state["scalars"][name]), dtype=np.float64)
    return flat


def state_from_flat(
    flat: Mapping[str, Any],
    params: Mapping[str, np.ndarray],
    kind: str,
    slots: tuple[str, ...],
    *,
    shape: Callable[[str, np.ndarray], tuple[int, ...]] | None = None,
    scalars: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Rebuild a state from :func:`state_to_flat`'s output, checked against ``params``.

    Slot arrays come back as copies in the dtype of their parameter, shaped
    like it or as ``shape(slot, param)`` says; ``scalars`` come back as floats.

    Raises
    ------
    ValueError
        Naming the key: the flat state was written by another optimizer kind,
        a key is missing or unexpected (for example a state saved with
        ``amsgrad=False`` loaded into ``Adam(amsgrad=True)``), an array has the
        wrong shape or is not a floating array, or a count is not an int >= 0.
    """
    check_params(params)
    if not isinstance(flat, Mapping):
        raise TypeError(f"state_dict must be a dict of arrays, got {type(flat).__name__}")
    if "kind" not in flat:
        raise ValueError("state_dict is missing key 'kind'")
    saved_kind = np.asarray(flat["kind"])
    if saved_kind.shape != () or saved_kind.dtype.kind != "U" or str(saved_kind) != kind:
        raise ValueError(
            f"state_dict key 'kind' is {saved_kind.tolist()!r}: it was written by another "
            f"optimizer kind, but this optimizer is {kind!r}"
        )
    expected = [
        "kind",
        *_COUNTS,
        *(f"{slot}/{name}" for slot in slots for name in params),
        *(f"scalars/{name}" for name in scalars),
    ]
    missing = [key for key in expected if key not in flat]
    if missing:
        raise ValueError(
            f"state_dict is missing key {missing[0]!r} (this {kind!r} optimizer has slots "
            f"{slots} and the params have keys {list(params)})"
        )
    extra = sorted(set(flat) - set(expected))
    if extra:
        raise ValueError(
            f"state_dict has unexpected key {extra[0]!r} (this {kind!r} optimizer has slots "
            f"{slots} and the params have keys {list(params)})"
        )
    state: dict[str, Any] = {}
    for key in _COUNTS:
        value = np.asarray(flat[key])
        if value.shape != () or value.dtype.kind not in "iu":
            raise ValueError(f"state_dict key {key!r} must be a 0-d integer array, got {value!r}")
        state[key] = _count(key, value.item())
    for slot in slots:
        arrays: dict[str, np.ndarray] = {}
        for name, w in params.items():
            key = f"{slot}/{name}"
            value = flat[key]
            if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
                raise ValueError(f"state_dict key {key!r} must be a floating array, got {value!r}")
            if shape is None and value.shape != w.shape:
                raise ValueError(
                    f"state_dict key {key!r} has shape {value.shape}, "
                    f"but params[{name!r}] has shape {w.shape}"
                )
            if shape is not None and value.shape != tuple(shape(slot, w)):
                raise ValueError(
                    f"state_dict key {key!r} has shape {value.shape}, but this optimizer "
                    f"keeps shape {tuple(shape(slot, w))} for params[{name!r}] of shape {w.shape}"
                )
            arrays[name] = value.astype(w.dtype, copy=True)
        state[slot] = arrays
    if scalars:
        state["scalars"] = {}
        for name in scalars:
            key = f"scalars/{name}"
            value = np.asarray(flat[key])
            if value.shape != () or value.dtype.kind != "f" or not math.isfinite(value.item()):
                raise ValueError(
                    f"state_dict key {key!r} must be a finite 0-d float, got {value!r}"
                )
            state["scalars"][name] = float(value.item())
    return state
