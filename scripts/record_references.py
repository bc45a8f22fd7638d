"""Record the reference trajectories that tests/test_optim_reference.py compares with.

Run it from the repository root with a Python that has the peers installed (never
the project's own environment: the tests must not need them)::

    /work/main/.venv-ref/bin/python scripts/record_references.py

It writes ``tests/data/references.npz`` (about 200 kB) and prints one line per
case. Recorded with torch 2.13.0+cpu, jax 0.10.2 and optax 0.2.8, keras 3.15.1
on the JAX backend, scikit-learn 1.9.1, NumPy 2.4.6, all in float64
(``jax_enable_x64``, ``torch.set_default_dtype(torch.float64)``, Keras
``floatx="float64"``). The script is deterministic: it draws nothing at random
and every run writes the same numbers, with the library versions in the file.

The problem (``problem/...`` in the file): three arrays of different shapes,
``W1`` (3, 2), ``b1`` (3, 1), ``w`` (4,), started at fixed values. The gradient
is a fixed function of the current parameters, so each trajectory depends on
every earlier update::

    g = A * (W - C) + 0.5 * sin(3 * W)          (elementwise, per array)

with per-array scales ``A`` (from 0.05 to 8: adaptive rules see different
magnitudes) and centres ``C``. The gradient is computed with NumPy from the
peer's current parameters and handed to the peer, so the tests can recompute it
bit for bit without the peer.

Each case ``<name>`` stores ``<name>/<param>`` with shape ``(50, *param.shape)``:
the parameters after each of 50 updates; Adam-family, RMSProp and AdaGrad cases
of PyTorch also store their final state as ``<name>/state/<slot>/<param>``
(descend's slot names). Schedules store ``schedule/<name>``: the rate used by
updates 0, 1, 2, ... The descend side of each case is in the test's table.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import sklearn  # noqa: E402
import torch  # noqa: E402
from sklearn.neural_network._stochastic_optimizers import (  # noqa: E402
    AdamOptimizer,
    SGDOptimizer,
)

keras.config.set_floatx("float64")
torch.set_default_dtype(torch.float64)

STEPS = 50
OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "references.npz"

PARAMS0 = {
    "W1": np.array([[0.5, -1.2], [2.0, 0.3], [-0.7, 1.5]]),
    "b1": np.array([[0.1], [-0.4], [0.9]]),
    "w": np.array([3.0, -2.5, 0.05, 1.0]),
}
SCALE = {
    "W1": np.array([[1.0, 2.0], [0.5, 4.0], [8.0, 0.25]]),
    "b1": np.array([[0.05], [1.5], [3.0]]),
    "w": np.array([0.1, 1.0, 6.0, 2.5]),
}
CENTRE = {
    "W1": np.array([[-1.0, 0.5], [0.0, 2.0], [1.0, -0.5]]),
    "b1": np.array([[2.0], [0.0], [-1.0]]),
    "w": np.array([0.0, 1.0, -3.0, 0.5]),
}


def gradient(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``A * (W - C) + 0.5 * sin(3 W)`` per array (the tests hold the same function)."""
    return {k: SCALE[k] * (w - CENTRE[k]) + 0.5 * np.sin(3.0 * w) for k, w in params.items()}


# -- PyTorch -----------------------------------------------------------------------
TORCH_SLOTS = {
    "exp_avg": "v",
    "exp_avg_sq": "s",
    "max_exp_avg_sq": "s_max",
    "square_avg": "s",
    "sum": "s",
}


def run_torch(make, *, clip_norm=None, clip_value=None, scheduler=None, state=False):
    tensors = {k: torch.tensor(w, requires_grad=True) for k, w in PARAMS0.items()}
    opt = make(list(tensors.values()))
    sched = scheduler(opt) if scheduler else None
    out = {k: [] for k in tensors}
    for _ in range(STEPS):
        grads = gradient({k: p.detach().numpy().copy() for k, p in tensors.items()})
        for k, p in tensors.items():
            p.grad = torch.from_numpy(grads[k])
        if clip_value is not None:
            torch.nn.utils.clip_grad_value_(list(tensors.values()), clip_value)
        if clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(list(tensors.values()), clip_norm)
        opt.step()
        if sched is not None:
            sched.step()
        for k, p in tensors.items():
            out[k].append(p.detach().numpy().copy())
    record = {k: np.stack(v) for k, v in out.items()}
    if state:
        for k, p in tensors.items():
            for name, value in opt.state[p].items():
                if name in TORCH_SLOTS:
                    record[f"state/{TORCH_SLOTS[name]}/{k}"] = value.numpy().copy()
    return record


