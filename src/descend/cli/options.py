"""Options that several commands share, declared once.

Each ``add_*`` function adds its options to ``p``, a parser or one of its
argument groups; where the commands differ (a default, what a value means)
the difference is a parameter. The ``type=`` functions turn one command-line
word into a value or raise ``argparse.ArgumentTypeError``, which argparse
reports as a usage error (exit status 2) naming the option.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence

from ..optim.checks import check_int, check_positive

__all__ = [
    "OPTIMIZER_ALIASES",
    "add_data_options",
    "add_learning_rate_option",
    "add_network_options",
    "add_optimizer_option",
    "add_optimizers_option",
    "add_output_options",
    "add_seed_option",
    "check_rates_named",
    "hidden",
    "names",
    "nonnegative_int",
    "optimizer_name",
    "optimizer_names",
    "optimizer_rates",
    "positive_float",
    "positive_int",
    "rate_of",
    "rates",
    "seeds",
]

#: Hidden layer sizes of every command's network, unless --hidden says otherwise.
HIDDEN = (64,)
BATCH_SIZE = 64

#: Other names of optimizers: scikit-learn's solver "sgd" (descend.MLPClassifier's too)
#: is plain gradient descent, "gd" (the estimator's SOLVER_ALIASES, kept equal by a test).
OPTIMIZER_ALIASES = {"sgd": "gd"}

# parsers and their argument groups share this base class, and with it add_argument
Options = argparse._ActionsContainer


# -- argparse types -------------------------------------------------------------------
def positive_int(text: str) -> int:
    """``"3"`` -> 3; zero, negatives and non-integers are refused."""
    try:
        return check_int("value", int(text), minimum=1)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None


def nonnegative_int(text: str) -> int:
    """``"0"`` -> 0; negatives and non-integers are refused (seeds)."""
    try:
        return check_int("value", int(text), minimum=0)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None


def positive_float(text: str) -> float:
    """``"0.01"`` -> 0.01; zero, negatives, ``nan`` and ``inf`` are refused."""
    try:
        return check_positive("value", float(text))
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None


def nonnegative_float(text: str) -> float:
    """``"0.01"`` -> 0.01; zero is allowed; negatives, ``nan`` and ``inf`` are refused."""
    try:
        return check_positive("value", float(text), allow_zero=True)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None


def fraction(text: str) -> float:
    """``"0.1"`` -> 0.1, strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, got {text!r}")
    return value


def add_backend_option(p: Options) -> None:
    """``--backend``: where the training epochs run (descend.training.BACKENDS)."""
    p.add_argument(
        "--backend",
        choices=["auto", "numpy", "numba"],
        default="auto",
        help="where the epochs run: the compiled numba backend when installed and able "
        "(auto), or one of them by force (default: %(default)s)",
    )


def names(text: str) -> list[str]:
    """``"gd, adam"`` -> ``["gd", "adam"]``; at least one name."""
    found = [n.strip() for n in text.split(",") if n.strip()]
    if not found:
        raise argparse.ArgumentTypeError("expected a comma-separated list of names")
    return found


def hidden(text: str) -> list[int]:
    """``"64,32"`` -> ``[64, 32]``: hidden layer sizes, each positive, none left out."""
    fields = [t.strip() for t in text.split(",")]
    try:
        sizes = [int(t) for t in fields]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 64,32, got {text!r}") from None
    try:
        return [check_int("layer size", n, minimum=1) for n in sizes]
    except ValueError:
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}") from None


def optimizer_name(text: str) -> str:
    """``"Adam"`` -> ``"adam"``, ``"SGD"`` -> ``"gd"``: names ignore case, aliases resolve.

    Whether the registry knows the name is checked when the command runs
    (:func:`descend.cli.common.check_optimizers`), which lists the valid ones.
    """
    name = text.strip().lower()
    return OPTIMIZER_ALIASES.get(name, name)


def optimizer_names(text: str) -> list[str]:
    """``"GD, adam"`` -> ``["gd", "adam"]``: :func:`names`, each an :func:`optimizer_name`."""
    return [optimizer_name(n) for n in names(text)]


def optimizer_rates(text: str) -> dict[str | None, float]:
    """One learning rate for all, or one per optimizer: ``"gd=0.1,adam=0.001"``.

    Returns a dict keyed by optimizer name, and by ``None`` for a bare rate, which
    applies to every optimizer not named: ``"0.01"`` -> ``{None: 0.01}``,
    ``"0.05,adam=0.001"`` -> ``{None: 0.05, "adam": 0.001}``.
    """
    found: dict[str | None, float] = {}
    for item in names(text):
        name, equals, value = item.rpartition("=")
        key = optimizer_name(name) if equals else None
        if equals and not key:
            raise argparse.ArgumentTypeError(f"expected NAME=RATE, got {item!r}")
        if key in found:
            what = f"optimizer {key!r}" if key else "the rate of every optimizer"
            raise argparse.ArgumentTypeError(f"{what} is given twice in {text!r}")
        found[key] = positive_float(value)
    return found


def rates(text: str) -> list[float]:
    """``"0.001,0.01"`` -> ``[0.001, 0.01]``, each positive."""
    return [positive_float(t) for t in names(text)]


