"""A fully connected L-layer network on column-major data, in plain NumPy.

Layout: ``X.shape == (n_x, m)``, parameters ``W1, b1, ..., WL, bL`` with
``W_l.shape == (n_l, n_{l-1})`` and ``b_l.shape == (n_l, 1)``. Hidden layers
use ``activation`` (ReLU by default). The output layer is chosen by the labels:

- ``Y.shape == (1, m)`` with 0/1 labels: one sigmoid unit and binary cross-entropy;
- ``Y.shape == (k, m)`` one-hot with ``k >= 2``: softmax and categorical cross-entropy.

Costs are *summed* over the examples given; gradients are those of the *mean*
cost over the batch (``dZ_L = (A_L - Y) / m``), as in the course recipe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .optim.base import Params

__all__ = [
    "ACTIVATIONS",
    "backward",
    "check_layers",
    "check_targets",
    "cost",
    "forward",
    "gradient_check",
    "he_initialize",
    "num_layers",
    "predict_labels",
]

Cache = tuple[list[np.ndarray], list[np.ndarray]]


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(0, z)


def _relu_grad(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return (z > 0).astype(z.dtype)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(-z) -> inf gives the right limit, 0
        return 1 / (1 + np.exp(-z))


#: name -> (f(z), f'(z) given z and a = f(z))
ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "relu": (_relu, _relu_grad),
    "tanh": (np.tanh, lambda z, a: 1 - a * a),
    "logistic": (_sigmoid, lambda z, a: a * (1 - a)),
    "identity": (lambda z: z, lambda z, a: np.ones_like(z)),
}


def check_layers(layers_dims: Sequence[int]) -> list[int]:
    """Check ``layers_dims`` (input size, hidden sizes..., output size)."""
    dims = list(layers_dims)
    if len(dims) < 2:
        raise ValueError(f"layers_dims must list at least the input and output sizes, got {dims}")
    for n in dims:
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ValueError(f"layers_dims must hold positive ints, got {dims}")
    return [int(n) for n in dims]


def check_targets(Y: np.ndarray) -> bool:
    """Check the labels of a network; return True for a softmax (one-hot) output.

    ``Y.shape == (1, m)`` must hold only 0 and 1 (a sigmoid unit); ``(k, m)``
    with ``k >= 2`` must be one-hot by column (a softmax over k classes).
    """
    if not isinstance(Y, np.ndarray) or Y.ndim != 2:
        raise ValueError(f"Y must be a 2-D array with examples in columns, got {np.shape(Y)}")
    if Y.shape[0] == 1:
        bad = ~np.isin(Y, (0, 1))
        if bad.any():
            raise ValueError(
                f"Y must hold 0/1 labels for a sigmoid output; found {Y[bad][0].item()!r}"
            )
        return False
    if not (np.isin(Y, (0, 1)).all() and (Y.sum(axis=0) == 1).all()):
        raise ValueError(f"Y with {Y.shape[0]} rows must be one-hot by column")
    return True


def num_layers(params: Params) -> int:
    """The number of layers L of a ``W1, b1, ..., WL, bL`` dict (``len(params) // 2``)."""
    return len(params) // 2


def he_initialize(
    layers_dims: Sequence[int],
    rng: np.random.Generator | np.random.RandomState,
    dtype: np.dtype | type = np.float64,
) -> Params:
    r"""He initialisation: :math:`W_l = \mathcal N(0, 1)\cdot\sqrt{2 / n_{l-1}}`, :math:`b_l = 0`.

    The ``W_l`` are drawn in order l = 1..L from ``rng.standard_normal``, so a
    ``RandomState(3)`` reproduces ``np.random.seed(3); np.random.randn(...)``.
    """
    dims = check_layers(layers_dims)
    params: Params = {}
    for l in range(1, len(dims)):
        w = rng.standard_normal((dims[l], dims[l - 1])) * np.sqrt(2 / dims[l - 1])
        params[f"W{l}"] = w.astype(dtype, copy=False)
        params[f"b{l}"] = np.zeros((dims[l], 1), dtype=dtype)
    return params


def forward(X: np.ndarray, params: Params, activation: str = "relu", *, softmax: bool = False):
    """Return the output activations ``A_L`` and the cache for :func:`backward`.

    ``softmax=False`` ends in one sigmoid unit per output row, ``softmax=True`` in
    a softmax over the rows.
    """
    f, _ = ACTIVATIONS[activation]
    L = num_layers(params)
    A, zs, activations = X, [], [X]
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        zs.append(Z)
        if l < L:
            A = f(Z)
        elif softmax:
            e = np.exp(Z - Z.max(axis=0, keepdims=True))
            A = e / e.sum(axis=0, keepdims=True)
        else:
            A = _sigmoid(Z)
        activations.append(A)
    return A, (zs, activations)


def cost(cache: Cache, Y: np.ndarray, *, softmax: bool = False) -> float:
    r"""Cross-entropy summed over the examples, computed stably from the logits ``Z_L``.

    Sigmoid: :math:`\sum_i \log(1 + e^{z_i}) - y_i z_i`
    (= :math:`-\sum_i y_i \log a_i + (1-y_i) \log(1-a_i)`).
    Softmax: :math:`-\sum_i \sum_k y_{ki} \log \operatorname{softmax}(z_i)_k`.
    """
    Z = cache[0][-1]
    if softmax:
        shifted = Z - Z.max(axis=0, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
        return float(-np.sum(Y * log_p))
    return float(np.sum(np.logaddexp(0, Z) - Y * Z))


def backward(Y: np.ndarray, params: Params, cache: Cache, activation: str = "relu") -> Params:
    r"""Gradients of the *mean* cost over the batch, keyed like ``params``.

    .. math::

        dZ_L = \tfrac1m (A_L - Y), \quad
        dW_l = dZ_l A_{l-1}^\top, \quad
        db_l = \textstyle\sum_i dZ_l, \quad
        dZ_{l-1} = (W_l^\top dZ_l) \odot f'(Z_{l-1})

    (``A_L - Y`` is the derivative for both sigmoid and softmax outputs.)
    """
    _, f_grad = ACTIVATIONS[activation]
    zs, activations = cache
    L = num_layers(params)
    m = Y.shape[1]
    grads: Params = {}
    dZ = 1.0 / m * (activations[-1] - Y)
    for l in range(L, 0, -1):
        grads[f"W{l}"] = dZ @ activations[l - 1].T
        grads[f"b{l}"] = np.sum(dZ, axis=1, keepdims=True)
        if l > 1:
            dZ = (params[f"W{l}"].T @ dZ) * f_grad(zs[l - 2], activations[l - 1])
    return {k: grads[k] for k in params}


def predict_labels(
    X: np.ndarray, params: Params, activation: str = "relu", *, softmax: bool = False
) -> np.ndarray:
    """Predicted labels of the columns of ``X``, shape ``(1, m)``.

    Sigmoid output: 1 where the probability exceeds 0.5, else 0.
    Softmax output: the index of the largest probability.
    """
    probabilities, _ = forward(X, params, activation, softmax=softmax)
    if softmax:
        return probabilities.argmax(axis=0)[np.newaxis, :]
    return (probabilities > 0.5).astype(int)


def gradient_check(
    params: Params,
    X: np.ndarray,
    Y: np.ndarray,
    activation: str = "relu",
    *,
    softmax: bool = False,
    h: float = 1e-6,
) -> float:
    r"""Relative error between :func:`backward` and central finite differences.

    Each parameter is moved by ±h and the mean cost re-evaluated:
    :math:`(J(\theta + h) - J(\theta - h)) / 2h`. The result is
    :math:`\lVert g - \tilde g \rVert / (\lVert g \rVert + \lVert \tilde g \rVert)`;
    below 1e-7 means the analytic gradient is right (in float64).
    """
    m = Y.shape[1]

    def mean_cost(p: Params) -> float:
        return cost(forward(X, p, activation, softmax=softmax)[1], Y, softmax=softmax) / m

    analytic = backward(Y, params, forward(X, params, activation, softmax=softmax)[1], activation)
    a_flat, n_flat = [], []
    for key, w in params.items():
        for idx in np.ndindex(w.shape):
            shifted = {k: v.copy() for k, v in params.items()}
            shifted[key][idx] = w[idx] + h
            plus = mean_cost(shifted)
            shifted[key][idx] = w[idx] - h
            minus = mean_cost(shifted)
            n_flat.append((plus - minus) / (2 * h))
            a_flat.append(analytic[key][idx])
    a, n = np.array(a_flat), np.array(n_flat)
    return float(np.linalg.norm(a - n) / (np.linalg.norm(a) + np.linalg.norm(n)))