def torch_cases():
    o = torch.optim
    single = {"foreach": False}  # the readable single-tensor path
    sched = torch.optim.lr_scheduler

    def warmup_cosine(opt):
        return sched.SequentialLR(
            opt,
            [
                sched.LinearLR(opt, start_factor=0.1, total_iters=10),
                sched.CosineAnnealingLR(opt, T_max=40, eta_min=0.001),
            ],
            milestones=[10],
        )

    return {
        "gd": run_torch(lambda p: o.SGD(p, lr=0.1, **single)),
        "momentum_torch": run_torch(lambda p: o.SGD(p, lr=0.01, momentum=0.9, **single)),
        "momentum_torch_nesterov": run_torch(
            lambda p: o.SGD(p, lr=0.01, momentum=0.9, nesterov=True, **single)
        ),
        "momentum_torch_steplr": run_torch(
            lambda p: o.SGD(p, lr=0.02, momentum=0.8, **single),
            scheduler=lambda opt: sched.StepLR(opt, step_size=10, gamma=0.5),
        ),
        "adam": run_torch(lambda p: o.Adam(p, lr=0.05, **single), state=True),
        "adam_eps": run_torch(lambda p: o.Adam(p, lr=0.05, eps=1e-3, **single), state=True),
        "adam_amsgrad": run_torch(lambda p: o.Adam(p, lr=0.05, amsgrad=True, **single), state=True),
        "adam_weight_decay": run_torch(
            lambda p: o.Adam(p, lr=0.05, weight_decay=0.1, **single), state=True
        ),
        "adam_amsgrad_weight_decay": run_torch(
            lambda p: o.Adam(p, lr=0.05, weight_decay=0.1, amsgrad=True, **single), state=True
        ),
        "adamw": run_torch(lambda p: o.AdamW(p, lr=0.05, weight_decay=0.1, **single), state=True),
        "adamw_amsgrad": run_torch(
            lambda p: o.AdamW(p, lr=0.05, weight_decay=0.1, amsgrad=True, **single), state=True
        ),
        "adam_warmup_cosine": run_torch(
            lambda p: o.Adam(p, lr=0.1, **single), scheduler=warmup_cosine, state=True
        ),
        "rmsprop": run_torch(
            lambda p: o.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-8, **single), state=True
        ),
        "adagrad": run_torch(lambda p: o.Adagrad(p, lr=0.1, eps=1e-10, **single), state=True),
        "gd_clip_norm": run_torch(lambda p: o.SGD(p, lr=0.1, **single), clip_norm=1.0),
        "gd_clip_value": run_torch(lambda p: o.SGD(p, lr=0.1, **single), clip_value=0.5),
        "adam_clip_norm": run_torch(lambda p: o.Adam(p, lr=0.05, **single), clip_norm=1.0),
        "momentum_clip_value": run_torch(
            lambda p: o.SGD(p, lr=0.01, momentum=0.9, **single), clip_value=0.5
        ),
    }


# -- Optax ---------------------------------------------------------------------------
def run_optax(tx):
    params = {k: jnp.asarray(w) for k, w in PARAMS0.items()}
    state = tx.init(params)
    out = {k: [] for k in params}
    for _ in range(STEPS):
        grads = gradient({k: np.asarray(w) for k, w in params.items()})
        updates, state = tx.update({k: jnp.asarray(g) for k, g in grads.items()}, state, params)
        params = optax.apply_updates(params, updates)
        for k, w in params.items():
            out[k].append(np.asarray(w))
    return {k: np.stack(v) for k, v in out.items()}


def optax_cases():
    return {
        "adam_optax": run_optax(optax.adam(0.05)),
        "adam_eps_root_optax": run_optax(optax.adam(0.05, eps=0.0, eps_root=1e-3)),
        "adamw_optax": run_optax(optax.adamw(0.05, weight_decay=0.1)),
        "rmsprop_optax": run_optax(optax.rmsprop(0.01, decay=0.9, eps=1e-8, eps_in_sqrt=False)),
        # Recorded to show the documented difference: Optax takes the maximum of the
        # bias-corrected second moment; PyTorch (and descend) of the uncorrected one.
        "amsgrad_optax": run_optax(optax.amsgrad(0.05)),
    }


