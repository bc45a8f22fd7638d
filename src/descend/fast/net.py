"""Numba kernels of the fast training loop: the L-layer network's forward, backward and step.

The math is that of :mod:`descend.network` (ReLU, tanh, logistic or identity
hidden layers; sigmoid or softmax output; summed cross-entropy; gradients of the
mean cost with ``dZ_L = (1/m)(A_L - Y)``), of :class:`descend.gradients.L2Penalty`
and of the fused update rules in :mod:`descend.fast.kernels`. Everything lives in
flat buffers laid out by :class:`descend.fast.flat.FlatLayout`: ``P`` (params),
``G`` (grads), ``S1``-``S3`` (the optimizer's slots, in its order).
``woff[l]``/``boff[l]`` are the offsets of ``W_{l+1}`` and ``b_{l+1}``; ``dims``
is ``[n_0, ..., n_L]``.

Arguments travel in a few tuples rather than one by one:

- ``net = (dims, woff, boff)``: the layer sizes and the offsets of each ``W``/``b``;
- ``ws = (abuf, d1, d2, xb, yb)``: the workspace for a batch (activations, two
  ``dZ`` buffers, the gathered batch);
- ``slots = (S1, S2, S3)`` and ``rule = (hp, sc, cfg, fcfg)``: the optimizer's state
  and settings (see :func:`step`).

Small products are loops (numba compiles them to vector code); products of more
than ``_BLAS_FLOPS`` multiply-adds call BLAS through ``np.dot``. The kernels are
single-threaded (BLAS may use its own threads).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .kernels import _finite, _grad_stats, apply, legacy_permutation_into

_OPTS = {"cache": True, "nogil": True, "error_model": "numpy", "boundscheck": False}
# Reassociation only: with "contract" (fused multiply-add) a function compiled in
# this process and the same function loaded from numba's cache rounded differently
# (1 ulp), so a resumed run was not bit-identical to an uninterrupted one.
_MATH = {"fastmath": {"reassoc"}, **_OPTS}
_BLAS_FLOPS = 1 << 15

# hidden activations (the order of descend.network.ACTIVATIONS)
RELU, TANH, LOGISTIC, IDENTITY = 0, 1, 2, 3
ACTIVATION_CODES = {"relu": RELU, "tanh": TANH, "logistic": LOGISTIC, "identity": IDENTITY}
# status of an epoch
OK, NONFINITE, NEED_RATE = 0, 1, 2
# cfg (int64): rule code, rule flags, activation, softmax output, clip_value set,
# clip_norm set, skip non-finite gradients, constant learning rate
CFG_CODE, CFG_FLAGS, CFG_ACT, CFG_SOFTMAX, CFG_CLIP, CFG_NORM, CFG_SKIP, CFG_CONSTANT = range(8)
# fcfg (float64): clip_norm, clip_value, L2 alpha
F_NORM, F_CLIP, F_L2 = range(3)


@numba.njit(**_MATH)
def _product(W, A, Z):
    """``Z = W @ A``: BLAS above ``_BLAS_FLOPS`` multiply-adds, else a loop."""
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


@numba.njit(**_OPTS)
def _linear_act(W, A, b, out, act):
    """``out = f(W @ A + b)`` for the hidden activation ``act``: the product, then one pass.

    NaN passes through the ReLU, as with ``np.maximum``. ``Z`` is not kept: the
    backward pass needs only ``f'(Z)``, which each activation gives from
    ``A = f(Z)`` (:func:`_derivative`).
    """
    _product(W, A, out)
    n, mb = out.shape
    for i in range(n):
        bi = b[i]
        for j in range(mb):
            z = out[i, j] + bi
            if act == RELU:
                out[i, j] = 0 if z <= 0 else z
            elif act == TANH:
                out[i, j] = np.tanh(z)
            elif act == LOGISTIC:
                out[i, j] = 1 / (1 + np.exp(-z))
            else:
                out[i, j] = z


@numba.njit(inline="always")
def _derivative(a, act):
    """``f'(z)`` from ``a = f(z)``: ``[a > 0]``, ``1 - a²``, ``a(1 - a)`` or 1."""
    if act == RELU:
        return 1 if a > 0 else 0  # NaN * 0 stays NaN
    if act == TANH:
        return 1 - a * a
    if act == LOGISTIC:
        return a * (1 - a)
    return 1


@numba.njit(**_OPTS)
def _linear(W, A, b, Z):
    """``Z = W @ A + b`` (``b`` a column)."""
    _product(W, A, Z)
    n, mb = Z.shape
    for i in range(n):
        bi = b[i]
        for j in range(mb):
            Z[i, j] += bi


