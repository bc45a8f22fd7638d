"""The child process: load the learner's file, call one function on every case.

``python -m descend.checker.child JOB OUT`` reads the job (a pickle written by
:mod:`descend.checker.run`) and writes one frame to ``OUT`` per event, each
flushed at once, so that the parent knows how far a run got when it has to
stop it: ``("loaded", skipped_imports)``, then ``("case", i, outcome)`` per
case, or ``("load-failed", raised)``. A frame is an 8-byte length and a
pickle of plain data (:func:`descend.checker.compare.plain`).

The learner's code runs only here: whatever it does (raise, print, loop,
exit) cannot reach the parent, which reads nothing but these frames.
"""

from __future__ import annotations

import importlib.util
import linecache
import pickle
import sys
import traceback
import types
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .compare import Opaque, Raised, plain

__all__ = ["encode", "main"]

MODULE_NAME = "descend_checked"


def encode(frame: tuple) -> bytes:
    """One frame: its length (8 bytes, big-endian) and the pickle."""
    try:
        data = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # something plain() let through that does not pickle after all
        data = pickle.dumps((*frame[:-1], Opaque("unpicklable object")))
    return len(data).to_bytes(8, "big") + data


def _raised(err: BaseException, filename: str, numbered: bool) -> Raised:
    """The exception, with the learner's own line that raised it when there is one.

    Line numbers are given for a ``.py`` file only: in a notebook's kept code
    they would match no cell.
    """
    line = ""
    for frame in traceback.extract_tb(err.__traceback__):
        if frame.filename == filename:
            where = f", line {frame.lineno}" if numbered else ""
            line = f"in {frame.name}{where}: {(frame.line or '').strip()}"
    try:
        message = str(err)
    except Exception:
        message = ""
    return Raised(type(err).__name__, message, line)


def _load(job: dict[str, Any]) -> tuple[Any, list[str], str]:
    """The learner's function, the notebook imports that were skipped, and the code's filename."""
    path = Path(job["path"]).resolve()
    sys.path.insert(0, str(path.parent))  # the learner's own helper modules
    if job["code"] is None:
        filename = str(path)
        spec = importlib.util.spec_from_file_location(MODULE_NAME, filename)
        module = importlib.util.module_from_spec(spec)
        sys.modules[MODULE_NAME] = module
        spec.loader.exec_module(module)
        skipped: list[str] = []
    else:
        filename = f"{path} (imports and definitions of its code cells)"
        code = job["code"]
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        module = types.ModuleType(MODULE_NAME)
        module.__file__ = str(path)
        skipped = module.__dict__["_descend_skipped_imports"] = []
        exec(compile(code, filename, "exec"), module.__dict__)
    function = getattr(module, job["function"], None)
    if not callable(function):
        raise TypeError(f"{job['function']} is not a function after loading the file")
    return function, skipped, filename


def main(argv: list[str] | None = None) -> None:
    job_path, out_path = argv if argv is not None else sys.argv[1:]
    with open(job_path, "rb") as f:
        job = pickle.load(f)
    warnings.simplefilter("ignore")  # NumPy's divide-by-zero and overflow warnings
    np.seterr(all="ignore")
    sys.dont_write_bytecode = True  # leave no __pycache__ beside the learner's file
    with open(out_path, "wb", buffering=0) as out:
        filename = str(Path(job["path"]).resolve())
        numbered = job["code"] is None
        try:
            function, skipped, filename = _load(job)
        except BaseException as err:  # anything the learner's file does
            out.write(encode(("load-failed", _raised(err, filename, numbered))))
            return
        out.write(encode(("loaded", skipped)))
        for i, args in enumerate(job["cases"]):
            try:
                result = function(*args)
            except BaseException as err:  # SystemExit, KeyboardInterrupt too
                outcome: Any = _raised(err, filename, numbered)
            else:
                try:
                    outcome = plain(result)
                except Exception:
                    outcome = Opaque(type(result).__name__)
            out.write(encode(("case", i, outcome)))


if __name__ == "__main__":
    main()