# -- Keras (JAX backend) -------------------------------------------------------------
def run_keras(make):
    variables = {k: keras.Variable(w, dtype="float64") for k, w in PARAMS0.items()}
    opt = make()
    opt.build(list(variables.values()))
    out = {k: [] for k in variables}
    for _ in range(STEPS):
        grads = gradient({k: np.asarray(v.value) for k, v in variables.items()})
        opt.apply_gradients(
            [(keras.ops.convert_to_tensor(grads[k]), v) for k, v in variables.items()]
        )
        for k, v in variables.items():
            out[k].append(np.asarray(v.value))
    return {k: np.stack(v) for k, v in out.items()}


def keras_cases():
    ko = keras.optimizers
    return {
        "momentum_keras": run_keras(lambda: ko.SGD(learning_rate=0.01, momentum=0.9)),
        "momentum_keras_nesterov": run_keras(
            lambda: ko.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
        ),
        "adam_keras": run_keras(lambda: ko.Adam(learning_rate=0.05, epsilon=1e-3)),
        "adam_keras_amsgrad": run_keras(
            lambda: ko.Adam(learning_rate=0.05, epsilon=1e-3, amsgrad=True)
        ),
        "adamw_keras": run_keras(
            lambda: ko.AdamW(learning_rate=0.05, weight_decay=0.1, epsilon=1e-3)
        ),
    }


# -- scikit-learn ----------------------------------------------------------------------
def run_sklearn(make):
    params = [w.copy() for w in PARAMS0.values()]
    opt = make(params)
    out = {k: [] for k in PARAMS0}
    for _ in range(STEPS):
        grads = gradient(dict(zip(PARAMS0, params, strict=True)))
        opt.update_params(params, list(grads.values()))
        for k, w in zip(PARAMS0, params, strict=True):
            out[k].append(w.copy())
    return {k: np.stack(v) for k, v in out.items()}


def sklearn_cases():
    def sgd(nesterov):
        return lambda p: SGDOptimizer(p, 0.01, "constant", momentum=0.9, nesterov=nesterov)

    return {
        "momentum_sklearn": run_sklearn(sgd(False)),
        "momentum_sklearn_nesterov": run_sklearn(sgd(True)),
        "adam_sklearn": run_sklearn(lambda p: AdamOptimizer(p, 0.05, 0.9, 0.999, 1e-3)),
    }


# -- schedules ---------------------------------------------------------------------
def torch_schedule(make, n=60, lr=0.1):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = make(opt)
    rates = []
    for _ in range(n):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(rates)


def schedule_cases():
    s = torch.optim.lr_scheduler
    n = np.arange(60)

    def optax_values(schedule):
        return np.array([float(schedule(i)) for i in n])

    def keras_values(schedule):
        return np.array([float(schedule(int(i))) for i in n])

    return {
        "schedule/step_torch": torch_schedule(lambda o: s.StepLR(o, step_size=7, gamma=0.5)),
        "schedule/exponential_torch": torch_schedule(lambda o: s.ExponentialLR(o, gamma=0.95)),
        "schedule/cosine_torch": torch_schedule(
            lambda o: s.CosineAnnealingLR(o, T_max=40, eta_min=0.01), n=41
        ),
        "schedule/warmup_cosine_torch": torch_schedule(
            lambda o: s.SequentialLR(
                o,
                [
                    s.LinearLR(o, start_factor=0.1, total_iters=10),
                    s.CosineAnnealingLR(o, T_max=40, eta_min=0.001),
                ],
                milestones=[10],
            ),
            n=51,
        ),
        "schedule/step_optax": optax_values(optax.exponential_decay(0.1, 7, 0.5, staircase=True)),
        "schedule/exponential_optax": optax_values(optax.exponential_decay(0.1, 5, 0.5)),
        "schedule/cosine_optax": optax_values(optax.cosine_decay_schedule(0.1, 40, alpha=0.1)),
        "schedule/warmup_cosine_optax": optax_values(
            optax.warmup_cosine_decay_schedule(0.0, 0.1, 10, 50, end_value=0.001)
        ),
        "schedule/warmup_constant_optax": optax_values(
            optax.join_schedules(
                [optax.linear_schedule(0.02, 0.1, 8), optax.constant_schedule(0.1)], [8]
            )
        ),
        "schedule/inverse_time_keras": keras_values(
            keras.optimizers.schedules.InverseTimeDecay(0.1, 1, 0.5)
        ),
        "schedule/inverse_time_staircase_keras": keras_values(
            keras.optimizers.schedules.InverseTimeDecay(0.1, 5, 0.5, staircase=True)
        ),
    }


