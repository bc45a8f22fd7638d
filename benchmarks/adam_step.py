"""One Adam step over N float32 parameters in 100 arrays, and the memory-bandwidth limit.

Bytes moved by a fused Adam step (STREAM convention, each write counted once):
read w, g, v, s and write w, v, s, i.e. 7 * 4 bytes per parameter. The limit is
those bytes over the best bandwidth measured in this run over arrays much larger
than the caches: NumPy copy, STREAM triad ``a = b + s c`` and an in-place triad
``a += s b``. The in-place one moves bytes as Adam does (every written line was
just read, so no write-allocate traffic goes uncounted) and usually reads
highest; all of them count only the bytes of the convention above.
"""

from __future__ import annotations

import numpy as np

from .common import Report, Row, fmt, measure

SIZES = {"adam10m": 10_000_000, "adam1m": 1_000_000}
N_ARRAYS = 100
BYTES_PER_PARAM = 7 * 4
LR, BETA1, BETA2, EPS = 1e-3, 0.9, 0.999, 1e-8


def stream_bandwidth(report: Report, n: int = 20_000_000) -> tuple[float, float]:
    """Bytes/s: the best of copy (NumPy), triad and in-place triad (numba, 1 and all
    threads), and the best of those that write to other memory than they read (copy,
    triad): the limit of an out-of-place step such as ``Optimizer.step``, which
    writes new arrays (each written line is first read into the cache)."""
    a, b, c = (np.full(n, x, np.float32) for x in (1.0, 2.0, 3.0))
    best = 0.0
    t = min(measure(lambda: np.copyto(a, b), 7))
    best = max(best, 2 * 4 * n / t)
    out_of_place = best
    results = [f"copy {2 * 4 * n / t / 1e9:.1f} GB/s"]
    try:
        import numba

        def triad_impl(a, b, c, s):
            for i in numba.prange(a.size):
                a[i] = b[i] + s * c[i]

        def inplace_impl(a, b, s):
            for i in numba.prange(a.size):
                a[i] = a[i] + s * b[i]

        for parallel in (False, True):
            where = " parallel" if parallel else ""
            triad = numba.njit(parallel=parallel)(triad_impl)
            t = min(measure(lambda f=triad: f(a, b, c, np.float32(3.0)), 7, warmup=2))
            best = max(best, 3 * 4 * n / t)
            out_of_place = max(out_of_place, 3 * 4 * n / t)
            results.append(f"triad{where} {3 * 4 * n / t / 1e9:.1f} GB/s")
            inplace = numba.njit(parallel=parallel)(inplace_impl)
            t = min(measure(lambda f=inplace: f(a, b, np.float32(1e-9)), 7, warmup=2))
            best = max(best, 3 * 4 * n / t)
            results.append(f"in-place triad{where} {3 * 4 * n / t / 1e9:.1f} GB/s")
    except ImportError:
        pass
    print("  bandwidth: " + ", ".join(results))
    report.notes.append(
        f"bandwidth (best of {', '.join(results)}): {best / 1e9:.1f} GB/s; "
        f"out of place (copy, triads): {out_of_place / 1e9:.1f} GB/s"
    )
    return best, out_of_place


