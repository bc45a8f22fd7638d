"""What the page may set on each optimizer: read from the registry and the constructors.

Every name of :data:`descend.registry.NAMES` is listed with the keyword
parameters of its class's constructor, their defaults and a range for a
slider. Nothing here is written per optimizer: a rule added to the registry
later appears with its own parameters. A parameter that the registry's name
fixes (``nesterov=True`` for ``"nesterov"``, ``amsgrad=True`` for
``"amsgrad"``) is recognised because the built optimizer's attribute differs
from the constructor's default, and is not offered.

Only the ranges and symbols of familiar names come from a table; a number
parameter that the table does not know gets a plain number field on the page
(``min``/``max`` are ``None``), and the constructor still validates it.
"""

from __future__ import annotations

import inspect
import math
import re
from functools import cache
from typing import Any

from ..optim import Optimizer
from ..registry import DEFAULT_RATES, NAMES, make_optimizer

__all__ = ["LEARNING_RATE", "build", "optimizer_specs", "settings_of"]

#: name -> (symbol, low, high, scale) of the page's slider for a familiar parameter
_RANGES: dict[str, tuple[str, float, float, str]] = {
    "learning_rate": ("α", 1e-4, 10.0, "log"),
    "beta": ("β", 0.0, 0.999, "linear"),
    "beta1": ("β1", 0.0, 0.999, "linear"),
    "beta2": ("β2", 0.0, 0.9999, "linear"),
    "epsilon": ("ε", 1e-12, 1.0, "log"),
    "weight_decay": ("λ", 0.0, 1.0, "linear"),
}

#: the spec of the learning rate, common to every optimizer
LEARNING_RATE: dict[str, Any] = {
    "name": "learning_rate",
    "symbol": "α",
    "type": "float",
    "min": 1e-4,
    "max": 10.0,
    "scale": "log",
}

_SKIP = {"self", "learning_rate"}


def _parameter(name: str, default: Any) -> dict[str, Any]:
    if isinstance(default, bool):
        return {"name": name, "symbol": name, "type": "bool", "default": default}
    symbol, low, high, scale = _RANGES.get(name, (name, None, None, "linear"))
    kind = "int" if isinstance(default, int) else "float"
    return {
        "name": name,
        "symbol": symbol,
        "type": kind,
        "default": default if kind == "int" else float(default),
        "min": low,
        "max": high,
        "scale": scale,
    }


def _summary(cls: type) -> str:
    """The docstring's first paragraph, without its reST math and markup."""
    text = (inspect.getdoc(cls) or "").split("\n\n")[0].replace("\n", " ")
    text = re.sub(r":math:`[^`]*`", "", text).replace("``", "")
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"[\s:]+\.$", ".", text)


def _keywords(cls: type) -> list[inspect.Parameter]:
    """The constructor's settings that a page can show: numbers and flags with defaults."""
    return [
        p
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name not in _SKIP
        and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        and isinstance(p.default, bool | int | float)  # not None (a clipping threshold)
    ]


def settings_of(optimizer: Optimizer) -> dict[str, Any]:
    """Each constructor setting of ``optimizer`` but the rate, as it holds them.

    >>> settings_of(make_optimizer("nesterov", 0.1))
    {'beta': 0.9, 'nesterov': True}
    """
    return {p.name: getattr(optimizer, p.name, p.default) for p in _keywords(type(optimizer))}


@cache
def optimizer_specs() -> tuple[dict[str, Any], ...]:
    """One spec per registered optimizer name: its class, summary and parameters.

    >>> specs = {s["name"]: s for s in optimizer_specs()}
    >>> [(p["name"], p["default"]) for p in specs["momentum"]["parameters"]]
    [('beta', 0.9), ('nesterov', False)]
    >>> [p["name"] for p in specs["nesterov"]["parameters"]]  # the name fixes nesterov=True
    ['beta']
    """
    specs = []
    for name in NAMES:
        try:
            optimizer = make_optimizer(name, DEFAULT_RATES.get(name, 0.01))
        except (TypeError, ValueError):  # a rule that needs more than a rate: not offered
            continue
        cls = type(optimizer)
        parameters = [
            _parameter(p.name, p.default)
            for p in _keywords(cls)
            if getattr(optimizer, p.name, p.default) == p.default  # else fixed by the name
        ]
        specs.append(
            {
                "name": name,
                "class": cls.__name__,
                "summary": _summary(cls),
                "slots": list(optimizer.slots),
                "learning_rate": {**LEARNING_RATE, "default": DEFAULT_RATES.get(name, 0.01)},
                "parameters": parameters,
            }
        )
    return tuple(specs)


class SpecError(ValueError):
    """A setting the optimizer does not accept; ``field`` names it (``"beta"``), or is None."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


def build(name: str, learning_rate: Any, options: dict[str, Any]) -> Optimizer:
    """The optimizer ``name`` with these settings, each checked by type, then by its constructor.

    Raises :class:`SpecError` naming the setting at fault; ``field`` is
    ``"name"`` for an unknown optimizer.
    """
    spec = next((s for s in optimizer_specs() if s["name"] == name), None)
    if spec is None:
        raise SpecError("name", f"unknown optimizer {name!r} (expected one of: {', '.join(NAMES)})")
    _check_number("learning_rate", learning_rate)
    if not learning_rate > 0:
        raise SpecError("learning_rate", f"learning_rate must be > 0, got {learning_rate!r}")
    known = {p["name"]: p for p in spec["parameters"]}
    for key, value in options.items():
        if key not in known:
            allowed = ", ".join(["learning_rate", *known]) or "learning_rate"
            raise SpecError(key, f"{name} has no setting {key!r} (it has: {allowed})")
        if known[key]["type"] == "bool":
            if not isinstance(value, bool):
                raise SpecError(key, f"{key} must be true or false, got {value!r}")
        elif known[key]["type"] == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpecError(key, f"{key} must be an integer, got {value!r}")
        else:
            _check_number(key, value)
    try:
        return make_optimizer(name, float(learning_rate), **options)
    except (TypeError, ValueError) as err:
        message = str(err)
        words = re.findall(r"\w+", message.split(":")[0])
        field = next((key for key in options if key in words), None)
        raise SpecError(field, message) from None


def _check_number(key: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError(key, f"{key} must be a finite number, got {value!r}")