def main() -> None:
    data: dict[str, np.ndarray] = {}
    for k in PARAMS0:
        data[f"problem/params0/{k}"] = PARAMS0[k]
        data[f"problem/scale/{k}"] = SCALE[k]
        data[f"problem/centre/{k}"] = CENTRE[k]
    groups = [torch_cases(), optax_cases(), keras_cases(), sklearn_cases()]
    for cases in groups:
        for name, record in cases.items():
            for key, value in record.items():
                data[f"{name}/{key}"] = np.asarray(value, dtype=np.float64)
            print(f"{name:28s} final w = {record['w'][-1]}")
    for name, values in schedule_cases().items():
        data[name] = np.asarray(values, dtype=np.float64)
        print(f"{name:36s} {values[:3]} ... {values[-1]:.6g}")
    data["versions"] = np.array(
        f"torch {torch.__version__}, jax {jax.__version__}, optax {optax.__version__}, "
        f"keras {keras.__version__}, scikit-learn {sklearn.__version__}, "
        f"numpy {np.__version__}, python {sys.version.split()[0]}"
    )
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUTPUT, **data)
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes, {len(data)} arrays)")


# == the modern optimizer pack: matrix, Schedule-Free and learning-rate-free rules ==
# (issue 13) ``--only matrix`` writes tests/data/references_matrix.npz and nothing else.
# Recorded with torch 2.13.0+cpu, jax 0.10.2, optax 0.2.8, schedulefree 1.4.1,
# prodigyopt 1.1.2, NumPy 2.4.6, Python 3.11.7, all in float64.
#
# The problem: three arrays, a vector ``v`` (50,), a tall ``W_tall`` (64, 32) and a
# wide ``W_wide`` (32, 64), started at fixed random values; the gradient of step
# ``n`` (from 0) is ``A * (W - C) + 0.5 * sin(3 W) + 0.1 * noise_n`` with fixed
# random scales ``A`` (0.01 to 1) and centres ``C`` and fresh noise
# ``default_rng([MATRIX_SEED, n]).standard_normal`` per array in the order above
# (the file keeps the first step's noise so that a test can tell a changed NumPy
# stream from a wrong rule). Each case ``<name>`` stores ``<name>/<param>`` of shape
# ``(len(MATRIX_KEPT), *shape)``: the parameters after updates 1, 10 and 100;
# Schedule-Free cases also ``<name>/eval/<param>``, the evaluation point after 100.
MATRIX_SEED = 13
MATRIX_STEPS = 100
MATRIX_KEPT = (1, 10, 100)
MATRIX_OUTPUT = OUTPUT.with_name("references_matrix.npz")
MATRIX_SHAPES = {"v": (50,), "W_tall": (64, 32), "W_wide": (32, 64)}


def matrix_problem() -> tuple[dict, dict, dict]:
    rng = np.random.default_rng(MATRIX_SEED)
    params0 = {k: rng.standard_normal(s) for k, s in MATRIX_SHAPES.items()}
    scale = {k: np.exp(rng.uniform(np.log(0.01), np.log(1.0), s)) for k, s in MATRIX_SHAPES.items()}
    centre = {k: rng.standard_normal(s) for k, s in MATRIX_SHAPES.items()}
    return params0, scale, centre


MATRIX_PARAMS0, MATRIX_SCALE, MATRIX_CENTRE = matrix_problem()


