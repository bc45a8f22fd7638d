"""Gradient functions: the seam of the training loop where a batch becomes a cost and gradients.

A gradient function is a callable ``gradients(params, X, Y) -> (cost, grads)``:
``cost`` is the batch's cost *summed* over its examples and ``grads`` the
gradients of its *mean* (keyed like ``params``), the convention of
:mod:`descend.network`. :func:`descend.training.train` calls it once per
mini-batch; any callable with that contract works on the NumPy backend.

Three are built in, and they compose as wrappers rather than as loops of their
own; being data, the compiled backend recognises them and runs them compiled:

- :class:`NetworkGradients`: the network's cross-entropy and backpropagation;
- :class:`L2Penalty`: adds :math:`\\tfrac{\\alpha}{2}\\sum_l \\lVert W_l\\rVert^2` to the
  batch's summed cost (scikit-learn's ``alpha``);
- :class:`SummedOver`: data parallelism, each rank computing a slice of the
  batch and one ``Allreduce`` summing the slices.

The order matters: the penalty belongs to the whole batch, so it wraps the
reduction, ``L2Penalty(SummedOver(NetworkGradients(...), comm), alpha)``, as
:func:`network_gradients` builds it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .network import ACTIVATIONS, backward, cost, forward
from .optim.base import Params
from .optim.checks import check_positive

__all__ = [
    "GradientFunction",
    "L2Penalty",
    "NetworkGradients",
    "SummedOver",
    "is_weight",
    "network_gradients",
]

GradientFunction = Callable[[Params, np.ndarray, np.ndarray], tuple[float, Params]]


def is_weight(name: str) -> bool:
    """Whether the parameter ``name`` is a weight matrix (``W1``, ``W2``...), not a bias."""
    return name.startswith("W")


@dataclass(frozen=True)
class NetworkGradients:
    """The L-layer network's summed cross-entropy and the gradients of its mean.

    ``Y`` with one row trains a sigmoid output, with ``k >= 2`` one-hot rows a
    softmax output (:mod:`descend.network`).

    Parameters
    ----------
    activation : {"relu", "tanh", "logistic", "identity"}
        The hidden layers' activation.

    Examples
    --------
    >>> params = {"W1": np.array([[1.0, -1.0]]), "b1": np.zeros((1, 1))}
    >>> total, grads = NetworkGradients()(params, np.array([[1.0], [1.0]]), np.ones((1, 1)))
    >>> round(total, 6), grads["W1"].round(3).tolist()
    (0.693147, [[-0.5, -0.5]])
    """

    activation: str = "relu"

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            choices = ", ".join(ACTIVATIONS)
            raise ValueError(f"Invalid activation: {self.activation!r} (expected one of {choices})")

    def __call__(self, params: Params, X: np.ndarray, Y: np.ndarray) -> tuple[float, Params]:
        softmax = Y.shape[0] > 1
        _, cache = forward(X, params, self.activation, softmax=softmax)
        return cost(cache, Y, softmax=softmax), backward(Y, params, cache, self.activation)


@dataclass(frozen=True)
class L2Penalty:
    r"""An L2 penalty on the weights, as scikit-learn's ``MLPClassifier(alpha=...)``.

    .. math::

        J = \sum_{i \in \text{batch}} \ell_i + \frac{\alpha}{2} \sum_l \lVert W_l \rVert_F^2,
        \qquad dW_l \mathrel{+}= \frac{\alpha}{m} W_l

    with ``m`` the batch's examples: the penalty is spread over the batch, so the
    *mean* cost carries :math:`\tfrac{\alpha}{2m}\sum \lVert W\rVert^2`. Biases are
    not penalised (:func:`is_weight`).

    Examples
    --------
    >>> params = {"W1": np.array([[2.0]]), "b1": np.zeros((1, 1))}
    >>> zero = lambda p, X, Y: (0.0, {k: np.zeros_like(a) for k, a in p.items()})
    >>> total, grads = L2Penalty(zero, alpha=0.5)(params, np.ones((1, 4)), np.ones((1, 4)))
    >>> total, grads["W1"].tolist(), grads["b1"].tolist()
    (1.0, [[0.25]], [[0.0]])
    """

    inner: GradientFunction
    alpha: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "alpha", check_positive("alpha", self.alpha, allow_zero=True))

    def __call__(self, params: Params, X: np.ndarray, Y: np.ndarray) -> tuple[float, Params]:
        total, grads = self.inner(params, X, Y)
        m = Y.shape[1]
        squares = 0.0
        for name, w in params.items():
            if is_weight(name):
                squares += float(np.vdot(w, w))
                grads[name] = grads[name] + (self.alpha / m) * w
        return total + 0.5 * self.alpha * squares, grads


@dataclass(frozen=True)
class SummedOver:
    """Data parallelism: ranks share each batch out and one ``Allreduce`` sums the slices.

    Every rank holds the same parameters and the same global batch. Rank ``r``
    of ``size`` takes the columns ``n·r//size`` to ``n·(r+1)//size`` (:meth:`part`),
    computes the summed gradient and cost of its slice with ``inner``, and one
    ``Allreduce(SUM)`` over a single float64 buffer (every gradient, then the
    cost) adds the slices (:meth:`reduce`). Dividing by ``n`` gives the gradient
    of the mean over the global batch: what one process computes, up to the
    order of the additions.

    ``comm`` is an MPI communicator (``mpi4py.MPI.COMM_WORLD``), or any object
    with ``Get_rank``, ``Get_size`` and ``Allreduce``.
    """

    inner: GradientFunction
    comm: Any

    def part(self, n: int) -> tuple[int, int]:
        """The columns ``[lo, hi)`` of a batch of ``n`` that this rank computes."""
        rank, size = self.comm.Get_rank(), self.comm.Get_size()
        return n * rank // size, n * (rank + 1) // size

    def reduce(self, buffer: np.ndarray) -> None:
        """Sum ``buffer`` (float64) over the ranks, in place."""
        from mpi4py import MPI

        self.comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)

    def __call__(self, params: Params, X: np.ndarray, Y: np.ndarray) -> tuple[float, Params]:
        n = Y.shape[1]
        lo, hi = self.part(n)
        sizes = [w.size for w in params.values()]
        buffer = np.zeros(sum(sizes) + 1)
        if hi > lo:
            total, grads = self.inner(params, X[:, lo:hi], Y[:, lo:hi])
            np.concatenate([grads[k].ravel() for k in params], out=buffer[:-1], casting="unsafe")
            buffer[:-1] *= hi - lo  # the mean over the slice -> the sum over it
            buffer[-1] = total
        self.reduce(buffer)
        summed: Params = {}
        start = 0
        for (name, w), size in zip(params.items(), sizes, strict=True):
            summed[name] = (buffer[start : start + size] / n).reshape(w.shape).astype(w.dtype)
            start += size
        return float(buffer[-1]), summed


def network_gradients(
    activation: str = "relu", *, l2: float = 0.0, comm: Any = None
) -> GradientFunction:
    """The network's gradient function with an optional L2 penalty and MPI reduction.

    ``comm`` of a single rank is ignored.
    """
    gradients: GradientFunction = NetworkGradients(activation)
    if comm is not None and comm.Get_size() > 1:
        gradients = SummedOver(gradients, comm)
    if l2:
        gradients = L2Penalty(gradients, l2)
    return gradients
