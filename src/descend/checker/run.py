"""Run one learner function in a child process, judge its outcomes, find the mistake.

The reference outcome of every case comes from :mod:`descend.textbook`; the
learner's from a child process (:mod:`descend.checker.child`) that the parent
stops when it runs past its time limit. The first case that differs makes the
verdict; the diagnosis is the known mistake (:mod:`descend.checker.mistakes`)
whose variant gives the learner's outcome on *every* case.
"""

from __future__ import annotations

import copy
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import textbook as tb
from .cases import Case
from .compare import Difference, Raised, plain, return_difference, same
from .mistakes import MISTAKES, Mistake
from .source import Source

__all__ = [
    "FUNCTIONS",
    "LOAD_LIMIT",
    "Result",
    "Run",
    "Spec",
    "evaluate",
    "outcome_of",
    "run_cases",
]

#: Seconds the child may take to load the learner's file, before the cases' own limit starts.
LOAD_LIMIT = 60.0
_POLL = 0.01


@dataclass(frozen=True)
class Spec:
    """A course function: descend's reference and the names of what it returns."""

    reference: Callable[..., Any]
    parts: str | tuple[str, ...]
    arities: tuple[int, ...] = ()
    order: tuple[int, ...] = ()  # compare in the order of computation: state before parameters

    def difference(self, expected: Any, got: Any) -> Difference | None:
        return return_difference(expected, got, self.parts, self.arities, self.order)


_ADAM_PARTS = ("parameters", "v", "s", "v_corrected", "s_corrected")

FUNCTIONS: dict[str, Spec] = {
    "update_parameters_with_gd": Spec(tb.update_parameters_with_gd, "parameters"),
    "random_mini_batches": Spec(tb.random_mini_batches, "mini_batches"),
    "initialize_velocity": Spec(tb.initialize_velocity, "v"),
    "update_parameters_with_momentum": Spec(
        tb.update_parameters_with_momentum, ("parameters", "v"), order=(1, 0)
    ),
    "initialize_adam": Spec(tb.initialize_adam, ("v", "s")),
    "update_parameters_with_adam": Spec(
        tb.update_parameters_with_adam, _ADAM_PARTS, (3, 5), order=(1, 2, 3, 4, 0)
    ),
    "update_lr": Spec(tb.update_lr, "learning_rate"),
    "schedule_lr_decay": Spec(tb.schedule_lr_decay, "learning_rate"),
}


@dataclass
class Run:
    """What the child process reported for one function."""

    outcomes: dict[int, Any] = field(default_factory=dict)
    loaded: bool = False
    load_error: Raised | None = None
    skipped_imports: list[str] = field(default_factory=list)
    timed_out: bool = False
    exit_status: int | None = None
    stderr_tail: str = ""


@dataclass
class Result:
    """The verdict on one function; ``status`` is PASS, FAIL, ERROR or TIMEOUT."""

    function: str
    status: str
    cases: int
    case: int | None = None  # 1-based number of the first case that went wrong
    about: dict[str, Any] | None = None
    case_text: str | None = None
    where: str | None = None
    expected: str | None = None
    got: str | None = None
    error: str | None = None
    error_line: str | None = None
    problem: str | None = None  # a load failure, a time-out or a crashed process
    mistake: str | None = None
    diagnosis: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "PASS"


def outcome_of(function: Callable[..., Any], case: Case) -> Any:
    """The plain outcome of ``function(*case.args)`` on a deep copy of the arguments."""
    args = copy.deepcopy(case.args)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return plain(function(*args))
        except Exception as err:
            return Raised(type(err).__name__, str(err))


def _frames(data: bytes) -> tuple[list[tuple], int]:
    """The complete frames at the start of ``data``, and how many bytes they take."""
    frames, at = [], 0
    while len(data) - at >= 8:
        size = int.from_bytes(data[at : at + 8], "big")
        if len(data) - at - 8 < size:
            break
        try:
            frames.append(pickle.loads(data[at + 8 : at + 8 + size]))
        except Exception:  # not a frame the child wrote: read no further
            break
        at += 8 + size
    return frames, at


