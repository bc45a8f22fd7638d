"""An MLP [784, 256, 128, 10], ReLU, softmax, float32, batch 128: one Adam training step.

Random data (fixed seed), 20 batches per epoch. The GEMM floor is the time of the
step's eight matrix products alone (three forward, three weight gradients, two
input gradients) with NumPy's BLAS into preallocated outputs.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from .common import Report, Row, measure

DIMS = [784, 256, 128, 10]
BATCH, N_BATCHES, LR = 128, 20, 1e-3


def _data():
    rng = np.random.default_rng(0)
    m = BATCH * N_BATCHES
    X = rng.standard_normal((DIMS[0], m), dtype=np.float32)
    labels = rng.integers(0, DIMS[-1], m)
    Y = np.eye(DIMS[-1], dtype=np.float32)[:, labels]
    params = {}
    for l in range(1, len(DIMS)):
        w = rng.standard_normal((DIMS[l], DIMS[l - 1])) * np.sqrt(2 / DIMS[l - 1])
        params[f"W{l}"] = w.astype(np.float32)
        params[f"b{l}"] = np.zeros((DIMS[l], 1), np.float32)
    return X, Y, labels, params


def _per_step(fn, epochs, reps):
    fn(1)
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        fn(epochs)
        samples.append((time.perf_counter() - start) / (epochs * N_BATCHES))
    return samples


def gemm_floor(params, repeats):
    rng = np.random.default_rng(1)
    acts = [rng.standard_normal((n, BATCH), dtype=np.float32) for n in DIMS]
    outs = [np.empty((n, BATCH), np.float32) for n in DIMS]
    grads = [np.empty_like(params[f"W{l}"]) for l in range(1, len(DIMS))]
    Ws = [params[f"W{l}"] for l in range(1, len(DIMS))]

    def products():
        for l, W in enumerate(Ws):  # forward
            np.matmul(W, acts[l], out=outs[l + 1])
        for l, W in enumerate(Ws):  # weight gradients
            np.matmul(acts[l + 1], acts[l].T, out=grads[l])
            if l > 0:  # input gradients
                np.matmul(W.T, acts[l + 1], out=outs[l])

    return measure(products, repeats, 20, warmup=3)


def run(report: Report, repeats: int, peers: set[str]) -> None:
    from descend import Adam, MLPClassifier, training

    X, Y, labels, params = _data()
    reps = max(3, repeats // 3)
    spec = training.MiniBatches(X, Y, BATCH, seed=0, legacy=True)

    def trainer(backend):
        def descend_train(epochs):
            training.train(params, Adam(LR), spec, epochs, backend=backend)

        return descend_train

    def estimator(backend):
        def fit(epochs):
            clf = MLPClassifier((256, 128), batch_size=BATCH, learning_rate_init=LR,
                                max_iter=epochs, tol=0.0, n_iter_no_change=10**9,
                                random_state=0, backend=backend)  # fmt: skip
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clf.fit(X.T, labels)

        return fit

    report.add(Row("mlp", "descend train (numba backend)", _per_step(trainer("numba"), 5, reps)))
    floor = gemm_floor(params, repeats)
    report.add(Row("mlp", "GEMM floor (8 products, NumPy BLAS)", floor))
    report.add(Row("mlp", "descend train (numpy backend)", _per_step(trainer("numpy"), 2, reps)))
    for backend in ("numba", "numpy"):
        name = f"descend MLPClassifier.fit ({backend})"
        report.add(Row("mlp", name, _per_step(estimator(backend), 2, reps)))
    if "jax" in peers:
        report.add(_jax(X, labels, params, reps))
    if "torch" in peers:
        report.add(_torch(X, labels, params, reps))
    if "sklearn" in peers:
        report.add(_sklearn(X, labels, reps))
    numba_train = "descend train (numba backend)"
    report.goals.append(("mlp", numba_train, "descend train (numpy backend)", 1.0))
    report.goals.append(("mlp", numba_train, "JAX scan (jit)", 1.0))
    report.goals.append(("mlp", numba_train, "GEMM floor (8 products, NumPy BLAS)", 1.15))
    fit = "descend MLPClassifier.fit (numba)"
    report.goals.append(("mlp", fit, "descend MLPClassifier.fit (numpy)", 1.0))
    report.goals.append(("mlp", fit, "sklearn MLPClassifier(adam)", 0.6))


def _jax(X, labels, params, reps):
    try:
        import jax
        import jax.numpy as jnp
        import optax
    except ImportError:
        return None
    opt = optax.adam(LR)
    p0 = {k: jnp.asarray(v) for k, v in params.items()}
    xs = jnp.asarray(X.reshape(DIMS[0], N_BATCHES, BATCH).transpose(1, 0, 2))
    ys = jnp.asarray(labels.reshape(N_BATCHES, BATCH))

    def loss(p, xb, yb):
        a = xb
        for l in (1, 2):
            a = jax.nn.relu(p[f"W{l}"] @ a + p[f"b{l}"])
        z = p["W3"] @ a + p["b3"]
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(z, axis=0), yb[None], axis=0))

    def step(carry, batch):
        p, s = carry
        value, g = jax.value_and_grad(loss)(p, *batch)
        updates, s = opt.update(g, s, p)
        return (optax.apply_updates(p, updates), s), value

    @jax.jit
    def epoch(p, s):
        (p, s), costs = jax.lax.scan(step, (p, s), (xs, ys))
        return p, s, costs

    box = {"p": p0, "s": opt.init(p0)}

    def run(epochs):
        for _ in range(epochs):
            box["p"], box["s"], _ = epoch(box["p"], box["s"])
        jax.block_until_ready(box["p"])

    return Row("mlp", "JAX scan (jit)", _per_step(run, 5, reps), note="optax.adam")


def _torch(X, labels, params, reps):
    try:
        import torch
    except ImportError:
        return None
    layers = []
    for l in range(1, len(DIMS)):
        lin = torch.nn.Linear(DIMS[l - 1], DIMS[l])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(params[f"W{l}"]))
            lin.bias.zero_()
        layers += [lin, torch.nn.ReLU()] if l < len(DIMS) - 1 else [lin]
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=LR, fused=True)
    xs = torch.from_numpy(np.ascontiguousarray(X.T)).reshape(N_BATCHES, BATCH, DIMS[0])
    ys = torch.from_numpy(labels).reshape(N_BATCHES, BATCH)
    loss_fn = torch.nn.CrossEntropyLoss()

    def run(epochs):
        for _ in range(epochs):
            for k in range(N_BATCHES):
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(net(xs[k]), ys[k])
                loss.backward()
                opt.step()

    return Row("mlp", "torch eager, Adam(fused=True)", _per_step(run, 3, reps))


def _sklearn(X, labels, reps):
    try:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        return None

    def fit(epochs):
        clf = MLPClassifier(hidden_layer_sizes=(256, 128), solver="adam", batch_size=BATCH,
                            learning_rate_init=LR, max_iter=epochs, tol=0.0,
                            n_iter_no_change=10**9, shuffle=True, random_state=0)  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X.T, labels)

    return Row("mlp", "sklearn MLPClassifier(adam)", _per_step(fit, 2, reps), note="float32 input")
