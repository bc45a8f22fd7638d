"""Hyperparameter sweeps on Dask: every combination of settings is one task.

Each task is :func:`descend.runs.run` on one :class:`~descend.runs.RunSettings`,
so a sweep's row equals what ``descend train`` prints for the same settings.
Tasks run on a ``LocalCluster`` of worker *processes* started for the sweep
(and always shut down, Ctrl-C included), or on an existing cluster given by
its scheduler address. Ctrl-C is the main process's to handle: the workers are
started with SIGINT blocked, so that they neither print tracebacks of their
own nor die before the cluster closes them. A task whose worker dies is run
again elsewhere by Dask (up to ``distributed.scheduler.allowed-failures``
times); the sweep reports which tasks that happened to.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..optim.checks import check_int
from ..runs import RunSettings

__all__ = ["SweepResult", "grid", "run_settings", "sweep"]


def grid(
    base: RunSettings,
    optimizers: Sequence[str],
    learning_rates: Sequence[float],
    seeds: Sequence[int],
) -> list[RunSettings]:
    """Every combination of optimizer, learning rate and seed, on top of ``base``."""
    return [
        RunSettings(
            **{
                **base.as_dict(),
                "hidden": base.hidden,
                "optimizer": o,
                "learning_rate": float(lr),
                "seed": int(seed),
            }
        )
        for o, lr, seed in itertools.product(optimizers, learning_rates, seeds)
    ]


def run_settings(settings: dict[str, Any], data_dir: str | None = None) -> dict[str, Any]:
    """One task: train with these settings and return the run's summary (no arrays)."""
    from ..runs import run

    settings = {**settings, "hidden": tuple(settings["hidden"])}
    return run(RunSettings(**settings), data_dir=data_dir).summary()


@dataclass
class SweepResult:
    rows: list[dict[str, Any]]
    retried: list[dict[str, Any]] = field(default_factory=list)
    workers: int = 0
    address: str = ""

    def ranked(self) -> list[dict[str, Any]]:
        """Rows by held-out accuracy, best first (ties: lower final cost first)."""
        return sorted(self.rows, key=lambda r: (-r["test_accuracy"], r["final_cost"]))


def _suspicious(keys: list[str]) -> Callable[..., dict[str, int]]:
    """A scheduler-side function: how often each task's worker died under it."""

    def count(dask_scheduler: Any = None) -> dict[str, int]:
        tasks = dask_scheduler.tasks
        return {k: int(tasks[k].suspicious) for k in keys if k in tasks}

    return count


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Block SIGINT in this thread while a local cluster starts; deliver it afterwards.

    Threads started meanwhile (Dask's event loop) inherit the blocked mask, and so
    do the worker processes they spawn (the mask survives ``exec``): Ctrl-C at the
    terminal then reaches only this process, which shuts the cluster down in
    order. A Ctrl-C pressed while the cluster starts is delivered on leaving,
    once the cluster can be closed.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):
        yield
        return
    # multiprocessing starts its resource tracker with SIGINT blocked and then *unblocks*
    # it in the calling thread (Dask's event loop); started here first, it leaves that
    # thread's mask alone
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def sweep(
    settings: Sequence[RunSettings],
    *,
    workers: int = 2,
    scheduler: str | None = None,
    client: Any = None,
    data_dir: str | None = None,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> SweepResult:
    """Run every settings as a Dask task; return the rows in the order given.

    Parameters
    ----------
    settings : sequence of RunSettings
    workers : int, default 2
        Worker processes of the ``LocalCluster`` started when neither
        ``scheduler`` nor ``client`` is given (one thread each).
    scheduler : str, optional
        Address of a running scheduler, ``tcp://HOST:PORT``; its cluster is left running.
    client : distributed.Client, optional
        An existing client to use as it is (left open).
    on_done : callable, optional
        Called with each row as its task finishes (for a progress bar).
    """
    from distributed import Client, LocalCluster, as_completed

    if not settings:
        raise ValueError("the sweep has no runs: give at least one optimizer, rate and seed")
    check_int("workers", workers, 1)
    owned: list[Any] = []
    try:
        if client is None:
            if scheduler is not None:
                client = Client(scheduler, timeout="20s")
            else:
                # the nanny's shutdown chatter is not the user's business
                logging.getLogger("distributed").setLevel(logging.ERROR)
                with _sigint_blocked():
                    cluster = LocalCluster(
                        n_workers=workers,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address=":0",  # any free port: never "8787 is in use"
                        silence_logs=logging.ERROR,  # the workers' chatter too
                    )
                    owned.append(cluster)
                    client = Client(cluster)
            owned.insert(0, client)
        keys = [
            f"descend-run-{i}-{s.optimizer}-{s.learning_rate:g}-{s.seed}"
            for i, s in enumerate(settings)
        ]
        futures = [
            client.submit(run_settings, s.as_dict(), data_dir, key=k, pure=False)
            for s, k in zip(settings, keys, strict=True)
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        rows: list[dict[str, Any] | None] = [None] * len(futures)
        for future in as_completed(futures):
            row = future.result()
            rows[index[future.key]] = row
            if on_done is not None:
                on_done(row)
        died = client.run_on_scheduler(_suspicious(keys))
        retried = [
            {**rows[i], "worker_deaths": died[k]} for i, k in enumerate(keys) if died.get(k, 0) > 0
        ]
        info = client.scheduler_info()
        return SweepResult(
            rows=rows,
            retried=retried,
            workers=len(info.get("workers", {})),
            address=info.get("address", ""),
        )
    finally:
        for thing in owned:
            thing.close()
