"""Shuffle and partition: batch sizes, order, seeds, errors."""

from __future__ import annotations

import numpy as np
import pytest

from descend import batching


def _data(m):
    return np.arange(2.0 * m).reshape(2, m), np.arange(m).reshape(1, m)


@pytest.mark.parametrize(
    ("m", "size", "sizes"),
    [
        (10, 3, [3, 3, 3, 1]),  # short last batch: 10 - 3*floor(10/3) = 1
        (9, 3, [3, 3, 3]),
        (4, 1, [1, 1, 1, 1]),  # SGD
        (7, 7, [7]),  # batch GD
        (7, 100, [7]),
        (1, 1, [1]),
    ],
)
def test_sizes(m, size, sizes):
    X, Y = _data(m)
    got = batching.mini_batches(X, Y, size, rng=0)
    assert [b[0].shape[1] for b in got] == sizes
    assert [b[1].shape[1] for b in got] == sizes


def test_every_example_once_and_pairs_kept():
    X, Y = _data(50)
    got = batching.mini_batches(X, Y, 8, rng=np.random.default_rng(5))
    labels = np.concatenate([b[1] for b in got], axis=1)[0]
    assert sorted(labels) == list(range(50)) and list(labels) != list(range(50))
    for Xb, Yb in got:  # row 0 of X holds the example index, like Y
        np.testing.assert_array_equal(Xb[0], Yb[0])


def test_no_shuffle_keeps_order():
    X, Y = _data(5)
    got = batching.mini_batches(X, Y, 2, shuffle=False)
    assert [list(b[1][0]) for b in got] == [[0, 1], [2, 3], [4]]


def test_same_seed_same_batches_and_generator_advances():
    X, Y = _data(20)
    a = batching.mini_batches(X, Y, 6, rng=3)
    b = batching.mini_batches(X, Y, 6, rng=3)
    assert all(np.array_equal(p[1], q[1]) for p, q in zip(a, b, strict=True))
    rng = np.random.default_rng(3)
    first = batching.mini_batches(X, Y, 20, rng=rng)[0][1]
    second = batching.mini_batches(X, Y, 20, rng=rng)[0][1]
    assert not np.array_equal(first, second)


def test_legacy_permutation_leaves_global_state_alone():
    before = np.random.get_state()[1].copy()
    batching.legacy_permutation(10, 1)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


@pytest.mark.parametrize(
    ("X", "Y", "size", "error", "pattern"),
    [
        (np.ones((2, 5)), np.ones((1, 5)), 0, ValueError, "mini_batch_size"),
        (np.ones((2, 5)), np.ones((1, 5)), -3, ValueError, "mini_batch_size"),
        (np.ones((2, 5)), np.ones((1, 5)), 2.0, TypeError, "mini_batch_size"),
        (np.ones((2, 5)), np.ones((1, 5)), True, TypeError, "mini_batch_size"),
        (np.ones((2, 5)), np.ones((1, 6)), 2, ValueError, r"\(2, 5\).*\(1, 6\)"),
        (np.ones((2, 0)), np.ones((1, 0)), 2, ValueError, "zero examples"),
        (np.ones(5), np.ones((1, 5)), 2, ValueError, "X must be 2-D"),
        ([[1.0, 2.0]], np.ones((1, 2)), 2, TypeError, "X must be a numpy.ndarray"),
    ],
)
def test_errors(X, Y, size, error, pattern):
    with pytest.raises(error, match=pattern):
        batching.mini_batches(X, Y, size, rng=0)
