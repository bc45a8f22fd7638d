"""Every optimizer, option and preset against trajectories recorded from the peers.

tests/data/references.npz was written by scripts/record_references.py (PyTorch,
Optax, Keras and scikit-learn in float64; see the script for versions). Nothing
here imports them. Each row builds the descend optimizer that the docs claim
equal to a recorded peer run, runs 50 updates on the same problem and compares
every parameter after every update.

Run this file as a script to print the parity table of docs/conventions.md::

    .venv/bin/python tests/test_optim_reference.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from descend.optim import GD, AdaGrad, Adam, AdamW, Momentum, RMSProp
from descend.schedules import (
    Constant,
    Cosine,
    Exponential,
    InverseTime,
    Step,
    Warmup,
    per_epoch,
)

REFERENCES = Path(__file__).parent / "data" / "references.npz"
STEPS = 50
TOL = 1e-10
TOL_CLIP = 1e-6  # the bound for clipping (measured: far below, see the docs)


@pytest.fixture(scope="module")
def ref() -> dict[str, np.ndarray]:
    with np.load(REFERENCES, allow_pickle=False) as data:
        return dict(data)


def load() -> dict[str, np.ndarray]:
    with np.load(REFERENCES, allow_pickle=False) as data:
        return dict(data)


def problem(ref):
    names = ("W1", "b1", "w")
    return (
        {k: ref[f"problem/params0/{k}"] for k in names},
        {k: ref[f"problem/scale/{k}"] for k in names},
        {k: ref[f"problem/centre/{k}"] for k in names},
    )


@pytest.fixture(params=["step", "reference_step"])
def path(request):
    """Both ways to step: ``step`` (the compiled kernels where they apply) and NumPy's."""
    return request.param


def run(optimizer, ref, path="step"):
    """50 updates of ``optimizer`` on the recorded problem; trajectories and final state."""
    params, scale, centre = problem(ref)
    state = optimizer.init(params)
    out = {k: [] for k in params}
    for _ in range(STEPS):
        grads = {k: scale[k] * (w - centre[k]) + 0.5 * np.sin(3.0 * w) for k, w in params.items()}
        params, state = getattr(optimizer, path)(params, grads, state)
        for k, w in params.items():
            out[k].append(w)
    return {k: np.stack(v) for k, v in out.items()}, state


# torch: SequentialLR([LinearLR(start_factor=0.1, total_iters=10), CosineAnnealingLR(T_max=40,
# eta_min=0.001)], milestones=[10]) on lr=0.1
WARMUP_COSINE_TORCH = Warmup(Cosine(0.1, steps=40, final=0.001), steps=10, start=0.01)


