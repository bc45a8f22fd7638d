"""Numba kernels of the fast training loop: the L-layer network's forward, backward and step.

The math is that of :mod:`descend.network` (ReLU hidden layers; sigmoid or softmax
output; summed cross-entropy; gradients of the mean cost with
``dZ_L = (1/m)(A_L - Y)``) and of the fused update rules in
:mod:`descend.fast.kernels`. Everything lives in flat buffers laid out by
:class:`descend.fast.flat.FlatLayout`: ``P`` (params), ``G`` (grads), ``V`` and
``S`` (the slots). ``woff[l]``/``boff[l]`` are the offsets of ``W_{l+1}`` and
``b_{l+1}``; ``dims`` is ``[n_0, ..., n_L]``.

Small products are loops (numba compiles them to vector code); products of more
than ``_BLAS_FLOPS`` multiply-adds call BLAS through ``np.dot``. The kernels are
single-threaded (BLAS may use its own threads).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .kernels import (
    ADAM,
    MOMENTUM,
    _finite,
    _grad_stats,
    adam_flat,
    gd_flat,
    legacy_permutation_into,
    momentum_flat,
)

_OPTS = {"cache": True, "nogil": True, "error_model": "numpy", "boundscheck": False}
_MATH = {"fastmath": {"reassoc", "contract"}, **_OPTS}
_BLAS_FLOPS = 1 << 15

# order of the batches within an epoch
NO_SHUFFLE, LEGACY, GIVEN = 0, 1, 2
# status of a run
OK, NONFINITE, NEED_RATE = 0, 1, 2


@numba.njit(**_MATH)
def _linear(W, A, b, Z):
    """``Z = W @ A + b`` (``b`` a column)."""
    n, k = W.shape
    mb = A.shape[1]
    if n * k * mb > _BLAS_FLOPS:
        np.dot(W, A, Z)
    else:
        for i in range(n):
            for j in range(mb):
                Z[i, j] = 0
            for q in range(k):
                w = W[i, q]
                for j in range(mb):
                    Z[i, j] += w * A[q, j]
    for i in range(n):
        bi = b[i]
        for j in range(mb):
            Z[i, j] += bi


@numba.njit(**_MATH)
def _weight_grads(dZ, A, dW, db):
    """``dW = dZ @ A.T`` and ``db = dZ.sum(axis=1)``."""
    n, mb = dZ.shape
    k = A.shape[0]
    if n * k * mb > _BLAS_FLOPS:
        np.dot(dZ, A.T, dW)
    else:
        for i in range(n):
            for q in range(k):
                acc = dZ[i, 0] * A[q, 0]
                for j in range(1, mb):
                    acc += dZ[i, j] * A[q, j]
                dW[i, q] = acc
    for i in range(n):
        acc = dZ[i, 0]
        for j in range(1, mb):
            acc += dZ[i, j]
        db[i] = acc


@numba.njit(**_MATH)
def _backprop(W, dZ, Z_prev, out):
    """``out = (W.T @ dZ) * relu'(Z_prev)``."""
    n, k = W.shape
    mb = dZ.shape[1]
    if n * k * mb > _BLAS_FLOPS:
        np.dot(W.T, dZ, out)
    else:
        for q in range(k):
            for j in range(mb):
                out[q, j] = 0
        for i in range(n):
            for q in range(k):
                w = W[i, q]
                for j in range(mb):
                    out[q, j] += w * dZ[i, j]
    for q in range(k):
        for j in range(mb):
            out[q, j] = out[q, j] * (1 if Z_prev[q, j] > 0 else 0)


@numba.njit(**_OPTS)
def _relu(Z, A):
    n, mb = Z.shape
    for i in range(n):
        for j in range(mb):
            z = Z[i, j]
            A[i, j] = 0 if z <= 0 else z  # NaN passes through, as np.maximum


@numba.njit(**_OPTS)
def _sigmoid_output(Z, Y, A, dZ, inv_m):
    r"""Sigmoid ``A``, ``dZ = inv_m * (A - Y)``; return the summed cross-entropy (float64).

    The cost is :math:`\sum \max(z, 0) + \log(1 + e^{-|z|}) - y z` (= ``logaddexp(0, z) - y z``),
    with the logarithms of a run of factors ``1 + e^{-|z|}`` (each in (1, 2]) taken
    once, of their product: one ``log`` per 512 examples instead of one each.
    """
    n, mb = Z.shape
    linear = 0.0
    product = 1.0
    logs = 0.0
    count = 0
    for i in range(n):
        for j in range(mb):
            z = Z[i, j]
            e = np.exp(-z)
            a = 1.0 / (1.0 + e)
            A[i, j] = a
            dZ[i, j] = inv_m * (a - Y[i, j])
            zf = np.float64(z)
            ef = np.float64(e)
            if zf > 0:
                linear += zf
            else:
                ef = 1.0 / ef  # e^{z}; 0 when e overflowed
            linear -= np.float64(Y[i, j]) * zf
            product *= 1.0 + ef
            count += 1
            if count == 512:
                logs += math.log(product)
                product, count = 1.0, 0
    return linear + logs + math.log(product)


