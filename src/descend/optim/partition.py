"""Partition: a different optimizer for each group of parameters, chosen by name.

Muon orthogonalises the update of 2-D hidden weights and must not touch
biases; a learning rate that suits the weights may not suit the biases. A
:class:`Partition` assigns each parameter to exactly one optimizer, by a
pattern on its name (a glob such as ``"W*"``, a compiled regular expression)
or a function of the name and the array, as ``optax.partition`` (formerly
``multi_transform``) or PyTorch's parameter groups do. It is itself an
optimizer: ``init``/``step`` over the whole dict, one state, one
``state_dict``, so :func:`descend.training.train` and the checkpoints take it
like any other rule.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .base import Optimizer, Params, State, clip_by_global_norm, clip_by_value
from .checks import check_grads, check_params, check_positive, first_nonfinite

__all__ = ["Partition"]

Pattern = str | re.Pattern | Callable[[str, np.ndarray], bool]
_RESERVED = ("t", "skipped", "kind")


def _matcher(pattern: Any, label: str) -> Callable[[str, np.ndarray], bool]:
    if isinstance(pattern, str):
        return lambda name, w: fnmatch.fnmatchcase(name, pattern)
    if isinstance(pattern, re.Pattern):
        return lambda name, w: pattern.fullmatch(name) is not None
    if callable(pattern):
        return lambda name, w: bool(pattern(name, w))
    raise TypeError(
        f"the pattern of group {label!r} must be a glob string, a compiled re.Pattern or a "
        f"callable (name, array) -> bool, got {type(pattern).__name__}"
    )


class Partition(Optimizer):
    r"""One optimizer per group of parameters; every parameter in exactly one group.

    Parameters
    ----------
    groups : dict
        ``{label: (pattern, optimizer)}``. ``pattern`` selects parameters by
        name: a glob string (``"W*"``, matched with :func:`fnmatch.fnmatchcase`),
        a compiled :class:`re.Pattern` (``fullmatch`` on the name), or a callable
        ``(name, array) -> bool``. ``label`` names the group's part of the state
        (``state[label]``, ``"<label>/..."`` in the state dict); it may not
        contain ``/`` nor be ``"t"``, ``"skipped"`` or ``"kind"``.
    clip_norm, clip_value : float, optional
        Clipping over *all* parameters together, before the groups' own rules
        (each group's optimizer may clip its own part as well).
    on_nonfinite : {"raise", "skip"}
        A NaN or inf in any gradient raises, or skips the whole step (no group
        moves; ``state["skipped"]`` counts it).

    Notes
    -----
    The step of each group is its optimizer's own step on its parameters, with
    its own learning rate, schedule and count ``t`` (they stay equal to the
    partition's unless a group skips an overflowing step by itself). The state
    is ``{"t", "skipped", <label>: <that optimizer's state>}``. Each call
    checks the assignment: a parameter that no pattern selects, or that two
    select, raises ``ValueError`` naming it.

    Examples
    --------
    Muon for the 2-D weights, AdamW for everything else:

    >>> from descend.optim import AdamW, Muon
    >>> is_matrix = lambda name, w: name.startswith("W") and w.ndim == 2
    >>> opt = Partition({
    ...     "muon": (is_matrix, Muon(0.02)),
    ...     "adamw": (lambda name, w: not is_matrix(name, w), AdamW(1e-3)),
    ... })
    >>> params = {"W1": np.ones((3, 2)), "b1": np.zeros((3, 1))}
    >>> opt.assign(params)
    {'W1': 'muon', 'b1': 'adamw'}
    """

    kind = "partition"

    def __init__(
        self,
        groups: Mapping[str, tuple[Pattern, Optimizer]],
        *,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        on_nonfinite: str = "raise",
    ) -> None:
        super().__init__(1.0, clip_norm=clip_norm, clip_value=clip_value, on_nonfinite=on_nonfinite)
        self.learning_rate = None  # each group has its own
        if not isinstance(groups, Mapping) or not groups:
            raise TypeError("groups must be a non-empty dict {label: (pattern, optimizer)}")
        self.groups: dict[str, tuple[Pattern, Optimizer]] = {}
        self._match: dict[str, Callable[[str, np.ndarray], bool]] = {}
        for label, entry in groups.items():
            if not isinstance(label, str) or not label or "/" in label or label in _RESERVED:
                raise ValueError(
                    f"Invalid group label: {label!r} (expected a non-empty string without '/', "
                    f"not one of {_RESERVED})"
                )
            if not (isinstance(entry, tuple) and len(entry) == 2):
                raise TypeError(f"groups[{label!r}] must be a pair (pattern, optimizer)")
            pattern, optimizer = entry
            if not isinstance(optimizer, Optimizer):
                raise TypeError(
                    f"groups[{label!r}] has {type(optimizer).__name__}, not a descend optimizer"
                )
            self._match[label] = _matcher(pattern, label)
            self.groups[label] = (pattern, optimizer)
        if self.clip_norm is not None:
            check_positive("clip_norm", self.clip_norm)

    # -- the assignment --------------------------------------------------------
    def assign(self, params: Mapping[str, np.ndarray]) -> dict[str, str]:
        """``{param name: group label}``; ``ValueError`` naming a key matched by none or by two."""
        check_params(params)
        labels: dict[str, str] = {}
        for name, w in params.items():
            hits = [label for label, match in self._match.items() if match(name, w)]
            if not hits:
                raise ValueError(
                    f"params[{name!r}] (shape {w.shape}) is selected by no group of the "
                    f"Partition (groups {list(self.groups)}): every key needs exactly one"
                )
            if len(hits) > 1:
                raise ValueError(
                    f"params[{name!r}] (shape {w.shape}) is selected by the groups {hits}: "
                    "every key needs exactly one"
                )
            labels[name] = hits[0]
        return labels

    def split(self, arrays: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, dict]:
        """``arrays`` cut into one dict per group (in the order of the params)."""
        parts: dict[str, dict] = {label: {} for label in self.groups}
        for name, label in labels.items():
            parts[label][name] = arrays[name]
        return parts

    def _parts(self, params, labels):
        return {label: p for label, p in self.split(params, labels).items() if p}

    # -- the protocol ------------------------------------------------------------
    def init(self, params: Mapping[str, np.ndarray]) -> State:
        labels = self.assign(params)
        state: State = {"t": 0, "skipped": 0}
        for label, part in self._parts(params, labels).items():
            state[label] = self.groups[label][1].init(part)
        return state

    def _check_state(self, state: Any, parts: Mapping[str, Params]) -> int:
        if not isinstance(state, Mapping):
            raise TypeError(
                f"state must be the dict returned by init(), got {type(state).__name__}"
            )
        expected = {"t", "skipped", *parts}
        if set(state) != expected:
            raise ValueError(
                f"state does not belong to this Partition (it expects the groups {list(parts)} "
                f"for these params): missing {sorted(expected - set(state))}, "
                f"unexpected {sorted(set(state) - expected)}"
            )
        for key in ("t", "skipped"):
            value = state[key]
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                raise ValueError(f"state[{key!r}] must be an int >= 0, got {value!r}")
        return int(state["t"])

    def _step(
        self,
        params: Mapping[str, np.ndarray],
        grads: Mapping[str, np.ndarray],
        state: State,
        *,
        compiled: bool,
    ) -> tuple[Params, State]:
        """One step of every group's optimizer on its parameters; pure, like every step."""
        check_params(params)
        check_grads(grads, params)
        labels = self.assign(params)
        parts = self._parts(params, labels)
        t = self._check_state(state, parts)
        bad = first_nonfinite(grads)
        if bad is not None:
            if self.on_nonfinite == "raise":
                raise ValueError(f"grads[{bad!r}] holds NaN or inf")
            return dict(params), {**state, "skipped": state["skipped"] + 1}
        if self.clip_value is not None:
            grads = clip_by_value(grads, self.clip_value)
        if self.clip_norm is not None:
            grads = clip_by_global_norm(grads, self.clip_norm)
        grad_parts = self.split(grads, labels)
        results = {
            label: self.groups[label][1]._step(
                part, grad_parts[label], state[label], compiled=compiled
            )
            for label, part in parts.items()
        }  # a group that raises leaves everything unchanged: every step is pure
        new_params = {name: results[labels[name]][0][name] for name in params}
        new_state: State = {"t": t + 1, "skipped": state["skipped"]}
        new_state.update({label: result[1] for label, result in results.items()})
        return new_params, new_state

    @property
    def evaluates_elsewhere(self) -> bool:  # type: ignore[override]
        return any(optimizer.evaluates_elsewhere for _, optimizer in self.groups.values())

    def eval_params(self, params: Mapping[str, np.ndarray], state: State) -> Params:
        """Each group's :meth:`~Optimizer.eval_params` on its own parameters."""
        labels = self.assign(params)
        out: Params = {}
        for label, part in self._parts(params, labels).items():
            out.update(self.groups[label][1].eval_params(part, state[label]))
        return {name: out[name] for name in params}

    def rate(self, t: int) -> float:
        raise TypeError("a Partition has no learning rate of its own: each group has one")

    # -- checkpoints -------------------------------------------------------------
    def state_dict(self, state: State) -> dict[str, np.ndarray]:
        """``"kind"`` (``"partition"``), ``"t"``, ``"skipped"``, then ``"<label>/<key>"``.

        ``<key>`` runs over the group optimizer's own state dict (``"muon/kind"``,
        ``"muon/v/W1"``, ``"adamw/s/b1"``...).
        """
        if not isinstance(state, Mapping):
            raise TypeError(
                f"state must be the dict returned by init(), got {type(state).__name__}"
            )
        extra = sorted(set(state) - {"t", "skipped", *self.groups})
        if extra:
            raise ValueError(f"state has unexpected key {extra[0]!r} for this Partition")
        flat: dict[str, np.ndarray] = {"kind": np.array(self.kind)}
        for key in ("t", "skipped"):
            if key not in state:
                raise ValueError(f"state is missing key {key!r} for a 'partition' optimizer")
            flat[key] = np.array(int(state[key]), dtype=np.int64)
        for label, (_, optimizer) in self.groups.items():
            if label in state:
                for key, array in optimizer.state_dict(state[label]).items():
                    flat[f"{label}/{key}"] = array
        return flat

    def load_state_dict(
        self, params: Mapping[str, np.ndarray], flat: Mapping[str, np.ndarray]
    ) -> State:
        """Rebuild the state of :meth:`state_dict`; ``ValueError`` names a missing or extra key."""
        labels = self.assign(params)
        parts = self._parts(params, labels)
        if not isinstance(flat, Mapping):
            raise TypeError(f"state_dict must be a dict of arrays, got {type(flat).__name__}")
        kind = np.asarray(flat.get("kind", ""))
        if kind.shape != () or kind.dtype.kind != "U" or str(kind) != self.kind:
            raise ValueError(
                f"state_dict key 'kind' is {kind.tolist()!r}: it was written by another "
                f"optimizer kind, but this optimizer is {self.kind!r}"
            )
        state: State = {}
        for key in ("t", "skipped"):
            if key not in flat:
                raise ValueError(f"state_dict is missing key {key!r}")
            value = np.asarray(flat[key])
            if value.shape != () or value.dtype.kind not in "iu" or value < 0:
                raise ValueError(
                    f"state_dict key {key!r} must be a 0-d integer >= 0, got {value!r}"
                )
            state[key] = int(value)
        seen = {"kind", "t", "skipped"}
        for label, part in parts.items():
            prefix = f"{label}/"
            sub = {k[len(prefix) :]: v for k, v in flat.items() if k.startswith(prefix)}
            if not sub:
                raise ValueError(f"state_dict is missing the group {label!r} ({prefix}...)")
            try:
                state[label] = self.groups[label][1].load_state_dict(part, sub)
            except ValueError as err:
                raise ValueError(f"state_dict group {label!r}: {err}") from None
            seen.update(prefix + k for k in sub)
        extra = sorted(set(flat) - seen)
        if extra:
            raise ValueError(
                f"state_dict has unexpected key {extra[0]!r} (this Partition has the groups "
                f"{list(parts)} for these params)"
            )
        return state

    def __repr__(self) -> str:
        inner = ", ".join(f"{label!r}: ({p!r}, {o!r})" for label, (p, o) in self.groups.items())
        return f"Partition({{{inner}}})"
