"""The course functions, each with one known mistake built in.

These are the only deliberately wrong formulas in descend, each one small.
Everything right in them comes from descend's verified functions
(:mod:`descend.textbook`, :mod:`descend.optim`, :mod:`descend.batching`):
a variant that gets the bias correction wrong takes its moments from
:func:`descend.optim.adam_update`, and one that shuffles Y wrongly cuts the
batches with :func:`descend.batching.partition`. Each variant has the
signature of the course function; :mod:`descend.checker.mistakes` pairs them
with what to tell the learner.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import batching
from .. import textbook as tb
from ..optim.adam import adam_update, bias_corrected
from ..optim.sgd import gd_update, momentum_update


# -- mistakes of every function with a loop over the layers ------------------------------
def b_not_updated(update: Callable) -> Callable:
    """``update`` with the lines that write ``parameters["b" + ...]`` left out."""

    def variant(parameters, *args):
        before = dict(parameters)
        out = update(parameters, *args)
        (out[0] if isinstance(out, tuple) else out).update(
            {k: w for k, w in before.items() if k.startswith("b")}
        )
        return out

    return variant


def last_layer_skipped(update: Callable) -> Callable:
    """``update`` with the loop ``for l in range(L - 1)``: layer L and its state stay as given."""

    def variant(parameters, grads, *args):
        last = {f"W{len(parameters) // 2}", f"b{len(parameters) // 2}"}
        given = [dict(d) for d in (parameters, *args) if isinstance(d, dict)]
        out = update(parameters, grads, *args)
        outs = out if isinstance(out, tuple) else (out,)
        for i, d in enumerate(outs):
            for key in [k for k in d if k.removeprefix("d") in last]:
                if i < len(given):
                    d[key] = given[i][key]  # parameters, v, s: not updated
                else:
                    del d[key]  # v_corrected, s_corrected: never filled in
        return out

    return variant


# -- update_parameters_with_gd --------------------------------------------------------
def gd_ascent(parameters, grads, learning_rate):
    return tb.update_parameters_with_gd(
        parameters, {k: -g for k, g in grads.items()}, learning_rate
    )


# -- update_parameters_with_momentum ------------------------------------------------
def momentum_rule(rule: Callable) -> Callable:
    """The course's momentum loop around ``rule(w, g, v, beta, learning_rate) -> (w, v)``."""

    def variant(parameters, grads, v, beta, learning_rate):
        new_v = {}
        for k in list(parameters):
            parameters[k], new_v[f"d{k}"] = rule(
                parameters[k], grads[f"d{k}"], v[f"d{k}"], beta, learning_rate
            )
        return parameters, new_v

    return variant


def momentum_swapped(w, g, v, beta, learning_rate):
    v = (1 - beta) * v + beta * g
    return gd_update(w, v, learning_rate), v


def momentum_no_damping(w, g, v, beta, learning_rate):
    v = beta * v + g
    return gd_update(w, v, learning_rate), v


def momentum_steps_with_dW(w, g, v, beta, learning_rate):
    _, v = momentum_update(w, g, v, learning_rate, beta)
    return gd_update(w, g, learning_rate), v


def momentum_steps_with_old_v(w, g, v, beta, learning_rate):
    _, new_v = momentum_update(w, g, v, learning_rate, beta)
    return gd_update(w, v, learning_rate), new_v


# -- update_parameters_with_adam ----------------------------------------------------
def adam_rule(rule: Callable) -> Callable:
    """The course's Adam loop around ``rule(w, g, v, s, t, lr, beta1, beta2, epsilon)``.

    ``rule`` returns ``(w, v, s, v_corrected, s_corrected)`` for one array.
    """

    def variant(
        parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8
    ):
        out: tuple[dict, ...] = ({}, {}, {}, {}, {})
        for k in parameters:
            d = f"d{k}"
            results = rule(
                parameters[k], grads[d], v[d], s[d], t, learning_rate, beta1, beta2, epsilon
            )
            out[0][k] = results[0]
            for slot, value in zip(out[1:], results[1:], strict=True):
                slot[d] = value
        return out

    return variant


def adam_step(w, v_corrected, s_corrected, learning_rate, epsilon):
    """The right step from the corrected moments, for variants that went wrong before it."""
    return w - learning_rate * v_corrected / (np.sqrt(s_corrected) + epsilon)


def adam_with_t(shift: Callable[[int], float]) -> Callable:
    """Adam whose bias correction uses ``shift(t)`` instead of ``t`` (the moments do not use t)."""

    def rule(w, g, v, s, t, lr, beta1, beta2, epsilon):
        w, v, s = adam_update(w, g, v, s, shift(t), lr, beta1, beta2, epsilon)
        return w, v, s, bias_corrected(v, beta1, shift(t)), bias_corrected(s, beta2, shift(t))

    return rule


def adam_from_moments(w, v, s, t, lr, beta1, beta2, epsilon):
    v_corrected, s_corrected = bias_corrected(v, beta1, t), bias_corrected(s, beta2, t)
    return adam_step(w, v_corrected, s_corrected, lr, epsilon), v, s, v_corrected, s_corrected


def adam_s_from_dW(w, g, v, s, t, lr, beta1, beta2, epsilon):
    v = beta1 * v + (1 - beta1) * g
    s = beta2 * s + (1 - beta2) * g  # dW, not dW**2
    return adam_from_moments(w, v, s, t, lr, beta1, beta2, epsilon)


def adam_swapped(w, g, v, s, t, lr, beta1, beta2, epsilon):
    v = (1 - beta1) * v + beta1 * g
    s = (1 - beta2) * s + beta2 * g**2
    return adam_from_moments(w, v, s, t, lr, beta1, beta2, epsilon)


