"""Numba kernels of the fast path: fused update rules over flat buffers, legacy shuffles.

Importing this module imports numba (and compiles lazily, on first call, with an
on-disk cache). Every kernel repeats, element by element, the NumPy reference of
:mod:`descend.optim` (``gd_update``, ``momentum_update``, ``adam_update``):
scalars come in already rounded to the buffers' dtype and no fused multiply-add
is allowed (numba's default, ``fastmath=False``). GD and Momentum keep the
reference's order of operations, so both paths agree to the last bit. Adam
applies its bias corrections as PyTorch's fused kernel does, as two scalars
computed once per step (the step size ``lr / (1 - beta1^t)`` and
``1 / (1 - beta2^t)``), leaving one division and one square root per element
instead of three divisions: the result is within a few ulps of the reference's
``lr * (v / c1) / (sqrt(s / c2) + eps)`` (``v`` and ``s`` are bit-identical), and
the kernel runs about 1.6 times faster where it is not bound by memory. The
reference is where the math is documented; the fast path must equal it
(``tests/test_fast.py``: 1e-12 relative in float64, 1e-6 in float32).

Each rule has a single-threaded kernel, used inside training loops (where
OpenBLAS threads may be live, see the package notes), and a ``parallel=True``
twin for the one big optimizer step over a flat buffer.
"""

from __future__ import annotations

import math

import numba
import numpy as np

_OPTS = {"cache": True, "nogil": True, "error_model": "numpy", "boundscheck": False}


# -- gradient pre-pass: finiteness and (clipped) squared norm -------------------------------


def _grad_stats_impl(g, clip, use_clip):
    """Return ``(finite, sum of squares after clipping)`` of the flat gradient ``g``.

    ``finite`` is False when some element is NaN or inf. The sum is accumulated in
    float64 (reassociated, so vectorised); it only serves ``clip_norm``.
    """
    bad = False
    total = 0.0
    for i in numba.prange(g.size):
        x = g[i]
        bad |= (x - x) != 0
        if use_clip:
            x = min(max(x, -clip), clip)
        y = np.float64(x)
        total += y * y
    return not bad, total


_grad_stats = numba.njit(fastmath={"reassoc"}, **_OPTS)(_grad_stats_impl)
_grad_stats_par = numba.njit(fastmath={"reassoc"}, parallel=True, **_OPTS)(_grad_stats_impl)


def _finite_impl(g):
    """Whether every element of the flat gradient ``g`` is finite (no NaN, no inf).

    ``x * 0`` is 0 for a finite ``x`` and NaN for NaN or inf, and a NaN survives
    any sum, so one vectorised reduction (``fastmath`` reassociation only: NaN
    semantics are kept) answers for the whole buffer at the cost of reading it.
    The buffer is read as four interleaved streams, which keeps more memory
    requests in flight: 1.5 times the bandwidth of one stream on a 10M buffer.
    """
    if g.size == 0:
        return True
    q = g.size // 4
    acc0 = g[0] * 0
    acc1 = acc0
    acc2 = acc0
    acc3 = acc0
    for i in range(q):
        acc0 += g[i] * 0
        acc1 += g[q + i] * 0
        acc2 += g[2 * q + i] * 0
        acc3 += g[3 * q + i] * 0
    for i in range(4 * q, g.size):
        acc0 += g[i] * 0
    return (acc0 + acc1 + acc2 + acc3) == 0


_finite = numba.njit(fastmath={"reassoc"}, **_OPTS)(_finite_impl)

#: Elements per block of the parallel finiteness check.
_FINITE_BLOCK = 1 << 18


