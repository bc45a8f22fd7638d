"""The figures say what they show: keys, axes, and paths that stay visible."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from descend import plots


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_training_curves_show_held_out_cost_and_accuracy():
    ax = plots.training_curves([0.9, 0.5, 0.3], [0.8, 0.6, 0.7], [0.5, 0.8, 0.75], penalty=True)
    legend = _legend(ax)
    assert legend == [
        "training: mean over the epoch's mini-batches (with the L2 penalty)",
        "held-out: after the epoch",
    ]
    right = ax.figure.axes[1]
    assert right.get_ylabel() == "held-out accuracy (after the epoch)"
    assert _legend(right) == ["best: 0.8000 after epoch 1"]
    for a in ax.figure.axes:
        assert a.get_xlabel() == "epoch (0 = the first pass over the training data)"
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [0.8, 0.6, 0.7])


def test_cost_curves_say_when_an_epoch_is_measured():
    ax = plots.cost_curves({"gd (α=0.1)": [1.0, 0.5]})
    assert ax.get_xlabel().startswith("epoch (0 = the first pass")
    assert _legend(ax) == ["gd (α=0.1)"]


def test_decision_boundary_has_a_class_key():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    ax = plots.decision_boundary(
        lambda P: (P[:, 0] > 0.5).astype(int), X, np.array([0, 1, 0]),
        class_names=["cat", "dog"], points="training examples", resolution=20,
    )  # fmt: skip
    assert _legend(ax) == [
        "training examples: class cat",
        "training examples: class dog",
        "predicted class cat",
        "predicted class dog",
    ]


def test_contour_paths_keep_every_path_visible_and_explain_the_markers():
    path = np.array([[0.0, 0.0], [1.0, 1.0]])
    paths = {"gd": path, "momentum": path, "adam": path}  # on top of each other
    ax = plots.contour_paths(
        lambda p: float(p @ p), (-1, 2, -1, 2), paths, minimum=(0, 0),
        labels=("weight w", "bias b"), resolution=10,
    )  # fmt: skip
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("weight w", "bias b")
    assert _legend(ax) == ["gd", "momentum", "adam", "start", "end", "minimum"]
    lines = [line for line in ax.lines if line.get_label() in paths]
    widths = [line.get_linewidth() for line in lines]
    assert widths == sorted(widths, reverse=True) and widths[0] > 2 * widths[-1]
    assert len({str(line.get_linestyle()) for line in lines}) == 3
    assert [line.get_zorder() for line in lines] == sorted(line.get_zorder() for line in lines)


def test_sweep_legend_says_the_line_is_a_mean_over_seeds():
    rows = [
        {"optimizer": o, "learning_rate": lr, "seed": s, "test_accuracy": 0.5 + lr + s / 10}
        for o in ("adam", "gd") for lr in (0.01, 0.1) for s in (0, 1)
    ]  # fmt: skip
    ax = plots.accuracy_by_rate(rows)
    assert _legend(ax) == ["adam: mean over 2 seeds", "gd: mean over 2 seeds",
                           "dots: one run each"]  # fmt: skip
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.56, 0.65])
