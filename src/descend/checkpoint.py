"""Checkpoints: parameters, optimizer state, counters and RNG in one ``.npz`` file.

A checkpoint is an uncompressed NumPy ``.npz`` archive of plain arrays, readable
with ``np.load(path, allow_pickle=False)``::

    "format"        "descend-checkpoint-1"
    "epoch"         epochs completed
    "costs"         the mean cost of each completed epoch
    "settings"      JSON text of the run's settings (free-form, compared on resume)
    "rng"           JSON text of the batch generator's ``bit_generator.state`` ("" if none)
    "params/W1"     each parameter array
    "state/..."     the optimizer's ``state_dict()`` ("state/kind", "state/t", "state/v/W1", ...)
    "extra/..."     any other arrays of the run (e.g. the early-stopping state)

Writes are atomic: the archive goes to a temporary file in the same folder,
which is flushed and ``fsync``-ed, then renamed over the target with
``os.replace``. A crash leaves either the old file or the new one, never a torn
one. The file gets the permissions of any new file under the user's umask (or
keeps those of the file it replaces), not the temporary file's private 0600.
Reading checks the format and names what is wrong.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from .optim.base import Optimizer, Params, State

__all__ = [
    "FORMAT",
    "Checkpoint",
    "atomic_write",
    "load_checkpoint",
    "save_checkpoint",
    "save_params",
]

FORMAT = "descend-checkpoint-1"


def _new_file_mode(path: Path) -> int:
    """The mode ``open(path, "w")`` would give: the old file's, else 0o666 less the umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)  # reading the umask means setting it; put it straight back
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> Path:
    """Write a file through ``write(file)`` so that it appears whole or not at all."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            os.chmod(tmp, _new_file_mode(path))  # mkstemp makes it 0600
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return path
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
    return path


def save_params(path: str | os.PathLike, params: Mapping[str, np.ndarray]) -> Path:
    """Write parameters as an ``.npz`` keyed like the dict (``W1, b1, ...``), atomically."""
    return atomic_write(path, lambda f: np.savez(f, **params))


@dataclass
class Checkpoint:
    """What :func:`load_checkpoint` read. :meth:`restore` rebuilds the optimizer state."""

    params: Params
    state_dict: dict[str, np.ndarray]
    epoch: int = 0
    costs: list[float] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    rng_state: dict[str, Any] | None = None
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def restore(self, optimizer: Optimizer) -> tuple[Params, State]:
        """The parameters and the optimizer state, checked against ``optimizer``."""
        return self.params, optimizer.load_state_dict(self.params, self.state_dict)

    def generator(self) -> np.random.Generator | None:
        """A generator in the saved state, or ``None`` if none was saved."""
        if self.rng_state is None:
            return None
        name = self.rng_state.get("bit_generator")
        bit_generator = getattr(np.random, str(name), None)
        if bit_generator is None:
            raise ValueError(f"checkpoint names an unknown bit generator {name!r}")
        bg = bit_generator()
        bg.state = self.rng_state
        return np.random.Generator(bg)


def save_checkpoint(
    path: str | os.PathLike,
    params: Mapping[str, np.ndarray],
    state: State,
    optimizer: Optimizer,
    *,
    epoch: int = 0,
    costs: list[float] | tuple[float, ...] = (),
    settings: Mapping[str, Any] | None = None,
    rng: np.random.Generator | None = None,
    extra: Mapping[str, np.ndarray] | None = None,
) -> Path:
    """Write a checkpoint atomically; see the module docstring for its contents."""
    arrays: dict[str, np.ndarray] = {
        "format": np.array(FORMAT),
        "epoch": np.array(int(epoch), dtype=np.int64),
        "costs": np.asarray(costs, dtype=np.float64),
        "settings": np.array(json.dumps(dict(settings or {}), sort_keys=True)),
        "rng": np.array("" if rng is None else json.dumps(rng.bit_generator.state)),
    }
    for name, array in params.items():
        arrays[f"params/{name}"] = np.asarray(array)
    for key, array in optimizer.state_dict(state).items():
        arrays[f"state/{key}"] = array
    for key, array in (extra or {}).items():
        arrays[f"extra/{key}"] = np.asarray(array)
    return atomic_write(path, lambda f: np.savez(f, **arrays))


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint` (never unpickles).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        The file is truncated, corrupt, or not a descend checkpoint; the
        message names the file and the problem.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"checkpoint {path} is unreadable (corrupt, truncated, or not an .npz)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            data = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise ValueError(f"checkpoint {path} is unreadable (corrupt or truncated): {err}") from None
    if "format" not in data or str(data["format"]) != FORMAT:
        raise ValueError(f"{path} is not a descend checkpoint (no {FORMAT!r} marker)")
    try:
        params = {k[len("params/") :]: v for k, v in data.items() if k.startswith("params/")}
        state = {k[len("state/") :]: v for k, v in data.items() if k.startswith("state/")}
        extra = {k[len("extra/") :]: v for k, v in data.items() if k.startswith("extra/")}
        rng_text = str(data["rng"])
        return Checkpoint(
            params=params,
            state_dict=state,
            epoch=int(data["epoch"]),
            costs=[float(c) for c in data["costs"]],
            settings=json.loads(str(data["settings"])),
            rng_state=json.loads(rng_text) if rng_text else None,
            extra=extra,
        )
    except (KeyError, ValueError, TypeError) as err:
        raise ValueError(f"checkpoint {path} is malformed: {err}") from None