@numba.njit(parallel=True, **_OPTS)
def _finite_par(g):
    """:func:`_finite_impl` over blocks in parallel, each block vectorised.

    Blocks are visited from the end of the buffer to its start, so the
    gradients read last (still in cache) are those the update reads first.
    """
    n_blocks = -(-g.size // _FINITE_BLOCK)
    ok = np.empty(n_blocks, np.bool_)
    for c in numba.prange(n_blocks):
        b = n_blocks - 1 - c
        ok[b] = _finite(g[b * _FINITE_BLOCK : min(g.size, (b + 1) * _FINITE_BLOCK)])
    return ok.all()


# -- fused update rules; scalars typed like the buffers ---------------------------------------

# Rule codes and option flags. The table from optimizer classes to these is
# descend.fast.rules; ``hp`` (float64) holds beta, beta1, beta2, epsilon, weight_decay,
# momentum_decay (NAdam's ψ), threshold (RAdam's) and negligible (NAdam's cutoff of the
# momentum-schedule product, ``descend.optim.nadam.NEGLIGIBLE``).
GD, MOMENTUM, ADAM, RMSPROP, ADAGRAD = 0, 1, 2, 3, 4
NADAM, RADAM, ADAMAX, ADADELTA, LION = 5, 6, 7, 8, 9  # the element-wise rules of #13
NESTEROV, AMSGRAD, EPS_INSIDE, EPS_HAT, DECOUPLED = 1, 2, 4, 8, 16
CONSTANT_MU = 32  # NAdam without Dozat's momentum schedule (Optax's form)
HP_SIZE = 8

# Each rule is an ``inline="always"`` kernel whose loop is a ``prange``: inlined into
# :func:`apply` it runs serially, inlined into :func:`apply_par` (``parallel=True``) it
# runs on numba's threads. A plain loop (no clipping, no option) is kept apart from the
# general one where it matters: branches inside the loop body keep the parallel
# kernels from vectorising well (the plain parallel Adam is about 1.8 times faster at
# 1M float32 parameters).
#
# Each kernel reads the parameters and slots from its first arrays (``w, g, v, ...``)
# and writes them to its last ones (``wo, vo, ...``), reading every input element
# before writing the same element. In place is the same variables passed twice
# (:func:`_run`): once inlined, LLVM sees one pointer, and the loop vectorises with no
# overlap check. Out of place (:func:`_run_out`), distinct new arrays: the loop needs
# run-time overlap checks, which LLVM makes and then vectorises. (Distinct arguments
# that happen to be the same memory fail those checks and run the scalar loop, about 7
# times slower: never call ``_run_out`` with an input as an output.)


@numba.njit(inline="always")
def _clipped(x, clip, use_clip, scale, use_scale):
    if use_clip:
        x = min(max(x, -clip), clip)
    if use_scale:
        x = x * scale
    return x


@numba.njit(inline="always")
def _gd(w, g, wo, lr, clip, use_clip, scale, use_scale):
    if not (use_clip or use_scale):
        for i in numba.prange(w.size):
            wo[i] = w[i] - lr * g[i]
    else:
        for i in numba.prange(w.size):
            wo[i] = w[i] - lr * _clipped(g[i], clip, use_clip, scale, use_scale)


@numba.njit(inline="always")
def _momentum(w, g, v, wo, vo, lr, beta, one_minus_beta, nesterov, clip, use_clip, scale,
              use_scale):  # fmt: skip
    if not (use_clip or use_scale or nesterov):
        for i in numba.prange(w.size):
            vi = beta * v[i] + one_minus_beta * g[i]
            wi = w[i]
            vo[i] = vi
            wo[i] = wi - lr * vi
    else:
        for i in numba.prange(w.size):
            x = _clipped(g[i], clip, use_clip, scale, use_scale)
            vi = beta * v[i] + one_minus_beta * x
            wi = w[i]
            vo[i] = vi
            if nesterov:
                wo[i] = wi - lr * (beta * vi + one_minus_beta * x)
            else:
                wo[i] = wi - lr * vi


@numba.njit(inline="always")
def _adam(w, g, v, s, s_max, wo, vo, so, s_max_o, sc, flags, clip, use_clip, scale, use_scale):
    """Adam; ``sc`` holds beta1, 1-beta1, beta2, 1-beta2, step, 1/c2, epsilon, λ, 1-αλ.

    ``step`` is ``lr / (1 - beta1^t)`` (``lr·sqrt(1 - beta2^t) / (1 - beta1^t)`` in the
    ε-hat form) and ``1/c2`` is ``1 / (1 - beta2^t)``: the bias corrections folded
    into two per-step scalars, as PyTorch's fused kernel does.
    """
    beta1, omb1, beta2, omb2 = sc[3], sc[4], sc[5], sc[6]
    step, inv_c2, eps, wd, decay = sc[7], sc[8], sc[9], sc[10], sc[11]
    if flags == 0 and wd == 0 and not (use_clip or use_scale):
        for i in numba.prange(w.size):
            x = g[i]
            vi = beta1 * v[i] + omb1 * x
            si = beta2 * s[i] + omb2 * (x * x)
            wi = w[i]
            vo[i] = vi
            so[i] = si
            wo[i] = wi - step * vi / (np.sqrt(si * inv_c2) + eps)
        return
    amsgrad = (flags & AMSGRAD) != 0
    inside = (flags & EPS_INSIDE) != 0
    hat = (flags & EPS_HAT) != 0
    decoupled = (flags & DECOUPLED) != 0
    decay_on = wd != 0
    for i in numba.prange(w.size):
        x = _clipped(g[i], clip, use_clip, scale, use_scale)
        wi = w[i]
        if decay_on:
            if decoupled:
                wi = wi * decay
            else:
                x = x + wd * wi
        vi = beta1 * v[i] + omb1 * x
        si = beta2 * s[i] + omb2 * (x * x)
        d = si
        if amsgrad:
            d = max(s_max[i], si)
            s_max_o[i] = d
        vo[i] = vi
        so[i] = si
        if hat:
            wo[i] = wi - step * vi / (np.sqrt(d) + eps)
        elif inside:
            wo[i] = wi - step * vi / np.sqrt(d * inv_c2 + eps)
        else:
            wo[i] = wi - step * vi / (np.sqrt(d * inv_c2) + eps)


@numba.njit(inline="always")
def _rms(w, g, s, wo, so, lr, beta, one_minus_beta, eps, average, inside, clip, use_clip, scale,
         use_scale):  # fmt: skip
    """RMSProp (``average``: ``s = βs + (1-β)g²``) or AdaGrad (``s = s + g²``).

    ``inside``: ε inside the root (RMSProp's ``epsilon_inside_sqrt``).
    """
    for i in numba.prange(w.size):
        x = _clipped(g[i], clip, use_clip, scale, use_scale)
        if average:
            si = beta * s[i] + one_minus_beta * (x * x)
        else:
            si = s[i] + x * x
        wi = w[i]
        so[i] = si
        if inside:
            wo[i] = wi - lr * x / np.sqrt(si + eps)
        else:
            wo[i] = wi - lr * x / (np.sqrt(si) + eps)


# -- the element-wise rules of the modern pack (#13): NAdam, RAdam, Adamax, Adadelta, Lion --
# Per-step scalars are computed from t and lr as the NumPy reference computes them (same
# operations in the same order); ``sc`` rounds them to the buffers' dtype once.


@numba.njit(inline="always")
def _nadam_step_sizes(t, lr, beta1, psi, constant, negligible):
    """``descend.optim.nadam.nadam_step_sizes``, operation for operation: ``(c_g, c_m)``.

    The product of Dozat's momentum schedule depends on ``t`` only, so it is
    recomputed (at most about 400 multiplications for β1 = 0.9, none once
    ``beta1**t < negligible``) instead of being kept in the state.
    """
    if constant:
        mu = beta1
        mu_next = beta1
        product = math.pow(beta1, np.float64(t))
        product_next = math.pow(beta1, np.float64(t + 1))
    else:
        mu = beta1 * (1.0 - 0.5 * math.pow(0.96, t * psi))
        mu_next = beta1 * (1.0 - 0.5 * math.pow(0.96, (t + 1) * psi))
        product = 1.0
        if math.pow(beta1, np.float64(t)) < negligible:
            product = 0.0
        else:
            for i in range(1, t + 1):
                product *= beta1 * (1.0 - 0.5 * math.pow(0.96, i * psi))
        product_next = product * mu_next
    return lr * (1.0 - mu) / (1.0 - product), lr * mu_next / (1.0 - product_next)


@numba.njit(inline="always")
def _radam_rectification(t, beta2, threshold):
    """``descend.optim.radam.radam_rectification``; -1 where it returns None (no rectification)."""
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    b2t = math.pow(beta2, np.float64(t))
    rho_t = rho_inf - 2 * t * b2t / (1.0 - b2t)
    if not rho_t > threshold:
        return -1.0
    return math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))


