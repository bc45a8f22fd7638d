"""The MLP workload quiet and beside a busy process: how much each backend slows down.

A second job on the same machine (a user's browser, another training run) is the
common case on a laptop or a shared 2-core VM. The benchmark times the ``mlp``
workload's training step on both backends, then starts a busy background
process (NumPy matrix products in a loop, as another numerical job would run;
it stops itself after a bound even if this process dies), times them again, and
stops it. The goal: the compiled backend degrades no worse than the NumPy one.
"""

from __future__ import annotations

import subprocess
import sys

from .common import Report, Row
from .mlp import BATCH, LR, N_BATCHES, _data, _per_step

#: The busy process: BLAS-heavy work for at most 600 s.
BUSY = (
    "import time, numpy as np\n"
    "a = np.random.default_rng(0).standard_normal((1200, 1200))\n"
    "end = time.monotonic() + 600\n"
    "while time.monotonic() < end:\n"
    "    a = np.tanh(a @ a / 1200)\n"
)


def run(report: Report, repeats: int, peers: set[str]) -> None:
    from descend import Adam, training

    X, Y, _, params = _data()
    spec = training.MiniBatches(X, Y, BATCH, seed=0, legacy=True)
    reps = max(3, repeats // 3)

    def trainer(backend):
        def descend_train(epochs):
            training.train(params, Adam(LR), spec, epochs, backend=backend)

        return descend_train

    quiet = {b: _per_step(trainer(b), 3, reps) for b in ("numba", "numpy")}
    busy = subprocess.Popen([sys.executable, "-c", BUSY])
    try:
        loaded = {b: _per_step(trainer(b), 3, reps) for b in ("numba", "numpy")}
    finally:
        busy.kill()
        busy.wait()
    for backend in ("numba", "numpy"):
        report.add(Row("loaded", f"descend train ({backend}), quiet", quiet[backend]))
        report.add(Row("loaded", f"descend train ({backend}), beside a busy job", loaded[backend]))
    slowdown = {}
    for backend in ("numba", "numpy"):
        q = sorted(quiet[backend])[len(quiet[backend]) // 2]
        b = sorted(loaded[backend])[len(loaded[backend]) // 2]
        slowdown[backend] = b / q
    report.notes.append(
        f"loaded    slowdown beside a busy job ({N_BATCHES} steps an epoch, medians): "
        f"numba {slowdown['numba']:.2f}x, numpy {slowdown['numpy']:.2f}x"
    )
    report.goals.append(
        (
            "loaded",
            "descend train (numba), beside a busy job",
            "descend train (numpy), beside a busy job",
            1.0,
        )
    )
