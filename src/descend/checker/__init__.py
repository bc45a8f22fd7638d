"""Check a learner's own update rules against descend's, and say what is wrong.

>>> report = check("my_optimizers.ipynb")                # doctest: +SKIP
>>> print(report.format())                                # doctest: +SKIP
>>> report.passed, [r.status for r in report.results]    # doctest: +SKIP

The file is a ``.py`` module or a ``.ipynb`` notebook (only the imports and the
definitions of its code cells are used). Each course function it defines
(:data:`COURSE_FUNCTIONS`) runs on generated cases (:func:`cases`) in a child
process with a time limit, and is compared with :mod:`descend.textbook` to a
relative tolerance of 1e-7 (absolute 1e-10). A function that fails is run
against the known mistakes of :mod:`descend.checker.mistakes`, and the report
names the one that gives the learner's output on every case.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .cases import Case, cases
from .run import FUNCTIONS, Result, evaluate, run_cases
from .source import UsageError, read_source

__all__ = ["COURSE_FUNCTIONS", "Case", "Report", "Result", "UsageError", "cases", "check"]

#: The course functions the checker knows, in the course's order.
COURSE_FUNCTIONS = tuple(FUNCTIONS)

TIME_LIMIT = 10.0


@dataclass
class Report:
    """The verdicts on every checked function of one file."""

    file: str
    results: list[Result]
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every checked function passes."""
        return bool(self.results) and all(r.passed for r in self.results)

    @property
    def exit_status(self) -> int:
        """0 when everything passes, 1 otherwise (the command's exit status)."""
        return 0 if self.passed else 1

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return {
            "file": self.file,
            "passed": self.passed,
            "notes": self.notes,
            "functions": [{**asdict(r), "passed": r.passed} for r in self.results],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str)

    def format(self) -> str:
        """The report as text, one block per function and a summary line."""
        lines = [f"descend check {self.file}", *(f"note: {n}" for n in self.notes), ""]
        for r in self.results:
            lines.extend(_format_result(r))
        passing = sum(r.passed for r in self.results)
        lines.append(f"{passing} of {len(self.results)} functions pass.")
        return "\n".join(lines)

    __str__ = format


def _format_result(r: Result) -> list[str]:
    if r.passed:
        return [f"{r.function}: PASS ({r.cases} cases)"]
    head = f"{r.function}: {r.status}"
    if r.case is not None:
        head += f" on case {r.case} of {r.cases}"
    lines = [head]
    if r.case_text:
        lines.append(f"  case:      {r.case_text}")
    if r.where is not None:
        lines += [
            f"  value:     {r.where}",
            f"  expected:  {r.expected}",
            f"  got:       {r.got}",
        ]
    if r.error is not None:
        lines.append(f"  raised:    {r.error}")
    if r.problem is not None:
        lines.append(f"  problem:   {r.problem}")
    if r.error_line:
        lines.append(f"             {r.error_line}")
    lines += [f"  note:      {n}" for n in r.notes]
    if r.status in ("FAIL", "ERROR") and r.problem is None:
        lines.append(f"  Looks like: {r.diagnosis or 'no known mistake matches.'}")
    return [*lines, ""]


def check(
    path: str | Path,
    functions: str | list[str] | None = None,
    *,
    time_limit: float = TIME_LIMIT,
) -> Report:
    """Check the course functions that ``path`` defines; return the :class:`Report`.

    Parameters
    ----------
    path : str or Path
        A ``.py`` module (loaded whole) or a ``.ipynb`` notebook (only its
        imports and ``def``/``class`` blocks; a failed import is skipped).
    functions : list of str, or str, optional
        Which of :data:`COURSE_FUNCTIONS` to check (a string may name several,
        separated by commas); default: every one the file defines.
    time_limit : float, default 10
        Seconds each function gets for all its cases, after the file has
        loaded (loading gets up to 60 s); past it the function is a TIMEOUT.

    Raises
    ------
    UsageError
        The file cannot be read or parsed, a name is not a course function,
        the file does not define a requested function, or defines none.
    """
    source = read_source(path)
    if functions is None:
        names = [n for n in COURSE_FUNCTIONS if n in source.defined]
        if not names:
            known = ", ".join(COURSE_FUNCTIONS)
            raise UsageError(f"{source.path} defines none of the course functions ({known})")
    else:
        if isinstance(functions, str):
            functions = [n.strip() for n in functions.split(",") if n.strip()]
        unknown = [n for n in functions if n not in FUNCTIONS]
        if unknown:
            raise UsageError(
                f"unknown function {unknown[0]!r} (expected one of: {', '.join(COURSE_FUNCTIONS)})"
            )
        missing = [n for n in functions if n not in source.defined]
        if missing:
            raise UsageError(f"{source.path} does not define {missing[0]}")
        names = list(dict.fromkeys(functions))
        if not names:
            raise UsageError("no function to check: the list of functions is empty")
    if not time_limit > 0:
        raise UsageError(f"Invalid time_limit: {time_limit!r} (expected a number > 0)")
    notes = []
    if source.skipped_cells:
        notes.append(f"{source.skipped_cells} code cell(s) are not Python and were skipped")
    results: list[Result] = []
    for name in names:
        failed = next((r for r in results if r.problem and r.case is None), None)
        if failed is not None:  # the file did not load: it will not load now either
            results.append(
                Result(
                    name,
                    failed.status,
                    len(cases(name)),
                    problem=failed.problem,
                    error_line=failed.error_line,
                )
            )
            continue
        function_cases = cases(name)
        run = run_cases(source, name, function_cases, time_limit)
        if run.skipped_imports and not results:
            notes.append("imports that failed were skipped: " + "; ".join(run.skipped_imports))
        results.append(evaluate(name, function_cases, run, source.path.name))
    return Report(str(path), results, notes)
