"""Correct, written with dict comprehensions over the keys and whole-array expressions."""

import numpy as np


def update_parameters_with_gd(parameters, grads, learning_rate):
    return {k: w - learning_rate * grads["d" + k] for k, w in parameters.items()}


def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    order = np.random.permutation(X.shape[1])
    X, Y = X[:, order], Y[:, order]
    starts = range(0, X.shape[1], mini_batch_size)
    return [(X[:, i : i + mini_batch_size], Y[:, i : i + mini_batch_size]) for i in starts]


def initialize_velocity(parameters):
    return {"d" + k: np.zeros_like(w) for k, w in parameters.items()}


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    v = {k: beta * m + (1 - beta) * grads[k] for k, m in v.items()}
    parameters = {k: w - learning_rate * v["d" + k] for k, w in parameters.items()}
    return parameters, v


def initialize_adam(parameters):
    return initialize_velocity(parameters), initialize_velocity(parameters)


def update_parameters_with_adam(
    parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8
):
    v = {k: beta1 * v[k] + (1 - beta1) * g for k, g in grads.items()}
    s = {k: beta2 * s[k] + (1 - beta2) * np.square(g) for k, g in grads.items()}
    v_hat = {k: m / (1 - beta1**t) for k, m in v.items()}
    s_hat = {k: m / (1 - beta2**t) for k, m in s.items()}
    parameters = {
        k: w - learning_rate * v_hat["d" + k] / (np.sqrt(s_hat["d" + k]) + epsilon)
        for k, w in parameters.items()
    }
    return parameters, v, s, v_hat, s_hat


def update_lr(learning_rate0, epoch_num, decay_rate):
    return learning_rate0 * (1.0 + decay_rate * epoch_num) ** -1


def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    return learning_rate0 / (1 + decay_rate * (epoch_num // time_interval))
