"""Per-phase profile of the fast loop's MLP step: ``python -m benchmarks.mlp_profile``.

Calls the compiled pieces of :func:`descend.fast.net.run_epoch` one at a time on
the ``mlp`` workload ([784, 256, 128, 10], float32, batch 128, Adam), each many
times in a row, and prints the median time of each phase next to the whole step
(``training.train``) and the GEMM floor. Phases that run back to back in the real
loop find their inputs in cache; here each one runs alone, so the sum is only
close to the step.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from .common import fmt, machine, measure
from .mlp import BATCH, DIMS, LR, N_BATCHES, _data, gemm_floor


def _time(fn: Callable[[], object], number: int, repeats: int = 7) -> float:
    return statistics.median(measure(fn, repeats, number, warmup=2))


def phases(number: int = 200) -> dict[str, float]:
    """Median seconds of each phase of one step."""
    from descend.fast import kernels, net
    from descend.fast.flat import FlatLayout

    X, Y, _, params = _data()
    dtype = np.dtype(np.float32)
    layout = FlatLayout(params)
    P = layout.pack(params)[dtype]
    rng = np.random.default_rng(2)
    G = (rng.standard_normal(P.size) * 1e-3).astype(dtype)
    V, S = np.zeros_like(P), np.zeros_like(P)
    p, g = layout.views({dtype: P}), layout.views({dtype: G})
    Xt, Yt = np.ascontiguousarray(X.T), np.ascontiguousarray(Y.T)
    order = rng.permutation(X.shape[1]).astype(np.int64)
    mb, L = BATCH, len(DIMS) - 1
    XbT = np.empty((mb, DIMS[0]), dtype)
    YbT = np.empty((mb, DIMS[-1]), dtype)
    A = [XbT.T] + [np.empty((n, mb), dtype) for n in DIMS[1:]]
    dZ = [None] + [np.empty((n, mb), dtype) for n in DIMS[1:]]
    out: dict[str, float] = {}
    out["gather batch (X, Y rows)"] = _time(
        lambda: (net.gather_rows(Xt, order, 0, mb, XbT), net.gather_rows(Yt, order, 0, mb, YbT)),
        number,
    )
    for l in range(1, L):
        W, b = p[f"W{l}"], p[f"b{l}"].ravel()
        out[f"layer {l}: GEMM + bias + ReLU"] = _time(
            lambda W=W, b=b, l=l: net._linear_act(W, A[l - 1], b, A[l], net.RELU), number
        )
    W, b = p[f"W{L}"], p[f"b{L}"].ravel()
    out[f"layer {L}: GEMM + bias"] = _time(lambda: net._linear(W, A[L - 1], b, A[L]), number)
    db = g[f"b{L}"].ravel()
    out["softmax, cost, dZ, db"] = _time(
        lambda: net._softmax_output(A[L], YbT.T, dZ[L], db, 1.0 / mb), number
    )
    for l in range(L, 0, -1):
        out[f"layer {l}: dW GEMM"] = _time(
            lambda l=l: net._weight_grads(dZ[l], A[l - 1], g[f"W{l}"]), number
        )
        if l > 1:
            out[f"layer {l}: dA GEMM + ReLU' + db"] = _time(
                lambda l=l: net._backprop(p[f"W{l}"], dZ[l], A[l - 1], dZ[l - 1],
                                          g[f"b{l - 1}"].ravel(), net.RELU),
                number,
            )  # fmt: skip
    out[f"finiteness check ({G.size} grads)"] = _time(lambda: kernels.all_finite(G, False), number)
    from descend import Adam
    from descend.fast.rules import compile_rule

    rule = compile_rule(Adam(LR))
    sc, empty = np.empty(16, dtype), P[:0]
    cfg = np.array([rule.code, rule.flags, net.RELU, 1, 0, 0, 0, 1], dtype=np.int64)
    fcfg = np.zeros(3)
    out["Adam update (1 thread)"] = _time(
        lambda: kernels.apply(rule.code, rule.flags, P, G, V, S, empty, rule.hyper, sc, 5, 1e-7,
                              0.0, False, 1.0, False),
        number,
    )  # fmt: skip
    out["net.step (check + Adam)"] = _time(
        lambda: net.step(P, G, (V, S, empty), (rule.hyper, sc, cfg, fcfg), 5, 1e-7), number
    )
    return out


def step_time(epochs: int = 5, repeats: int = 5) -> float:
    from descend import Adam, training

    X, Y, _, params = _data()
    spec = training.MiniBatches(X, Y, BATCH, seed=0, legacy=True)
    training.train(params, Adam(LR), spec, 1)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        training.train(params, Adam(LR), spec, epochs)
        samples.append((time.perf_counter() - start) / (epochs * N_BATCHES))
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mlp_profile", description=__doc__)
    parser.add_argument("--number", type=int, default=200, help="calls per timed sample")
    args = parser.parse_args(argv)
    print("\n".join(machine()[:2]))
    results = phases(args.number)
    width = max(map(len, results))
    for name, seconds in results.items():
        print(f"  {name:{width}s} {fmt(seconds)}")
    # net.step runs the finiteness check and the Adam update, timed apart above
    parts = [k for k in results if not k.startswith(("finiteness", "Adam update"))]
    print(f"  {'sum of the phases':{width}s} {fmt(sum(results[k] for k in parts))}")
    params = _data()[3]
    print(f"  {'GEMM floor (8 products, NumPy)':{width}s} "
          f"{fmt(statistics.median(gemm_floor(params, 7)))}")  # fmt: skip
    print(f"  {'whole step (training.train)':{width}s} {fmt(step_time())}")


if __name__ == "__main__":
    main()
