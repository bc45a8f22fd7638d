"""The one training loop: both backends give the same run, seams and hooks behave alike."""

from __future__ import annotations

import ast
import itertools
import pathlib

import numpy as np
import pytest

from descend import (
    GD,
    Adadelta,
    AdaGrad,
    Adam,
    Adamax,
    AdamW,
    Lion,
    Momentum,
    NAdam,
    NAdamW,
    RAdam,
    RMSProp,
    schedules,
    textbook,
    training,
)
from descend.gradients import L2Penalty, NetworkGradients, network_gradients
from descend.network import he_initialize

numba = pytest.importorskip("numba")

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "descend"

# every rule and every rule option of the registry
OPTIMIZERS = {
    "gd": lambda: GD(0.1),
    "gd clip_value": lambda: GD(0.1, clip_value=0.05),
    "momentum": lambda: Momentum(0.1),
    "nesterov": lambda: Momentum(0.1, 0.8, nesterov=True),
    "adam": lambda: Adam(0.01),
    "amsgrad": lambda: Adam(0.01, amsgrad=True),
    "adam coupled decay": lambda: Adam(0.01, weight_decay=0.1),
    "adam eps inside": lambda: Adam(0.01, epsilon_inside_sqrt=True, epsilon=1e-3),
    "adam eps hat": lambda: Adam.keras(0.01),
    "adamw": lambda: AdamW(0.01, weight_decay=0.1),
    "rmsprop": lambda: RMSProp(0.01),
    "adagrad": lambda: AdaGrad(0.1),
    "clip both": lambda: Adam(0.01, clip_norm=0.1, clip_value=0.05),
    "schedule": lambda: Momentum(schedules.InverseTime(0.1, 0.5)),
    "skip nonfinite": lambda: Adam(0.01, on_nonfinite="skip"),
    "rmsprop eps inside": lambda: RMSProp.optax(0.01),
    "nadam": lambda: NAdam(0.01, weight_decay=0.1),
    "nadam optax": lambda: NAdam.optax(0.01),
    "nadamw": lambda: NAdamW(0.01, weight_decay=0.1),
    "radam": lambda: RAdam(0.01),
    "radam torch decoupled": lambda: RAdam.torch(
        0.01, weight_decay=0.1, decoupled_weight_decay=True
    ),
    "adamax": lambda: Adamax(0.01),
    "adadelta": lambda: Adadelta(weight_decay=0.01),
    "lion": lambda: Lion(0.003, weight_decay=0.1),
}
ACTIVATIONS = ["relu", "tanh", "logistic", "identity"]
DTYPES = [np.float64, np.float32]
# float32: the backends round differently (BLAS against loops); adaptive rules amplify
# the rounding of near-zero gradients over the run's 30 steps
PARAMS_ATOL = {np.float64: 1e-12, np.float32: 5e-5}
COSTS_RTOL = {np.float64: 1e-9, np.float32: 1e-5}


