"""Validation shared by every optimizer: hyperparameters, parameter trees, state.

Each check raises ``TypeError`` for a value of the wrong kind and ``ValueError``
for a value of the right kind outside its range, and names the argument or key.
Nothing here mutates its input.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = [
    "check_bool",
    "check_grads",
    "check_int",
    "check_learning_rate",
    "check_params",
    "check_positive",
    "check_range",
    "check_slots",
    "first_nonfinite",
]


def _real(name: str, value: Any) -> float:
    """Return ``value`` as a float, refusing bools, strings and arrays."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}: {value!r}")
    return float(value)


def check_range(
    name: str,
    value: Any,
    low: float,
    high: float,
    *,
    low_open: bool = False,
    high_open: bool = True,
) -> float:
    """Return ``value`` as a float if it lies in the interval, else raise ``ValueError``.

    The interval is ``[low, high)`` by default; ``low_open``/``high_open`` choose
    which ends are excluded. The message has the form
    ``Invalid beta: 1.0 (expected 0 <= beta < 1)``.
    """
    x = _real(name, value)
    ok = (
        math.isfinite(x)
        and (x > low if low_open else x >= low)
        and (x < high if high_open else x <= high)
    )
    if not ok:
        left = "<" if low_open else "<="
        right = "<" if high_open else "<="
        raise ValueError(
            f"Invalid {name}: {value!r} (expected {low:g} {left} {name} {right} {high:g})"
        )
    return x


def check_positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float if finite and ``> 0`` (``>= 0`` with ``allow_zero``)."""
    x = _real(name, value)
    if not math.isfinite(x) or x < 0 or (x == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"Invalid {name}: {value!r} (expected a finite number {bound})")
    return x


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is a bool, else raise ``TypeError``."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}: {value!r}")
    return bool(value)


def check_int(name: str, value: Any, minimum: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer ``>= minimum``.

    Refuses bools, floats (even ``2.0``) and strings with ``TypeError``, and an
    integer below ``minimum`` with ``ValueError``:
    ``Invalid epochs: 0 (expected an int >= 1)``. NumPy integers are accepted.

    >>> check_int("epochs", 3, 1)
    3
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"Invalid {name}: {value!r} (expected an int >= {minimum})")
    return int(value)


def check_learning_rate(value: Any) -> float | Callable[[int], float]:
    """Accept a finite positive number or a callable schedule of the update count."""
    if callable(value):
        return value
    return check_positive("learning_rate", value)


def check_params(params: Any, what: str = "params") -> Mapping[str, np.ndarray]:
    """Check that ``params`` maps string keys to finite-dtype NumPy arrays.

    Parameters must be ``numpy.ndarray`` of a floating dtype (float16, float32,
    float64 or longdouble). Returns ``params`` itself.
    """
    if not isinstance(params, Mapping):
        raise TypeError(
            f"{what} must be a dict of arrays keyed by name, got {type(params).__name__}"
        )
    if not params:
        raise ValueError(f"{what} is empty: there is nothing to optimize")
    for key, value in params.items():
        if not isinstance(key, str):
            raise TypeError(f"{what} keys must be strings, got {key!r}")
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{what}[{key!r}] must be a numpy.ndarray, got {type(value).__name__}")
        if value.dtype.kind != "f":
            raise TypeError(
                f"{what}[{key!r}] has dtype {value.dtype}; expected a floating dtype "
                "(float32 or float64)"
            )
    return params


def check_grads(grads: Any, params: Mapping[str, np.ndarray], what: str = "grads") -> None:
    """Check that ``grads`` has exactly the keys of ``params``, same shapes, float dtype."""
    check_params(grads, what)
    missing = [k for k in params if k not in grads]
    if missing:
        raise ValueError(f"{what} is missing key {missing[0]!r} (present in params)")
    extra = [k for k in grads if k not in params]
    if extra:
        raise ValueError(f"{what} has key {extra[0]!r}, which params does not have")
    for key, w in params.items():
        if grads[key].shape != w.shape:
            raise ValueError(
                f"{what}[{key!r}] has shape {grads[key].shape}, "
                f"but params[{key!r}] has shape {w.shape}"
            )


def check_slots(
    state: Any,
    params: Mapping[str, np.ndarray],
    slots: tuple[str, ...],
    shape: Callable[[str, np.ndarray], tuple[int, ...]] | None = None,
    scalars: tuple[str, ...] = (),
) -> int:
    """Check an optimizer state against ``params``; return its update count ``t``.

    A state is a dict with an int ``"t"`` (updates applied), an int ``"skipped"``,
    and for each slot name a dict of arrays keyed like ``params`` and shaped like
    them, or as ``shape(slot, param)`` says when given (Adafactor's factored
    rows and columns). A rule with ``scalars`` also has ``"scalars"``: a dict of
    exactly those names to finite floats.
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"state must be the dict returned by init(), got {type(state).__name__}")
    for key in ("t", "skipped"):
        value = state.get(key)
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"state[{key!r}] must be an int >= 0, got {value!r}")
    expected = {"t", "skipped", *slots, *(("scalars",) if scalars else ())}
    if set(state) != expected:
        unexpected = sorted(set(state) - expected)
        absent = sorted(expected - set(state))
        raise ValueError(
            f"state does not belong to this optimizer (it expects the slots {list(slots)}): "
            + (f"missing {absent} " if absent else "")
            + (f"unexpected {unexpected}" if unexpected else "")
        )
    for slot in slots:
        if shape is None:
            check_grads(state[slot], params, what=f"state[{slot!r}]")
        else:
            _check_slot_shapes(state[slot], params, slot, shape)
    if scalars:
        values = state["scalars"]
        if not isinstance(values, Mapping) or set(values) != set(scalars):
            found = sorted(values) if isinstance(values, Mapping) else type(values).__name__
            raise ValueError(f"state['scalars'] must hold exactly {list(scalars)}, got {found}")
        for name in scalars:
            value = values[name]
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(f"state['scalars'][{name!r}] must be a float, got {value!r}")
    return int(state["t"])


def _check_slot_shapes(arrays: Any, params: Mapping[str, np.ndarray], slot: str, shape) -> None:
    """``check_grads`` for a slot whose arrays have the shapes ``shape(slot, w)``."""
    what = f"state[{slot!r}]"
    if not isinstance(arrays, Mapping):
        raise TypeError(
            f"{what} must be a dict of arrays keyed by name, got {type(arrays).__name__}"
        )
    missing = [k for k in params if k not in arrays]
    if missing:
        raise ValueError(f"{what} is missing key {missing[0]!r} (present in params)")
    extra = [k for k in arrays if k not in params]
    if extra:
        raise ValueError(f"{what} has key {extra[0]!r}, which params does not have")
    for key, w in params.items():
        value = arrays[key]
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
            raise TypeError(f"{what}[{key!r}] must be a floating numpy.ndarray, got {value!r}")
        if value.shape != tuple(shape(slot, w)):
            raise ValueError(
                f"{what}[{key!r}] has shape {value.shape}, but this optimizer keeps shape "
                f"{tuple(shape(slot, w))} for params[{key!r}] of shape {w.shape}"
            )


def first_nonfinite(arrays: Mapping[str, np.ndarray]) -> str | None:
    """Return the first key whose array holds NaN or inf, or ``None``.

    A finite total proves every element finite (NaN and inf propagate through
    addition), so the element-wise test runs only when the total is not finite,
    which overflow of huge finite values can also cause.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = sum(np.add.reduce(a, axis=None) for a in arrays.values())
    if math.isfinite(total):
        return None
    for key, a in arrays.items():
        if not np.isfinite(a).all():
            return key
    return None