# (case in the file, the descend optimizer claimed equal, tolerance)
CASES = [
    ("gd", lambda: GD(0.1), TOL),
    ("momentum_torch", lambda: Momentum.torch(lr=0.01, momentum=0.9), TOL),
    ("momentum_torch", lambda: Momentum(0.01 / (1 - 0.9), beta=0.9), TOL),
    ("momentum_torch_nesterov", lambda: Momentum.torch(0.01, 0.9, nesterov=True), TOL),
    ("momentum_torch_steplr", lambda: Momentum.torch(Step(0.02, 0.5, 10), 0.8), TOL),
    ("momentum_keras", lambda: Momentum.keras(0.01, 0.9), TOL),
    ("momentum_keras_nesterov", lambda: Momentum.keras(0.01, 0.9, nesterov=True), TOL),
    ("momentum_sklearn", lambda: Momentum.keras(0.01, 0.9), TOL),
    ("momentum_sklearn_nesterov", lambda: Momentum.keras(0.01, 0.9, nesterov=True), TOL),
    ("adam", lambda: Adam(0.05), TOL),
    ("adam_optax", lambda: Adam(0.05), TOL),
    ("adam_eps", lambda: Adam(0.05, epsilon=1e-3), TOL),
    ("adam_eps_root_optax", lambda: Adam(0.05, epsilon=1e-3, epsilon_inside_sqrt=True), TOL),
    ("adam_amsgrad", lambda: Adam(0.05, amsgrad=True), TOL),
    ("adam_weight_decay", lambda: Adam(0.05, weight_decay=0.1), TOL),
    ("adam_amsgrad_weight_decay", lambda: Adam(0.05, amsgrad=True, weight_decay=0.1), TOL),
    ("adam_warmup_cosine", lambda: Adam(WARMUP_COSINE_TORCH), TOL),
    ("adam_keras", lambda: Adam.keras(0.05, epsilon=1e-3), TOL),
    ("adam_keras_amsgrad", lambda: Adam.keras(0.05, epsilon=1e-3, amsgrad=True), TOL),
    ("adam_sklearn", lambda: Adam.keras(0.05, epsilon=1e-3), TOL),
    ("adamw", lambda: AdamW(0.05, weight_decay=0.1), TOL),
    ("adamw_optax", lambda: AdamW(0.05, weight_decay=0.1), TOL),
    ("adamw_amsgrad", lambda: AdamW(0.05, weight_decay=0.1, amsgrad=True), TOL),
    ("adamw_keras", lambda: AdamW.keras(0.05, epsilon=1e-3, weight_decay=0.1), TOL),
    ("rmsprop", lambda: RMSProp(0.01, beta=0.9, epsilon=1e-8), TOL),
    ("rmsprop_optax", lambda: RMSProp(0.01, beta=0.9, epsilon=1e-8), TOL),
    ("adagrad", lambda: AdaGrad(0.1, epsilon=1e-10), TOL),
    ("gd_clip_norm", lambda: GD(0.1, clip_norm=1.0), TOL_CLIP),
    ("gd_clip_value", lambda: GD(0.1, clip_value=0.5), TOL_CLIP),
    ("adam_clip_norm", lambda: Adam(0.05, clip_norm=1.0), TOL_CLIP),
    ("momentum_clip_value", lambda: Momentum.torch(0.01, 0.9, clip_value=0.5), TOL_CLIP),
    # the presets: each peer's own arguments and defaults
    ("gd", lambda: GD.torch(lr=0.1), TOL),
    ("adam", lambda: Adam.torch(lr=0.05), TOL),
    ("adam_optax", lambda: Adam.optax(0.05), TOL),
    ("adam_eps", lambda: Adam.torch(lr=0.05, eps=1e-3), TOL),
    ("adam_eps_root_optax", lambda: Adam.optax(0.05, eps=0.0, eps_root=1e-3), TOL),
    ("adam_amsgrad", lambda: Adam.torch(lr=0.05, amsgrad=True), TOL),
    ("adam_weight_decay", lambda: Adam.torch(lr=0.05, weight_decay=0.1), TOL),
    ("adamw", lambda: AdamW.torch(lr=0.05, weight_decay=0.1), TOL),
    ("adamw_amsgrad", lambda: AdamW.torch(lr=0.05, weight_decay=0.1, amsgrad=True), TOL),
    ("adamw_optax", lambda: AdamW.optax(0.05, weight_decay=0.1), TOL),
    ("rmsprop", lambda: RMSProp.torch(lr=0.01, alpha=0.9, eps=1e-8), TOL),
    ("rmsprop_optax", lambda: RMSProp.optax(0.01, decay=0.9, eps=1e-8, eps_in_sqrt=False), TOL),
    ("adagrad", lambda: AdaGrad.torch(lr=0.1, eps=1e-10), TOL),
]

# Recorded to document a difference: Optax's AMSGrad keeps the maximum of the
# bias-corrected second moment, PyTorch's (and ours) of the uncorrected one.
DIFFERENT = [("amsgrad_optax", lambda: Adam(0.05, amsgrad=True), None)]


def max_difference(trajectory, ref, case):
    return max(float(np.max(np.abs(trajectory[k] - ref[f"{case}/{k}"]))) for k in trajectory)