def _arrays(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(n // N_ARRAYS, dtype=np.float32) for _ in range(N_ARRAYS)]


def run(
    report: Report, workload: str, repeats: int, peers: set[str], bandwidth: tuple[float, float]
) -> None:
    n = SIZES[workload]
    weights, grads = _arrays(n, 0), _arrays(n, 1)
    limit = BYTES_PER_PARAM * n / bandwidth[0]
    report.limits[workload] = (f"bandwidth limit ({BYTES_PER_PARAM} B/param)", limit)
    out_limit = BYTES_PER_PARAM * n / bandwidth[1]
    report.limits[f"{workload}:out-of-place"] = ("out-of-place bandwidth limit", out_limit)
    print(f"  bandwidth limit {fmt(limit)}, out of place {fmt(out_limit)}")
    number = 3 if n >= 5_000_000 else 20
    try:
        from descend import Adam
        from descend.fast import FlatOptimizer
    except ImportError:
        FlatOptimizer = None
    if FlatOptimizer is not None:
        params = {f"p{i}": w for i, w in enumerate(weights)}
        variants = [
            ({}, "descend FlatOptimizer"),
            ({"parallel": False}, "descend FlatOptimizer 1 thread"),
            ({"parallel": True}, "descend FlatOptimizer parallel"),
            ({"check_finite": False}, "descend FlatOptimizer check_finite=False"),
        ]
        for options, name in variants:
            opt = FlatOptimizer(Adam(LR, BETA1, BETA2, EPS), params, **options)
            for i, g in enumerate(grads):
                opt.grads[f"p{i}"][...] = g
            report.add(Row(workload, name, measure(opt.step, repeats, number, warmup=2)))
        gdict = {f"p{i}": g for i, g in enumerate(grads)}
        steps = [("step", "descend Adam.step (compiled)", number)]
        if n <= 1_000_000:
            steps.append(("reference_step", "descend Adam.reference_step (NumPy)", 3))
        for method, name, calls in steps:
            opt = Adam(LR, BETA1, BETA2, EPS)
            box = {"p": params, "s": opt.init(params), "step": getattr(opt, method)}

            def dict_step(box=box):  # the public API: new arrays each step, inputs untouched
                box["p"], box["s"] = box["step"](box["p"], gdict, box["s"])

            report.add(Row(workload, name, measure(dict_step, repeats, calls, warmup=2)))
    if "numpy" in peers:
        report.add(
            Row(
                workload,
                "plain NumPy in place",
                measure(_numpy_step(weights, grads), repeats, number),
            )
        )
    if "torch" in peers:
        report.add(_torch(workload, weights, grads, repeats, number))
    if "jax" in peers:
        report.add(_optax(workload, weights, grads, repeats, number))
    report.goals.append(
        (workload, "descend FlatOptimizer", "torch Adam(fused=True)", 1.0 if n > 5e6 else 0.5)
    )
    report.goals.append((workload, "descend Adam.step (compiled)", "torch Adam(fused=True)", 1.5))
    report.goals.append((workload, "descend Adam.step (compiled)", "limit:out-of-place", 1.3))
    if n > 5e6:
        report.goals.append((workload, "descend FlatOptimizer", "limit:bandwidth", 1.3))


def _numpy_step(weights, grads):
    """Adam with NumPy ufuncs writing in place (out=), no temporaries beyond one buffer."""
    w = [x.copy() for x in weights]
    v = [np.zeros_like(x) for x in weights]
    s = [np.zeros_like(x) for x in weights]
    tmp = [np.empty_like(x) for x in weights]
    state = {"t": 0}

    def step():
        state["t"] += 1
        t = state["t"]
        c1, c2 = 1 - BETA1**t, 1 - BETA2**t
        step_size = np.float32(LR / c1)
        for wi, gi, vi, si, ti in zip(w, grads, v, s, tmp, strict=True):
            vi *= np.float32(BETA1)
            vi += np.float32(1 - BETA1) * gi
            np.multiply(gi, gi, out=ti)
            ti *= np.float32(1 - BETA2)
            si *= np.float32(BETA2)
            si += ti
            np.divide(si, np.float32(c2), out=ti)
            np.sqrt(ti, out=ti)
            ti += np.float32(EPS)
            np.divide(vi, ti, out=ti)
            ti *= step_size
            wi -= ti

    return step


def _torch(workload, weights, grads, repeats, number):
    try:
        import torch
    except ImportError:
        return None
    params = [torch.tensor(w, requires_grad=True) for w in weights]
    for p, g in zip(params, grads, strict=True):
        p.grad = torch.tensor(g)
    try:
        opt = torch.optim.Adam(params, lr=LR, betas=(BETA1, BETA2), eps=EPS, fused=True)
        opt.step()
        name = "torch Adam(fused=True)"
    except (RuntimeError, TypeError):
        opt = torch.optim.Adam(params, lr=LR, betas=(BETA1, BETA2), eps=EPS, foreach=True)
        name = "torch Adam(fused=True)"  # the goal's row name; note says what ran
        return Row(
            workload, name, measure(opt.step, repeats, number), note="foreach (fused unsupported)"
        )
    with torch.no_grad():
        return Row(workload, name, measure(opt.step, repeats, number),
                   note=f"{torch.get_num_threads()} threads")  # fmt: skip


def _optax(workload, weights, grads, repeats, number):
    try:
        import jax
        import jax.numpy as jnp
        import optax
    except ImportError:
        return None
    opt = optax.adam(LR, b1=BETA1, b2=BETA2, eps=EPS)
    params = [jnp.asarray(w) for w in weights]
    g = [jnp.asarray(x) for x in grads]
    box = {"p": params, "s": opt.init(params)}

    @jax.jit
    def update(p, s, g):
        updates, s = opt.update(g, s, p)
        return optax.apply_updates(p, updates), s

    update = jax.jit(update, donate_argnums=(0, 1))

    def step():
        box["p"], box["s"] = update(box["p"], box["s"], g)
        jax.block_until_ready(box["p"])

    return Row(workload, "optax adam (jit, donated)", measure(step, repeats, number, warmup=2))