@numba.njit(**_OPTS)
def _softmax_output(Z, Y, A, dZ, inv_m):
    """Softmax over rows ``A``, ``dZ = inv_m * (A - Y)``; return the summed cross-entropy."""
    k, mb = Z.shape
    total = 0.0
    for j in range(mb):
        mx = Z[0, j]
        for i in range(1, k):
            mx = max(mx, Z[i, j])
        ssum = 0.0
        for i in range(k):
            e = np.exp(Z[i, j] - mx)
            A[i, j] = e
            ssum += e
        log_sum = np.float64(np.log(ssum))
        for i in range(k):
            a = A[i, j] / ssum
            A[i, j] = a
            dZ[i, j] = inv_m * (a - Y[i, j])
            total -= np.float64(Y[i, j]) * (np.float64(Z[i, j] - mx) - log_sum)
    return total


@numba.njit(**_OPTS)
def gather(X, order, start, mb, out):
    """``out[:, j] = X[:, order[start + j]]`` for ``j < mb``; ``out`` is (rows, mb) C-order."""
    rows = X.shape[0]
    for r in range(rows):
        for j in range(mb):
            out[r, j] = X[r, order[start + j]]


@numba.njit(**_OPTS)
def gather_examples(Xt, order, start, mb, out):
    """``out[:, j] = Xt[order[start + j], :]``: examples stored as rows, batch as columns.

    Reading whole rows of the example-major copy ``Xt`` touches only the batch's
    memory, where gathering columns of ``X`` would stream all of it.
    """
    rows = Xt.shape[1]
    for j in range(mb):
        src = Xt[order[start + j]]
        for r in range(rows):
            out[r, j] = src[r]


@numba.njit(**_OPTS)
def forward_backward(Xb, Yb, P, G, dims, woff, boff, zbuf, abuf, d1, d2, softmax, inv_m):
    """Fill ``G`` with the gradients of the mean cost of the batch; return its summed cost."""
    L = dims.size - 1
    mb = Xb.shape[1]
    # forward; Z_l, A_l are consecutive (n_l, mb) blocks of zbuf, abuf
    A = Xb
    off = 0
    for l in range(L):
        n, k = dims[l + 1], dims[l]
        W = P[woff[l] : woff[l] + n * k].reshape((n, k))
        b = P[boff[l] : boff[l] + n]
        Z = zbuf[off : off + n * mb].reshape((n, mb))
        _linear(W, A, b, Z)
        if l < L - 1:
            A_next = abuf[off : off + n * mb].reshape((n, mb))
            _relu(Z, A_next)
            A = A_next
            off += n * mb
    n = dims[L]
    A_L = abuf[off : off + n * mb].reshape((n, mb))
    dZ = d1[: n * mb].reshape((n, mb))
    if softmax:
        total = _softmax_output(Z, Yb, A_L, dZ, inv_m)
    else:
        total = _sigmoid_output(Z, Yb, A_L, dZ, inv_m)
    # backward; dZ alternates between d1 and d2
    in_d1 = True
    for l in range(L - 1, -1, -1):
        n, k = dims[l + 1], dims[l]
        start = 0
        for q in range(1, l):
            start += dims[q] * mb
        A_prev = abuf[start : start + k * mb].reshape((k, mb)) if l > 0 else Xb
        dW = G[woff[l] : woff[l] + n * k].reshape((n, k))
        db = G[boff[l] : boff[l] + n]
        _weight_grads(dZ, A_prev, dW, db)
        if l > 0:
            W = P[woff[l] : woff[l] + n * k].reshape((n, k))
            Z_prev = zbuf[start : start + k * mb].reshape((k, mb))
            target = d2 if in_d1 else d1
            dZ_prev = target[: k * mb].reshape((k, mb))
            _backprop(W, dZ, Z_prev, dZ_prev)
            dZ = dZ_prev
            in_d1 = not in_d1
    return total


