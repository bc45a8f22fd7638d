"""One optimizer's run on a surface, with everything the page shows of each update.

:func:`trace` calls ``optimizer.step`` on ``{"p": point}`` and records the
state it returns; nothing here re-derives an update rule.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ..optim import Adam, Optimizer
from ..optim.adam import bias_corrected
from ..surfaces import Surface

__all__ = ["ESCAPE", "trace"]

#: a path that leaves the disc of this radius has diverged
ESCAPE = 1e8


def _batches(n_examples: int, batch_size: int, seed: int) -> Iterator[np.ndarray]:
    """Mini-batches drawn as :func:`descend.surfaces.run_path` draws them."""
    rng = np.random.default_rng(seed)
    order: list[int] = []
    while True:
        if len(order) < batch_size:
            order = list(rng.permutation(n_examples))
        batch, order = np.array(order[:batch_size]), order[batch_size:]
        yield batch


def trace(
    surface: Surface,
    optimizer: Optimizer,
    start: Sequence[float],
    steps: int,
    *,
    batch_size: int | None = None,
    seed: int = 0,
    internals: bool = True,
) -> dict[str, Any]:
    """Run ``optimizer`` from ``start`` and record everything the page shows.

    Returns ``path`` (the points, ``steps + 1`` of them unless the run
    stopped early), ``loss`` (the loss on all the data at each point),
    ``stopped`` (``None``, or the update that failed and why: the optimizer
    raised, typically for an overflow, or the path left the plane) and, with
    ``internals``, for each update: the ``learning_rate`` (``None`` for an
    optimizer without one rate, such as a partition), the ``gradient`` it used,
    the state ``slots`` after it (``v``, ``s``, ...), the bias-corrected
    moments ``corrected`` (Adam and its subclasses: ``v``, ``s`` and
    ``s_max``, those it has) and the ``step`` taken, new point minus old.
    """
    params = {"p": np.array(start, dtype=float)}
    path, losses = [params["p"]], [surface.loss(params["p"])]
    record: dict[str, Any] = {"learning_rate": [], "gradient": [], "step": []}
    record["slots"] = {slot: [] for slot in optimizer.slots}
    corrected: dict[str, float] = {}
    if isinstance(optimizer, Adam):
        betas = {"v": optimizer.beta1, "s": optimizer.beta2, "s_max": optimizer.beta2}
        corrected = {slot: beta for slot, beta in betas.items() if slot in optimizer.slots}
    record["corrected"] = {slot: [] for slot in corrected}
    batches = _batches(surface.n_examples, batch_size, seed) if batch_size else None
    stopped = None
    try:
        state = optimizer.init(params)
    except (TypeError, ValueError) as err:  # a rule that cannot take a vector of 2
        state, stopped, steps = None, {"step": 0, "reason": str(err)}, 0
    with np.errstate(all="ignore"):
        for k in range(1, steps + 1):
            g = surface.grad(params["p"], None if batches is None else next(batches))
            rate = _rate(optimizer, state["t"])
            try:
                new_params, state = optimizer.step(params, {"p": g}, state)
            except (TypeError, ValueError) as err:  # a non-finite gradient, an overflow...
                stopped = {"step": k, "reason": str(err)}
                break
            point = new_params["p"]
            loss = surface.loss(point)
            if not math.isfinite(loss) or float(np.hypot(*point)) > ESCAPE:
                stopped = {"step": k, "reason": f"the path left the plane (|p| > {ESCAPE:g})"}
                break
            if internals:
                record["learning_rate"].append(rate)
                record["gradient"].append(g.tolist())
                record["step"].append((point - params["p"]).tolist())
                for slot in optimizer.slots:
                    record["slots"][slot].append(state[slot]["p"].tolist())
                for slot, beta in corrected.items():
                    value = bias_corrected(state[slot]["p"], beta, state["t"])
                    record["corrected"][slot].append(value.tolist())
            params = new_params
            path.append(point)
            losses.append(loss)
    out: dict[str, Any] = {
        "path": np.array(path).tolist(),
        "loss": losses,
        "stopped": stopped,
    }
    if internals:
        out["internals"] = record
    return out


def _rate(optimizer: Optimizer, t: int) -> float | None:
    """The learning rate of the update after ``t``, or None for rules without one."""
    try:
        return optimizer.rate(t)
    except (AttributeError, TypeError):
        return None
