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

__all__ = ["cost_curves", "decision_boundary", "new_axes", "save"]


def new_axes(ncols: int = 1, *, width: float = 6.0, height: float = 4.5) -> list[Any]:
    """A new figure with ``ncols`` axes side by side; returns the list of axes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    return list(np.atleast_1d(fig.subplots(1, ncols)))


def cost_curves(costs: Mapping[str, Sequence[float]], ax: Any = None, *, title: str = "") -> Any:
    """Plot one cost-per-epoch curve per run, labelled by its key."""
    ax = ax if ax is not None else new_axes()[0]
    styles = ("-", "--", "-.", ":")
    for i, (name, values) in enumerate(costs.items()):
        ax.plot(np.arange(len(values)), values, styles[i % len(styles)], label=name, linewidth=1.6)
    ax.set_xlabel("epoch")
    ax.set_ylabel("cost (mean cross-entropy)")
    ax.set_title(title or "Training cost")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    ax: Any = None,
    *,
    title: str = "",
    resolution: int = 300,
) -> Any:
    """Shade the two predicted classes over the plane and scatter the data on top.

    Class 0 is blue and class 1 red, in the shading and in the points alike.

    ``X`` has shape ``(n_samples, 2)``; ``predict`` takes such an array and
    returns 0/1 labels of shape ``(n_samples,)``.
    """
    ax = ax if ax is not None else new_axes(width=5.0)[0]
    pad = 0.5
    (x0, y0), (x1, y1) = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    labels = predict(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    ax.contourf(xx, yy, labels, levels=[-0.5, 0.5, 1.5], colors=["#c6dbef", "#f4c7c3"])
    ax.scatter(
        X[:, 0], X[:, 1], c=np.ravel(y), cmap="coolwarm", s=14, edgecolors="k", linewidths=0.3
    )
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
    the start is marked with a circle, the end with a square, the minimum with ``+``.
    """
    ax = ax if ax is not None else new_axes(width=6.5, height=5.0)[0]
    x0, x1, y0, y1 = extent
    xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    zz = np.array([loss(np.array(p)) for p in zip(xx.ravel(), yy.ravel(), strict=True)])
    zz = zz.reshape(xx.shape)
    if log_levels:
        levels = np.geomspace(max(zz.min(), 1e-3), zz.max(), 25)
    else:
        levels = np.linspace(zz.min(), np.quantile(zz, 0.9), 25)
    ax.contour(xx, yy, zz, levels=levels, cmap="viridis", linewidths=0.7, alpha=0.8)
    for i, (label, path) in enumerate(paths.items()):
        color = f"C{i}"
        ax.plot(path[:, 0], path[:, 1], "-", color=color, linewidth=1.4, label=label)
        ax.plot(*path[0], "o", color=color, markersize=5)
        ax.plot(*path[-1], "s", color=color, markersize=5)
    if minimum is not None:
        ax.plot(*minimum, "k+", markersize=14, markeredgewidth=2, label="minimum")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    return ax


def accuracy_by_rate(rows: Sequence[Mapping[str, Any]], ax: Any = None, *, title: str = "") -> Any:
    """Held-out accuracy against learning rate (log scale), one line per optimizer.

    Each row needs ``optimizer``, ``learning_rate`` and ``test_accuracy``; the
    line joins the means over seeds and the dots show every run.
    """
    ax = ax if ax is not None else new_axes()[0]
    for i, name in enumerate(dict.fromkeys(r["optimizer"] for r in rows)):
        mine = [r for r in rows if r["optimizer"] == name]
        rates = sorted({r["learning_rate"] for r in mine})
        means = [
            np.mean([r["test_accuracy"] for r in mine if r["learning_rate"] == lr]) for lr in rates
        ]
        ax.plot(rates, means, "-", color=f"C{i}", label=name, linewidth=1.6)
        ax.plot(
            [r["learning_rate"] for r in mine],
            [r["test_accuracy"] for r in mine],
            "o",
            color=f"C{i}",
            markersize=4,
            alpha=0.7,
        )
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("held-out accuracy")
    ax.set_title(title or "Accuracy by learning rate")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def save(ax: Any, path: str | Path) -> Path:
    """Write the figure holding ``ax`` as a PNG at ``path`` (folders are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ax.figure.savefig(path, dpi=110)
    return path