def _problem(dtype, classes, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((4, 90)).astype(dtype)
    labels = rng.integers(0, classes, 90)
    Y = (labels[np.newaxis] if classes == 2 else np.eye(classes)[:, labels]).astype(dtype)
    params = he_initialize([4, 6, 5, Y.shape[0]], np.random.default_rng(seed + 1), dtype)
    return X, Y, params


def assert_same_run(a, b, dtype):
    (pa, sa, ha), (pb, sb, hb) = a, b
    np.testing.assert_allclose(ha.costs, hb.costs, rtol=COSTS_RTOL[dtype], atol=0)
    for key in pa:
        np.testing.assert_allclose(pa[key], pb[key], rtol=0, atol=PARAMS_ATOL[dtype])
        assert pa[key].dtype == pb[key].dtype == dtype
    assert (sa["t"], sa["skipped"]) == (sb["t"], sb["skipped"])
    for slot in set(sa) - {"t", "skipped"}:
        for key in sa[slot]:
            np.testing.assert_allclose(sa[slot][key], sb[slot][key], atol=PARAMS_ATOL[dtype])


CASES = list(itertools.product(OPTIMIZERS, ACTIVATIONS, DTYPES))


@pytest.mark.parametrize(
    ("name", "activation", "dtype"), CASES, ids=[f"{n}-{a}-{d.__name__}" for n, a, d in CASES]
)
def test_backends_agree(name, activation, dtype):
    """Every optimizer x option x activation x dtype: the same run on numpy and numba.

    Sigmoid and softmax outputs and the L2 penalty alternate over the table.
    """
    index = CASES.index((name, activation, dtype))
    X, Y, params = _problem(dtype, classes=2 if index % 2 else 3, seed=index)
    gradients = network_gradients(activation, l2=0.3 if index % 3 == 0 else 0.0)
    runs = {}
    for backend in ("numpy", "numba"):
        spec = training.MiniBatches(X, Y, 16, seed=3)
        runs[backend] = training.train(
            params, OPTIMIZERS[name](), spec, 5, gradients=gradients, backend=backend
        )
        assert runs[backend][2].backend == backend
    assert_same_run(runs["numba"], runs["numpy"], dtype)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_moons_course_recipe(backend):
    """The course's published cost after epoch 0 and 1000, on both backends."""
    X, Y = textbook.load_dataset()
    _, _, history = training.train(
        textbook.initialize_parameters([2, 5, 2, 1]),
        Adam(0.0007),
        training.MiniBatches(X, Y, 64, seed=11, legacy=True),
        1001,
        backend=backend,
    )
    assert f"{history.costs[0]:f}" == "0.702166"
    assert f"{history.costs[1000]:f}" == "0.167845"


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_any_batch_source_equals_minibatches(backend):
    """An opaque callable (one compiled step per batch) gives the spec's run."""
    X, Y, params = _problem(np.float64, 3)
    spec = training.MiniBatches(X, Y, 16, seed=3)
    opaque = lambda epoch: spec(epoch)  # noqa: E731
    gradients = L2Penalty(NetworkGradients("tanh"), 0.1)
    a = training.train(params, Adam(0.01), spec, 4, gradients=gradients, backend=backend)
    b = training.train(params, Adam(0.01), opaque, 4, gradients=gradients, backend=backend)
    assert_same_run(a, b, np.float64)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_callback_after_every_epoch_and_stop(backend):
    X, Y, params = _problem(np.float64, 2)
    seen = []

    def callback(epoch, cost, p):
        seen.append((epoch, cost, p["W1"].copy()))
        return epoch == 6  # stop after epoch 6

    p, state, history = training.train(
        params, Adam(0.01), training.MiniBatches(X, Y, 16), 20, callback=callback,
        backend=backend, first_epoch=2,
    )  # fmt: skip
    assert [s[0] for s in seen] == [2, 3, 4, 5, 6]
    # a stop on the last epoch of a call is a stop too (chunked callers rely on it)
    last = training.train(params, GD(0.1), training.MiniBatches(X, Y, 16), 3,
                          callback=lambda e, c, p: e == 2, backend=backend)  # fmt: skip
    assert last[2].stopped and len(last[2].costs) == 3
    assert history.stopped and len(history.costs) == 5
    assert [s[1] for s in seen] == history.costs
    np.testing.assert_array_equal(seen[-1][2], p["W1"])  # the params after that epoch
    assert state["t"] == 5 * 6  # 6 batches of 16 in 90 examples
    assert not np.array_equal(seen[0][2], seen[1][2])  # a snapshot per epoch


def test_shuffle_callable_is_drawn_once_per_epoch_in_both_backends():
    X, Y, params = _problem(np.float64, 2)
    orders = {}
    for backend in ("numpy", "numba"):
        rng = np.random.RandomState(0)
        calls = []

        def shuffle(epoch, rng=rng, calls=calls):
            calls.append(epoch)
            return rng.permutation(90)

        run = training.train(
            params, GD(0.1), training.MiniBatches(X, Y, 32, shuffle=shuffle), 3, backend=backend
        )
        orders[backend] = (calls, run)
    assert orders["numpy"][0] == orders["numba"][0] == [0, 1, 2]
    assert_same_run(orders["numba"][1], orders["numpy"][1], np.float64)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_nonfinite_gradient_raises_or_skips(backend):
    X, Y = textbook.load_dataset()
    X = X.copy()
    X[0, 5] = np.inf
    params = textbook.initialize_parameters([2, 5, 2, 1])
    spec = training.MiniBatches(X, Y, 64, seed=11, legacy=True)
    with pytest.raises(ValueError, match="holds NaN or inf"):
        training.train(params, Adam(0.01), spec, 3, backend=backend)
    _, state, _ = training.train(params, Adam(0.01, on_nonfinite="skip"), spec, 3, backend=backend)
    assert state["skipped"] == 3  # one bad batch per epoch


def test_state_resume_across_calls_is_bit_identical():
    X, Y, params = _problem(np.float32, 3)
    opt = Adam(schedules.per_epoch(lambda e: 0.01 / (1 + e), 6))
    spec = training.MiniBatches(X, Y, 16, seed=1)
    whole = training.train(params, opt, spec, 6, backend="numba")
    first = training.train(params, opt, spec, 3, backend="numba")
    second = training.train(first[0], opt, spec, 3, state=first[1], backend="numba", first_epoch=3)
    for key in whole[0]:
        np.testing.assert_array_equal(second[0][key], whole[0][key])
    assert first[2].costs + second[2].costs == whole[2].costs


def test_backend_selection(monkeypatch):
    X, Y, params = _problem(np.float64, 2)
    spec = training.MiniBatches(X, Y, 16)
    custom = lambda p, X, Y: NetworkGradients()(p, X, Y)  # noqa: E731
    _, _, history = training.train(params, GD(0.1), spec, 1, gradients=custom)
    assert history.backend == "numpy" and "gradient function" in history.reason
    with pytest.raises(ValueError, match="backend 'numba' cannot run this: the gradient"):
        training.train(params, GD(0.1), spec, 1, gradients=custom, backend="numba")
    with pytest.raises(ValueError, match="Invalid backend: 'gpu'"):
        training.train(params, GD(0.1), spec, 1, backend="gpu")
    assert training.train(params, GD(0.1), spec, 1)[2].backend == "numba"
    monkeypatch.setenv("DESCEND_BACKEND", "numpy")
    _, _, history = training.train(params, GD(0.1), spec, 1, backend="numba")
    assert history.backend == "numpy" and "DESCEND_BACKEND" in history.reason


def test_numba_backend_without_numba_is_a_clear_error(monkeypatch):
    from descend.fast import engine

    monkeypatch.setattr(engine, "_AVAILABLE", False)
    X, Y, params = _problem(np.float64, 2)
    with pytest.raises(ImportError, match=r"pip install 'descend\[fast\]'"):
        training.train(params, GD(0.1), training.MiniBatches(X, Y, 16), 1, backend="numba")
    assert training.train(params, GD(0.1), training.MiniBatches(X, Y, 16), 1)[2].backend == (
        "numpy"
    )


def _imports(path: pathlib.Path) -> set[str]:
    """The descend modules that ``path`` imports anywhere (functions included)."""
    package = "descend." + ".".join(path.relative_to(SRC).with_suffix("").parts)
    package = package.removesuffix(".__init__")
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        found.update(t for t in targets if t.startswith("descend"))
    return found


def test_no_import_cycles():
    modules = {}
    for path in SRC.rglob("*.py"):
        name = "descend." + ".".join(path.relative_to(SRC).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    graph = {m: {t for t in _imports(p) if t in modules and t != m} for m, p in modules.items()}
    # a package's __init__ re-exporting its own children is not a cycle through them
    for m in graph:
        graph[m] = {t for t in graph[m] if not t.startswith(m + ".")}
    state: dict[str, int] = {}

    def visit(node, path):
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path, nxt]))
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])