@numba.njit(inline="always")
def _decayed(x, wi, wd, decoupled, decay):
    """Weight decay λ: ``(x + λw, w)`` coupled, ``(x, w(1-αλ))`` decoupled, ``(x, w)`` for λ = 0."""
    if wd != 0:
        if decoupled:
            wi = wi * decay
        else:
            x = x + wd * wi
    return x, wi


@numba.njit(inline="always")
def _nadam(w, g, v, s, wo, vo, so, sc, decoupled, clip, use_clip, scale, use_scale):
    """NAdam; ``sc`` holds beta1, 1-beta1, beta2, 1-beta2, 1/c2, epsilon, λ, 1-αλ, c_g, c_m."""
    beta1, omb1, beta2, omb2, inv_c2 = sc[3], sc[4], sc[5], sc[6], sc[7]
    eps, wd, decay, c_g, c_m = sc[8], sc[9], sc[10], sc[11], sc[12]
    for i in numba.prange(w.size):
        x, wi = _decayed(_clipped(g[i], clip, use_clip, scale, use_scale), w[i], wd, decoupled,
                         decay)  # fmt: skip
        vi = beta1 * v[i] + omb1 * x
        si = beta2 * s[i] + omb2 * (x * x)
        vo[i] = vi
        so[i] = si
        wo[i] = wi - (c_g * x + c_m * vi) / (np.sqrt(si * inv_c2) + eps)


