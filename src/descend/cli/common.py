"""What the commands share when they run: a progress bar and the optimizer-name check."""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["check_optimizers", "progress"]


def progress(total: int, desc: str, disable: bool = False, unit: str = "epoch"):
    """A tqdm bar on stderr (stdout stays for the table or the JSON)."""
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        mininterval=0.25,
        dynamic_ncols=True,
        disable=disable,
    )


def check_optimizers(names: Sequence[str]) -> None:
    """Raise ``ValueError`` naming the first name the registry does not know."""
    from ..registry import NAMES

    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise ValueError(f"unknown optimizer {unknown[0]!r} (expected one of: {', '.join(NAMES)})")
