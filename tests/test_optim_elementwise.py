"""The element-wise rules of the modern pack, and the presets, against their peers.

tests/data/references_elementwise.npz was written by ``scripts/record_references.py
--only elementwise`` (PyTorch 2.13, Optax 0.2.8 and the Lion authors' PyTorch code,
all in float64; see the script). Nothing here imports them. Each row runs 100
updates of the descend optimizer claimed equal on the recorded problem (a vector
of 50, a 64x32 and a 32x64 matrix; noisy gradients that depend on the parameters)
and compares the vector after every update and the matrices after the last.

The bound is relative: ``max|descend - peer| / max|peer|`` per array, <= 1e-10.
Where PyTorch and Optax differ (NAdam's momentum schedule, RAdam's ε, Lion's
default decay), each preset is checked against its own peer and the difference
is shown to be real.

Run as a script to print the measured column of docs/conventions.md.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from descend.optim import (
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
    nadam_update,
)
from descend.optim.nadam import NEGLIGIBLE, nadam_step_sizes
from descend.optim.radam import radam_rectification
from descend.schedules import InverseTime, Step

REFERENCES = Path(__file__).parent / "data" / "references_elementwise.npz"
SEED, STEPS, TOL = 13, 100, 1e-10
NAMES = ("v", "W_tall", "W_wide")


def load() -> dict[str, np.ndarray]:
    with np.load(REFERENCES, allow_pickle=False) as archive:
        return dict(archive)


@pytest.fixture(scope="module")
def ref() -> dict[str, np.ndarray]:
    return load()


def gradient(params, n, scale, centre):
    """The script's ``matrix_gradient``: ``A (W - C) + 0.5 sin 3W + 0.1 noise_n``."""
    rng = np.random.default_rng([SEED, n])
    noise = {k: rng.standard_normal(scale[k].shape) for k in NAMES}
    return {
        k: scale[k] * (w - centre[k]) + 0.5 * np.sin(3.0 * w) + 0.1 * noise[k]
        for k, w in params.items()
    }


@pytest.fixture(params=["step", "reference_step"])
def path(request):
    """Both ways to step: ``step`` (the compiled kernels where they apply) and NumPy's."""
    return request.param


def run(optimizer, ref, path="step"):
    """100 updates: ``({"v": every update, "W_tall"/"W_wide": the last}, final state)``."""
    params = {k: ref[f"problem/params0/{k}"] for k in NAMES}
    scale = {k: ref[f"problem/scale/{k}"] for k in NAMES}
    centre = {k: ref[f"problem/centre/{k}"] for k in NAMES}
    state = optimizer.init(params)
    vector = []
    for n in range(STEPS):
        step = getattr(optimizer, path)
        params, state = step(params, gradient(params, n, scale, centre), state)
        vector.append(params["v"])
    return {"v": np.stack(vector), "W_tall": params["W_tall"], "W_wide": params["W_wide"]}, state


def relative_difference(mine, ref, case) -> float:
    """``max |descend - peer| / max |peer|`` over the arrays (the vector: over every update)."""
    return max(
        float(np.max(np.abs(a - ref[f"{case}/{k}"])) / np.max(np.abs(ref[f"{case}/{k}"])))
        for k, a in mine.items()
    )


