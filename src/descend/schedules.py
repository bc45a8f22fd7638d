"""Learning-rate schedules: callables of a step count ``n`` returning a rate.

Unit and origin: every schedule here is a function of ``n``, the number of
*updates already applied* (``n = 0`` for the first update), which is what an
optimizer passes when its ``learning_rate`` is a schedule. This is also the
count of PyTorch's ``lr_scheduler`` (``n`` = calls of ``scheduler.step()``
made before the update) and of Optax schedules (``count`` of the update).

To decay once per *epoch* instead, write the schedule in epochs and wrap it
with :func:`per_epoch`, which turns an update count into the number of epochs
completed (0 during the first epoch). The course's ``update_lr`` and
``schedule_lr_decay`` are :class:`InverseTime` with ``interval=1`` and
``interval=time_interval``, evaluated at the epoch number.

Schedules are small frozen dataclasses, so they print, compare and pickle.
docs/conventions.md lists each one's PyTorch, Optax and Keras equivalent.

>>> warmup_cosine = Warmup(Cosine(0.1, steps=90), steps=10)
>>> [round(warmup_cosine(n), 4) for n in (0, 5, 10, 55, 100, 200)]
[0.0, 0.05, 0.1, 0.05, 0.0, 0.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .optim.checks import check_int, check_positive, check_range

__all__ = [
    "Constant",
    "Cosine",
    "Exponential",
    "InverseTime",
    "Step",
    "Warmup",
    "check_count",
    "per_epoch",
]

Schedule = Callable[[int], float]


def check_count(name: str, n: object, minimum: int = 0) -> int:
    """:func:`~descend.optim.checks.check_int` with a default ``minimum`` of 0 (a count)."""
    return check_int(name, n, minimum)


@dataclass(frozen=True)
class Constant:
    """``α(n) = learning_rate`` for every ``n >= 0`` (any unit)."""

    learning_rate: float

    def __post_init__(self) -> None:
        check_positive("learning_rate", self.learning_rate)

    def __call__(self, n: int) -> float:
        return float(self.learning_rate)


@dataclass(frozen=True)
class InverseTime:
    r"""Inverse-time decay: :math:`\alpha(n) = \alpha_0 / (1 + r \lfloor n / k \rfloor)`.

    Unit: updates (or epochs, under :func:`per_epoch`), ``n`` from 0, where
    α = α0. With ``interval`` k = 1 this is the course's ``update_lr``; with
    k = ``time_interval`` it is ``schedule_lr_decay`` (the floor makes it a
    staircase that drops every k steps). Keras
    ``InverseTimeDecay(α0, decay_steps=k, decay_rate=r, staircase=True)`` is the
    same; PyTorch and Optax have no built-in equivalent.
    """

    learning_rate: float
    decay_rate: float
    interval: int = 1

    def __post_init__(self) -> None:
        check_positive("learning_rate", self.learning_rate)
        check_positive("decay_rate", self.decay_rate, allow_zero=True)
        check_int("interval", self.interval, 1)

    def __call__(self, n: int) -> float:
        n = check_int("n", n, 0)
        return self.learning_rate / (1 + self.decay_rate * (n // self.interval))


@dataclass(frozen=True)
class Step:
    r"""Staircase decay: :math:`\alpha(n) = \alpha_0 \gamma^{\lfloor n / k \rfloor}`.

    Unit: updates, ``n`` from 0 (α = α0 for ``n < k``). Equals PyTorch
    ``StepLR(step_size=k, gamma=γ)`` with ``n`` the scheduler's step count, and
    Optax ``exponential_decay(α0, k, γ, staircase=True)``.
    """

    learning_rate: float
    gamma: float
    interval: int

    def __post_init__(self) -> None:
        check_positive("learning_rate", self.learning_rate)
        check_range("gamma", self.gamma, 0.0, 1.0, low_open=True, high_open=False)
        check_int("interval", self.interval, 1)

    def __call__(self, n: int) -> float:
        n = check_int("n", n, 0)
        return self.learning_rate * self.gamma ** (n // self.interval)


@dataclass(frozen=True)
class Exponential:
    r"""Exponential decay: :math:`\alpha(n) = \alpha_0 \gamma^{n / k}`.

    Unit: updates, ``n`` from 0 (α = α0). Equals Optax
    ``exponential_decay(α0, transition_steps=k, decay_rate=γ)`` (without
    staircase). With k = 1 it is PyTorch ``ExponentialLR(gamma=γ)``.
    """

    learning_rate: float
    gamma: float
    interval: int = 1

    def __post_init__(self) -> None:
        check_positive("learning_rate", self.learning_rate)
        check_range("gamma", self.gamma, 0.0, 1.0, low_open=True, high_open=False)
        check_int("interval", self.interval, 1)

    def __call__(self, n: int) -> float:
        n = check_int("n", n, 0)
        return self.learning_rate * self.gamma ** (n / self.interval)


@dataclass(frozen=True)
class Cosine:
    r"""Cosine decay from α0 to ``final`` over ``steps`` updates, then constant.

    .. math:: \alpha(n) = \alpha_f + (\alpha_0 - \alpha_f)\,
              \tfrac12\left(1 + \cos\!\left(\pi \min(n, N) / N\right)\right)

    Unit: updates, ``n`` from 0 (α = α0), reaching α_f at ``n = N``. Equals
    PyTorch ``CosineAnnealingLR(T_max=N, eta_min=α_f)`` for ``n <= N`` (PyTorch
    then rises again; this stays at α_f) and Optax
    ``cosine_decay_schedule(α0, N, alpha=α_f/α0)``.
    """

    learning_rate: float
    steps: int
    final: float = 0.0

    def __post_init__(self) -> None:
        check_positive("learning_rate", self.learning_rate)
        check_int("steps", self.steps, 1)
        check_positive("final", self.final, allow_zero=True)

    def __call__(self, n: int) -> float:
        n = min(check_int("n", n, 0), self.steps)
        cos = 0.5 * (1 + math.cos(math.pi * n / self.steps))
        return self.final + (self.learning_rate - self.final) * cos


@dataclass(frozen=True)
class Warmup:
    r"""Linear warmup from ``start`` over ``steps`` updates, then ``after`` (from its 0).

    .. math:: \alpha(n) = \alpha_s + (\text{after}(0) - \alpha_s)\, n / N
              \quad (n < N), \qquad \alpha(n) = \text{after}(n - N) \quad (n \ge N)

    Unit: updates, ``n`` from 0. The rate reaches ``after(0)`` at ``n = N``, where
    ``after`` starts its own count at 0. With the default ``start = 0`` the
    first update has rate 0 (it moves nothing but feeds Adam's moments), as in
    the peers:

    - Optax ``join_schedules([linear_schedule(α_s, after(0), N), after], [N])``;
      with a cosine ``after`` this is ``warmup_cosine_decay_schedule``.
    - PyTorch ``SequentialLR([LinearLR(start_factor=α_s/after(0), total_iters=N),
      after], milestones=[N])`` (PyTorch needs ``α_s > 0``).
    """

    after: Schedule
    steps: int
    start: float = 0.0

    def __post_init__(self) -> None:
        if not callable(self.after):
            raise TypeError(f"after must be a schedule (callable), got {self.after!r}")
        check_int("steps", self.steps, 1)
        check_positive("start", self.start, allow_zero=True)

    def __call__(self, n: int) -> float:
        n = check_int("n", n, 0)
        if n >= self.steps:
            return self.after(n - self.steps)
        peak = self.after(0)
        return self.start + (peak - self.start) * n / self.steps


@dataclass(frozen=True)
class per_epoch:
    """Turn a schedule of *epochs completed* into one of *updates applied*.

    ``per_epoch(s, batches_per_epoch)(n) == s(n // batches_per_epoch)``: every
    update of epoch ``e`` (counting from 0) uses the rate ``s(e)``. This is
    PyTorch's habit of calling ``scheduler.step()`` once per epoch.

    >>> per_epoch(Step(1.0, gamma=0.5, interval=1), batches_per_epoch=3)(7)
    0.25
    """

    schedule: Schedule
    batches_per_epoch: int

    def __post_init__(self) -> None:
        if not callable(self.schedule):
            raise TypeError(f"schedule must be callable, got {self.schedule!r}")
        check_int("batches_per_epoch", self.batches_per_epoch, 1)

    def __call__(self, n: int) -> float:
        return self.schedule(check_int("n", n, 0) // self.batches_per_epoch)
