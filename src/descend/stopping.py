"""Early stopping as a callback of :func:`descend.training.train`.

:class:`EarlyStopping` is scikit-learn's ``MLPClassifier`` rule, written once for
the estimator and ``descend train --early-stopping``: after each epoch it
scores the parameters (a validation accuracy, or minus the epoch's training
cost), counts the epochs in a row that did not beat the best score by ``tol``,
and asks the loop to stop when that count exceeds ``patience``. With a
validation score it keeps the best parameters seen.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .optim.base import Params
from .optim.checks import check_int, check_positive

__all__ = ["EarlyStopping"]


@dataclass
class EarlyStopping:
    """Stop when the score has not improved by ``tol`` for more than ``patience`` epochs.

    Call it as ``stopper(epoch, mean_cost, params)`` (the training loop's
    callback); it returns ``True`` when training should stop.

    Parameters
    ----------
    patience : int, default 10
        Epochs in a row without improvement that are tolerated (scikit-learn's
        ``n_iter_no_change``); the loop stops at the next one. ``math.inf``
        never stops.
    tol : float, default 1e-4
        An epoch improves when its score beats the best by at least ``tol``.
    score : callable, optional
        ``score(params) -> float``, higher is better (a validation accuracy).
        Without it the score is minus the epoch's mean training cost, and no
        parameters are kept.

    Attributes
    ----------
    best_score : float
        The best score so far (``-inf`` before the first epoch).
    best_params : dict or None
        The parameters of the best score (with ``score`` only).
    best_epoch : int or None
        The epoch of the best score.
    count : int
        Epochs in a row without improvement.
    scores : list of float
        Every epoch's score.

    Examples
    --------
    >>> stop = EarlyStopping(patience=1, tol=0.0)
    >>> [stop(e, cost, {}) for e, cost in enumerate([3.0, 2.0, 2.5, 2.5])]
    [False, False, False, True]
    """

    patience: float = 10
    tol: float = 1e-4
    score: Callable[[Params], float] | None = None
    best_score: float = -math.inf
    best_params: Params | None = None
    best_epoch: int | None = None
    count: int = 0
    scores: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.patience != math.inf:
            self.patience = check_int("patience", self.patience, 0)
        self.tol = check_positive("tol", self.tol, allow_zero=True)

    def __call__(self, epoch: int, mean_cost: float, params: Params) -> bool:
        value = float(self.score(params)) if self.score is not None else -float(mean_cost)
        self.scores.append(value)
        self.count = self.count + 1 if value < self.best_score + self.tol else 0
        if value > self.best_score:
            self.best_score, self.best_epoch = value, epoch
            if self.score is not None:  # the loop's params may be views it will overwrite
                self.best_params = {k: np.array(a) for k, a in params.items()}
        return self.count > self.patience

    # -- checkpoints -------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """The counters and the best parameters as plain arrays (for a checkpoint)."""
        arrays = {
            "best_score": np.array(self.best_score),
            "best_epoch": np.array(-1 if self.best_epoch is None else self.best_epoch),
            "count": np.array(self.count),
            "scores": np.array(self.scores, dtype=np.float64),
        }
        for name, a in (self.best_params or {}).items():
            arrays[f"best_params/{name}"] = a
        return arrays

    def load_state_dict(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_dict` wrote."""
        try:
            self.best_score = float(arrays["best_score"])
            epoch = int(arrays["best_epoch"])
            self.count = int(arrays["count"])
            self.scores = [float(s) for s in arrays["scores"]]
        except KeyError as err:
            raise ValueError(f"the early-stopping state lacks {err.args[0]!r}") from None
        self.best_epoch = None if epoch < 0 else epoch
        prefix = "best_params/"
        best = {k[len(prefix) :]: a for k, a in arrays.items() if k.startswith(prefix)}
        self.best_params = best or None