# (case in the file, the descend optimizer claimed equal)
CASES = [
    ("nadam_torch", lambda: NAdam.torch()),
    ("nadam_torch", lambda: NAdam()),
    (
        "nadam_torch_custom",
        lambda: NAdam.torch(
            lr=0.02, betas=(0.6, 0.99), eps=1e-6, weight_decay=0.1, momentum_decay=0.01
        ),
    ),
    ("nadamw_torch", lambda: NAdamW.torch(weight_decay=0.01)),
    ("nadamw_torch", lambda: NAdam.torch(weight_decay=0.01, decoupled_weight_decay=True)),
    (
        "nadamw_torch_custom",
        lambda: NAdamW.torch(
            Step(0.02, 0.5, 30),
            betas=(0.8, 0.99),
            eps=1e-7,
            weight_decay=0.1,
            momentum_decay=0.002,
        ),
    ),
    ("nadam_optax", lambda: NAdam.optax(2e-3)),
    ("nadam_optax", lambda: Adam.optax(2e-3, nesterov=True)),
    ("nadam_optax", lambda: NAdam(2e-3, momentum_decay=None)),
    ("nadam_optax_custom", lambda: NAdam.optax(0.02, b1=0.6, b2=0.99, eps=1e-6)),
    ("nadamw_optax", lambda: NAdamW.optax(2e-3)),
    ("nadamw_optax", lambda: AdamW.optax(2e-3, nesterov=True)),
    (
        "nadamw_optax_custom",
        lambda: NAdamW.optax(0.02, b1=0.8, b2=0.99, eps=1e-7, weight_decay=0.1),
    ),
    ("radam_torch", lambda: RAdam.torch()),
    (
        "radam_torch_custom",
        lambda: RAdam.torch(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    ),
    (
        "radam_torch_decoupled",
        lambda: RAdam.torch(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True),
    ),
    ("radam_optax", lambda: RAdam.optax(1e-3)),
    ("radam_optax", lambda: RAdam(1e-3)),
    (
        "radam_optax_custom",
        lambda: RAdam.optax(0.02, b1=0.8, b2=0.99, eps=1e-6, threshold=6.0),
    ),
    ("adamax_torch", lambda: Adamax.torch()),
    ("adamax_torch", lambda: Adamax()),
    (
        "adamax_torch_custom",
        lambda: Adamax.torch(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    ),
    ("adamax_optax", lambda: Adamax.optax(2e-3)),
    ("adamax_optax_custom", lambda: Adamax.optax(0.02, b1=0.8, b2=0.99, eps=1e-6)),
    ("adadelta_torch", lambda: Adadelta.torch()),
    ("adadelta_torch", lambda: Adadelta()),
    (
        "adadelta_torch_custom",
        lambda: Adadelta.torch(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1),
    ),
    ("adadelta_optax", lambda: Adadelta.optax(1.0)),
    (
        "adadelta_optax_custom",
        lambda: Adadelta.optax(0.5, rho=0.8, eps=1e-5, weight_decay=0.1),
    ),
    ("lion_paper", lambda: Lion()),
    ("lion_paper_custom", lambda: Lion(0.003, beta1=0.8, beta2=0.95, weight_decay=0.1)),
    ("lion_optax", lambda: Lion.optax(1e-4)),
    ("lion_optax_custom", lambda: Lion.optax(0.003, b1=0.8, b2=0.95, weight_decay=0.1)),
    # presets of the older rules that references.npz does not cover
    (
        "adam_decoupled_torch",
        lambda: Adam.torch(0.02, weight_decay=0.1, decoupled_weight_decay=True),
    ),
    ("adam_decoupled_torch", lambda: AdamW.torch(0.02, weight_decay=0.1)),
    ("adagrad_lr_decay_torch", lambda: AdaGrad.torch(lr=0.1, lr_decay=0.01)),
    ("adagrad_lr_decay_torch", lambda: AdaGrad(InverseTime(0.1, 0.01))),
    ("sgd_optax", lambda: GD.optax(0.1)),
    ("sgd_momentum_optax", lambda: Momentum.optax(0.01, momentum=0.9)),
    ("sgd_momentum_optax", lambda: Momentum.torch(0.01, momentum=0.9)),
    ("sgd_nesterov_optax", lambda: Momentum.optax(0.01, momentum=0.9, nesterov=True)),
    ("rmsprop_optax_default", lambda: RMSProp.optax(0.01)),
    ("rmsprop_optax_default", lambda: RMSProp(0.01, epsilon_inside_sqrt=True)),
]
IDS = [f"{case}-{i}" for i, (case, _) in enumerate(CASES)]

# The peers differ: each preset, run against the *other* peer's recording, is off by
# more than the parity bound (the smallest, RAdam's ε placement with ε = 1e-8, by 1e-9).
DIFFERENT = [
    ("nadam_optax", lambda: NAdam.torch(lr=2e-3), 1e-4),  # the momentum schedule
    ("nadam_torch", lambda: NAdam.optax(2e-3), 1e-4),
    ("nadamw_optax", lambda: NAdamW.torch(lr=2e-3, weight_decay=1e-4), 1e-4),
    ("radam_optax", lambda: RAdam.torch(lr=1e-3), TOL),  # where ε sits (measured 1e-9)
    ("radam_torch", lambda: RAdam.optax(1e-3), TOL),
    ("lion_paper", lambda: Lion.optax(1e-4), 1e-6),  # Optax's default weight decay 1e-3
    ("rmsprop_optax_default", lambda: RMSProp.torch(0.01, alpha=0.9), 1e-4),  # ε in the root
]


@pytest.mark.parametrize(("case", "make"), CASES, ids=IDS)
def test_trajectory_matches_reference(ref, case, make, path):
    trajectory, state = run(make(), ref, path)
    assert relative_difference(trajectory, ref, case) <= TOL
    assert state["t"] == STEPS and state["skipped"] == 0


STATE_CASES = [row for row in CASES if any(k.startswith(f"{row[0]}/state/") for k in load())]


@pytest.mark.parametrize(("case", "make"), STATE_CASES, ids=[r[0] for r in STATE_CASES])
def test_final_state_matches_reference(ref, case, make, path):
    _, state = run(make(), ref, path)
    prefix = f"{case}/state/"
    keys = [key for key in ref if key.startswith(prefix)]
    assert keys
    for key in keys:
        slot, name = key[len(prefix) :].split("/", 1)
        np.testing.assert_allclose(state[slot][name], ref[key], rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize(("case", "make", "bound"), DIFFERENT, ids=[r[0] for r in DIFFERENT])
def test_documented_difference_is_real(ref, case, make, bound):
    trajectory, _ = run(make(), ref)
    assert relative_difference(trajectory, ref, case) > bound


def test_every_recorded_case_is_checked(ref):
    recorded = {key.split("/")[0] for key in ref} - {"problem", "versions"}
    assert recorded == {case for case, _ in CASES}


def test_the_noise_stream_is_the_recorded_one(ref):
    """A changed NumPy stream would fail every row above; this names the cause."""
    rng = np.random.default_rng([SEED, 0])
    for k in NAMES:
        np.testing.assert_array_equal(
            rng.standard_normal(ref[f"problem/noise0/{k}"].shape), ref[f"problem/noise0/{k}"]
        )


# -- the per-step scalars ---------------------------------------------------------


def test_nadam_momentum_product_is_pytorchs_running_product():
    """PyTorch multiplies ``mu_product`` by each μ_i; the recomputation is bit-identical."""
    beta1, psi, product = 0.9, 0.004, 1.0
    for t in range(1, 420):
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        product *= mu
        expected = (0.1 * (1.0 - mu) / (1.0 - product), 0.1 * mu_next / (1.0 - product * mu_next))
        assert nadam_step_sizes(t, 0.1, beta1, psi) == expected, t


def test_nadam_stops_the_product_where_it_cannot_matter():
    t = math.ceil(math.log(NEGLIGIBLE) / math.log(0.9))  # the first t with 0.9**t < 2**-60
    assert 0.9**t < NEGLIGIBLE <= 0.9 ** (t - 1)
    c_g, _ = nadam_step_sizes(t, 1.0, 0.9, 0.004)
    mu = 0.9 * (1.0 - 0.5 * 0.96 ** (t * 0.004))
    assert c_g == 1.0 - mu  # 1 - product rounds to exactly 1
    assert 1.0 - NEGLIGIBLE == 1.0


def test_nadam_with_constant_momentum_is_optax_formula():
    """Optax: (b1 m / (1 - b1^(t+1)) + (1 - b1) g / (1 - b1^t)) / (sqrt(v-hat) + eps)."""
    rng = np.random.default_rng(0)
    w, g, v, s = (rng.standard_normal(5) for _ in range(4))
    s = np.abs(s)
    t, b1, b2, eps, lr = 7, 0.85, 0.99, 1e-3, 0.1
    new_w, m, nu = nadam_update(w, g, v, s, t, lr, b1, b2, eps, momentum_decay=None)
    mu_hat = b1 * m / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1**t)
    expected = w - lr * mu_hat / (np.sqrt(nu / (1 - b2**t)) + eps)
    np.testing.assert_allclose(new_w, expected, rtol=1e-14)


@pytest.mark.parametrize(
    ("t", "beta2", "threshold", "rectified"),
    [(5, 0.999, 5.0, False), (6, 0.999, 5.0, True), (1, 0.5, 5.0, False), (10**4, 0.6, 4.0, False)],
)
def test_radam_rectification_threshold(t, beta2, threshold, rectified):
    assert (radam_rectification(t, beta2, threshold) is not None) is rectified


def test_radam_optax_threshold_is_inclusive():
    """Optax rectifies at ``ro >= threshold``: the preset keeps the equality case."""
    opt = RAdam.optax(0.01, threshold=5.0)
    assert opt.threshold < 5.0 and math.nextafter(opt.threshold, math.inf) == 5.0
    assert RAdam.torch(0.01).threshold == 5.0


# -- checkpoints --------------------------------------------------------------------

ROUND_TRIP = [
    NAdam(0.01),
    NAdam(0.01, momentum_decay=None),
    NAdamW(0.01, weight_decay=0.1),
    RAdam(0.01, epsilon_hat=True, weight_decay=0.1, decoupled_weight_decay=True),
    Adamax(0.01),
    Adadelta(weight_decay=0.01),
    Lion(0.001, weight_decay=0.1),
    RMSProp.optax(0.01),
]


@pytest.mark.parametrize("opt", ROUND_TRIP, ids=lambda o: type(o).__name__)
def test_state_dict_round_trip_resumes_exactly(tmp_path, opt):
    """Save after 7 updates, load from the file, go on: the run of 12 updates, bit for bit."""
    rng = np.random.default_rng(4)
    params = {"W1": rng.standard_normal((3, 2)), "b1": rng.standard_normal((3, 1))}
    grads = [{k: rng.standard_normal(w.shape) for k, w in params.items()} for _ in range(12)]
    whole, state = params, opt.init(params)
    for g in grads:
        whole, state = opt.step(whole, g, state)
    part, state = params, opt.init(params)
    for g in grads[:7]:
        part, state = opt.step(part, g, state)
    flat = opt.state_dict(state)
    assert str(flat["kind"]) == opt.kind and set(flat) >= {f"{s}/W1" for s in opt.slots}
    np.savez(tmp_path / "state.npz", **flat)
    with np.load(tmp_path / "state.npz", allow_pickle=False) as archive:
        state = opt.load_state_dict(part, dict(archive))
    assert state["t"] == 7
    for g in grads[7:]:
        part, state = opt.step(part, g, state)
    for k in params:
        np.testing.assert_array_equal(part[k], whole[k])


def test_state_of_another_rule_is_refused():
    params = {"w": np.ones(3)}
    flat = NAdam(0.01).state_dict(NAdam(0.01).init(params))
    with pytest.raises(ValueError, match="written by another optimizer kind"):
        NAdamW(0.01).load_state_dict(params, flat)


# -- construction errors ------------------------------------------------------------------

BAD = [
    (lambda: NAdam(beta1=1.0), ValueError, r"Invalid beta1: 1.0 \(expected 0 <= beta1 < 1\)"),
    (lambda: NAdam(momentum_decay=-1.0), ValueError, "Invalid momentum_decay: -1.0"),
    (lambda: NAdamW(weight_decay=-0.1), ValueError, "Invalid weight_decay: -0.1"),
    (lambda: RAdam(beta2=1.5), ValueError, r"Invalid beta2: 1.5 \(expected 0 <= beta2 < 1\)"),
    (lambda: RAdam(threshold=3.0), ValueError, "Invalid threshold: 3.0"),
    (lambda: RAdam(epsilon_hat=1), TypeError, "epsilon_hat must be True or False"),
    (lambda: Adamax(epsilon=-1e-8), ValueError, "Invalid epsilon: -1e-08"),
    (lambda: Adadelta(rho=1.0), ValueError, r"Invalid rho: 1.0 \(expected 0 <= rho < 1\)"),
    (lambda: Adadelta(0.0), ValueError, "Invalid learning_rate: 0.0"),
    (lambda: Lion(beta2=-0.1), ValueError, "Invalid beta2: -0.1"),
    (lambda: Lion(0.1, 0.9, 0.99, 0.1), TypeError, "positional argument"),
    (lambda: NAdam(0.1, 0.9, 0.999, 1e-8, 0.004), TypeError, "positional argument"),
    (lambda: RMSProp(0.1, 0.9, 1e-8, True), TypeError, "positional argument"),
    # presets: what descend cannot express is named
    (lambda: NAdam.torch(maximize=True), ValueError, r"NAdam.torch\(maximize=True\)"),
    (lambda: NAdam.torch(betas=0.9), TypeError, "betas must be a pair"),
    (lambda: NAdam.optax(0.1, eps_root=1e-8), ValueError, r"NAdam.optax\(eps_root=1e-08\)"),
    (lambda: NAdam.optax(0.1, nesterov=False), ValueError, "use Adam.optax"),
    (lambda: Adam.optax(0.1, nesterov=True, eps_root=1e-8), ValueError, "outside the root"),
    (lambda: NAdam.optax(0.1, mu_dtype="bfloat16"), ValueError, "mu_dtype"),
    (lambda: NAdamW.optax(0.1, mask={"w": True}), ValueError, r"NAdamW.optax\(mask="),
    (lambda: RAdam.optax(0.1, nesterov=True), ValueError, r"RAdam.optax\(nesterov=True\)"),
    (lambda: RAdam.optax(0.1, eps_root=1e-3), ValueError, "eps_root"),
    (lambda: Adadelta.optax(), ValueError, "unnegated"),
    (lambda: Adadelta.optax(1.0, weight_decay_mask=lambda p: p), ValueError, "mask"),
    (lambda: Lion.optax(1e-4, mask={}), ValueError, r"Lion.optax\(mask=\{\}\)"),
    (lambda: Adam.optax(0.1, eps=1e-8, eps_root=1e-8), ValueError, "not both"),
    (lambda: AdamW.torch(maximize=True), ValueError, r"AdamW.torch\(maximize=True\)"),
    (lambda: GD.torch(momentum=0.9), ValueError, "use Momentum.torch"),
    (lambda: GD.torch(weight_decay=0.1), ValueError, "no weight decay"),
    (lambda: GD.optax(0.1, momentum=0.9), ValueError, "use Momentum.optax"),
    (lambda: Momentum.torch(0.1, 0.9, dampening=0.5), ValueError, "undamped"),
    (lambda: Momentum.torch(0.1, nesterov=True), ValueError, "Nesterov momentum requires"),
    (lambda: Momentum.optax(0.1, 0.9, accumulator_dtype="float16"), ValueError, "dtype"),
    (lambda: RMSProp.torch(centered=True), ValueError, r"RMSProp.torch\(centered=True\)"),
    (lambda: RMSProp.torch(momentum=0.9), ValueError, "momentum buffer"),
    (lambda: RMSProp.optax(0.1, initial_scale=1.0), ValueError, "starts at zero"),
    (lambda: RMSProp.optax(0.1, bias_correction=True), ValueError, "bias_correction"),
    (lambda: AdaGrad.torch(initial_accumulator_value=0.1), ValueError, "starts at zero"),
    (lambda: AdaGrad.torch(weight_decay=0.1), ValueError, "no weight decay"),
    (lambda: AdaGrad.torch(lr_decay=-1.0), ValueError, "Invalid lr_decay: -1.0"),
]


@pytest.mark.parametrize(("make", "error", "pattern"), BAD)
def test_bad_construction_is_refused(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


def test_nadamw_torch_without_decoupling_is_nadam():
    assert type(NAdamW.torch(decoupled_weight_decay=False)) is NAdam
    assert type(Adam.torch(decoupled_weight_decay=True)) is AdamW


def test_torch_implementation_switches_are_ignored():
    plain = NAdam.torch(lr=0.01)
    switched = NAdam.torch(lr=0.01, foreach=True, capturable=True, differentiable=True)
    assert repr(plain) == repr(switched)
    assert repr(Adam.torch(fused=True)) == repr(Adam.torch())


def test_nadam_repr_says_when_there_is_no_schedule():
    assert "momentum_decay=None" in repr(NAdam.optax(0.01))
    assert "momentum_decay=0.004" in repr(NAdam())


# -- by name ---------------------------------------------------------------------------
ELEMENTWISE = ("nadam", "nadamw", "radam", "adamax", "adadelta", "lion")


def test_names_reach_the_registry_the_estimator_and_every_surface():
    from descend import registry, surfaces
    from descend.estimator import SOLVER_HYPERPARAMETERS

    for name in ELEMENTWISE:
        opt = registry.make_optimizer(name, registry.DEFAULT_RATES[name])
        assert opt.kind == name and name in SOLVER_HYPERPARAMETERS
        for surface in surfaces.SURFACES:
            assert name in surfaces.get_surface(surface).learning_rates, (name, surface)
    assert registry.DEFAULT_RATES["lion"] < registry.DEFAULT_RATES["adam"] / 3


def test_trajectory_draws_them(tmp_path, capsys):
    import json

    from descend.cli import main

    names = ",".join(ELEMENTWISE)
    args = ["trajectory", "--surface", "saddle", "--optimizers", names, "--steps", "30"]
    assert main([*args, "--out", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["optimizer"] for r in report["results"]] == list(ELEMENTWISE)
    assert (tmp_path / "trajectory-saddle.png").stat().st_size > 0


def parity_table() -> str:
    """The measured column of docs/conventions.md: relative difference per row."""
    data = load()
    lines = ["| case | descend | max relative diff |", "|---|---|---|"]
    rows = [(case, case, make) for case, make in CASES]
    rows += [(case, f"{case} (differs)", make) for case, make, _ in DIFFERENT]
    for case, label, make in rows:
        trajectory, _ = run(make(), data)
        lines.append(
            f"| {label} | `{make()!r}` | {relative_difference(trajectory, data, case):.1e} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(f"references: {load()['versions']}\n")
    print(parity_table())
