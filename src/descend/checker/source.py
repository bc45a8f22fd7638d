"""Read the learner's file: which course functions it defines, and the code to load.

A ``.py`` file is loaded as a module, whole. From a notebook (``.ipynb``) only the
``import`` statements and the ``def``/``class`` blocks of the code cells are
kept, so that no training cell runs; an import that fails there (a course helper
such as ``testCases`` that is not installed) is skipped and noted, not fatal.
Nothing here executes the learner's code: that happens in the child process
(:mod:`descend.checker.child`).
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Source", "UsageError", "read_source"]

# lines of IPython syntax that are not Python: magics (%, %%) and shell escapes (!)
_IPYTHON_PREFIXES = ("%", "!")


class UsageError(ValueError):
    """The file or the function names cannot be checked (the command exits with 2)."""


@dataclass(frozen=True)
class Source:
    """What the child process loads, and the function names it defines.

    ``code`` is None for a ``.py`` file (the child imports the file itself);
    for a notebook it is the kept imports and definitions, one after another.
    """

    path: Path
    kind: str  # "module" or "notebook"
    code: str | None
    defined: frozenset[str]
    skipped_cells: int = 0


def read_source(path: str | Path) -> Source:
    """Parse ``path`` (``.py`` or ``.ipynb``) without running it.

    Raises
    ------
    UsageError
        The file is missing, unreadable, of another kind, or not valid Python
        (a ``.py`` file) or notebook JSON.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"{path}: cannot read it ({err})") from None
    if path.suffix == ".ipynb":
        code, skipped = _notebook_code(path, text)
        return Source(path, "notebook", code, _defined(ast.parse(code)), skipped)
    if path.suffix != ".py":
        raise UsageError(f"{path}: expected a .py module or a .ipynb notebook")
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as err:
        raise UsageError(f"{path}: line {err.lineno}: {err.msg}") from None
    return Source(path, "module", None, _defined(tree))


def _defined(tree: ast.Module) -> frozenset[str]:
    return frozenset(node.name for node in tree.body if isinstance(node, ast.FunctionDef))


def _notebook_code(path: Path, text: str) -> tuple[str, int]:
    """The imports and definitions of every code cell, and how many cells did not parse."""
    try:
        cells = json.loads(text)["cells"]
        sources = [
            c["source"] if isinstance(c["source"], str) else "".join(c["source"])
            for c in cells
            if c.get("cell_type") == "code"
        ]
    except (ValueError, KeyError, TypeError):
        raise UsageError(f"{path}: not a Jupyter notebook (no list of cells in its JSON)") from None
    kept, skipped = [], 0
    for source in sources:
        lines = [
            "" if line.lstrip().startswith(_IPYTHON_PREFIXES) else line
            for line in source.splitlines()
        ]
        cell = "\n".join(lines)
        try:
            tree = ast.parse(cell)
        except SyntaxError:
            skipped += 1
            continue
        kept.extend(_kept_statements(cell, tree))
    return "\n\n".join(kept) + "\n", skipped


def _kept_statements(cell: str, tree: ast.Module) -> list[str]:
    """Imports, each guarded so that a missing module is skipped, and definitions."""
    lines = cell.splitlines()
    kept = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            text = ast.get_source_segment(cell, node) or ""
            body = "\n".join("    " + line for line in text.splitlines())
            kept.append(
                f"try:\n{body}\nexcept ImportError as _error:\n"
                f"    _descend_skipped_imports.append(str(_error))"
            )
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            kept.append("\n".join(lines[first - 1 : node.end_lineno]))
    return kept
