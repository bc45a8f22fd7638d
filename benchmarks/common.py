"""Timing, machine description and the result table shared by the workloads."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata


@dataclass
class Row:
    """One measured implementation of a workload (times in seconds per unit)."""

    workload: str
    name: str
    times: list[float]
    unit: str = "step"
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    limits: dict[str, tuple[str, float]] = field(default_factory=dict)
    goals: list[tuple[str, str, str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, row: Row | None) -> None:
        if row is not None:
            self.rows.append(row)
            print(f"  {row.workload:8s} {row.name:38s} {fmt(row.median)}", flush=True)


def measure(
    fn: Callable[[], object], repeats: int, number: int = 1, warmup: int = 1
) -> list[float]:
    """Per-call times of ``fn``: ``repeats`` samples, each the mean over ``number`` calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return samples


def fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:8.3f} s "
    if seconds >= 1e-3:
        return f"{seconds * 1e3:8.3f} ms"
    return f"{seconds * 1e6:8.2f} us"


def version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine() -> list[str]:
    """Lines describing the CPU, the load, BLAS and the versions."""
    import numpy as np

    model = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    lines = [f"CPU: {model}, {os.cpu_count()} logical cores; {platform.platform()}"]
    try:
        lines.append(
            "load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        )
    except OSError:
        pass
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        lines.append(f"numpy {np.__version__}, BLAS {blas.get('name')} {blas.get('version')}")
    except Exception:
        lines.append(f"numpy {np.__version__}")
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            lines.append(
                f"  threadpool {pool.get('internal_api')} {pool.get('version')} "
                f"threads={pool.get('num_threads')} ({os.path.basename(pool.get('filepath', ''))})"
            )
    except ImportError:
        pass
    names = ["descend", "numba", "scipy", "torch", "jax", "jaxlib", "optax", "scikit-learn"]
    found = [f"{n} {v}" for n in names if (v := version(n))]
    lines.append(f"python {platform.python_version()}; " + ", ".join(found))
    try:
        import numba

        lines.append(
            f"numba threads {numba.get_num_threads()}, threading layer "
            f"{numba.config.THREADING_LAYER}"
        )
    except ImportError:
        pass
    return lines


def print_table(report: Report) -> None:
    print()
    header = f"{'workload':9s} {'implementation':40s} {'median':>11s} {'min':>11s} {'max':>11s}"
    print(header)
    print("-" * len(header))
    for row in report.rows:
        print(
            f"{row.workload:9s} {row.name:40s} {fmt(row.median)} {fmt(min(row.times))} "
            f"{fmt(max(row.times))}  /{row.unit}" + (f"  {row.note}" if row.note else "")
        )
    if report.limits:
        print()
        for workload, (what, seconds) in report.limits.items():
            print(f"{workload:9s} {what:40s} {fmt(seconds)}")
    for note in report.notes:
        print(note)
    if report.goals:
        print()
        print("goals (descend / reference, same run):")
        for workload, descend_name, peer_name, bound in report.goals:
            d = next(
                (r for r in report.rows if r.workload == workload and r.name == descend_name), None
            )
            if peer_name.startswith("limit:"):  # "limit:bandwidth", "limit:out-of-place"
                kind = peer_name.removeprefix("limit:")
                peer = report.limits.get(workload if kind == "bandwidth" else f"{workload}:{kind}")
                peer_time = peer[1] if peer else None
            else:
                p = next(
                    (r for r in report.rows if r.workload == workload and r.name == peer_name), None
                )
                peer_time = p.median if p else None
            if d is None or peer_time is None:
                print(f"  {workload:9s} {descend_name} / {peer_name}: not measured")
                continue
            ratio = d.median / peer_time
            verdict = "MET" if ratio <= bound else "MISSED"
            print(f"  {workload:9s} {descend_name} / {peer_name}: {ratio:6.2f}x")
            print(f"  {'':9s} goal <= {bound}x: {verdict}")
