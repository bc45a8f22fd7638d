"""Figures, drawn with matplotlib's object-oriented API (no pyplot, no global state).

matplotlib is imported only when a figure is drawn. Each function draws into
``ax`` when one is given, else into a new :class:`matplotlib.figure.Figure`,
and returns the axes; :func:`save` writes a figure as PNG through the Agg
canvas, so no display is ever needed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "accuracy_by_rate",
    "contour_paths",
    "cost_curves",
    "decision_boundary",
    "new_axes",
    "save",
    "training_curves",
]

#: What an epoch's number means on every cost axis.
EPOCH_AXIS = "epoch (0 = the first pass over the training data)"


def new_axes(ncols: int = 1, *, width: float = 6.0, height: float = 4.5) -> list[Any]:
    """A new figure with ``ncols`` axes side by side; returns the list of axes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    return list(np.atleast_1d(fig.subplots(1, ncols)))


def _integer_epochs(ax: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel(EPOCH_AXIS)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def cost_curves(costs: Mapping[str, Sequence[float]], ax: Any = None, *, title: str = "") -> Any:
    """Plot one cost-per-epoch curve per run, labelled by its key.

    Epoch ``e``'s cost is the mean over its mini-batches while they were trained.
    """
    ax = ax if ax is not None else new_axes()[0]
    styles = ("-", "--", "-.", ":")
    for i, (name, values) in enumerate(costs.items()):
        ax.plot(np.arange(len(values)), values, styles[i % len(styles)], label=name, linewidth=1.6)
    _integer_epochs(ax)
    ax.set_ylabel("training cost (mean cross-entropy during the epoch)")
    ax.set_title(title or "Training cost")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def training_curves(
    costs: Sequence[float],
    test_costs: Sequence[float],
    test_accuracies: Sequence[float],
    *,
    title: str = "",
    penalty: bool = False,
) -> Any:
    """The training and held-out cost per epoch (left) and the held-out accuracy (right).

    ``costs[e]`` is the mean over epoch ``e``'s mini-batches as they were
    trained; ``test_costs[e]`` and ``test_accuracies[e]`` are measured on the
    held-out examples after epoch ``e``. A held-out cost that rises while the
    training cost falls is over-fitting. Returns the left axes.
    """
    left, right = new_axes(2, width=5.5, height=4.2)
    epochs = np.arange(len(costs))
    train_label = "training: mean over the epoch's mini-batches"
    if penalty:
        train_label += " (with the L2 penalty)"
    left.plot(epochs, costs, "-", color="C0", linewidth=1.6, label=train_label)
    left.plot(
        epochs, test_costs, "--", color="C1", linewidth=1.6, label="held-out: after the epoch"
    )
    _integer_epochs(left)
    left.set_ylabel("cost (mean cross-entropy)")
    left.set_title("Cost")
    left.grid(alpha=0.3)
    left.legend(fontsize="small")
    right.plot(epochs, test_accuracies, "--", color="C1", linewidth=1.6)
    best = int(np.nanargmax(test_accuracies)) if np.isfinite(test_accuracies).any() else None
    if best is not None:
        right.plot(best, test_accuracies[best], "o", color="C1", markersize=5,
                   label=f"best: {test_accuracies[best]:.4f} after epoch {best}")  # fmt: skip
        right.legend(fontsize="small", loc="lower right")
    _integer_epochs(right)
    right.set_ylabel("held-out accuracy (after the epoch)")
    right.set_title("Held-out accuracy")
    right.grid(alpha=0.3)
    left.figure.suptitle(title)
    return left


#: (region, point) colours of class 0 and class 1 in the boundary figures
CLASS_COLORS = (("#c6dbef", "#3b4cc0"), ("#f4c7c3", "#b40426"))


def decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    ax: Any = None,
    *,
    title: str = "",
    resolution: int = 300,
    class_names: Sequence[str] = ("0", "1"),
    points: str = "examples",
) -> Any:
    """Shade the two predicted classes over the plane and scatter the data on top.

    Class 0 is blue and class 1 red, in the shading and in the points alike; the
    key names both (``class_names``) and says what the points are (``points``,
    e.g. "training examples").

    ``X`` has shape ``(n_samples, 2)``; ``predict`` takes such an array and
    returns 0/1 labels of shape ``(n_samples,)``.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    ax = ax if ax is not None else new_axes(width=5.0)[0]
    pad = 0.5
    (x0, y0), (x1, y1) = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    labels = predict(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    regions = [region for region, _ in CLASS_COLORS]
    ax.contourf(xx, yy, labels, levels=[-0.5, 0.5, 1.5], colors=regions)
    y = np.ravel(y)
    key = []
    for c, (_, point) in enumerate(CLASS_COLORS):
        mine = y == c
        ax.scatter(X[mine, 0], X[mine, 1], color=point, s=14, edgecolors="k", linewidths=0.3)
        key.append(Line2D([], [], linestyle="", marker="o", markersize=5, color=point,
                          markeredgecolor="k", markeredgewidth=0.3,
                          label=f"{points}: class {class_names[c]}"))  # fmt: skip
    for c, (region, _) in enumerate(CLASS_COLORS):
        key.append(Patch(facecolor=region, label=f"predicted class {class_names[c]}"))
    ax.legend(handles=key, fontsize="x-small", loc="upper center", ncols=2,
              bbox_to_anchor=(0.5, -0.13), frameon=False)  # fmt: skip
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    return ax


def contour_paths(
    loss: Callable[[np.ndarray], float],
    extent: tuple[float, float, float, float],
    paths: Mapping[str, np.ndarray],
    ax: Any = None,
    *,
    minimum: tuple[float, float] | None = None,
    log_levels: bool = False,
    title: str = "",
    labels: tuple[str, str] = ("x", "y"),
    resolution: int = 200,
) -> Any:
    """Contours of a loss on the plane with optimizer paths drawn over them.

    ``paths`` maps a label to the points visited, shape ``(steps + 1, 2)``;
    the start is marked with a circle, the end with a square, the minimum with
    ``+``, and the key says so. Paths that overlap stay visible: the first is
    drawn widest and each later one narrower, dashed differently, on top.
    ``labels`` name the two axes (the parameters).
    """
    from matplotlib.lines import Line2D

    ax = ax if ax is not None else new_axes(width=6.5, height=5.0)[0]
    x0, x1, y0, y1 = extent
    xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    zz = np.array([loss(np.array(p)) for p in zip(xx.ravel(), yy.ravel(), strict=True)])
    zz = zz.reshape(xx.shape)
    if log_levels:
        levels = np.geomspace(max(zz.min(), 1e-3), zz.max(), 25)
    else:
        levels = np.linspace(zz.min(), np.quantile(zz, 0.9), 25)
    ax.contour(xx, yy, zz, levels=levels, cmap="viridis", linewidths=0.7, alpha=0.6)
    styles = ("-", "--", ":", "-.")
    n = len(paths)
    for i, (label, path) in enumerate(paths.items()):
        color = f"C{i}"
        width = 1.2 + 2.2 * (n - 1 - i) / max(n - 1, 1)  # the first widest, the last 1.2
        ax.plot(path[:, 0], path[:, 1], linestyle=styles[i % len(styles)], color=color,
                linewidth=width, alpha=0.9, label=label, zorder=2 + i)  # fmt: skip
        ax.plot(*path[0], "o", color=color, markersize=6, markeredgecolor="k",
                markeredgewidth=0.5, zorder=10 + i)  # fmt: skip
        ax.plot(*path[-1], "s", color=color, markersize=6, markeredgecolor="k",
                markeredgewidth=0.5, zorder=10 + i)  # fmt: skip
    handles, _ = ax.get_legend_handles_labels()
    gray = {"linestyle": "", "color": "0.6", "markeredgecolor": "k", "markeredgewidth": 0.5}
    handles += [
        Line2D([], [], marker="o", markersize=6, label="start", **gray),
        Line2D([], [], marker="s", markersize=6, label="end", **gray),
    ]
    if minimum is not None:
        (mark,) = ax.plot(*minimum, "k+", markersize=14, markeredgewidth=2, label="minimum",
                          zorder=20)  # fmt: skip
        handles.append(mark)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(title)
    ax.legend(handles=handles, loc="best", fontsize="small")
    return ax


def accuracy_by_rate(rows: Sequence[Mapping[str, Any]], ax: Any = None, *, title: str = "") -> Any:
    """Held-out accuracy against learning rate (log scale), one line per optimizer.

    Each row needs ``optimizer``, ``learning_rate`` and ``test_accuracy``; the
    line joins the means over seeds and the dots show every run; the key says so.
    """
    from matplotlib.lines import Line2D

    ax = ax if ax is not None else new_axes()[0]
    for i, name in enumerate(dict.fromkeys(r["optimizer"] for r in rows)):
        mine = [r for r in rows if r["optimizer"] == name]
        rates = sorted({r["learning_rate"] for r in mine})
        means = [
            np.mean([r["test_accuracy"] for r in mine if r["learning_rate"] == lr]) for lr in rates
        ]
        seeds = len({r.get("seed") for r in mine})
        ax.plot(rates, means, "-", color=f"C{i}", linewidth=1.6,
                label=f"{name}: mean over {seeds} seed{'s' if seeds != 1 else ''}")  # fmt: skip
        ax.plot(
            [r["learning_rate"] for r in mine],
            [r["test_accuracy"] for r in mine],
            "o",
            color=f"C{i}",
            markersize=4,
            alpha=0.7,
        )
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], linestyle="", marker="o", markersize=4, color="0.5",
                          label="dots: one run each"))  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("held-out accuracy")
    ax.set_title(title or "Accuracy by learning rate")
    ax.grid(alpha=0.3)
    ax.legend(handles=handles)
    return ax


def save(ax: Any, path: str | Path) -> Path:
    """Write the figure holding ``ax`` as a PNG at ``path`` (folders are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ax.figure.savefig(path, dpi=110)
    return path