@numba.njit(**_MATH)
def _weight_grads(dZ, A, dW):
    """``dW = dZ @ A.T``."""
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


@numba.njit(**_MATH)
def _backprop(W, dZ, A_prev, out, db_prev, act):
    """``out = (W.T @ dZ) * f'(Z_prev)``, with ``f'`` from ``A_prev`` (:func:`_derivative`).

    The same pass sums the rows of ``out`` into ``db_prev``, the previous layer's
    bias gradient.
    """
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
        acc = 0
        for j in range(mb):
            x = out[q, j] * _derivative(A_prev[q, j], act)
            out[q, j] = x
            acc += x
        db_prev[q] = acc


@numba.njit(**_OPTS)
def _sigmoid_output(Z, Y, dZ, db, inv_m):
    r"""``dZ = inv_m * (sigmoid(Z) - Y)``, ``db`` its row sums; return the summed cross-entropy.

    The cost (float64) is :math:`\sum \max(z, 0) + \log(1 + e^{-|z|}) - y z`
    (= ``logaddexp(0, z) - y z``), with the logarithms of a run of factors
    ``1 + e^{-|z|}`` (each in (1, 2]) taken once, of their product: one ``log``
    per 512 examples instead of one each.
    """
    n, mb = Z.shape
    linear = 0.0
    product = 1.0
    logs = 0.0
    count = 0
    for i in range(n):
        acc = 0
        for j in range(mb):
            z = Z[i, j]
            e = np.exp(-z)
            a = 1.0 / (1.0 + e)
            d = inv_m * (a - Y[i, j])
            dZ[i, j] = d
            acc += d
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
        db[i] = acc
    return linear + logs + math.log(product)


@numba.njit(**_OPTS)
def _softmax_output(Z, Y, dZ, db, inv_m):
    """``dZ = inv_m * (softmax(Z) - Y)`` over rows, ``db`` its row sums; return the cost.

    The cost is the summed cross-entropy, accumulated in float64.
    """
    k, mb = Z.shape
    total = 0.0
    for i in range(k):
        db[i] = 0
    for j in range(mb):
        mx = Z[0, j]
        for i in range(1, k):
            mx = max(mx, Z[i, j])
        ssum = 0.0
        for i in range(k):
            e = np.exp(Z[i, j] - mx)
            dZ[i, j] = e
            ssum += e
        log_sum = np.float64(np.log(ssum))
        for i in range(k):
            d = inv_m * (dZ[i, j] / ssum - Y[i, j])
            dZ[i, j] = d
            db[i] += d
            total -= np.float64(Y[i, j]) * (np.float64(Z[i, j] - mx) - log_sum)
    return total


@numba.njit(**_OPTS)
def gather_rows(Xt, order, start, mb, out):
    """``out[j] = Xt[order[start + j]]`` for ``j < mb``: whole examples, row by row.

    With examples stored as rows (``Xt`` is ``(m, n_x)``), each copy is one
    contiguous run; ``out.T`` is then the ``(n_x, mb)`` batch the products use.
    (An explicit loop over row views: about 3 times faster than slice assignment.)
    """
    n = Xt.shape[1]
    for j in range(mb):
        src = Xt[order[start + j]]
        dst = out[j]
        for r in range(n):
            dst[r] = src[r]


@numba.njit(**_OPTS)
def transpose_into(X, out):
    """``out = X.T`` (``X`` of any memory layout, ``out`` C-ordered), in 8 x 8 tiles.

    Tiles of fixed size compile to register shuffles; about 2.5 times faster than
    ``np.ascontiguousarray(X.T)`` for the (784, 2560) float32 ``mlp`` benchmark data.
    """
    rows, m = X.shape
    R = rows - rows % 8
    M = m - m % 8
    for r0 in range(0, R, 8):
        for j0 in range(0, M, 8):
            for a in range(8):
                for b in range(8):
                    out[j0 + b, r0 + a] = X[r0 + a, j0 + b]
        for j in range(M, m):
            for a in range(8):
                out[j, r0 + a] = X[r0 + a, j]
    for r in range(R, rows):
        for j in range(m):
            out[j, r] = X[r, j]


