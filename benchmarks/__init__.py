"""Side-by-side benchmarks of descend against its peers: ``python -m benchmarks``.

Workloads (``--workloads``): ``import`` (``import descend`` against ``import numpy``),
``adam10m`` and ``adam1m`` (one Adam step over 10M / 1M float32 parameters in 100
arrays), ``moons`` (the course's [2, 5, 2, 1] network trained with Adam, per
mini-batch step) and ``mlp`` (a [784, 256, 128, 10] float32 network, batch 128,
one Adam training step). Peers that are not installed are skipped. The goals of
issue 5 are checked here, never in unit tests.
"""
