"""Time to target: Fashion-MNIST to 0.87 held-out accuracy, the same recipe in every library.

[784, 256, 128, 10], ReLU, softmax, Adam with learning rate 1e-3, batch 128,
features standardised with the training split's statistics, float32, a new
shuffle every epoch. After each epoch the held-out accuracy (the 10,000 test
images) is checked; the wall time until it first reaches ``TARGET`` counts,
evaluation included and data loading excluded. descend runs ``training.train``
with a callback that stops it; PyTorch runs eager with ``Adam(fused=True)``;
JAX jits one epoch as a ``lax.scan`` (full batches only: the 96 examples of the
short last batch are left out, which favours JAX slightly); scikit-learn runs
``MLPClassifier.partial_fit`` once per epoch. Skipped when the Fashion-MNIST
files are not installed (``apt-get install dataset-fashion-mnist``).
"""

from __future__ import annotations

import time

import numpy as np

from .common import Report, Row

TARGET, MAX_EPOCHS, BATCH, LR = 0.87, 20, 128, 1e-3
HIDDEN = (256, 128)


def _data():
    from descend import datasets

    try:
        X_train, X_test, y_train, y_test = datasets.load_train_test("fashion_mnist")
    except FileNotFoundError:
        return None
    X_train, X_test = datasets.standardize(X_train, X_test)
    return (
        X_train.astype(np.float32),
        X_test.astype(np.float32),
        y_train.astype(np.int64),
        y_test.astype(np.int64),
    )


def _row(name: str, seconds: float, epochs: int | None, reached: bool) -> Row:
    note = f"{epochs} epochs" if reached else f"not reached in {MAX_EPOCHS} epochs"
    return Row("target", name, [seconds if reached else float("inf")], unit="run", note=note)


def _descend(data) -> Row:
    from descend import Adam, network, training

    X_train, X_test, y_train, y_test = data
    dims = [X_train.shape[1], *HIDDEN, 10]
    params = network.he_initialize(dims, np.random.default_rng(0), np.float32)
    Y = np.eye(10, dtype=np.float32)[:, y_train]
    batches = training.MiniBatches(np.ascontiguousarray(X_train.T), Y, BATCH, seed=0)
    Xt = np.ascontiguousarray(X_test.T)
    done = {}

    def check(epoch, _cost, p):
        accuracy = np.mean(network.predict_labels(Xt, p, softmax=True)[0] == y_test)
        if accuracy >= TARGET:
            done["epochs"] = epoch + 1
            return True
        return None

    start = time.perf_counter()
    training.train(params, Adam(LR), batches, MAX_EPOCHS, callback=check)
    return _row("descend training.train", time.perf_counter() - start, done.get("epochs"),
                "epochs" in done)  # fmt: skip


def _torch(data) -> Row | None:
    try:
        import torch
    except ImportError:
        return None
    X_train, X_test, y_train, y_test = (torch.from_numpy(a) for a in data)
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10),
    )  # fmt: skip
    opt = torch.optim.Adam(net.parameters(), lr=LR, fused=True)
    loss_fn = torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    for epoch in range(MAX_EPOCHS):
        order = torch.randperm(X_train.shape[0])
        for k in range(0, X_train.shape[0], BATCH):
            idx = order[k : k + BATCH]
            opt.zero_grad(set_to_none=True)
            loss_fn(net(X_train[idx]), y_train[idx]).backward()
            opt.step()
        with torch.no_grad():
            accuracy = (net(X_test).argmax(1) == y_test).float().mean().item()
        if accuracy >= TARGET:
            return _row("torch eager, Adam(fused=True)", time.perf_counter() - start, epoch + 1,
                        True)  # fmt: skip
    return _row("torch eager, Adam(fused=True)", time.perf_counter() - start, None, False)


def _jax(data) -> Row | None:
    try:
        import jax
        import jax.numpy as jnp
        import optax
    except ImportError:
        return None
    X_train, X_test, y_train, y_test = data
    key = jax.random.PRNGKey(0)
    params = {}
    for l, (n_in, n_out) in enumerate(zip((784, *HIDDEN), (*HIDDEN, 10), strict=True), 1):
        key, sub = jax.random.split(key)
        params[f"W{l}"] = jax.random.normal(sub, (n_in, n_out)) * jnp.sqrt(2 / n_in)
        params[f"b{l}"] = jnp.zeros(n_out)
    opt = optax.adam(LR)

    def logits(p, x):
        for l in (1, 2):
            x = jax.nn.relu(x @ p[f"W{l}"] + p[f"b{l}"])
        return x @ p["W3"] + p["b3"]

    def loss(p, x, y):
        return optax.softmax_cross_entropy_with_integer_labels(logits(p, x), y).mean()

    def step(carry, batch):
        p, s = carry
        g = jax.grad(loss)(p, *batch)
        updates, s = opt.update(g, s, p)
        return (optax.apply_updates(p, updates), s), None

    @jax.jit
    def epoch(p, s, xs, ys):
        (p, s), _ = jax.lax.scan(step, (p, s), (xs, ys))
        return p, s

    accuracy = jax.jit(lambda p: (logits(p, X_test).argmax(1) == y_test).mean())
    rng = np.random.default_rng(0)
    n = (X_train.shape[0] // BATCH) * BATCH
    state = opt.init(params)
    start = time.perf_counter()
    for e in range(MAX_EPOCHS):
        order = rng.permutation(X_train.shape[0])[:n]
        xs = X_train[order].reshape(-1, BATCH, 784)
        ys = y_train[order].reshape(-1, BATCH)
        params, state = epoch(params, state, xs, ys)
        if float(accuracy(params)) >= TARGET:
            return _row("JAX jit (scan per epoch)", time.perf_counter() - start, e + 1, True)
    return _row("JAX jit (scan per epoch)", time.perf_counter() - start, None, False)


def _sklearn(data) -> Row | None:
    import warnings

    from sklearn.neural_network import MLPClassifier

    X_train, X_test, y_train, y_test = data
    clf = MLPClassifier(HIDDEN, solver="adam", batch_size=BATCH, learning_rate_init=LR,
                        alpha=0.0, random_state=0)  # fmt: skip
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for e in range(MAX_EPOCHS):
            clf.partial_fit(X_train, y_train, classes=np.arange(10))
            if clf.score(X_test, y_test) >= TARGET:
                return _row("sklearn MLPClassifier.partial_fit", time.perf_counter() - start,
                            e + 1, True)  # fmt: skip
    return _row("sklearn MLPClassifier.partial_fit", time.perf_counter() - start, None, False)


def run(report: Report, repeats: int, peers: set[str]) -> None:
    data = _data()
    if data is None:
        report.notes.append("target    skipped: Fashion-MNIST is not installed")
        return
    report.add(_descend(data))
    peers_run = {"torch": _torch, "jax": _jax, "sklearn": _sklearn}
    for name, fn in peers_run.items():
        if name in peers:
            report.add(fn(data))
    measured = [
        r for r in report.rows if r.workload == "target" and r.name != "descend training.train"
    ]
    if measured:
        fastest = min(measured, key=lambda r: r.median)
        report.goals.append(("target", "descend training.train", fastest.name, 1.0))