def run_cases(source: Source, name: str, cases: list[Case], time_limit: float) -> Run:
    """Call the learner's ``name`` on every case in a child process.

    The child gets :data:`LOAD_LIMIT` seconds to load the file, then
    ``time_limit`` seconds for all the cases together; past either it is killed.
    """
    run = Run()
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(
        os.environ,
        PYTHONDONTWRITEBYTECODE="1",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="descend-check-") as tmp:
        job, out, err = (Path(tmp, n) for n in ("job.pickle", "out.frames", "stderr.txt"))
        job.write_bytes(
            pickle.dumps(
                {
                    "path": str(source.path.resolve()),
                    "code": source.code,
                    "function": name,
                    "cases": [c.args for c in cases],
                }
            )
        )
        out.touch()
        with open(err, "wb") as stderr:
            child = subprocess.Popen(
                [sys.executable, "-m", "descend.checker.child", str(job), str(out)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                cwd=source.path.resolve().parent,
                env=env,
                start_new_session=True,  # its own process group, so that _stop ends it all
            )
            try:
                _watch(child, out, run, time_limit, len(cases))
            finally:
                _stop(child)
        run.exit_status = child.returncode
        run.stderr_tail = err.read_bytes()[-2000:].decode("utf-8", "replace")
    return run


def _stop(child: subprocess.Popen) -> None:
    """End the child and any process the learner's code started from it."""
    if child.poll() is None:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except (AttributeError, OSError):  # no process groups here, or already gone
            child.kill()
    child.wait()


def _watch(child: subprocess.Popen, out: Path, run: Run, time_limit: float, n: int) -> None:
    """Collect the child's frames until it ends, has answered all ``n`` cases, or runs late."""
    deadline = time.monotonic() + LOAD_LIMIT
    data, used = b"", 0
    with open(out, "rb") as stream:
        while True:
            finished = child.poll() is not None  # read once more after the child ended
            data += stream.read()
            frames, size = _frames(data[used:])
            used += size
            for frame in frames:
                if frame[0] == "loaded":
                    run.loaded, run.skipped_imports = True, frame[1]
                    deadline = time.monotonic() + time_limit
                elif frame[0] == "load-failed":
                    run.load_error = frame[1]
                else:
                    run.outcomes[frame[1]] = frame[2]
            if finished or len(run.outcomes) == n:  # a thread of the learner's may linger
                return
            if time.monotonic() > deadline:
                run.timed_out = True
                return
            time.sleep(_POLL)


def _diagnose(
    mistakes: list[Mistake], spec: Spec, cases: list[Case], got: list[Any]
) -> Mistake | None:
    """The first known mistake that gives the learner's outcome on every case."""
    for mistake in mistakes:
        if mistake.matches is not None:
            try:
                if all(mistake.matches(g, c) for g, c in zip(got, cases, strict=True)):
                    return mistake
            except Exception:  # a test that trips over the learner's odd output: no match
                pass
            continue
        if all(
            same(outcome_of(mistake.variant, c), g, spec.difference)
            for c, g in zip(cases, got, strict=True)
        ):
            return mistake
    return None


def _diagnose_part(
    mistakes: list[Mistake], part: int, cases: list[Case], got: list[Any]
) -> Mistake | None:
    """The first mistake whose variant gives the learner's item ``part`` of the return value.

    For a learner who made a mistake in one place only (``v_corrected`` but not
    ``s_corrected``), no variant gives the whole return value, but one gives the
    item where the first difference is.
    """

    def item(outcome: Any) -> Any:
        if isinstance(outcome, tuple | list) and len(outcome) > part:
            return outcome[part]
        return outcome

    for mistake in mistakes:
        if mistake.variant is not None and all(
            same(item(outcome_of(mistake.variant, c)), item(g))
            for c, g in zip(cases, got, strict=True)
        ):
            return mistake
    return None


def evaluate(name: str, cases: list[Case], run: Run, source_name: str) -> Result:
    """Judge the learner's outcomes in ``run`` against descend's reference."""
    spec = FUNCTIONS[name]
    result = Result(name, "PASS", len(cases))
    if run.load_error is not None:
        result.status, result.problem = "ERROR", f"loading {source_name} raised {run.load_error}"
        result.error_line = run.load_error.line or None
        return result
    if not run.loaded:
        result.status = "TIMEOUT" if run.timed_out else "ERROR"
        result.problem = (
            f"loading {source_name} took longer than {LOAD_LIMIT:g} s"
            if run.timed_out
            else _crash(run, "while loading the file")
        )
        return result
    for i, case in enumerate(cases):
        if i not in run.outcomes:
            result.status = "TIMEOUT" if run.timed_out else "ERROR"
            result.case, result.about, result.case_text = i + 1, case.about, case.describe()
            result.problem = (
                "did not finish in time" if run.timed_out else _crash(run, "during this case")
            )
            return result
        got = run.outcomes[i]
        if isinstance(got, Raised):
            result.status, result.error, result.error_line = "ERROR", str(got), got.line or None
        else:
            difference = spec.difference(outcome_of(spec.reference, case), got)
            if difference is None:
                continue
            result.status = "FAIL"
            result.where, result.expected, result.got = (
                difference.place,
                difference.expected,
                difference.got,
            )
        result.case, result.about, result.case_text = i + 1, case.about, case.describe()
        break
    else:
        return result
    if len(run.outcomes) < len(cases):  # a later case timed out or crashed: no full picture
        stopped = min(set(range(len(cases))) - set(run.outcomes)) + 1
        how = "ran out of time" if run.timed_out else "crashed"
        result.notes.append(f"the run {how} at case {stopped}, so no diagnosis was tried")
        return result
    got = [run.outcomes[i] for i in range(len(cases))]
    mistake = _diagnose(MISTAKES[name], spec, cases, got)
    if mistake is not None:
        result.mistake, result.diagnosis = mistake.name, mistake.diagnosis
    elif isinstance(spec.parts, tuple) and result.where is not None:
        part = result.where.split("[")[0]
        if part in spec.parts:
            mistake = _diagnose_part(MISTAKES[name], spec.parts.index(part), cases, got)
            if mistake is not None:
                result.mistake = mistake.name
                result.diagnosis = f"in {part}, {mistake.diagnosis}"
    return result


def _crash(run: Run, when: str) -> str:
    last = run.stderr_tail.strip().splitlines()[-1:] or [""]
    text = f"the process ended {when} (exit status {run.exit_status})"
    return f"{text}: {last[0]}" if last[0] else text