@numba.njit(inline="always")
def _radam(w, g, v, s, wo, vo, so, sc, mode, decoupled, clip, use_clip, scale, use_scale):
    """RAdam; ``sc`` holds beta1, 1-beta1, beta2, 1-beta2, step, 1/c2, epsilon, λ, 1-αλ.

    ``mode`` 0: not rectified, ``w -= step·v`` with step ``lr/c1``; 1: ε outside the
    corrected root, step ``lr·r/c1``; 2: ε-hat, step ``lr·r·sqrt(c2)/c1``.
    """
    beta1, omb1, beta2, omb2, step = sc[3], sc[4], sc[5], sc[6], sc[7]
    inv_c2, eps, wd, decay = sc[8], sc[9], sc[10], sc[11]
    for i in numba.prange(w.size):
        x, wi = _decayed(_clipped(g[i], clip, use_clip, scale, use_scale), w[i], wd, decoupled,
                         decay)  # fmt: skip
        vi = beta1 * v[i] + omb1 * x
        si = beta2 * s[i] + omb2 * (x * x)
        vo[i] = vi
        so[i] = si
        if mode == 0:
            wo[i] = wi - step * vi
        elif mode == 1:
            wo[i] = wi - step * vi / (np.sqrt(si * inv_c2) + eps)
        else:
            wo[i] = wi - step * vi / (np.sqrt(si) + eps)


@numba.njit(inline="always")
def _adamax(w, g, v, u, wo, vo, uo, sc, clip, use_clip, scale, use_scale):
    """Adamax; ``sc`` holds beta1, 1-beta1, beta2, epsilon, λ (coupled), step ``lr/c1``."""
    beta1, omb1, beta2, eps, wd, step = sc[3], sc[4], sc[5], sc[6], sc[7], sc[8]
    for i in numba.prange(w.size):
        x, wi = _decayed(_clipped(g[i], clip, use_clip, scale, use_scale), w[i], wd, False, wd)
        vi = beta1 * v[i] + omb1 * x
        ui = max(beta2 * u[i], abs(x) + eps)
        vo[i] = vi
        uo[i] = ui
        wo[i] = wi - step * vi / ui


