"""``import descend`` against ``import numpy``, whole fresh processes."""

from __future__ import annotations

import subprocess
import sys
import time

from .common import Report, Row


def _process_time(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def run(report: Report, repeats: int, peers: set[str]) -> None:
    _process_time("import numpy")  # warm the file cache
    numpy_times, descend_times, bare = [], [], []
    for _ in range(max(repeats, 10)):  # interleaved, so that load drifts hit both
        bare.append(_process_time("pass"))
        numpy_times.append(_process_time("import numpy"))
        descend_times.append(_process_time("import descend"))
    report.add(Row("import", "python -c pass", bare, unit="process"))
    report.add(Row("import", "python -c 'import numpy'", numpy_times, unit="process"))
    report.add(Row("import", "python -c 'import descend'", descend_times, unit="process"))
    report.goals.append(("import", "python -c 'import descend'", "python -c 'import numpy'", 1.5))
    heavy = subprocess.run(
        [sys.executable, "-c", "import sys, descend; print(sorted(m for m in ('numba', "
         "'sklearn', 'matplotlib', 'scipy', 'torch', 'jax', 'tqdm') if m in sys.modules))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    print(f"  heavy modules loaded by 'import descend': {heavy}")