@numba.njit(**_OPTS)
def update(rule, P, G, V, S, consts, betas, sc, t, learning_rate, clip_norm, use_clip, use_norm):
    """Check ``G``, clip it, apply the rule to ``P`` (and ``V``, ``S``); False if not finite.

    ``consts`` (dtype of ``P``): beta, 1-beta, beta1, 1-beta1, beta2, 1-beta2,
    epsilon, clip_value; ``betas`` (float64): beta1, beta2. ``sc`` is scratch of
    the dtype for casting the step's scalars.
    ``t`` is this update's number (from 1).
    """
    clip = consts[7]
    if use_norm:
        finite, sumsq = _grad_stats(G, clip, use_clip)
    else:
        finite, sumsq = _finite(G), 0.0
    if not finite:
        return False
    scale = 1.0
    use_scale = False
    if use_norm:
        coef = clip_norm / (math.sqrt(sumsq) + 1e-6)
        if coef < 1.0:
            scale, use_scale = coef, True
    sc[0] = learning_rate
    sc[1] = scale
    if rule == ADAM:
        sc[2] = 1.0 - math.pow(betas[0], np.float64(t))
        sc[3] = 1.0 - math.pow(betas[1], np.float64(t))
        adam_flat(
            P, G, V, S, sc[0], consts[2], consts[3], consts[4], consts[5], sc[2], sc[3],
            consts[6], clip, use_clip, sc[1], use_scale,
        )  # fmt: skip
    elif rule == MOMENTUM:
        momentum_flat(P, G, V, sc[0], consts[0], consts[1], clip, use_clip, sc[1], use_scale)
    else:
        gd_flat(P, G, sc[0], clip, use_clip, sc[1], use_scale)
    return True


@numba.njit(**_OPTS)
def run_epochs(
    X, Y, size, shuffle, seed0, perms, n_epochs,
    P, G, V, S, dims, woff, boff, zbuf, abuf, d1, d2, xb, yb, order, key,
    rule, consts, betas, sc, rates, constant_rate, counters,
    clip_norm, use_clip, use_norm, skip_nonfinite, softmax, costs, snap,
):  # fmt: skip
    """Train for up to ``n_epochs`` epochs; return ``(epochs completed, status)``.

    ``X`` and ``Y`` are example-major, ``(m, n_x)`` and ``(m, n_y)``.

    Epoch ``e`` (from 0 in this call) orders the examples by ``arange`` (shuffle
    NO_SHUFFLE), ``RandomState(seed0 + e).permutation`` (LEGACY) or ``perms[e]``
    (GIVEN), then cuts batches of ``size``. ``counters`` holds ``[t, skipped,
    t_base]``; the learning rate of update ``t + 1`` is ``rates[0]`` with
    ``constant_rate``, else ``rates[t - t_base]`` (status NEED_RATE past its
    end). ``costs[e]`` receives the epoch's mean cost and, if ``snap`` has rows,
    ``snap[e]`` the params after it.
    A non-finite gradient ends the run with status NONFINITE (``G`` then holds
    it and nothing was updated) unless ``skip_nonfinite``.
    """
    m = X.shape[0]
    n_x, n_y = X.shape[1], Y.shape[1]
    for e in range(n_epochs):
        if shuffle == LEGACY:
            legacy_permutation_into(order, seed0 + e, key)
        elif shuffle == GIVEN:
            order[:] = perms[e]
        total = 0.0
        for start in range(0, m, size):
            mb = min(size, m - start)
            Xb = xb[: n_x * mb].reshape((n_x, mb))
            Yb = yb[: n_y * mb].reshape((n_y, mb))
            gather_examples(X, order, start, mb, Xb)
            gather_examples(Y, order, start, mb, Yb)
            inv_m = 1.0 / mb
            total += forward_backward(
                Xb, Yb, P, G, dims, woff, boff, zbuf, abuf, d1, d2, softmax, inv_m
            )
            t = counters[0]
            if constant_rate:
                rate = rates[0]
            elif t - counters[2] < rates.size:
                rate = rates[t - counters[2]]
            else:
                return e, NEED_RATE
            if update(
                rule, P, G, V, S, consts, betas, sc, t + 1, rate, clip_norm, use_clip, use_norm
            ):
                counters[0] = t + 1
            elif skip_nonfinite:
                counters[1] += 1
            else:
                return e, NONFINITE
        costs[e] = total / m
        if snap.shape[0] > 0:
            snap[e, :] = P
    return n_epochs, OK


@numba.njit(**_OPTS)
def batch_grads(X, Y, P, G, dims, woff, boff, zbuf, abuf, d1, d2, xb, yb, order, softmax):
    """Gradients of one given batch (any memory layout) into ``G``; return its summed cost."""
    n_x, mb = X.shape
    n_y = Y.shape[0]
    for j in range(mb):
        order[j] = j
    Xb = xb[: n_x * mb].reshape((n_x, mb))
    Yb = yb[: n_y * mb].reshape((n_y, mb))
    gather(X, order, 0, mb, Xb)
    gather(Y, order, 0, mb, Yb)
    return forward_backward(Xb, Yb, P, G, dims, woff, boff, zbuf, abuf, d1, d2, softmax, 1.0 / mb)