def test_only_training_runs_the_network_and_the_optimizer():
    """No entry point calls backward() or an optimizer's step() itself."""
    for name in ("estimator.py", "runs.py"):
        text = (SRC / name).read_text()
        assert "backward(" not in text and "optimizer.step(" not in text, name
    for path in [*(SRC / "parallel").glob("*.py"), *(SRC / "cli").glob("*.py")]:
        text = path.read_text()
        assert "backward(" not in text and ".step(" not in text, path.name


# -- the thread policy of the compiled backend -------------------------------------------


class _FakeBlas:
    user_api = "blas"

    def __init__(self, log):
        self.log = log

    def set_num_threads(self, n):
        self.log.append(n)


@pytest.mark.parametrize(
    ("name", "most", "per_example", "expected"),
    [
        # epoch:      0  1  2  3 (probe)  ...    16 (probe)   ...    32 (probe)
        ("two threads faster", 2, {2: 1.0, 1: 1.5}, [2, 2, 2, 1] + [2] * 12 + [1] + [2] * 15 + [1]),
        ("one thread faster", 2, {2: 3.0, 1: 1.0}, [2, 2, 2, 1] + [1] * 12 + [2] + [1] * 15 + [2]),
        ("one core", 1, {1: 1.0}, [1] * 33),
        ("four cores", 4, {4: 0.5, 1: 1.0}, [4, 4, 4, 1] + [4] * 12 + [1] + [4] * 15 + [1]),
    ],
)
def test_blas_threads_follow_the_faster(name, most, per_example, expected, monkeypatch):
    """Start on ``most``; probe the other at epoch 3 and every 16; keep the faster."""
    from types import SimpleNamespace

    from descend.fast import engine

    log: list[int] = []
    controller = SimpleNamespace(lib_controllers=[_FakeBlas(log), _FakeBlas(log)])
    monkeypatch.setattr(engine, "_controller", lambda: controller)
    policy = engine.BlasThreads(most)
    chosen = []
    for _ in expected:
        threads = policy.choose()
        chosen.append(threads)
        policy.record(threads, per_example[threads] * 100, 100)
    assert chosen == expected
    switches = sum(a != b for a, b in zip([1, *chosen], chosen, strict=False))
    assert len(log) == 2 * switches  # every BLAS pool, only when the count changes


