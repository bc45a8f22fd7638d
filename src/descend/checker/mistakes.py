"""The known mistakes: name, the function with the mistake built in, what to tell the learner.

When a learner's function fails, the checker runs the variants of that function
(:mod:`descend.checker.variants`) on the same cases; if the learner's outcome
equals one variant's on *every* case, the report names that mistake. A
diagnosis says what is wrong and shows the wrong line as the learner probably
wrote it.

A few mistakes are families rather than one output (any other permutation,
any function that returns nothing, a ``KeyError: 'W0'``); those give a
``matches`` test of the learner's outcome instead of a variant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import textbook as tb
from . import variants as var
from .cases import Case
from .compare import Raised

__all__ = ["MISTAKES", "Mistake"]


@dataclass(frozen=True)
class Mistake:
    """One known mistake: a variant of the function (or a test), and what to tell the learner."""

    name: str
    diagnosis: str
    variant: Callable[..., Any] | None = None
    matches: Callable[[Any, Case], bool] | None = None


# -- the families --------------------------------------------------------------------------
def _layer_zero(outcome: Any, case: Case) -> bool:
    """``for l in range(L)`` with ``str(l)``: the first lookup is layer 0, which does not exist."""
    return (
        isinstance(outcome, Raised)
        and outcome.type_name == "KeyError"
        and outcome.message in ("'W0'", "'b0'", "'dW0'", "'db0'")
    )


def _nothing(outcome: Any, case: Case) -> bool:
    return outcome is None


def _another_permutation(outcome: Any, case: Case) -> bool:
    """Right batch sizes, every example once with its own label, in another order."""
    X, Y, *rest = case.args
    size, m = (rest[0] if rest else 64), X.shape[1]
    try:
        xs = np.concatenate([np.asarray(b[0]) for b in outcome], axis=1)
        ys = np.concatenate([np.asarray(b[1]) for b in outcome], axis=1)
        sizes = [np.shape(b[0])[1] for b in outcome]
    except Exception:  # not a list of (X, Y) pairs of 2-D arrays
        return False
    if sizes != [min(size, m - k) for k in range(0, m, size)] or xs.shape != X.shape:
        return False
    column = {X[:, j].tobytes(): j for j in range(m)}
    order = [column.get(xs[:, j].tobytes()) for j in range(m)]
    if sorted(o for o in order if o is not None) != list(range(m)):
        return False
    return ys.shape == Y.shape and np.array_equal(ys, Y[:, order])


LAYER_ZERO = Mistake(
    "layer-not-shifted",
    'the layer number is not shifted: for l in range(L) looks up parameters["W" + str(l)], '
    "and there is no W0 (layers are numbered from 1)",
    matches=_layer_zero,
)
NO_RETURN = Mistake(
    "no-return", "the function returns nothing: the return statement is missing", matches=_nothing
)


def _loop_mistakes(name: str) -> list[Mistake]:
    """The mistakes of the loop over the layers, in the update function ``name``."""
    update = getattr(tb, name)
    return [
        Mistake(
            "b-not-updated",
            'b is not updated: parameters["b" + str(l)] keeps its old value',
            var.b_not_updated(update),
        ),
        Mistake(
            "last-layer-skipped",
            "the last layer is skipped: the loop stops before layer L = len(parameters) // 2",
            var.last_layer_skipped(update),
        ),
        LAYER_ZERO,
        NO_RETURN,
    ]


def _initializer_mistakes(name: str, slots: int) -> list[Mistake]:
    what, are, s_ = ("v", "is", "s") if slots == 1 else ("v and s", "are", "")
    return [
        Mistake(
            "keys-without-d",
            f'{what} {are} keyed W1, b1, ... instead of dW1, db1, ...: v["W" + str(l)]',
            var.state_of(var.keyed_like_parameters, slots),
        ),
        Mistake(
            "parameters-copied",
            f"{what} start{s_} from the parameters' values instead of zeros: "
            'v["dW" + str(l)] = parameters["W" + str(l)]',
            var.state_of(var.parameters_copied, slots),
        ),
        Mistake(
            "dW-shaped-like-b",
            f"{what} for dW {are} shaped like b instead of W: "
            'np.zeros(parameters["b" + str(l)].shape)',
            var.state_of(var.shaped_like_b, slots),
        ),
        Mistake(
            "last-layer-missing",
            f"{what} lack{s_} the last layer: the loop stops before layer L = len(parameters) // 2",
            var.state_without_last_layer(getattr(tb, name)),
        ),
        LAYER_ZERO,
        NO_RETURN,
    ]


# -- the table --------------------------------------------------------------------------------
MISTAKES: dict[str, list[Mistake]] = {
    "update_parameters_with_gd": [
        Mistake(
            "ascent",
            "the gradient is added instead of subtracted: W = W + learning_rate * dW",
            var.gd_ascent,
        ),
        *_loop_mistakes("update_parameters_with_gd"),
    ],
    "random_mini_batches": [
        Mistake(
            "y-not-shuffled",
            "X is shuffled but Y is not: shuffled_Y = Y instead of Y[:, permutation]",
            var.batches_with_y_order(var.unshuffled),
        ),
        Mistake(
            "y-second-permutation",
            "Y is shuffled with a second permutation, not X's: "
            "shuffled_Y = Y[:, np.random.permutation(m)]",
            var.batches_with_y_order(var.second_permutation),
        ),
        Mistake(
            "rows-shuffled",
            "the rows are shuffled instead of the columns (examples are columns): "
            "X[permutation, :] instead of X[:, permutation]",
            var.batches_of_rows,
        ),
        Mistake(
            "short-batch-dropped",
            "the short last mini-batch is dropped: the m % mini_batch_size examples left over "
            "must form one more batch",
            var.short_batch_dropped,
        ),
        Mistake(
            "batch-starts-at-k",
            "mini-batch k starts at column k instead of k * mini_batch_size: "
            "shuffled_X[:, k : k + mini_batch_size]",
            var.batches_start_at_k,
        ),
        Mistake(
            "default-rng",
            "the permutation comes from np.random.default_rng(seed).permutation(m) instead of "
            "np.random.seed(seed) then np.random.permutation(m)",
            var.batches_from_default_rng,
        ),
        NO_RETURN,
        Mistake(
            "another-permutation",
            "the batches are shuffled with another permutation than np.random.seed(seed) then "
            "np.random.permutation(m): is the seed set, and is the permutation the first draw?",
            matches=_another_permutation,
        ),
    ],
    "initialize_velocity": _initializer_mistakes("initialize_velocity", 1),
    "update_parameters_with_momentum": [
        Mistake(
            "swapped",
            "β and 1 - β are swapped: v = (1 - beta) * v + beta * dW",
            var.momentum_rule(var.momentum_swapped),
        ),
        Mistake(
            "no-damping",
            "the factor 1 - β is missing: v = beta * v + dW",
            var.momentum_rule(var.momentum_no_damping),
        ),
        Mistake(
            "steps-with-dW",
            "the step uses the gradient instead of the velocity: W = W - learning_rate * dW",
            var.momentum_rule(var.momentum_steps_with_dW),
        ),
        Mistake(
            "steps-with-old-v",
            "the step uses the velocity of the previous update: W is updated before v",
            var.momentum_rule(var.momentum_steps_with_old_v),
        ),
        *_loop_mistakes("update_parameters_with_momentum"),
    ],
    "initialize_adam": _initializer_mistakes("initialize_adam", 2),
    "update_parameters_with_adam": [
        Mistake(
            "no-bias-correction",
            "the bias correction is missing: the step uses v and s instead of "
            "v / (1 - beta1**t) and s / (1 - beta2**t)",
            var.adam_rule(var.adam_with_t(lambda t: float("inf"))),  # beta**inf == 0
        ),
        Mistake(
            "t-plus-1",
            "the bias correction uses t+1 instead of t: v_corrected = v / (1 - beta1**(t+1))",
            var.adam_rule(var.adam_with_t(lambda t: t + 1)),
        ),
        Mistake(
            "t-minus-1",
            "the bias correction uses t-1 instead of t: v_corrected = v / (1 - beta1**(t-1)), "
            "a division by zero at t = 1",
            var.adam_rule(var.adam_with_t(lambda t: t - 1)),
        ),
        Mistake(
            "beta-not-power",
            "the bias correction uses β instead of β^t: v_corrected = v / (1 - beta1)",
            var.adam_rule(var.adam_with_t(lambda t: 1)),
        ),
        Mistake(
            "s-from-dW",
            "s averages dW instead of dW²: s = beta2 * s + (1 - beta2) * dW",
            var.adam_rule(var.adam_s_from_dW),
        ),
        Mistake(
            "s-corrected-with-beta1",
            "s_corrected uses beta1 instead of beta2: s_corrected = s / (1 - beta1**t)",
            var.adam_rule(var.adam_s_corrected_with_beta1),
        ),
        Mistake(
            "corrected-as-state",
            "the corrected moments are stored as the state: the v and s returned are "
            "v_corrected and s_corrected, so the next step corrects them again",
            var.adam_corrected_as_state,
        ),
        Mistake(
            "swapped",
            "β and 1 - β are swapped: v = (1 - beta1) * v + beta1 * dW and "
            "s = (1 - beta2) * s + beta2 * dW²",
            var.adam_rule(var.adam_swapped),
        ),
        Mistake(
            "no-damping",
            "the factors 1 - β are missing: v = beta1 * v + dW and s = beta2 * s + dW²",
            var.adam_rule(var.adam_no_damping),
        ),
        Mistake(
            "epsilon-inside",
            "ε is inside the square root instead of outside: np.sqrt(s_corrected + epsilon) "
            "instead of np.sqrt(s_corrected) + epsilon",
            var.adam_rule(var.adam_epsilon_inside),
        ),
        *_loop_mistakes("update_parameters_with_adam"),
    ],
    "update_lr": [
        Mistake(
            "no-parentheses",
            "the parentheses are missing: learning_rate0 / 1 + decay_rate * epoch_num",
            var.lr_without_parentheses,
        ),
        Mistake(
            "multiplied",
            "the rate is multiplied instead of divided: "
            "learning_rate0 * (1 + decay_rate * epoch_num)",
            var.lr_multiplied,
        ),
        Mistake(
            "epoch-plus-1",
            "the epoch is counted from 1: learning_rate0 / (1 + decay_rate * (epoch_num + 1))",
            var.lr_epoch_from_1,
        ),
        NO_RETURN,
    ],
    "schedule_lr_decay": [
        Mistake(
            "no-floor",
            "the floor is missing: learning_rate0 / (1 + decay_rate * epoch_num / time_interval) "
            "decays a little every epoch instead of once every time_interval epochs",
            var.schedule_without_floor,
        ),
        Mistake(
            "no-interval",
            "time_interval is ignored: learning_rate0 / (1 + decay_rate * epoch_num)",
            var.schedule_without_interval,
        ),
        NO_RETURN,
    ],
}
