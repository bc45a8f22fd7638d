"""Shared fixtures: small deterministic problems."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def small_params() -> dict[str, np.ndarray]:
    """A [3, 4, 1] network's parameters, float64, drawn from a fixed generator."""
    rng = np.random.default_rng(0)
    return {
        "W1": rng.standard_normal((4, 3)),
        "b1": rng.standard_normal((4, 1)),
        "W2": rng.standard_normal((1, 4)),
        "b2": rng.standard_normal((1, 1)),
    }