@numba.njit(**_OPTS)
def forward_backward(XbT, YbT, P, G, net, ws, act, softmax, inv_m):
    """Fill ``G`` with the gradients of the mean cost of the batch; return its summed cost.

    ``XbT`` and ``YbT`` hold the batch example-major, ``(mb, n_x)`` and ``(mb, n_y)``;
    their transposes (Fortran-ordered views) enter the products without a copy.
    ``abuf`` holds the hidden activations ``A_1 ... A_{L-1}`` then ``Z_L``, each
    an ``(n_l, mb)`` block; ``d1`` and ``d2`` take turns holding ``dZ``.
    """
    dims, woff, boff = net
    abuf, d1, d2 = ws[0], ws[1], ws[2]
    L = dims.size - 1
    Xb = XbT.T
    Yb = YbT.T
    mb = XbT.shape[0]
    # forward: A_l = f(W_l A_{l-1} + b_l), consecutive blocks of abuf
    off = 0
    for l in range(L - 1):
        n, k = dims[l + 1], dims[l]
        W = P[woff[l] : woff[l] + n * k].reshape((n, k))
        b = P[boff[l] : boff[l] + n]
        A = abuf[off : off + n * mb].reshape((n, mb))
        if l == 0:
            _linear_act(W, Xb, b, A, act)
        else:
            A_prev = abuf[off - k * mb : off].reshape((k, mb))
            _linear_act(W, A_prev, b, A, act)
        off += n * mb
    n, k = dims[L], dims[L - 1]
    W = P[woff[L - 1] : woff[L - 1] + n * k].reshape((n, k))
    b = P[boff[L - 1] : boff[L - 1] + n]
    Z = abuf[off : off + n * mb].reshape((n, mb))
    if L == 1:
        _linear(W, Xb, b, Z)
    else:
        _linear(W, abuf[off - k * mb : off].reshape((k, mb)), b, Z)
    dZ = d1[: n * mb].reshape((n, mb))
    db = G[boff[L - 1] : boff[L - 1] + n]
    if softmax:
        total = _softmax_output(Z, Yb, dZ, db, inv_m)
    else:
        total = _sigmoid_output(Z, Yb, dZ, db, inv_m)
    # backward: dW_l = dZ_l A_{l-1}^T; dZ_{l-1} = (W_l^T dZ_l) * f'(Z_{l-1}) and its
    # row sums db_{l-1}; dZ alternates between d1 and d2
    in_d1 = True
    for l in range(L - 1, -1, -1):
        n, k = dims[l + 1], dims[l]
        dW = G[woff[l] : woff[l] + n * k].reshape((n, k))
        if l == 0:
            _weight_grads(dZ, Xb, dW)
        else:
            start = 0
            for q in range(1, l):
                start += dims[q] * mb
            A_prev = abuf[start : start + k * mb].reshape((k, mb))
            _weight_grads(dZ, A_prev, dW)
            W = P[woff[l] : woff[l] + n * k].reshape((n, k))
            target = d2 if in_d1 else d1
            dZ_prev = target[: k * mb].reshape((k, mb))
            _backprop(W, dZ, A_prev, dZ_prev, G[boff[l - 1] : boff[l - 1] + k], act)
            dZ = dZ_prev
            in_d1 = not in_d1
    return total


@numba.njit(fastmath={"reassoc"}, **_OPTS)
def add_l2(P, G, net, alpha, m, sc):
    r"""The L2 penalty of :class:`descend.gradients.L2Penalty`: ``dW += (α/m) W`` for each
    weight matrix; return :math:`\tfrac{\alpha}{2}\sum \lVert W\rVert^2` (float64).

    ``m`` is the batch's examples. ``sc`` is scratch of the buffers' dtype (``α/m`` is
    rounded to it once, as NumPy rounds the reference's Python float). The sum of
    squares is reassociated (vectorised, as BLAS's dot in the reference): about 4
    times faster than in order; the gradient update is exact.
    """
    dims, woff = net[0], net[1]
    sc[0] = alpha / m
    coef = sc[0]
    squares = 0.0
    for l in range(dims.size - 1):
        start = woff[l]
        # each matrix as a slice, indexed from 0: an index that numba cannot prove
        # non-negative gets a wraparound branch, which kept this loop scalar (8x slower)
        W = P[start : start + dims[l + 1] * dims[l]]
        dW = G[start : start + dims[l + 1] * dims[l]]
        for i in range(W.size):
            w = W[i]
            squares += np.float64(w) * np.float64(w)
            dW[i] = dW[i] + coef * w
    return 0.5 * alpha * squares


