"""The course's moons experiment: [2, 5, 2, 1], Adam, mini-batches of 64, per mini-batch step.

Every implementation trains on the same 300 points with the same per-epoch
permutations (``RandomState(11 + epoch)``) and records the per-epoch cost; the
time reported is the whole run over the number of mini-batch steps.
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np

from .common import Report, Row

LAYERS = [2, 5, 2, 1]
LR, SIZE = 0.0007, 64


def _per_step(fn, epochs: int, repeats: int, m: int = 300) -> list[float]:
    steps = epochs * -(-m // SIZE)
    fn(min(epochs, 20))  # compile / warm up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(epochs)
        samples.append((time.perf_counter() - start) / steps)
    return samples


def run(report: Report, repeats: int, peers: set[str]) -> None:
    from descend import Adam, textbook, training

    X, Y = textbook.load_dataset()
    fast_epochs, slow_epochs = 5000, 200
    reps = max(3, repeats // 3)

    def model(epochs):
        textbook.model(X, Y, LAYERS, "adam", LR, SIZE, num_epochs=epochs, print_cost=False)

    def recipe(epochs):  # textbook.fit's recipe with the batches given as data
        params = textbook.initialize_parameters(LAYERS)
        spec = training.MiniBatches(X, Y, SIZE, seed=11, legacy=True)
        training.train(params, Adam(LR), spec, epochs, callback=lambda e, c, p: None)

    report.add(Row("moons", "descend textbook.model", _per_step(model, fast_epochs, reps)))
    report.add(Row("moons", "descend train(MiniBatches)", _per_step(recipe, fast_epochs, reps),
                   note="textbook.fit's recipe, batches as data"))  # fmt: skip
    if "numpy" in peers:
        os.environ["DESCEND_BACKEND"] = "numpy"
        try:
            report.add(Row("moons", "descend NumPy reference loop",
                           _per_step(model, slow_epochs, reps)))  # fmt: skip
        finally:
            del os.environ["DESCEND_BACKEND"]
    if "jax" in peers:
        report.add(_jax(X, Y, fast_epochs, reps))
    if "sklearn" in peers:
        report.add(_sklearn(X, Y, slow_epochs, reps))
    report.goals.append(("moons", "descend textbook.model", "JAX whole loop (jit, scan)", 1.0))
    report.goals.append(("moons", "descend train(MiniBatches)", "JAX whole loop (jit, scan)", 1.0))


def _jax(X, Y, epochs, reps):
    try:
        import jax
        import jax.numpy as jnp
        import optax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    from descend import textbook

    m = X.shape[1]
    starts = list(range(0, m, SIZE))
    params0 = {k: jnp.asarray(v) for k, v in textbook.initialize_parameters(LAYERS).items()}
    opt = optax.adam(LR)
    perms = np.stack([np.random.RandomState(11 + e).permutation(m) for e in range(epochs)])
    Xj, Yj = jnp.asarray(X), jnp.asarray(Y, dtype=jnp.float64)

    def batch_cost(p, xb, yb):
        a = xb
        for l in (1, 2):
            a = jax.nn.relu(p[f"W{l}"] @ a + p[f"b{l}"])
        z = p["W3"] @ a + p["b3"]
        return jnp.sum(jnp.logaddexp(0.0, z) - yb * z)

    grad_fn = jax.value_and_grad(
        lambda p, xb, yb: batch_cost(p, xb, yb) / xb.shape[1], has_aux=False
    )

    def epoch(carry, perm):
        p, s = carry
        xs, ys = Xj[:, perm], Yj[:, perm]
        total = 0.0
        for k in starts:  # unrolled: the last batch is smaller
            xb, yb = xs[:, k : k + SIZE], ys[:, k : k + SIZE]
            mean_cost, g = grad_fn(p, xb, yb)
            updates, s = opt.update(g, s, p)
            p = optax.apply_updates(p, updates)
            total = total + mean_cost * xb.shape[1]
        return (p, s), total / m

    @jax.jit
    def train(perms):
        (p, _), costs = jax.lax.scan(epoch, (params0, opt.init(params0)), perms)
        return p, costs

    def run(n):
        jax.block_until_ready(train(jnp.asarray(perms[:n] if n < epochs else perms)))

    run(epochs)  # compile for the full length
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        run(epochs)
        samples.append((time.perf_counter() - start) / (epochs * len(starts)))
    jax.config.update("jax_enable_x64", False)
    return Row("moons", "JAX whole loop (jit, scan)", samples, note="float64, optax.adam")


def _sklearn(X, Y, epochs, reps):
    try:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        return None

    def fit(n):
        clf = MLPClassifier(hidden_layer_sizes=(5, 2), solver="adam", batch_size=SIZE,
                            learning_rate_init=LR, max_iter=n, tol=0.0, n_iter_no_change=10**9,
                            random_state=3)  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X.T, Y.ravel())

    return Row("moons", "sklearn MLPClassifier(adam)", _per_step(fit, epochs, reps))
