"""Outcomes of one call and the first place where two of them differ.

An outcome is what a call gave back, reduced to plain data that pickles across
processes: dicts, lists, tuples, NumPy arrays, numbers, strings and None
(anything else becomes an :class:`Opaque` naming its type), or the exception it
raised (:class:`Raised`). Arrays and numbers are compared with a relative and an
absolute tolerance, so that a correct implementation written another way (a
loop or a comprehension, ``np.power`` or ``**``) is never reported, while any
real mistake moves some element far beyond it.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "ATOL",
    "RTOL",
    "Difference",
    "Opaque",
    "Raised",
    "first_difference",
    "plain",
    "return_difference",
    "same",
]

RTOL = 1e-7
ATOL = 1e-10
_DEPTH = 8  # nesting deeper than any course return value is shown as opaque


@dataclass(frozen=True)
class Opaque:
    """A returned object that is none of the plain kinds; only its type is kept."""

    type_name: str


@dataclass(frozen=True)
class Raised:
    """The exception a call raised, and the learner's line it came from (if known)."""

    type_name: str
    message: str
    line: str = ""

    def __str__(self) -> str:
        return f"{self.type_name}: {self.message}" if self.message else self.type_name


@dataclass(frozen=True)
class Difference:
    """The first difference: where (``v["dW1"]``), the element index, and both sides as text."""

    where: str
    expected: str
    got: str
    index: tuple[int, ...] | None = None

    @property
    def place(self) -> str:
        if self.index is None:
            return self.where
        return f"{self.where}[{', '.join(map(str, self.index))}]"


def plain(value: Any, depth: int = 0) -> Any:
    """``value`` as plain, picklable data (NumPy scalars become Python numbers)."""
    if depth > _DEPTH:
        return Opaque(type(value).__name__)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf":
            return np.array(value)
        return Opaque(f"ndarray of dtype {value.dtype}")
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()
    if isinstance(value, dict):
        return {plain(k, depth + 1): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(plain(v, depth + 1) for v in value)
    if isinstance(value, list):
        return [plain(v, depth + 1) for v in value]
    return Opaque(type(value).__name__)


def _kind(value: Any) -> str:
    """A short, learner-facing name of what ``value`` is."""
    if isinstance(value, Opaque):
        return value.type_name
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, numbers.Real):
        return "a number"
    if isinstance(value, dict):
        return "a dict"
    if isinstance(value, list | tuple):
        return f"a {type(value).__name__} of {len(value)}"
    return type(value).__name__


def _number(x: float) -> str:
    return repr(float(x))


def first_difference(expected: Any, got: Any, where: str) -> Difference | None:
    """The first place where ``got`` differs from ``expected``, or None if they agree.

    Dict keys are compared as sets (order is free); lists and tuples item by
    item (either sequence type may stand for the other); arrays by shape, then
    element by element in C order.
    """
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return Difference(where, "a dict", _kind(got))
        missing = [k for k in expected if k not in got]
        if missing:
            return Difference(where, f"a key {missing[0]!r}", f"no key {missing[0]!r}")
        extra = [k for k in got if k not in expected]
        if extra:
            return Difference(where, f"no key {extra[0]!r}", f"a key {extra[0]!r}")
        for key in expected:
            found = first_difference(expected[key], got[key], f"{where}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(expected, list | tuple):
        if not isinstance(got, list | tuple):
            return Difference(where, _kind(expected), _kind(got))
        if len(got) != len(expected):
            return Difference(where, _kind(expected), _kind(got))
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            found = first_difference(e, g, f"{where}[{i}]")
            if found:
                return found
        return None
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            return Difference(where, _kind(expected), _kind(got))
        if got.shape != expected.shape:
            return Difference(where, f"shape {expected.shape}", f"shape {got.shape}")
        close = np.isclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True)
        if close.all():
            return None
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        return Difference(where, _number(expected[index]), _number(got[index]), index)
    if isinstance(expected, numbers.Real):
        if not isinstance(got, numbers.Real) or isinstance(got, bool):
            return Difference(where, "a number", _kind(got))
        if np.isclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True):
            return None
        return Difference(where, _number(expected), _number(got))
    if expected != got:
        return Difference(where, repr(expected), repr(got))
    return None


def return_difference(
    expected: Any,
    got: Any,
    parts: str | tuple[str, ...],
    arities: tuple[int, ...] = (),
    order: tuple[int, ...] = (),
) -> Difference | None:
    """:func:`first_difference` of a whole return value, its parts named as the course names them.

    ``parts`` is the name of a single return value (``"parameters"``) or the
    names of a returned tuple's items; ``arities`` lists the tuple lengths that
    are accepted (``(3, 5)`` for Adam: the shorter one is compared as a prefix);
    ``order`` is the order in which the items are compared, the order they are
    computed in (Adam's ``v`` before ``v_corrected`` before ``parameters``), so
    that the first difference is the step that went wrong.
    """
    if isinstance(parts, str):
        return first_difference(expected, got, parts)
    arities = arities or (len(parts),)
    if not isinstance(got, list | tuple) or len(got) not in arities:
        wanted = " or ".join(f"a tuple ({', '.join(parts[:n])})" for n in arities)
        return Difference("the return value", wanted, _kind(got))
    for i in order or range(len(parts)):
        if i < len(got):
            found = first_difference(expected[i], got[i], parts[i])
            if found:
                return found
    return None


def same(
    expected: Any,
    got: Any,
    difference: Callable[[Any, Any], Difference | None] = lambda e, g: first_difference(e, g, ""),
) -> bool:
    """Whether two outcomes agree: no ``difference``, or the same exception and message."""
    if isinstance(expected, Raised) or isinstance(got, Raised):
        return (
            isinstance(expected, Raised)
            and isinstance(got, Raised)
            and (expected.type_name, expected.message) == (got.type_name, got.message)
        )
    return difference(expected, got) is None
