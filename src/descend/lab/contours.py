"""A surface's losses on a grid, its contour levels and its contour lines, for the page."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..surfaces import Surface

__all__ = ["GRID", "contours"]

#: points per side of the grid the contours are drawn from
GRID = 101


def contours(surface: Surface) -> dict[str, Any]:
    """The grid of losses (for the colours), the levels and the lines of ``surface``.

    Levels are spaced by quantiles of the losses on the grid, or geometrically above
    the lowest for surfaces drawn with log levels (Rosenbrock's valley); the lines
    are traced by contourpy, which matplotlib uses.
    """
    import contourpy  # a dependency of matplotlib

    x0, x1, y0, y1 = surface.extent
    xs, ys = np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID)
    with np.errstate(all="ignore"):
        z = np.array([[surface.loss(np.array([x, y])) for x in xs] for y in ys])
    finite = z[np.isfinite(z)]
    low, high = float(finite.min()), float(finite.max())
    if surface.log_levels:
        span = max(high - low, 1e-12)
        levels = low + np.geomspace(span * 1e-5, span, 22)
    else:
        levels = np.unique(np.quantile(finite, np.linspace(0.01, 0.97, 22)))
    z = np.where(np.isfinite(z), z, high)
    generator = contourpy.contour_generator(xs, ys, z, line_type="Separate")
    lines = []
    for i, level in enumerate(levels):
        for line in generator.lines(level):
            lines.append({"level": i, "points": np.round(line, 5).tolist()})
    return {
        "title": surface.title,
        "extent": list(surface.extent),
        "nx": GRID,
        "ny": GRID,
        "z": [float(f"{v:.5g}") for v in z.ravel()],  # for the colours only
        "levels": levels.tolist(),
        "log_levels": surface.log_levels,
        "contours": lines,
    }