def seeds(text: str) -> list[int]:
    """``"0,1"`` -> ``[0, 1]``, each ``>= 0``."""
    try:
        return [check_int("seed", int(t), minimum=0) for t in names(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected integer seeds >= 0 like 0,1, got {text!r}"
        ) from None


# -- option groups --------------------------------------------------------------------
def add_data_options(
    p: Options, *, default_dataset: str, dataset_help: str | None = None, target: bool = True
) -> None:
    """--dataset, --target (a CSV file's label column) and --data-dir.

    ``dataset_help`` replaces the list of data sets that descend train accepts;
    ``target=False`` leaves out --target (for commands that do not pass it on).
    """
    if dataset_help is None:
        from ..datasets import NAMES

        dataset_help = f"{', '.join(NAMES)}, or the path of a .csv or .npz file"
    p.add_argument(
        "--dataset", default=default_dataset, help=f"{dataset_help} (default: %(default)s)"
    )
    if target:
        p.add_argument(
            "--target",
            default=None,
            metavar="COLUMN",
            help="label column of a CSV file (default: the last)",
        )
    p.add_argument(
        "--data-dir",
        default=None,
        metavar="DIR",
        help="folder of the Fashion-MNIST IDX files (default: where the Debian "
        "package dataset-fashion-mnist puts them)",
    )


def add_network_options(
    p: Options,
    *,
    epochs: int | None,
    epochs_help: str,
    epochs_default_text: str = "%(default)s",
    hidden_help: str = "hidden layer sizes, comma-separated",
) -> None:
    """--hidden, --epochs and --batch-size.

    ``epochs`` is the command's default; when it is None the command chooses,
    and ``epochs_default_text`` says how, for the help.
    """
    p.add_argument(
        "--hidden",
        type=hidden,
        default=list(HIDDEN),
        metavar="SIZES",
        help=f"{hidden_help} (default: {','.join(map(str, HIDDEN))})",
    )
    p.add_argument(
        "--epochs",
        type=positive_int,
        default=epochs,
        metavar="N",
        help=f"{epochs_help} (default: {epochs_default_text})",
    )
    p.add_argument(
        "--batch-size",
        type=positive_int,
        default=BATCH_SIZE,
        metavar="N",
        help="mini-batch size (default: %(default)s)",
    )


def add_optimizer_option(p: Options, *, default: str) -> None:
    """--optimizer: one name of the registry, in any case ("sgd" is "gd")."""
    from ..registry import NAMES

    p.add_argument(
        "--optimizer",
        type=optimizer_name,
        default=default,
        metavar="NAME",
        help=f"one of {', '.join(NAMES)}, in any case; sgd is gd (default: %(default)s)",
    )


def add_optimizers_option(p: Options, *, default: Sequence[str]) -> None:
    """--optimizers: names of the registry, comma-separated."""
    from ..registry import NAMES

    p.add_argument(
        "--optimizers",
        type=optimizer_names,
        default=list(default),
        metavar="NAMES",
        help=f"comma-separated names among {', '.join(NAMES)}, in any case "
        f"(default: {','.join(default)})",
    )


def add_learning_rate_option(
    p: Options, *, help_text: str, default_text: str, per_optimizer: bool = False
) -> None:
    """--learning-rate, None when not given: ``default_text`` says what the command does then.

    With ``per_optimizer`` (commands that train several optimizers) it takes one rate
    for all or one per optimizer (:func:`optimizer_rates`).
    """
    p.add_argument(
        "--learning-rate",
        type=optimizer_rates if per_optimizer else positive_float,
        default=None,
        metavar="RATES" if per_optimizer else "RATE",
        help=f"{help_text} (default: {default_text})",
    )


def rate_of(
    name: str, given: dict[str | None, float] | None, default: float | None
) -> float | None:
    """The learning rate of optimizer ``name``: named in ``given``, else its bare rate, else
    ``default``."""
    given = given or {}
    return given.get(name, given.get(None, default))


def check_rates_named(given: dict[str | None, float] | None, optimizers: Sequence[str]) -> None:
    """``ValueError`` when --learning-rate names an optimizer that is not being trained."""
    stray = [k for k in (given or {}) if k is not None and k not in optimizers]
    if stray:
        raise ValueError(
            f"--learning-rate names {stray[0]!r}, which is not among the optimizers "
            f"({', '.join(optimizers)})"
        )


def add_seed_option(p: Options, *, help_text: str) -> None:
    """--seed, an integer >= 0 (NumPy's generators take no negative seed)."""
    p.add_argument(
        "--seed", type=nonnegative_int, default=0, help=f"{help_text} (default: %(default)s)"
    )


def add_output_options(p: Options, command: Callable[[argparse.Namespace], int]) -> None:
    """--out and --json, which every command has, and ``command``, the function that runs it."""
    p.add_argument(
        "--out",
        default="descend-out",
        metavar="DIR",
        help="folder for the PNG figures (default: %(default)s)",
    )
    p.add_argument(
        "--json", action="store_true", help="print the results as JSON on stdout instead of a table"
    )
    p.set_defaults(run=command)
