"""``python -m benchmarks [--workloads adam10m,moons] [--repeats 15]``."""

from __future__ import annotations

import argparse
import importlib

from .common import Report, machine, print_table

WORKLOADS = {
    "import": "benchmarks.import_time",
    "adam10m": "benchmarks.adam_step",
    "adam1m": "benchmarks.adam_step",
    "moons": "benchmarks.moons",
    "mlp": "benchmarks.mlp",
    "loaded": "benchmarks.loaded",
    "target": "benchmarks.target",
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--workloads",
        default=",".join(WORKLOADS),
        help=f"comma-separated, from {', '.join(WORKLOADS)} (default: all)",
    )
    parser.add_argument("--repeats", type=int, default=15, help="timed samples per implementation")
    parser.add_argument(
        "--peers",
        default="numpy,torch,jax,sklearn",
        help="comma-separated peers to run (skipped anyway when not installed)",
    )
    args = parser.parse_args(argv)
    chosen = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in chosen if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {', '.join(WORKLOADS)}")
    peers = {p.strip() for p in args.peers.split(",")}
    print("\n".join(machine()))
    report = Report()
    bandwidth = None
    for workload in chosen:
        print(f"[{workload}]", flush=True)
        module = importlib.import_module(WORKLOADS[workload])
        if workload.startswith("adam"):
            if bandwidth is None:
                bandwidth = module.stream_bandwidth(report)
            module.run(report, workload, args.repeats, peers, bandwidth)
        else:
            module.run(report, args.repeats, peers)
    print_table(report)
    print("\n".join(machine()[1:2]))


if __name__ == "__main__":
    main()
