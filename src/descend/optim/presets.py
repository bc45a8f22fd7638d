"""What the ``.torch`` and ``.optax`` presets share: the peers' arguments that change nothing.

Every rule whose reference is a PyTorch optimizer has a classmethod ``.torch``
taking that constructor's keyword arguments (without ``params``), with the same
names and defaults; every rule that Optax ships has ``.optax`` taking the Optax
function's. Each returns the descend optimizer that takes the same steps. An
argument that only chooses *how* the peer computes (PyTorch's ``foreach``,
``fused``, ``capturable``, ``differentiable``) is accepted and ignored; an
argument whose value would change the steps in a way descend cannot express
(``maximize=True``, ``centered=True``, a weight-decay ``mask``...) raises
``ValueError`` naming the argument and why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .checks import check_positive

__all__ = ["ScaledRate", "check_torch_flags", "refuse", "scaled_rate", "unpack_betas"]


def refuse(preset: str, name: str, value: Any, default: Any, why: str) -> None:
    """Raise ``ValueError`` if ``value`` is not ``default``: descend cannot take that step.

    >>> refuse("RMSProp.torch", "centered", False, False, "no centred form")
    >>> refuse("RMSProp.torch", "centered", True, False, "no centred form")
    Traceback (most recent call last):
    ...
    ValueError: RMSProp.torch(centered=True) has no descend equivalent: no centred form
    """
    if value is not default and value != default:
        raise ValueError(f"{preset}({name}={value!r}) has no descend equivalent: {why}")


def check_torch_flags(
    preset: str,
    *,
    maximize: bool = False,
    foreach: bool | None = None,
    capturable: bool = False,
    differentiable: bool = False,
    fused: bool | None = None,
) -> None:
    """Accept PyTorch's implementation switches; refuse ``maximize=True``.

    ``foreach``, ``fused``, ``capturable`` and ``differentiable`` choose how
    PyTorch computes the same step (loops, fused kernels, graphs, autograd), so
    they are accepted and ignored. ``maximize=True`` ascends; descend minimizes.
    """
    refuse(preset, "maximize", maximize, False, "descend minimizes (pass the negated gradients)")


def unpack_betas(preset: str, betas: Any) -> tuple[float, float]:
    """PyTorch's ``betas=(beta1, beta2)`` as two numbers (checked by the constructor)."""
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError):
        raise TypeError(f"{preset}: betas must be a pair (beta1, beta2), got {betas!r}") from None
    return beta1, beta2


@dataclass(frozen=True)
class ScaledRate:
    """The schedule ``n -> factor * schedule(n)`` (a preset that rescales a peer's rate)."""

    schedule: Callable[[int], float]
    factor: float

    def __call__(self, n: int) -> float:
        return self.factor * self.schedule(n)


def scaled_rate(name: str, rate: Any, factor: float) -> Any:
    """``factor * rate`` for a number, :class:`ScaledRate` for a schedule (``name`` for errors)."""
    if callable(rate):
        return ScaledRate(rate, factor)
    return check_positive(name, rate) * factor