@numba.njit(inline="always")
def _adadelta(w, g, s, d, wo, so, do, sc, clip, use_clip, scale, use_scale):
    """Adadelta; ``sc`` holds rho, 1-rho, epsilon, λ (coupled)."""
    rho, omr, eps, wd, lr = sc[3], sc[4], sc[5], sc[6], sc[0]
    for i in numba.prange(w.size):
        x, wi = _decayed(_clipped(g[i], clip, use_clip, scale, use_scale), w[i], wd, False, wd)
        si = rho * s[i] + omr * (x * x)
        di = d[i]
        delta = np.sqrt(di + eps) / np.sqrt(si + eps) * x
        so[i] = si
        do[i] = rho * di + omr * (delta * delta)
        wo[i] = wi - lr * delta


@numba.njit(inline="always")
def _lion(w, g, v, wo, vo, sc, clip, use_clip, scale, use_scale):
    """Lion; ``sc`` holds beta1, 1-beta1, beta2, 1-beta2, λ, 1-αλ (decoupled)."""
    beta1, omb1, beta2, omb2, wd, decay, lr = sc[3], sc[4], sc[5], sc[6], sc[7], sc[8], sc[0]
    for i in numba.prange(w.size):
        x = _clipped(g[i], clip, use_clip, scale, use_scale)
        vi = v[i]
        c = beta1 * vi + omb1 * x
        wi = w[i]
        if wd != 0:
            wi = wi * decay
        wo[i] = wi - lr * np.sign(c)
        vo[i] = beta2 * vi + omb2 * x


def _scalars_impl(code, flags, hp, sc, t, lr, clip, scale):
    """Fill ``sc`` with this step's scalars for rule ``code``; return RAdam's mode (else 0).

    ``sc`` is scratch of the buffers' dtype: every scalar is computed in float64 and
    rounded to the dtype once, as NumPy rounds the reference's Python floats.
    ``sc[0:3]`` are the learning rate, the clipping value and the global-norm
    factor; the rest is laid out as each rule's kernel documents. ``t`` is this
    update's number (from 1). Runs once per step, not per buffer or block: NAdam's
    momentum-schedule product costs up to a few hundred powers.
    """
    sc[0] = lr
    sc[1] = clip
    sc[2] = scale
    beta1, beta2, eps, wd = hp[1], hp[2], hp[3], hp[4]
    mode = 0
    if code == MOMENTUM:
        sc[3], sc[4] = hp[0], 1.0 - hp[0]
    elif code == ADAM:
        c1 = 1.0 - math.pow(beta1, np.float64(t))
        c2 = 1.0 - math.pow(beta2, np.float64(t))
        sc[3], sc[4], sc[5], sc[6] = beta1, 1.0 - beta1, beta2, 1.0 - beta2
        sc[7] = lr * math.sqrt(c2) / c1 if (flags & EPS_HAT) != 0 else lr / c1
        sc[8], sc[9], sc[10], sc[11] = 1.0 / c2, eps, wd, 1.0 - lr * wd
    elif code == NADAM:
        c_g, c_m = _nadam_step_sizes(t, lr, beta1, hp[5], (flags & CONSTANT_MU) != 0, hp[7])
        sc[3], sc[4], sc[5], sc[6] = beta1, 1.0 - beta1, beta2, 1.0 - beta2
        sc[7] = 1.0 / (1.0 - math.pow(beta2, np.float64(t)))
        sc[8], sc[9], sc[10], sc[11], sc[12] = eps, wd, 1.0 - lr * wd, c_g, c_m
    elif code == RADAM:
        c1 = 1.0 - math.pow(beta1, np.float64(t))
        c2 = 1.0 - math.pow(beta2, np.float64(t))
        r = _radam_rectification(t, beta2, hp[6])
        mode = 0 if r < 0 else (2 if (flags & EPS_HAT) != 0 else 1)
        sc[3], sc[4], sc[5], sc[6] = beta1, 1.0 - beta1, beta2, 1.0 - beta2
        if mode == 0:
            sc[7] = lr / c1
        elif mode == 1:
            sc[7] = lr * r / c1
        else:
            sc[7] = lr * r * math.sqrt(c2) / c1
        sc[8], sc[9], sc[10], sc[11] = 1.0 / c2, eps, wd, 1.0 - lr * wd
    elif code == ADAMAX:
        sc[3], sc[4], sc[5], sc[6], sc[7] = beta1, 1.0 - beta1, beta2, eps, wd
        sc[8] = lr / (1.0 - math.pow(beta1, np.float64(t)))
    elif code == ADADELTA:
        sc[3], sc[4], sc[5], sc[6] = hp[0], 1.0 - hp[0], eps, wd
    elif code == LION:
        sc[3], sc[4], sc[5], sc[6], sc[7] = beta1, 1.0 - beta1, beta2, 1.0 - beta2, wd
        sc[8] = 1.0 - lr * wd
    elif code == RMSPROP or code == ADAGRAD:
        sc[3], sc[4], sc[5] = hp[0], 1.0 - hp[0], eps
    return mode