def matrix_gradient(params: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """The gradient of update ``n`` (from 0); the tests hold the same function."""
    rng = np.random.default_rng([MATRIX_SEED, n])
    noise = {k: rng.standard_normal(s) for k, s in MATRIX_SHAPES.items()}
    return {
        k: MATRIX_SCALE[k] * (w - MATRIX_CENTRE[k]) + 0.5 * np.sin(3.0 * w) + 0.1 * noise[k]
        for k, w in params.items()
    }


def _kept(out: dict[str, list]) -> dict[str, np.ndarray]:
    return {k: np.stack([v[n - 1] for n in MATRIX_KEPT]) for k, v in out.items()}


def run_torch_matrix(make, names=tuple(MATRIX_SHAPES), *, schedule_free=False):
    """``make(tensors) -> list of torch optimizers`` (parameter groups as separate optimizers)."""
    tensors = {k: torch.tensor(MATRIX_PARAMS0[k], requires_grad=True) for k in names}
    opts = make(tensors)
    if schedule_free:
        for opt in opts:
            opt.train()
    out = {k: [] for k in tensors}
    for n in range(MATRIX_STEPS):
        grads = matrix_gradient({k: p.detach().numpy().copy() for k, p in tensors.items()}, n)
        for k, p in tensors.items():
            p.grad = torch.from_numpy(grads[k])
        for opt in opts:
            opt.step()
        for k, p in tensors.items():
            out[k].append(p.detach().numpy().copy())
    record = _kept(out)
    if schedule_free:
        for opt in opts:
            opt.eval()
        for k, p in tensors.items():
            record[f"eval/{k}"] = p.detach().numpy().copy()
    return record


def run_optax_matrix(tx, names=tuple(MATRIX_SHAPES), *, schedule_free=False):
    params = {k: jnp.asarray(MATRIX_PARAMS0[k]) for k in names}
    state = tx.init(params)
    update = jax.jit(tx.update)  # compiled once: eager JAX takes minutes for the 100 steps
    out = {k: [] for k in params}
    for n in range(MATRIX_STEPS):
        grads = matrix_gradient({k: np.asarray(w) for k, w in params.items()}, n)
        updates, state = update({k: jnp.asarray(g) for k, g in grads.items()}, state, params)
        params = optax.apply_updates(params, updates)
        for k, w in params.items():
            out[k].append(np.asarray(w))
    record = _kept(out)
    if schedule_free:
        x = optax.contrib.schedule_free_eval_params(state, params)
        for k, w in x.items():
            record[f"eval/{k}"] = np.asarray(w)
    return record


class float64_newton_schulz:
    """Within it, torch's Muon runs its own Newton–Schulz code in float64, not bfloat16."""

    def __enter__(self):
        self.saved = torch.Tensor.bfloat16
        torch.Tensor.bfloat16 = lambda tensor, *args, **kwargs: tensor.clone()

    def __exit__(self, *exc):
        torch.Tensor.bfloat16 = self.saved


def matrix_cases():
    import prodigyopt
    import schedulefree

    o = torch.optim
    matrices = ("W_tall", "W_wide")

    def muon_and_adamw(muon_kwargs, adamw_kwargs):
        def make(t):
            return [
                o.Muon([t[k] for k in matrices], **muon_kwargs),
                o.AdamW([t["v"]], foreach=False, **adamw_kwargs),
            ]

        return make

    muon_custom = {
        "lr": 0.02,
        "weight_decay": 0.01,
        "momentum": 0.9,
        "nesterov": False,
        "ns_steps": 3,
        "adjust_lr_fn": "match_rms_adamw",
    }
    cases = {}
    with float64_newton_schulz():
        cases["muon_torch"] = run_torch_matrix(muon_and_adamw({}, {}))
        cases["muon_torch_custom"] = run_torch_matrix(
            muon_and_adamw(muon_custom, {"lr": 0.01, "weight_decay": 0.1})
        )
    # torch as shipped: Newton–Schulz in bfloat16 (the tests state the bound)
    cases["muon_torch_bfloat16"] = run_torch_matrix(muon_and_adamw({}, {}))
    cases["muon_optax"] = run_optax_matrix(optax.contrib.muon(0.02), matrices)
    cases["muon_optax_custom"] = run_optax_matrix(
        optax.contrib.muon(
            0.05, ns_steps=4, beta=0.9, eps=1e-6, weight_decay=0.1, nesterov=False,
            consistent_rms=0.2,
        ),
        matrices,
    )  # fmt: skip

    sf = schedulefree
    cases["sf_sgd_torch"] = run_torch_matrix(
        lambda t: [sf.SGDScheduleFree(list(t.values()), foreach=False)], schedule_free=True
    )
    cases["sf_sgd_torch_custom"] = run_torch_matrix(
        lambda t: [
            sf.SGDScheduleFree(
                list(t.values()), lr=0.5, momentum=0.8, weight_decay=0.01, warmup_steps=10,
                r=0.5, weight_lr_power=1.5, foreach=False,
            )
        ],
        schedule_free=True,
    )  # fmt: skip
    cases["sf_adamw_torch"] = run_torch_matrix(
        lambda t: [sf.AdamWScheduleFree(list(t.values()), foreach=False)], schedule_free=True
    )
    cases["sf_adamw_torch_custom"] = run_torch_matrix(
        lambda t: [
            sf.AdamWScheduleFree(
                list(t.values()), lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05,
                warmup_steps=10, r=0.5, weight_lr_power=1.0, foreach=False,
            )
        ],
        schedule_free=True,
    )  # fmt: skip
    oc = optax.contrib
    cases["sf_sgd_optax"] = run_optax_matrix(oc.schedule_free_sgd(), schedule_free=True)
    cases["sf_sgd_optax_custom"] = run_optax_matrix(
        oc.schedule_free_sgd(0.5, b1=0.8, weight_decay=0.01, weight_lr_power=1.5),
        schedule_free=True,
    )
    cases["sf_adamw_optax"] = run_optax_matrix(oc.schedule_free_adamw(), schedule_free=True)
    cases["sf_adamw_optax_custom"] = run_optax_matrix(
        oc.schedule_free_adamw(0.01, b1=0.8, b2=0.99, eps=1e-6, weight_decay=0.05,
                               weight_lr_power=1.0),
        schedule_free=True,
    )  # fmt: skip

    cases["lamb_optax"] = run_optax_matrix(optax.lamb(0.01))
    cases["lamb_optax_custom"] = run_optax_matrix(
        optax.lamb(0.05, b1=0.8, b2=0.99, eps=1e-4, weight_decay=0.1)
    )
    cases["lars_optax"] = run_optax_matrix(optax.lars(0.1))
    cases["lars_optax_custom"] = run_optax_matrix(
        optax.lars(0.5, weight_decay=0.01, trust_coefficient=0.01, eps=1e-6, momentum=0.8,
                   nesterov=True)
    )  # fmt: skip

    cases["adafactor_torch"] = run_torch_matrix(lambda t: [o.Adafactor(list(t.values()))])
    cases["adafactor_torch_custom"] = run_torch_matrix(
        lambda t: [
            o.Adafactor(list(t.values()), lr=0.05, beta2_decay=-0.5, eps=(1e-30, 1e-2), d=2.0,
                        weight_decay=0.1)
        ]
    )  # fmt: skip

    p = prodigyopt
    cases["prodigy_torch"] = run_torch_matrix(lambda t: [p.Prodigy(list(t.values()))])
    cases["prodigy_torch_custom"] = run_torch_matrix(
        lambda t: [
            p.Prodigy(
                list(t.values()), lr=0.5, betas=(0.8, 0.99), beta3=0.9, eps=1e-6,
                weight_decay=0.05, use_bias_correction=True, safeguard_warmup=True, d0=1e-4,
                d_coef=2.0, growth_rate=1.05,
            )
        ]
    )  # fmt: skip
    cases["prodigy_torch_coupled"] = run_torch_matrix(
        lambda t: [p.Prodigy(list(t.values()), weight_decay=0.05, decouple=False)]
    )
    cases["prodigy_optax"] = run_optax_matrix(optax.contrib.prodigy())
    return cases


def matrix_main() -> None:
    from importlib.metadata import version

    import prodigyopt  # noqa: F401
    import schedulefree  # noqa: F401

    data: dict[str, np.ndarray] = {}
    for k in MATRIX_SHAPES:
        data[f"problem/params0/{k}"] = MATRIX_PARAMS0[k]
        data[f"problem/scale/{k}"] = MATRIX_SCALE[k]
        data[f"problem/centre/{k}"] = MATRIX_CENTRE[k]
    first = matrix_gradient({k: np.zeros(s) for k, s in MATRIX_SHAPES.items()}, 0)
    for k in MATRIX_SHAPES:  # gradient at 0 of update 0: 0.1 * noise - A * C
        data[f"problem/noise0/{k}"] = (first[k] + MATRIX_SCALE[k] * MATRIX_CENTRE[k]) / 0.1
    data["problem/kept"] = np.array(MATRIX_KEPT, dtype=np.int64)
    for name, record in matrix_cases().items():
        for key, value in record.items():
            data[f"{name}/{key}"] = np.asarray(value, dtype=np.float64)
        print(f"{name:28s} final v[:2] = {record.get('v', record['W_tall'])[-1].ravel()[:2]}")
    data["versions"] = np.array(
        f"torch {torch.__version__}, jax {jax.__version__}, optax {optax.__version__}, "
        f"schedulefree {version('schedulefree')}, prodigyopt {version('prodigyopt')}, "
        f"numpy {np.__version__}, python {sys.version.split()[0]}"
    )
    np.savez_compressed(MATRIX_OUTPUT, **data)
    print(f"wrote {MATRIX_OUTPUT} ({MATRIX_OUTPUT.stat().st_size} bytes, {len(data)} arrays)")


# == the modern optimizer pack: element-wise rules ===================================
# (issue 13) ``--only elementwise`` writes tests/data/references_elementwise.npz and
# nothing else: NAdam, NAdamW, RAdam, Adamax, Adadelta and Lion, each from PyTorch
# and Optax with default and non-default settings (Lion from Optax and from the
# paper authors' PyTorch code, since PyTorch has none), and the presets of the
# older rules that references.npz does not cover. Recorded with torch 2.13.0+cpu,
# jax 0.10.2, optax 0.2.8, NumPy 2.4.6, Python 3.11.7, all in float64.
#
# The problem is the matrix section's (``v`` (50,), ``W_tall`` (64, 32), ``W_wide``
# (32, 64), ``matrix_gradient``), 100 updates, stored again as ``problem/...`` so
# that the file stands alone. Each case ``<name>`` stores
# ``<name>/v`` with shape (100, 50), the vector after every update, and
# ``<name>/W_tall``, ``<name>/W_wide`` after the last; PyTorch cases also store the
# vector's final state as ``<name>/state/<slot>/v`` (descend's slot names).
ELEMENTWISE_OUTPUT = OUTPUT.with_name("references_elementwise.npz")
ELEMENTWISE_SLOTS = {
    "exp_avg": "v",
    "exp_avg_sq": "s",
    "exp_inf": "u",
    "square_avg": "s",
    "acc_delta": "d",
    "sum": "s",
}


def _elementwise_record(out: dict[str, list]) -> dict[str, np.ndarray]:
    return {"v": np.stack(out["v"]), "W_tall": out["W_tall"][-1], "W_wide": out["W_wide"][-1]}


def run_torch_elementwise(make, *, scheduler=None):
    """``make(list of tensors) -> optimizer``; 100 updates on the matrix problem."""
    tensors = {k: torch.tensor(MATRIX_PARAMS0[k], requires_grad=True) for k in MATRIX_SHAPES}
    opt = make(list(tensors.values()))
    sched = scheduler(opt) if scheduler else None
    out = {k: [] for k in tensors}
    for n in range(MATRIX_STEPS):
        grads = matrix_gradient({k: p.detach().numpy().copy() for k, p in tensors.items()}, n)
        for k, p in tensors.items():
            p.grad = torch.from_numpy(grads[k])
        opt.step()
        if sched is not None:
            sched.step()
        for k, p in tensors.items():
            out[k].append(p.detach().numpy().copy())
    record = _elementwise_record(out)
    for name, value in opt.state[tensors["v"]].items():
        if name in ELEMENTWISE_SLOTS:
            record[f"state/{ELEMENTWISE_SLOTS[name]}/v"] = value.numpy().copy()
    return record


def run_optax_elementwise(tx):
    params = {k: jnp.asarray(MATRIX_PARAMS0[k]) for k in MATRIX_SHAPES}
    state = tx.init(params)
    update = jax.jit(tx.update)
    out = {k: [] for k in params}
    for n in range(MATRIX_STEPS):
        grads = matrix_gradient({k: np.asarray(w) for k, w in params.items()}, n)
        updates, state = update({k: jnp.asarray(g) for k, g in grads.items()}, state, params)
        params = optax.apply_updates(params, updates)
        for k, w in params.items():
            out[k].append(np.asarray(w))
    return _elementwise_record(out)


class PaperLion(torch.optim.Optimizer):
    """Lion as the paper authors' PyTorch code steps it (google/automl, lion/lion_pytorch.py).

    Per parameter: ``p *= 1 - lr*wd``; ``p -= lr * sign(beta1*m + (1-beta1)*g)``;
    ``m = beta2*m + (1-beta2)*g``, with ``m`` (``exp_avg``) starting at zero.
    """

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        super().__init__(params, {"lr": lr, "betas": betas, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                p.mul_(1 - group["lr"] * group["weight_decay"])
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p)
                m = state["exp_avg"]
                direction = m * beta1 + p.grad * (1 - beta1)
                p.add_(direction.sign_(), alpha=-group["lr"])
                m.mul_(beta2).add_(p.grad, alpha=1 - beta2)


def elementwise_cases():
    o = torch.optim
    single = {"foreach": False}  # the readable single-tensor path
    step_lr = lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.5)  # noqa: E731
    torch_runs = {
        "nadam_torch": lambda p: o.NAdam(p, **single),
        # beta1 = 0.6: the momentum product falls below 2**-60 after update 81
        "nadam_torch_custom": lambda p: o.NAdam(
            p, lr=0.02, betas=(0.6, 0.99), eps=1e-6, weight_decay=0.1, momentum_decay=0.01,
            **single,
        ),
        "nadamw_torch": lambda p: o.NAdam(
            p, weight_decay=0.01, decoupled_weight_decay=True, **single
        ),
        "radam_torch": lambda p: o.RAdam(p, **single),
        "radam_torch_custom": lambda p: o.RAdam(
            p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, **single
        ),
        "radam_torch_decoupled": lambda p: o.RAdam(
            p, lr=0.02, weight_decay=0.1, decoupled_weight_decay=True, **single
        ),
        "adamax_torch": lambda p: o.Adamax(p, **single),
        "adamax_torch_custom": lambda p: o.Adamax(
            p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, **single
        ),
        "adadelta_torch": lambda p: o.Adadelta(p, **single),
        "adadelta_torch_custom": lambda p: o.Adadelta(
            p, lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1, **single
        ),
        "adam_decoupled_torch": lambda p: o.Adam(
            p, lr=0.02, weight_decay=0.1, decoupled_weight_decay=True, **single
        ),
        "adagrad_lr_decay_torch": lambda p: o.Adagrad(p, lr=0.1, lr_decay=0.01, **single),
        "lion_paper": lambda p: PaperLion(p),
        "lion_paper_custom": lambda p: PaperLion(
            p, lr=0.003, betas=(0.8, 0.95), weight_decay=0.1
        ),
    }  # fmt: skip
    cases = {name: run_torch_elementwise(make) for name, make in torch_runs.items()}
    cases["nadamw_torch_custom"] = run_torch_elementwise(
        lambda p: o.NAdam(
            p, lr=0.02, betas=(0.8, 0.99), eps=1e-7, weight_decay=0.1, momentum_decay=0.002,
            decoupled_weight_decay=True, **single,
        ),
        scheduler=step_lr,
    )  # fmt: skip
    optax_runs = {
        "nadam_optax": optax.nadam(2e-3),
        "nadam_optax_custom": optax.nadam(0.02, b1=0.6, b2=0.99, eps=1e-6),
        "nadamw_optax": optax.nadamw(2e-3),
        "nadamw_optax_custom": optax.nadamw(0.02, b1=0.8, b2=0.99, eps=1e-7, weight_decay=0.1),
        "radam_optax": optax.radam(1e-3),
        "radam_optax_custom": optax.radam(0.02, b1=0.8, b2=0.99, eps=1e-6, threshold=6.0),
        "adamax_optax": optax.adamax(2e-3),
        "adamax_optax_custom": optax.adamax(0.02, b1=0.8, b2=0.99, eps=1e-6),
        "adadelta_optax": optax.adadelta(1.0),
        "adadelta_optax_custom": optax.adadelta(0.5, rho=0.8, eps=1e-5, weight_decay=0.1),
        "lion_optax": optax.lion(1e-4),
        "lion_optax_custom": optax.lion(0.003, b1=0.8, b2=0.95, weight_decay=0.1),
        "sgd_optax": optax.sgd(0.1),
        "sgd_momentum_optax": optax.sgd(0.01, momentum=0.9),
        "sgd_nesterov_optax": optax.sgd(0.01, momentum=0.9, nesterov=True),
        "rmsprop_optax_default": optax.rmsprop(0.01),
    }
    cases.update({name: run_optax_elementwise(tx) for name, tx in optax_runs.items()})
    return cases


def elementwise_main() -> None:
    data: dict[str, np.ndarray] = {}
    rng = np.random.default_rng([MATRIX_SEED, 0])  # the noise of update 0, as drawn
    for k in MATRIX_SHAPES:  # the problem, so that this file stands alone
        data[f"problem/params0/{k}"] = MATRIX_PARAMS0[k]
        data[f"problem/scale/{k}"] = MATRIX_SCALE[k]
        data[f"problem/centre/{k}"] = MATRIX_CENTRE[k]
        data[f"problem/noise0/{k}"] = rng.standard_normal(MATRIX_SHAPES[k])
    for name, record in elementwise_cases().items():
        for key, value in record.items():
            data[f"{name}/{key}"] = np.asarray(value, dtype=np.float64)
        print(f"{name:28s} final v[:2] = {record['v'][-1][:2]}")
    data["versions"] = np.array(
        f"torch {torch.__version__}, jax {jax.__version__}, optax {optax.__version__}, "
        f"numpy {np.__version__}, python {sys.version.split()[0]}"
    )
    np.savez_compressed(ELEMENTWISE_OUTPUT, **data)
    size = ELEMENTWISE_OUTPUT.stat().st_size
    print(f"wrote {ELEMENTWISE_OUTPUT} ({size} bytes, {len(data)} arrays)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--only", "matrix"]:
        matrix_main()
    elif sys.argv[1:] == ["--only", "elementwise"]:
        elementwise_main()
    elif sys.argv[1:]:
        sys.exit(f"usage: {sys.argv[0]} [--only matrix | --only elementwise]")
    else:
        main()