def adam_no_damping(w, g, v, s, t, lr, beta1, beta2, epsilon):
    v = beta1 * v + g
    s = beta2 * s + g**2
    return adam_from_moments(w, v, s, t, lr, beta1, beta2, epsilon)


def adam_epsilon_inside(w, g, v, s, t, lr, beta1, beta2, epsilon):
    """The origin note's code: descend's own ``epsilon_inside_sqrt`` option."""
    w, v, s = adam_update(w, g, v, s, t, lr, beta1, beta2, epsilon, epsilon_inside_sqrt=True)
    return w, v, s, bias_corrected(v, beta1, t), bias_corrected(s, beta2, t)


def adam_s_corrected_with_beta1(w, g, v, s, t, lr, beta1, beta2, epsilon):
    _, v, s = adam_update(w, g, v, s, t, lr, beta1, beta2, epsilon)
    v_corrected, s_corrected = bias_corrected(v, beta1, t), bias_corrected(s, beta1, t)
    return adam_step(w, v_corrected, s_corrected, lr, epsilon), v, s, v_corrected, s_corrected


def adam_corrected_as_state(parameters, grads, v, s, t, *hyperparameters):
    parameters, _, _, v_corrected, s_corrected = tb.update_parameters_with_adam(
        parameters, grads, v, s, t, *hyperparameters
    )
    return parameters, v_corrected, s_corrected, v_corrected, s_corrected


# -- random_mini_batches ----------------------------------------------------------------
def batches_with_y_order(y_order: Callable[[int, int], np.ndarray]) -> Callable:
    """Mini-batches of X in the right order, of Y in ``y_order(m, seed)``."""

    def variant(X, Y, mini_batch_size=64, seed=0):
        m = X.shape[1]
        xs = batching.partition(X, Y, batching.legacy_permutation(m, seed), mini_batch_size)
        ys = batching.partition(X, Y, y_order(m, seed), mini_batch_size)
        return [(bx, by) for (bx, _), (_, by) in zip(xs, ys, strict=True)]

    return variant


def unshuffled(m: int, seed: int) -> np.ndarray:
    return np.arange(m)


def second_permutation(m: int, seed: int) -> np.ndarray:
    rng = np.random.RandomState(seed)
    rng.permutation(m)
    return rng.permutation(m)


def batches_of_rows(X, Y, mini_batch_size=64, seed=0):
    permutation = batching.legacy_permutation(X.shape[1], seed)
    X, Y = X[permutation, :], Y[permutation, :]  # rows: raises IndexError unless m <= rows
    return batching.partition(X, Y, np.arange(X.shape[1]), mini_batch_size)


def short_batch_dropped(X, Y, mini_batch_size=64, seed=0):
    batches = tb.random_mini_batches(X, Y, mini_batch_size, seed)
    return batches[:-1] if X.shape[1] % mini_batch_size else batches


def batches_start_at_k(X, Y, mini_batch_size=64, seed=0):
    m = X.shape[1]
    [(X, Y)] = tb.random_mini_batches(X, Y, m, seed)  # shuffled, one batch
    complete = m // mini_batch_size
    batches = [
        (X[:, k : k + mini_batch_size], Y[:, k : k + mini_batch_size]) for k in range(complete)
    ]
    if m % mini_batch_size:
        batches.append((X[:, complete * mini_batch_size :], Y[:, complete * mini_batch_size :]))
    return batches


def batches_from_default_rng(X, Y, mini_batch_size=64, seed=0):
    order = np.random.default_rng(seed).permutation(X.shape[1])
    return batching.partition(X, Y, order, mini_batch_size)


# -- initialize_velocity and initialize_adam ------------------------------------------
def state_of(entry: Callable[[str, dict], tuple[str, np.ndarray]], slots: int) -> Callable:
    """An initializer of ``slots`` dicts, made of ``entry(name, parameters) -> (key, array)``."""

    def variant(parameters):
        states = tuple(dict(entry(k, parameters) for k in parameters) for _ in range(slots))
        return states[0] if slots == 1 else states

    return variant


def keyed_like_parameters(name, parameters):
    return name, np.zeros_like(parameters[name])  # "W1", not "dW1"


def parameters_copied(name, parameters):
    return f"d{name}", parameters[name]  # the values, not zeros


def shaped_like_b(name, parameters):
    return f"d{name}", np.zeros_like(parameters["b" + name[1:]])  # dW1 shaped like b1


def state_without_last_layer(initialize: Callable) -> Callable:
    def variant(parameters):
        last = {f"dW{len(parameters) // 2}", f"db{len(parameters) // 2}"}
        out = initialize(parameters)
        for d in out if isinstance(out, tuple) else (out,):
            for key in last & set(d):
                del d[key]
        return out

    return variant


# -- learning-rate decay ----------------------------------------------------------------
def lr_without_parentheses(learning_rate0, epoch_num, decay_rate):
    return learning_rate0 / 1 + decay_rate * epoch_num


def lr_multiplied(learning_rate0, epoch_num, decay_rate):
    return learning_rate0 * (1 + decay_rate * epoch_num)


def lr_epoch_from_1(learning_rate0, epoch_num, decay_rate):
    return tb.update_lr(learning_rate0, epoch_num + 1, decay_rate)


def schedule_without_floor(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    return learning_rate0 / (1 + decay_rate * (epoch_num / time_interval))


def schedule_without_interval(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    return tb.update_lr(learning_rate0, epoch_num, decay_rate)