def _run_out_impl(code, flags, mode, P, G, S1, S2, S3, PO, O1, O2, O3, sc, use_clip, use_scale):
    """Rule ``code`` from ``P`` and the slots ``S1, S2, S3`` into ``PO, O1, O2, O3``.

    ``S1, S2, S3`` are the state slots in the optimizer's order (``v``; ``v, s,
    s_max``; ``s``), empty where unused; ``sc`` and ``mode`` come from
    :func:`_scalars_impl` and are only read here. The outputs are the inputs
    themselves (in place, :func:`_run_impl`) or new arrays (:func:`_apply_out_impl`).
    """
    decoupled = (flags & DECOUPLED) != 0
    if code == GD:
        _gd(P, G, PO, sc[0], sc[1], use_clip, sc[2], use_scale)
    elif code == MOMENTUM:
        nesterov = (flags & NESTEROV) != 0
        _momentum(P, G, S1, PO, O1, sc[0], sc[3], sc[4], nesterov, sc[1], use_clip, sc[2],
                  use_scale)  # fmt: skip
    elif code == ADAM:
        _adam(P, G, S1, S2, S3, PO, O1, O2, O3, sc, flags, sc[1], use_clip, sc[2], use_scale)
    elif code == NADAM:
        _nadam(P, G, S1, S2, PO, O1, O2, sc, decoupled, sc[1], use_clip, sc[2], use_scale)
    elif code == RADAM:
        _radam(P, G, S1, S2, PO, O1, O2, sc, mode, decoupled, sc[1], use_clip, sc[2], use_scale)
    elif code == ADAMAX:
        _adamax(P, G, S1, S2, PO, O1, O2, sc, sc[1], use_clip, sc[2], use_scale)
    elif code == ADADELTA:
        _adadelta(P, G, S1, S2, PO, O1, O2, sc, sc[1], use_clip, sc[2], use_scale)
    elif code == LION:
        _lion(P, G, S1, PO, O1, sc, sc[1], use_clip, sc[2], use_scale)
    else:
        _rms(P, G, S1, PO, O1, sc[0], sc[3], sc[4], sc[5], code == RMSPROP,
             (flags & EPS_INSIDE) != 0, sc[1], use_clip, sc[2], use_scale)  # fmt: skip


_run_out = numba.njit(inline="always")(_run_out_impl)


def _run_impl(code, flags, mode, P, G, S1, S2, S3, sc, use_clip, use_scale):
    """Rule ``code`` on ``P`` and its slots in place: :func:`_run_out_impl` into themselves."""
    _run_out(code, flags, mode, P, G, S1, S2, S3, P, S1, S2, S3, sc, use_clip, use_scale)


_scalars = numba.njit(inline="always")(_scalars_impl)
_run = numba.njit(inline="always")(_run_impl)
#: The per-step scalars alone, for callers that then run many buffers (:func:`apply_out`).
scalars = numba.njit(**_OPTS)(_scalars_impl)


