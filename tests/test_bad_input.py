"""Bad input across the public API: a clear error that names the problem, nothing changed.

Each row builds fresh inputs, calls the API, and checks the exception type, a
pattern the message must match (the argument or key, and for shapes both
shapes), and that no array the caller passed in, and no optimizer state,
changed. A hypothesis fuzzer then throws random shapes, dtypes and values at
``init``/``step``: the answer is a ValueError/TypeError or a finite, correct
result, never anything else.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import descend
from descend import batching, datasets, network, schedules
from descend import textbook as tb
from descend.checkpoint import load_checkpoint, save_checkpoint


def _params():
    return {"W1": np.arange(6.0).reshape(2, 3), "b1": np.ones((2, 1))}


def _grads():
    return {"W1": np.full((2, 3), 0.5), "b1": np.full((2, 1), -0.25)}


def _adam_state():
    opt = descend.Adam(0.01)
    params = _params()
    state = opt.init(params)
    _, state = opt.step(params, _grads(), state)
    return state


def _step(opt, params, grads, state=None):
    state = opt.init(_params()) if state is None else state
    return (lambda: opt.step(params, grads, state)), [params, grads, state]


def _with(d, key, value):
    d = dict(d)
    d[key] = value
    return d


def _without(d, key):
    return {k: v for k, v in d.items() if k != key}


def _file(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    return path


# Each builder takes tmp_path and returns (call, inputs that must not change).
ROWS = {
    "grads missing a key": (
        lambda _: _step(descend.Adam(0.01), _params(), _without(_grads(), "b1")),
        ValueError,
        r"grads is missing key 'b1'",
    ),
    "grads with an extra key": (
        lambda _: _step(descend.GD(0.1), _params(), _with(_grads(), "W9", np.ones(1))),
        ValueError,
        r"'W9'",
    ),
    "grads of the wrong shape": (
        lambda _: _step(descend.Momentum(0.1), _params(), _with(_grads(), "W1", np.ones((3, 2)))),
        ValueError,
        r"\(3, 2\).*\(2, 3\)",
    ),
    "integer params": (
        lambda _: _step(
            descend.GD(0.1),
            _with(_params(), "b1", np.ones((2, 1), int)),
            _grads(),
            {"t": 0, "skipped": 0},
        ),
        TypeError,
        r"params\['b1'\].*int64",
    ),
    "complex grads": (
        lambda _: _step(descend.GD(0.1), _params(), _with(_grads(), "W1", np.ones((2, 3)) * 1j)),
        TypeError,
        r"grads\['W1'\].*complex",
    ),
    "object array": (
        lambda _: _step(
            descend.GD(0.1), _params(), _with(_grads(), "b1", np.array([[None], [None]]))
        ),
        TypeError,
        r"grads\['b1'\].*object",
    ),
    "a list instead of an array": (
        lambda _: _step(descend.GD(0.1), _params(), _with(_grads(), "b1", [[1.0], [2.0]])),
        TypeError,
        r"grads\['b1'\] must be a numpy.ndarray",
    ),
    "a list instead of a dict": (
        lambda _: ((lambda: descend.Adam(0.01).init([np.ones(2)])), []),
        TypeError,
        r"params must be a dict",
    ),
    "a tuple of grads instead of a dict": (
        lambda _: _step(descend.GD(0.1), _params(), tuple(_grads().values())),
        TypeError,
        r"grads must be a dict",
    ),
    "NaN in grads": (
        lambda _: _step(
            descend.Adam(0.01), _params(), _with(_grads(), "b1", np.array([[np.nan], [0.0]]))
        ),
        ValueError,
        r"grads\['b1'\] holds NaN or inf",
    ),
    "inf in grads": (
        lambda _: _step(
            descend.Momentum(0.1), _params(), _with(_grads(), "W1", np.full((2, 3), -np.inf))
        ),
        ValueError,
        r"grads\['W1'\] holds NaN or inf",
    ),
    "NaN in params": (
        lambda _: (lambda p: ((lambda: descend.Adam(0.01).init(p)), [p]))(
            _with(_params(), "W1", np.full((2, 3), np.nan))
        ),
        ValueError,
        r"params\['W1'\] holds NaN or inf",
    ),
    "NaN learning rate": (
        lambda _: ((lambda: descend.GD(float("nan"))), []),
        ValueError,
        r"learning_rate",
    ),
    "zero learning rate": (
        lambda _: ((lambda: descend.Adam(0.0)), []),
        ValueError,
        r"learning_rate",
    ),
    "negative learning rate": (
        lambda _: ((lambda: descend.Momentum(-0.1)), []),
        ValueError,
        r"learning_rate",
    ),
    "a schedule that returns a negative rate": (
        lambda _: _step(descend.GD(lambda n: -0.5), _params(), _grads()),
        ValueError,
        r"learning_rate schedule at update 0",
    ),
    "a schedule that returns NaN": (
        lambda _: _step(descend.Adam(lambda n: float("nan")), _params(), _grads()),
        ValueError,
        r"learning_rate",
    ),
    "beta = 1": (
        lambda _: ((lambda: descend.Momentum(0.1, beta=1.0)), []),
        ValueError,
        r"Invalid beta: 1.0 \(expected 0 <= beta < 1\)",
    ),
    "beta1 < 0": (lambda _: ((lambda: descend.Adam(beta1=-0.1)), []), ValueError, r"beta1"),
    "beta2 > 1": (lambda _: ((lambda: descend.Adam(beta2=1.5)), []), ValueError, r"beta2"),
    "negative epsilon": (
        lambda _: ((lambda: descend.Adam(epsilon=-1e-8)), []),
        ValueError,
        r"epsilon",
    ),
    "a string hyperparameter": (
        lambda _: ((lambda: descend.Adam(beta1="0.9")), []),
        TypeError,
        r"beta1",
    ),
    "clip_norm <= 0": (
        lambda _: ((lambda: descend.GD(0.1, clip_norm=0)), []),
        ValueError,
        r"clip_norm",
    ),
    "unknown on_nonfinite": (
        lambda _: ((lambda: descend.GD(0.1, on_nonfinite="ignore")), []),
        ValueError,
        r"on_nonfinite",
    ),
    "t < 1 in the textbook Adam": (
        lambda _: (
            lambda p, g, v, s: (
                (lambda: tb.update_parameters_with_adam(p, g, v, s, 0)),
                [p, g, v, s],
            )
        )(
            tb.initialize_parameters([3, 2, 1]),
            {f"d{k}": np.ones_like(w) for k, w in tb.initialize_parameters([3, 2, 1]).items()},
            *tb.initialize_adam(tb.initialize_parameters([3, 2, 1])),
        ),
        ValueError,
        r"Invalid t: 0",
    ),
    "state from another optimizer": (
        lambda _: _step(descend.Momentum(0.1), _params(), _grads(), _adam_state()),
        ValueError,
        r"state does not belong to this optimizer",
    ),
    "state from other params": (
        lambda _: _step(
            descend.Adam(0.01),
            _with(_params(), "W1", np.ones((4, 3))),
            _with(_grads(), "W1", np.ones((4, 3))),
            _adam_state(),
        ),
        ValueError,
        r"\(2, 3\).*\(4, 3\)",
    ),
    "a foreign state_dict": (
        lambda _: (
            lambda flat: ((lambda: descend.Momentum(0.1).load_state_dict(_params(), flat)), [flat])
        )(descend.Adam(0.01).state_dict(_adam_state())),
        ValueError,
        r"kind|adam",
    ),
    "mini-batch size 0": (
        lambda _: (lambda X, Y: ((lambda: batching.mini_batches(X, Y, 0)), [X, Y]))(
            np.ones((2, 5)), np.ones((1, 5))
        ),
        ValueError,
        r"mini_batch_size",
    ),
    "negative mini-batch size": (
        lambda _: (lambda X, Y: ((lambda: tb.random_mini_batches(X, Y, -64)), [X, Y]))(
            np.ones((2, 5)), np.ones((1, 5))
        ),
        ValueError,
        r"mini_batch_size",
    ),
    "mini-batch size not an int": (
        lambda _: (lambda X, Y: ((lambda: tb.random_mini_batches(X, Y, 6.4)), [X, Y]))(
            np.ones((2, 5)), np.ones((1, 5))
        ),
        TypeError,
        r"mini_batch_size",
    ),
    "X and Y with different numbers of examples": (
        lambda _: (lambda X, Y: ((lambda: tb.model(X, Y, [2, 3, 1], "adam")), [X, Y]))(
            np.ones((2, 5)), np.ones((1, 4))
        ),
        ValueError,
        r"\(2, 5\).*\(1, 4\)",
    ),
    "zero examples": (
        lambda _: (lambda X, Y: ((lambda: tb.model(X, Y, [2, 3, 1], "adam")), [X, Y]))(
            np.ones((2, 0)), np.ones((1, 0))
        ),
        ValueError,
        r"zero examples",
    ),
    "labels outside {0, 1}": (
        lambda _: (lambda X, Y: ((lambda: tb.model(X, Y, [2, 3, 1], "gd", num_epochs=1)), [X, Y]))(
            np.ones((2, 4)), np.array([[0, 1, 2, 1]])
        ),
        ValueError,
        r"0/1 labels.*2",
    ),
    "layers_dims too short": (
        lambda _: (lambda X, Y: ((lambda: tb.model(X, Y, [2], "gd")), [X, Y]))(
            np.ones((2, 4)), np.array([[0, 1, 1, 0]])
        ),
        ValueError,
        r"layers_dims",
    ),
    "layers_dims that do not fit the data": (
        lambda _: (lambda X, Y: ((lambda: tb.model(X, Y, [3, 4, 1], "gd")), [X, Y]))(
            np.ones((2, 4)), np.array([[0, 1, 1, 0]])
        ),
        ValueError,
        r"layers_dims \[3, 4, 1\].*2 features",
    ),
    "a one-hot Y that is not one-hot": (
        lambda _: (lambda Y: ((lambda: network.check_targets(Y)), [Y]))(
            np.array([[1.0, 0.5], [0.0, 0.5]])
        ),
        ValueError,
        r"one-hot",
    ),
    "an unreadable CSV": (
        lambda tmp: ((lambda: datasets.load(_file(tmp, "bad.csv", b"a,b,label\n1,x,0\n"))), []),
        ValueError,
        r"bad.csv",
    ),
    "an empty CSV": (
        lambda tmp: ((lambda: datasets.load(_file(tmp, "empty.csv", b""))), []),
        ValueError,
        r"empty.csv",
    ),
    "an NPZ without X": (
        lambda tmp: ((lambda: datasets.load(_npz(tmp, y=np.ones(3)))), []),
        ValueError,
        r"data.npz.*\bX\b",
    ),
    "a truncated IDX file": (
        lambda tmp: (
            (
                lambda: datasets.read_idx(
                    _file(
                        tmp,
                        "t10k-images-idx3-ubyte",
                        b"\x00\x00\x08\x03" + (3).to_bytes(4, "big") * 3 + b"\x00" * 5,
                    )
                )
            ),
            [],
        ),
        ValueError,
        r"t10k-images-idx3-ubyte",
    ),
    "an IDX file with a wrong magic number": (
        lambda tmp: (
            (
                lambda: datasets.read_idx(
                    _file(tmp, "x-idx1-ubyte", b"\x01\x02\x03\x04" + b"\x00" * 8)
                )
            ),
            [],
        ),
        ValueError,
        r"x-idx1-ubyte",
    ),
    "a truncated checkpoint": (
        lambda tmp: ((lambda: load_checkpoint(_truncated_checkpoint(tmp))), []),
        ValueError,
        r"ck.npz.*(corrupt|truncated)",
    ),
    "a checkpoint of another format": (
        lambda tmp: ((lambda: load_checkpoint(_npz(tmp, X=np.ones(3)))), []),
        ValueError,
        r"not a descend checkpoint",
    ),
    "an unknown schedule count": (
        lambda _: ((lambda: schedules.Cosine(0.1, steps=10)(-1)), []),
        ValueError,
        r"\bn\b",
    ),
}


def _npz(tmp_path, **arrays):
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)
    return path


def _truncated_checkpoint(tmp_path):
    opt = descend.Adam(0.01)
    path = save_checkpoint(tmp_path / "ck.npz", _params(), _adam_state(), opt)
    path.write_bytes(path.read_bytes()[:-200])
    return path


def _equal(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        )
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_the_table_is_long_enough():
    assert len(ROWS) >= 30


@pytest.mark.parametrize("name", ROWS)
def test_bad_input(name, tmp_path):
    build, error, pattern = ROWS[name]
    call, inputs = build(tmp_path)
    before = copy.deepcopy(inputs)
    with pytest.raises(error, match=pattern):
        call()
    assert _equal(inputs, before), "the call changed an input"


# -- the command line ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "status", "pattern"),
    [
        (["train", "--dataset", "wines"], 1, r"unknown data set 'wines'"),
        (["train", "--learning-rate", "nan"], 2, r"--learning-rate"),
        (["train", "--batch-size", "2.5"], 2, r"--batch-size"),
        (["compare", "--epochs", "-5"], 2, r"--epochs"),
        (
            ["train", "--dataset", "fashion_mnist", "--data-dir", "/nonexistent"],
            1,
            r"apt-get install dataset-fashion-mnist|--data-dir",
        ),
    ],
)
def test_cli_bad_input_is_one_line(argv, status, pattern, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "descend", *argv, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == status
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines and "error" in lines[-1]
    assert re.search(pattern, lines[-1]), lines[-1]


def test_debug_shows_the_traceback(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "descend",
            "--debug",
            "train",
            "--dataset",
            "wines",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "Traceback" in done.stderr


# -- fuzzing ---------------------------------------------------------------------------
DTYPES = [np.float16, np.float32, np.float64, np.int32, np.complex128, np.bool_]
OPTIMIZERS = [
    lambda: descend.GD(0.1),
    lambda: descend.Momentum(0.05, beta=0.9, nesterov=True),
    lambda: descend.Adam(0.01, amsgrad=True),
    lambda: descend.AdamW(0.01),
    lambda: descend.RMSProp(0.01),
    lambda: descend.AdaGrad(0.1, clip_norm=1.0),
]


def _elements(dtype, bounded):
    if bounded and np.dtype(dtype).kind == "f":
        return st.floats(-1e4, 1e4, width=np.dtype(dtype).itemsize * 8)
    return None


@st.composite
def problems(draw):
    names = draw(
        st.lists(
            st.sampled_from(["W1", "b1", "W2", "w", "x/y"]), min_size=1, max_size=3, unique=True
        )
    )
    params, grads = {}, {}
    for name in names:
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
        dtype = draw(st.sampled_from(DTYPES))
        gshape = shape if draw(st.booleans()) else draw(hnp.array_shapes(max_dims=2, max_side=3))
        gdtype = dtype if draw(st.booleans()) else draw(st.sampled_from(DTYPES))
        bounded = draw(st.booleans())  # else anything the dtype holds: NaN, inf, huge
        params[name] = draw(hnp.arrays(dtype, shape, elements=_elements(dtype, bounded)))
        grads[name] = draw(hnp.arrays(gdtype, gshape, elements=_elements(gdtype, bounded)))
    return params, grads


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems(), which=st.integers(0, len(OPTIMIZERS) - 1))
def test_fuzz_init_and_step(problem, which):
    params, grads = problem
    opt = OPTIMIZERS[which]()
    before = copy.deepcopy((params, grads))
    try:
        state = opt.init(params)
        new_params, new_state = opt.step(params, grads, state)
    except (ValueError, TypeError):
        assert _equal((params, grads), before)
        return
    assert _equal((params, grads), before)
    assert new_params.keys() == params.keys()
    for key, w in params.items():
        out = new_params[key]
        assert out.shape == w.shape and out.dtype == w.dtype
        assert np.isfinite(out).all()
    assert new_state["t"] == 1
    if isinstance(opt, descend.GD) and not isinstance(opt, descend.Momentum):
        for key, w in params.items():  # one plain step is easy to state exactly
            expected = w - w.dtype.type(0.1) * grads[key].astype(w.dtype)
            np.testing.assert_array_equal(new_params[key], expected)


@st.composite
def valid_problems(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    shapes = draw(
        st.lists(hnp.array_shapes(min_dims=0, max_dims=3, max_side=5), min_size=1, max_size=3)
    )
    elements = st.floats(-1e3, 1e3, width=np.dtype(dtype).itemsize * 8)
    params = {
        f"p{i}": draw(hnp.arrays(dtype, shape, elements=elements)) for i, shape in enumerate(shapes)
    }
    grads = {k: draw(hnp.arrays(dtype, w.shape, elements=elements)) for k, w in params.items()}
    return params, grads


@settings(max_examples=100, deadline=None)
@given(problem=valid_problems())
def test_fuzz_valid_adam_first_step_moves_at_most_the_learning_rate(problem):
    """At t = 1, v̂ = g and ŝ = g², so |ΔW| = α|g|/(|g| + ε) <= α (Kingma & Ba, sec. 2.1)."""
    params, grads = problem
    opt = descend.Adam(0.01)
    new_params, _ = opt.step(params, grads, opt.init(params))
    for key, w in params.items():
        moved = np.abs(new_params[key].astype(np.float64) - w.astype(np.float64))
        assert new_params[key].dtype == w.dtype and np.isfinite(new_params[key]).all()
        assert (moved <= 0.01 * (1 + 1e-3) + np.abs(w) * 1e-6).all()
        assert (moved[grads[key] == 0] == 0).all()  # a zero gradient moves nothing
