"""Correct, in another style: in-place updates, layers in reverse, the 2020 three-value Adam.

ε is added in front (ε + √ŝ), the corrections are precomputed once per call,
and the mini-batches come from np.array_split on the batch boundaries.
"""

import numpy as np


def _layers(parameters):
    return range(len(parameters) // 2, 0, -1)


def update_parameters_with_gd(parameters, grads, learning_rate):
    for l in _layers(parameters):
        for p in ("W", "b"):
            parameters[f"{p}{l}"] -= learning_rate * grads[f"d{p}{l}"]
    return parameters


def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    permutation = np.random.permutation(m)
    cuts = np.arange(mini_batch_size, m, mini_batch_size)
    xs = np.array_split(X[:, permutation], cuts, axis=1)
    ys = np.array_split(Y[:, permutation], cuts, axis=1)
    return list(zip(xs, ys, strict=True))


def initialize_velocity(parameters):
    v = {}
    for l in _layers(parameters):
        for p in ("W", "b"):
            v[f"d{p}{l}"] = 0.0 * parameters[f"{p}{l}"]
    return v


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    for key in v:
        v[key] *= beta
        v[key] += (1.0 - beta) * grads[key]
        parameters[key[1:]] -= learning_rate * v[key]
    return parameters, v


def initialize_adam(parameters):
    return initialize_velocity(parameters), initialize_velocity(parameters)


def update_parameters_with_adam(
    parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8
):
    c1, c2 = 1.0 - beta1**t, 1.0 - beta2**t
    for key, g in grads.items():
        v[key] = beta1 * v[key] + (1.0 - beta1) * g
        s[key] = beta2 * s[key] + (1.0 - beta2) * g * g
        step = np.divide(v[key] / c1, epsilon + np.sqrt(s[key] / c2))
        parameters[key[1:]] = parameters[key[1:]] - learning_rate * step
    return parameters, v, s


def update_lr(learning_rate0, epoch_num, decay_rate):
    return float(np.divide(learning_rate0, 1 + decay_rate * epoch_num))


def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    return learning_rate0 / (1 + decay_rate * np.floor_divide(epoch_num, time_interval))