def _apply_impl(code, flags, P, G, S1, S2, S3, hp, sc, t, lr, clip, use_clip, scale, use_scale):
    """Apply rule ``code`` to the flat buffer ``P`` with gradient ``G``, in place.

    :func:`_scalars_impl` then :func:`_run_impl`: ``hp`` holds the float64
    hyperparameters of :mod:`descend.fast.rules`, ``t`` is this update's number
    (from 1), ``lr`` its learning rate, ``scale`` the global-norm clipping factor.
    """
    mode = _scalars(code, flags, hp, sc, t, lr, clip, scale)
    _run(code, flags, mode, P, G, S1, S2, S3, sc, use_clip, use_scale)


apply = numba.njit(**_OPTS)(_apply_impl)
apply_par = numba.njit(parallel=True, **_OPTS)(_apply_impl)

# -- out of place: the public ``Optimizer.step`` on dicts of arrays ------------------------

#: Elements per block of :func:`apply_out`: its new values are checked while in L1.
OUT_BLOCK = 2048
OK, GRAD_NONFINITE, RESULT_NONFINITE = 0, 1, 2


@numba.njit(inline="always")
def _has_nonfinite(x):
    """Whether the 1-D ``x`` holds NaN or inf: ``x - x`` is 0 exactly for finite ``x``.

    An OR of comparisons, which vectorises without reassociating any float sum.
    """
    bad = False
    for i in range(x.size):
        bad |= (x[i] - x[i]) != 0
    return bad


def _apply_out_impl(code, flags, mode, ins, outs, G, sc, use_clip, use_scale):
    """Rule ``code`` from ``ins = (P, S1, S2, S3)`` into ``outs`` (new arrays); a status.

    Block by block: the rule reads the block of ``ins`` and ``G`` and writes the block
    of ``outs`` (:func:`_run_out_impl`), then checks that what it wrote is finite,
    while it is in cache. ``ins`` and ``G`` are only read; ``outs`` must not share
    memory with them (see the kernels' notes).

    Returns ``OK``; ``GRAD_NONFINITE`` when clipping by value (``use_clip``) and
    some gradient is NaN or inf (without it, a non-finite gradient always makes
    some new value non-finite, since every rule adds ``c·g`` with ``c > 0`` to a
    slot or the parameters, and lr·inf or 0·inf is not finite); else
    ``RESULT_NONFINITE`` when some new value is not finite: a non-finite gradient
    or an overflow, which the caller tells apart by checking the gradients. On
    anything but ``OK`` the caller discards ``outs``.
    """
    P, S1, S2, S3 = ins
    PO, O1, O2, O3 = outs
    n = P.size
    status = OK
    for a in range(0, n, OUT_BLOCK):
        z = min(n, a + OUT_BLOCK)
        g = G[a:z]
        if use_clip and _has_nonfinite(g):
            return GRAD_NONFINITE
        # an empty slot stays empty: its slices are [0:0]
        b1, b2, b3 = min(a, S1.size), min(a, S2.size), min(a, S3.size)
        e1, e2, e3 = min(z, S1.size), min(z, S2.size), min(z, S3.size)
        po, o1, o2, o3 = PO[a:z], O1[b1:e1], O2[b2:e2], O3[b3:e3]
        _run_out(code, flags, mode, P[a:z], g, S1[b1:e1], S2[b2:e2], S3[b3:e3], po, o1, o2, o3,
                 sc, use_clip, use_scale)  # fmt: skip
        if _has_nonfinite(po) or _has_nonfinite(o1) or _has_nonfinite(o2) or _has_nonfinite(o3):
            status = RESULT_NONFINITE
    return status


#: Single-threaded: :mod:`descend.fast.step` runs it on several Python threads (``nogil``).
apply_out = numba.njit(**_OPTS)(_apply_out_impl)


def grad_stats(g: np.ndarray, clip: float, use_clip: bool, parallel: bool) -> tuple[bool, float]:
    """``(all finite, squared L2 norm after value clipping)`` of one flat gradient buffer."""
    return (_grad_stats_par if parallel else _grad_stats)(g, g.dtype.type(clip), use_clip)


