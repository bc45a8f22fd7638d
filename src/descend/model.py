"""A trained classifier as one file: what ``descend train --save`` writes and ``predict`` reads.

The file is an uncompressed ``.npz`` of plain arrays, readable with
``np.load(path, allow_pickle=False)``::

    "format"       "descend-model-1"
    "W1", "b1",... the network's parameters (W_l of shape (n_l, n_{l-1}), b_l (n_l, 1))
    "mean"         (n_features,) the training split's feature means
    "scale"        (n_features,) and standard deviations: x' = (x - mean) / scale
    "classes"      (n_classes,) the labels, in the order of the output units:
                   integers, or the words of the training file
    "activation"   the hidden layers' activation ("relu")
    "output"       "sigmoid" (two classes, one unit) or "softmax"
    "settings"     JSON text of how it was trained (data set, optimizer, ...)

:func:`load_model` checks all of it and names what is wrong; :class:`Model`
predicts from the raw features of a file like the training one.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import network
from .checkpoint import atomic_write
from .optim.base import Params

__all__ = ["FORMAT", "Model", "load_model"]

FORMAT = "descend-model-1"
OUTPUTS = ("sigmoid", "softmax")


@dataclass(frozen=True)
class Model:
    """A trained network with the standardisation and the labels it needs to predict.

    Parameters
    ----------
    params : dict
        ``W1, b1, ..., WL, bL`` (:mod:`descend.network`'s layout).
    mean, scale : ndarray, shape (n_features,)
        Each raw feature becomes ``(x - mean) / scale`` before the network.
    classes : ndarray, shape (n_classes,)
        The label of each output: for a sigmoid output, ``classes[0]`` below 0.5
        and ``classes[1]`` above.
    activation : str, default "relu"
    output : {"sigmoid", "softmax"}
    settings : dict
        How the model was trained (free-form, for people to read).

    Examples
    --------
    >>> import descend
    >>> model = descend.load_model("model.npz")          # doctest: +SKIP
    >>> model.predict([[0.5, -0.2]])                      # doctest: +SKIP
    array([1])
    """

    params: Params
    mean: np.ndarray
    scale: np.ndarray
    classes: np.ndarray
    activation: str = "relu"
    output: str = "sigmoid"
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("mean", "scale", "classes"):
            object.__setattr__(self, name, np.asarray(getattr(self, name)))
        _check(self)

    @property
    def n_features(self) -> int:
        """The number of features each example must have."""
        return int(self.mean.shape[0])

    @classmethod
    def from_run(cls, result: Any) -> Model:
        """The model of a :class:`descend.runs.RunResult`."""
        data = result.data
        return cls(
            params=dict(result.params),
            mean=np.asarray(data.mean, dtype=np.float64),
            scale=np.asarray(data.scale, dtype=np.float64),
            classes=np.asarray(data.labels),
            activation="relu",
            output="softmax" if data.softmax else "sigmoid",
            settings=result.settings.as_dict(),
        )

    def _rows(self, X: Any) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim == 1:
            X = X[np.newaxis, :]
        if X.ndim != 2 or X.dtype.kind not in "biuf":
            raise ValueError(
                f"X must be a 2-D array of numbers (n_samples, n_features), got shape "
                f"{X.shape} of dtype {X.dtype}"
            )
        if X.shape[1] != self.n_features:
            raise ValueError(
                f"X has {X.shape[1]} features, but the model was trained on {self.n_features}"
            )
        X = X.astype(np.float64)
        if not np.isfinite(X).all():
            raise ValueError("X holds NaN or inf")
        return X

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each class, shape ``(n_samples, n_classes)``, columns as ``classes``.

        ``X`` holds raw features, ``(n_samples, n_features)``: they are
        standardised with the training split's statistics first.
        """
        X = (self._rows(X) - self.mean) / self.scale
        out, _ = network.forward(
            X.T, self.params, self.activation, softmax=self.output == "softmax"
        )
        if self.output == "softmax":
            return out.T
        return np.column_stack([1 - out[0], out[0]])

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row of ``X``, as a label of ``classes``."""
        return self.classes[np.argmax(self.predict_proba(X), axis=1)]

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model (see the module notes) atomically; returns the path."""
        arrays: dict[str, np.ndarray] = {
            "format": np.array(FORMAT),
            **{name: np.asarray(a) for name, a in self.params.items()},
            "mean": self.mean,
            "scale": self.scale,
            "classes": self.classes,
            "activation": np.array(self.activation),
            "output": np.array(self.output),
            "settings": np.array(json.dumps(self.settings, sort_keys=True)),
        }
        return atomic_write(path, lambda f: np.savez(f, **arrays))


def _check(model: Model) -> None:
    """``ValueError`` unless the parts of ``model`` fit together."""
    params = model.params
    L = len(params) // 2
    if not params or set(params) != {f"{p}{l}" for p in "Wb" for l in range(1, L + 1)}:
        raise ValueError(f"parameters must be W1, b1, ..., WL, bL, got {sorted(params)}")
    if model.activation not in network.ACTIVATIONS:
        raise ValueError(f"unknown activation {model.activation!r}")
    if model.output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {model.output!r}")
    dims = [model.mean.shape[0] if model.mean.ndim == 1 else -1]
    for l in range(1, L + 1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        if W.ndim != 2 or W.shape[1] != dims[-1] or b.shape != (W.shape[0], 1):
            raise ValueError(
                f"W{l} {W.shape} and b{l} {b.shape} do not follow a layer of {dims[-1]} units"
            )
        dims.append(W.shape[0])
    if model.scale.shape != model.mean.shape or not (model.scale > 0).all():
        raise ValueError(f"scale must be positive and shaped as mean {model.mean.shape}")
    outputs = 2 if model.output == "sigmoid" else dims[-1]
    if (model.output == "sigmoid" and dims[-1] != 1) or model.classes.shape != (outputs,):
        raise ValueError(
            f"a {model.output} output of {dims[-1]} unit(s) cannot give the "
            f"{model.classes.shape[0] if model.classes.ndim == 1 else '?'} classes it lists"
        )


def load_model(path: str | os.PathLike) -> Model:
    """Read a model written by ``descend train --save`` (or :meth:`Model.save`).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        The file is not a descend model (e.g. a checkpoint, or parameters saved by
        an older ``descend train --save``), or is corrupt; the message says which.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model at {path}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a descend model (not an .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, AttributeError) as err:
        raise ValueError(f"{path} is not a descend model (not a readable .npz: {err})") from None
    marker = str(arrays.get("format", ""))
    if marker != FORMAT:
        if marker.startswith("descend-checkpoint"):
            what = "a training checkpoint; --save writes the model"
        elif "W1" in arrays:
            what = "parameters only (an older descend train --save): train again with --save"
        else:
            what = f"no {FORMAT!r} marker"
        raise ValueError(f"{path} is not a descend model ({what})")
    return _from_arrays(arrays, path)


def _from_arrays(arrays: Mapping[str, np.ndarray], path: Path) -> Model:
    try:
        params = {k: v for k, v in arrays.items() if k[:1] in "Wb" and k[1:].isdigit()}
        return Model(
            params=params,
            mean=arrays["mean"].astype(np.float64),
            scale=arrays["scale"].astype(np.float64),
            classes=arrays["classes"],
            activation=str(arrays["activation"]),
            output=str(arrays["output"]),
            settings=json.loads(str(arrays["settings"])),
        )
    except KeyError as err:
        raise ValueError(f"{path} is not a complete descend model (no {err.args[0]!r})") from None
    except (ValueError, TypeError) as err:
        raise ValueError(f"{path} is a malformed descend model: {err}") from None