@pytest.mark.parametrize(
    ("name", "before", "after", "expected_from_22", "expected_from_33"),
    [
        # a busy neighbour at epoch 20: two threads wait for each other; two slow
        # epochs (20, 21) trigger a probe (22), which one thread wins
        ("load starts", {2: 1.0, 1: 1.5}, {2: 4.0, 1: 1.6}, 1, 1),
        # the neighbour leaves at epoch 20: one thread does not slow down, so two come
        # back at the next periodic probe (epoch 32)
        ("load ends", {2: 4.0, 1: 1.6}, {2: 1.0, 1: 1.5}, 1, 2),
        # more load while on one thread: one thread is still the better choice, and a
        # slowdown there probes nothing (the periodic probe at 32 still does)
        ("load grows", {2: 4.0, 1: 1.6}, {2: 9.0, 1: 3.0}, 1, 1),
    ],
)
def test_blas_threads_adapt_when_the_load_changes(
    name, before, after, expected_from_22, expected_from_33, monkeypatch
):
    from types import SimpleNamespace

    from descend.fast import engine

    monkeypatch.setattr(engine, "_controller", lambda: SimpleNamespace(lib_controllers=[]))
    policy = engine.BlasThreads(2)
    chosen = []
    for epoch in range(40):
        cost = before if epoch < 20 else after
        threads = policy.choose()
        chosen.append(threads)
        policy.record(threads, cost[threads], 1)
    assert chosen[22:32] == [expected_from_22] * 10
    assert chosen[33:] == [expected_from_33] * 7


def test_blas_threads_ignore_one_noisy_epoch(monkeypatch):
    """One slow epoch on a quiet machine is noise: no probe, and a probe judges by two."""
    from types import SimpleNamespace

    from descend.fast import engine

    monkeypatch.setattr(engine, "_controller", lambda: SimpleNamespace(lib_controllers=[]))
    policy = engine.BlasThreads(2)
    chosen = []
    for epoch in range(20):
        threads = policy.choose()
        chosen.append(threads)
        noisy = epoch in (10, 15)  # 15: the epoch just before the periodic probe at 16
        policy.record(threads, {2: 2.0 if noisy else 1.0, 1: 1.4}[threads], 1)
    assert chosen[11] == 2  # no probe after the noisy epoch 10
    assert chosen[16] == 1 and chosen[17:] == [2, 2, 2]  # the probe loses to epoch 14's 1.0


@pytest.mark.parametrize(
    ("dims", "batch", "uses_blas"),
    [([2, 5, 2, 1], 64, False), ([2, 5, 2, 1], 4096, True), ([64, 32, 10], 128, True)],
)
def test_blas_threads_only_where_blas_runs(dims, batch, uses_blas, monkeypatch):
    """A network whose products all run as loops (moons) has no thread count to choose."""
    pytest.importorskip("numba")
    from descend.fast import engine

    monkeypatch.setattr(engine, "cores", lambda: 2)
    rng = np.random.default_rng(0)
    params = he_initialize(dims, rng)
    X, Y = rng.standard_normal((dims[0], batch)), np.ones((dims[-1], batch))
    run = engine.CompiledEngine(
        params, Adam(0.01), training.MiniBatches(X, Y, batch, seed=0), NetworkGradients()
    )
    with run.session():
        assert run._threads.options == ((2, 1) if uses_blas else (1,))
