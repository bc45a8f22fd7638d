"""What the commands share when they run: progress bars, notes, name checks, MPI launches."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "Progress",
    "announce_compilation",
    "check_optimizers",
    "mpi_launch",
    "note",
    "progress",
    "show_progress",
]


def show_progress(quiet: bool = False) -> bool:
    """Whether to draw progress bars: not with ``--quiet``, nor when stderr is no terminal."""
    if quiet:
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


def note(text: str, quiet: bool = False) -> None:
    """One line for the user on stderr (``descend: ...``), unless ``--quiet``."""
    if not quiet:
        print(f"descend: {text}", file=sys.stderr, flush=True)


class Progress:
    """A tqdm bar on stderr (stdout stays for the table or the JSON), opened on demand.

    Nothing is drawn before :meth:`start` (or the first :meth:`update`), so a run
    that fails while it checks its data or checkpoint prints its error alone. A
    disabled bar does nothing at all.
    """

    def __init__(self, total: int, desc: str, *, unit: str = "epoch", enabled: bool = True):
        self.total, self.desc, self.unit, self.enabled = total, desc, unit, enabled
        self._bar: Any = None

    def start(self, initial: int = 0) -> None:
        """Draw the bar, at ``initial`` of ``total`` (a resumed run starts past 0)."""
        if self._bar is not None or not self.enabled:
            return
        from tqdm import tqdm

        self._bar = tqdm(
            total=self.total,
            initial=initial,
            desc=self.desc,
            unit=self.unit,
            file=sys.stderr,
            mininterval=0.25,
            dynamic_ncols=True,
        )

    def update(self, n: int = 1, cost: float | None = None) -> None:
        """Advance by ``n``; ``cost`` is shown beside the bar."""
        if not self.enabled:
            return
        self.start()
        if cost is not None:
            self._bar.set_postfix(cost=f"{cost:.4g}", refresh=False)
        self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress(total: int, desc: str, quiet: bool = False, unit: str = "epoch") -> Progress:
    """A :class:`Progress` bar, drawn only where :func:`show_progress` allows."""
    return Progress(total, desc, unit=unit, enabled=show_progress(quiet))


def check_optimizers(names: Sequence[str]) -> None:
    """Raise ``ValueError`` naming the first name the registry does not know."""
    from ..registry import NAMES

    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise ValueError(f"unknown optimizer {unknown[0]!r} (expected one of: {', '.join(NAMES)})")


# -- MPI launches -----------------------------------------------------------------------
#: (size, rank) environment variables that MPI launchers set in each process they start:
#: MPICH's Hydra and Intel MPI (PMI), Open MPI, MVAPICH, and PMIx-based launchers.
MPI_ENVIRONMENT = (
    ("PMI_SIZE", "PMI_RANK"),
    ("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"),
    ("MV2_COMM_WORLD_SIZE", "MV2_COMM_WORLD_RANK"),
    ("PMIX_SIZE", "PMIX_RANK"),
    ("MPI_LOCALNRANKS", "MPI_LOCALRANKID"),
)


def mpi_launch(environ: Mapping[str, str] | None = None) -> tuple[int, int] | None:
    """``(size, rank)`` when an MPI launcher started this process among others, else ``None``.

    Read from the variables of :data:`MPI_ENVIRONMENT`, without importing mpi4py; a
    launch of one process (``mpiexec -n 1``) is ``None``: it runs as a plain one.
    """
    environ = os.environ if environ is None else environ
    for size_name, rank_name in MPI_ENVIRONMENT:
        try:
            size = int(environ[size_name])
            rank = int(environ.get(rank_name, "0"))
        except (KeyError, ValueError):
            continue
        if size > 1:
            return size, rank
    return None


# -- the compiled backend's first run ---------------------------------------------------
def announce_compilation(backend: str, quiet: bool = False) -> None:
    """Say once on stderr that the kernels compile, when a compiled run finds no cached ones.

    numba caches the compiled kernels on disk (``cache=True``), so only the first
    run after installing ``descend[fast]`` (or after its code changes) spends
    10-15 s compiling; without this note it looks like a hang.
    """
    if quiet or backend == "numpy" or not _compiled_backend_likely(backend):
        return
    if _kernel_cache_is_empty():
        note("compiling kernels, once (10-15 s; later runs load them from numba's cache)")


def _compiled_backend_likely(backend: str) -> bool:
    override = os.environ.get("DESCEND_BACKEND") or (
        "numpy" if os.environ.get("DESCEND_NO_FAST") else None
    )
    if (override or backend) == "numpy":
        return False
    from ..fast import available

    return available()


def _kernel_cache_is_empty() -> bool:
    """Whether no compiled network kernel of :mod:`descend.fast.net` is in numba's cache.

    Reads numba's cache index of each cached dispatcher of the module (a private
    part of numba, hence the broad guard: when it cannot tell, it says nothing).
    """
    try:
        from ..fast import net

        caches = [getattr(f, "_cache", None) for f in vars(net).values()]
        files = [c._cache_file for c in caches if hasattr(c, "_cache_file")]
        indexes = [f._load_index() for f in files]
    except Exception:
        return False
    return bool(files) and not any(indexes)