@pytest.mark.parametrize(("case", "make", "tol"), CASES, ids=[r[0] for r in CASES])
def test_trajectory_matches_reference(ref, case, make, tol, path):
    trajectory, _ = run(make(), ref, path)
    assert max_difference(trajectory, ref, case) <= tol


STATE_CASES = [
    (case, make)
    for case, make, _ in CASES
    if any(key.startswith(f"{case}/state/") for key in load())
]


@pytest.mark.parametrize(("case", "make"), STATE_CASES, ids=[r[0] for r in STATE_CASES])
def test_final_state_matches_reference(ref, case, make, path):
    _, state = run(make(), ref, path)
    prefix = f"{case}/state/"
    keys = [key for key in ref if key.startswith(prefix)]
    assert state["t"] == STEPS
    for key in keys:
        slot, name = key[len(prefix) :].split("/", 1)
        np.testing.assert_allclose(state[slot][name], ref[key], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("case", "make", "tol"), DIFFERENT, ids=[r[0] for r in DIFFERENT])
def test_documented_difference_is_real(ref, case, make, tol):
    trajectory, _ = run(make(), ref)
    assert max_difference(trajectory, ref, case) > 1e-3


def test_every_recorded_case_is_checked(ref):
    recorded = {key.split("/")[0] for key in ref} - {"problem", "schedule", "versions"}
    assert recorded == {row[0] for row in CASES + DIFFERENT}


# -- schedules -------------------------------------------------------------------
SCHEDULES = [
    ("step_torch", Step(0.1, gamma=0.5, interval=7)),
    ("step_optax", Step(0.1, gamma=0.5, interval=7)),
    ("exponential_torch", Exponential(0.1, gamma=0.95)),
    ("exponential_optax", Exponential(0.1, gamma=0.5, interval=5)),
    ("cosine_torch", Cosine(0.1, steps=40, final=0.01)),
    ("cosine_optax", Cosine(0.1, steps=40, final=0.01)),
    ("warmup_cosine_torch", WARMUP_COSINE_TORCH),
    ("warmup_cosine_optax", Warmup(Cosine(0.1, steps=40, final=0.001), steps=10)),
    ("warmup_constant_optax", Warmup(Constant(0.1), steps=8, start=0.02)),
    ("inverse_time_keras", InverseTime(0.1, decay_rate=0.5)),
    ("inverse_time_staircase_keras", InverseTime(0.1, decay_rate=0.5, interval=5)),
    ("step_torch", per_epoch(Step(0.1, gamma=0.5, interval=7), batches_per_epoch=1)),
]


@pytest.mark.parametrize(("case", "schedule"), SCHEDULES, ids=[r[0] for r in SCHEDULES])
def test_schedule_matches_reference(ref, case, schedule):
    expected = ref[f"schedule/{case}"]
    values = np.array([schedule(n) for n in range(len(expected))])
    np.testing.assert_allclose(values, expected, rtol=1e-12, atol=1e-15)


def test_every_recorded_schedule_is_checked(ref):
    recorded = {key.split("/", 1)[1] for key in ref if key.startswith("schedule/")}
    assert recorded == {row[0] for row in SCHEDULES}


def parity_table() -> str:
    """The measured column of docs/conventions.md: max |descend - peer| per case."""
    data = load()
    lines = ["| case | max abs diff |", "|---|---|"]
    for case, make, _ in CASES + DIFFERENT:
        trajectory, _ = run(make(), data)
        lines.append(f"| {case} | {max_difference(trajectory, data, case):.1e} |")
    for case, schedule in SCHEDULES:
        expected = data[f"schedule/{case}"]
        values = np.array([schedule(n) for n in range(len(expected))])
        lines.append(f"| schedule/{case} | {np.max(np.abs(values - expected)):.1e} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(f"references: {load()['versions']}\n")
    print(parity_table())