def all_finite(g: np.ndarray, parallel: bool) -> bool:
    """Whether the flat gradient buffer ``g`` holds only finite values."""
    return (_finite_par if parallel else _finite)(g)


# -- the legacy RandomState permutation (MT19937) ---------------------------------------------

_N, _M = 624, 397


@numba.njit(**_OPTS)
def _mt_seed(key, seed):
    """``init_genrand``: the state that ``RandomState(seed)`` starts from."""
    key[0] = np.uint32(seed)
    for pos in range(1, _N):
        prev = np.uint64(key[pos - 1])
        key[pos] = np.uint32(
            (np.uint64(1812433253) * (prev ^ (prev >> np.uint64(30))) + np.uint64(pos))
            & np.uint64(0xFFFFFFFF)
        )


@numba.njit(**_OPTS)
def _mt_generate(key):
    """Refill the 624 words of the MT19937 state (the standard twist)."""
    upper, lower, matrix = np.uint32(0x80000000), np.uint32(0x7FFFFFFF), np.uint32(0x9908B0DF)
    for i in range(_N - _M):
        y = (key[i] & upper) | (key[i + 1] & lower)
        key[i] = key[i + _M] ^ (y >> np.uint32(1)) ^ (-(y & np.uint32(1)) & matrix)
    for i in range(_N - _M, _N - 1):
        y = (key[i] & upper) | (key[i + 1] & lower)
        key[i] = key[i + _M - _N] ^ (y >> np.uint32(1)) ^ (-(y & np.uint32(1)) & matrix)
    y = (key[_N - 1] & upper) | (key[0] & lower)
    key[_N - 1] = key[_M - 1] ^ (y >> np.uint32(1)) ^ (-(y & np.uint32(1)) & matrix)


@numba.njit(**_OPTS)
def legacy_permutation_into(order, seed, key):
    """Write ``RandomState(seed).permutation(order.size)`` into ``order`` (int64).

    NumPy's legacy shuffle: Fisher-Yates from the last position down, each
    ``j`` drawn by masked rejection sampling of tempered 32-bit MT19937 outputs
    (``random_interval``). ``key`` (uint32[624]) is scratch space. Valid for
    ``order.size <= 2**32``.
    """
    n = order.size
    for i in range(n):
        order[i] = i
    _mt_seed(key, seed)
    pos = _N
    for i in range(n - 1, 0, -1):
        mask = np.uint32(i)
        mask |= mask >> np.uint32(1)
        mask |= mask >> np.uint32(2)
        mask |= mask >> np.uint32(4)
        mask |= mask >> np.uint32(8)
        mask |= mask >> np.uint32(16)
        while True:
            if pos == _N:
                _mt_generate(key)
                pos = 0
            y = key[pos]
            pos += 1
            y ^= y >> np.uint32(11)
            y ^= (y << np.uint32(7)) & np.uint32(0x9D2C5680)
            y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
            y ^= y >> np.uint32(18)
            value = y & mask
            if value <= np.uint32(i):
                break
        j = np.int64(value)
        tmp = order[i]
        order[i] = order[j]
        order[j] = tmp


def legacy_permutation(m: int, seed: int) -> np.ndarray:
    """``RandomState(seed).permutation(m)``, computed by :func:`legacy_permutation_into`."""
    order = np.empty(m, dtype=np.int64)
    legacy_permutation_into(order, seed, np.empty(_N, np.uint32))
    return order


__all__ = [
    "ADADELTA",
    "ADAGRAD",
    "ADAM",
    "ADAMAX",
    "AMSGRAD",
    "CONSTANT_MU",
    "DECOUPLED",
    "EPS_HAT",
    "EPS_INSIDE",
    "GD",
    "LION",
    "MOMENTUM",
    "NADAM",
    "NESTEROV",
    "RADAM",
    "RMSPROP",
    "all_finite",
    "apply",
    "apply_out",
    "apply_par",
    "grad_stats",
    "legacy_permutation",
    "legacy_permutation_into",
    "scalars",
]