@numba.njit(**_OPTS)
def step(P, G, slots, rule, t, learning_rate):
    """Check ``G``, clip it and apply the rule in place; False if the gradient is not finite.

    ``slots`` is ``(S1, S2, S3)``, the state in the optimizer's order (empty where
    unused); ``rule`` is ``(hp, sc, cfg, fcfg)``: the float64 hyperparameters of
    :mod:`descend.fast.rules`, scratch of ``P``'s dtype, and the int64 and float64
    settings laid out by the ``CFG_*`` and ``F_*`` indices.

    ``t`` is this update's number (from 1). The global norm for ``clip_norm``
    follows ``torch.nn.utils.clip_grad_norm_`` (``min(1, c / (norm + 1e-6))``).
    """
    hp, sc, cfg, fcfg = rule
    S1, S2, S3 = slots
    use_clip, use_norm = cfg[CFG_CLIP] != 0, cfg[CFG_NORM] != 0
    sc[1] = fcfg[F_CLIP]
    if use_norm:
        finite, sumsq = _grad_stats(G, sc[1], use_clip)
    else:
        finite, sumsq = _finite(G), 0.0
    if not finite:
        return False
    scale = 1.0
    use_scale = False
    if use_norm:
        coef = fcfg[F_NORM] / (math.sqrt(sumsq) + 1e-6)
        if coef < 1.0:
            scale, use_scale = coef, True
    apply(cfg[CFG_CODE], cfg[CFG_FLAGS], P, G, S1, S2, S3, hp, sc, t, learning_rate,
          fcfg[F_CLIP], use_clip, scale, use_scale)  # fmt: skip
    return True


@numba.njit(**_OPTS)
def run_epoch(X, Y, order, size, P, G, slots, net, ws, rule, rates, counters):
    """One epoch over example-major ``X`` ``(m, n_x)``, ``Y`` ``(m, n_y)`` in ``order``.

    Batches of ``size`` consecutive examples of ``order`` (the last one shorter);
    one gradient (with the L2 term ``fcfg[F_L2]``) and one step each. ``counters``
    holds ``[t, skipped, t_base]``: the learning rate of update ``t + 1`` is
    ``rates[0]`` with a constant rate, else ``rates[t - t_base]`` (status
    NEED_RATE past its end). Returns ``(summed cost, status)``; with status
    NONFINITE, ``G`` holds the non-finite gradient and nothing was updated.
    """
    m = X.shape[0]
    sc, cfg, fcfg = rule[1], rule[2], rule[3]
    act, softmax = cfg[CFG_ACT], cfg[CFG_SOFTMAX] != 0
    alpha = fcfg[F_L2]
    total = 0.0
    for start in range(0, m, size):
        mb = min(size, m - start)
        total += gathered_grads(X, Y, order, start, mb, P, G, net, ws, act, softmax)
        if alpha != 0:
            total += add_l2(P, G, net, alpha, mb, sc)
        t = counters[0]
        if cfg[CFG_CONSTANT] != 0:
            rate = rates[0]
        elif t - counters[2] < rates.size:
            rate = rates[t - counters[2]]
        else:
            return total, NEED_RATE
        if step(P, G, slots, rule, t + 1, rate):
            counters[0] = t + 1
        elif cfg[CFG_SKIP] != 0:
            counters[1] += 1
        else:
            return total, NONFINITE
    return total, OK


@numba.njit(**_OPTS)
def gathered_grads(X, Y, order, start, mb, P, G, net, ws, act, softmax):
    """Gradients of the examples ``order[start:start + mb]`` of example-major ``X``, ``Y``.

    Fills ``G`` with the gradients of their mean cost; returns their summed cost.
    """
    n_x, n_y = X.shape[1], Y.shape[1]
    XbT = ws[3][: mb * n_x].reshape((mb, n_x))
    YbT = ws[4][: mb * n_y].reshape((mb, n_y))
    gather_rows(X, order, start, mb, XbT)
    gather_rows(Y, order, start, mb, YbT)
    return forward_backward(XbT, YbT, P, G, net, ws, act, softmax, 1.0 / mb)


@numba.njit(**_OPTS)
def batch_grads(X, Y, P, G, net, ws, act, softmax):
    """Gradients of one given batch (any memory layout) into ``G``; return its summed cost."""
    n_x, mb = X.shape
    n_y = Y.shape[0]
    XbT = ws[3][: mb * n_x].reshape((mb, n_x))
    YbT = ws[4][: mb * n_y].reshape((mb, n_y))
    transpose_into(X, XbT)
    transpose_into(Y, YbT)
    return forward_backward(XbT, YbT, P, G, net, ws, act, softmax, 1.0 / mb)


def shuffle_legacy(order: np.ndarray, seed: int, key: np.ndarray) -> None:
    """``order[:] = RandomState(seed).permutation(order.size)`` (compiled MT19937)."""
    legacy_permutation_into(order, seed, key)
