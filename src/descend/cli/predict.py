"""``descend predict``: the labels a model saved by ``descend train --save`` gives new data."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["predict", "register"]


def register(subparsers) -> None:
    """Add ``predict`` to the ``descend`` parser's subcommands."""
    p = subparsers.add_parser(
        "predict",
        help="predict the labels of new data with a model saved by descend train --save",
        description="Read the examples of a .csv or .npz file as descend train reads them, "
        "standardise them with the training split's statistics saved in MODEL, and print "
        "the predicted label of each, one per line, in the labels of the training data. "
        "The file holds the features the model was trained on, in the same order, and may "
        "hold a label column too (the last, or --target), which is not read.",
    )
    p.add_argument("model", metavar="MODEL", help="a model file written by descend train --save")
    p.add_argument(
        "--data",
        required=True,
        metavar="FILE",
        help="a .csv file (header row optional) or an .npz file with an array X",
    )
    p.add_argument(
        "--target",
        default=None,
        metavar="COLUMN",
        help="a label column of the CSV file to leave out (default: the last column, when "
        "there is one more column than features)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print JSON instead: the classes, and each example's label and class "
        "probabilities (in the order of the classes)",
    )
    p.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        help="write the labels (or the JSON) to FILE instead of stdout",
    )
    p.set_defaults(run=predict)


def _label(value) -> str | int | float | bool:
    """A label as JSON and text show it: ``np.int64(3)`` -> 3, ``np.str_('cat')`` -> 'cat'."""
    return value.item() if hasattr(value, "item") else value


def _report(args, classes: list, labels: list, probabilities) -> str:
    """The JSON report, one example per line: ``{"label": ..., "probabilities": [...]}``."""
    rows = [
        json.dumps({"label": label, "probabilities": [round(float(p), 6) for p in row]})
        for label, row in zip(labels, probabilities, strict=True)
    ]
    head = {"model": str(args.model), "data": str(args.data), "classes": classes}
    lines = [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()]
    return "\n".join(["{", *lines, '  "predictions": [', ",\n".join(f"    {r}" for r in rows),
                      "  ]", "}"])  # fmt: skip


def predict(args: argparse.Namespace) -> int:
    """Print (or write) the predicted labels of the examples of ``--data``."""
    from ..checkpoint import atomic_write
    from ..datasets import load_features
    from ..model import load_model

    model = load_model(args.model)
    X = load_features(args.data, model.n_features, target=args.target)
    probabilities = model.predict_proba(X)
    labels = [_label(c) for c in model.classes[probabilities.argmax(axis=1)]]
    if args.json:
        text = _report(args, [_label(c) for c in model.classes], labels, probabilities)
    else:
        text = "\n".join(str(label) for label in labels)
    if args.out is None:
        print(text)
        return 0
    path = atomic_write(Path(args.out), lambda f: f.write((text + "\n").encode()))
    if not args.quiet:
        print(f"descend: {len(labels)} predictions written to {path}", file=sys.stderr)
    return 0
