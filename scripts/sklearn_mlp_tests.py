"""Run scikit-learn's own MLP tests against ``descend.MLPClassifier``.

scikit-learn ships its tests with the package
(``sklearn/neural_network/tests/test_mlp.py``). This script copies that file
into a temporary folder, replaces its import of scikit-learn's
``MLPClassifier`` by descend's, runs it with pytest and sorts the outcome::

    python scripts/sklearn_mlp_tests.py            # from the repository root
    python scripts/sklearn_mlp_tests.py -k early   # extra arguments go to pytest

Tests of ``MLPRegressor`` alone are left out: descend has no regressor, and
they would only test scikit-learn's. Each failing test is listed with the
reason it cannot apply when it is one of :data:`NOT_APPLICABLE`; any other
failure is a real incompatibility and makes the exit status 1. The script is
not part of the test suite (its result depends on the scikit-learn installed);
docs/sklearn-compatibility.md records its last run.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tempfile
from pathlib import Path

#: test (``name`` or ``name[parameters``) -> why it cannot pass with descend's classifier
NOT_APPLICABLE = {
    "test_lbfgs_classification": "uses solver='lbfgs': descend trains by gradient descent only",
    "test_lbfgs_classification_maxfun": "uses solver='lbfgs' and its max_fun",
    "test_sparse_matrices": "uses solver='lbfgs'",
    "test_warm_start": "uses solver='lbfgs'",
    "test_mlp_warm_start_no_convergence[lbfgs": "uses solver='lbfgs'",
    "test_partial_fit_errors": "asserts that an lbfgs classifier has no partial_fit method",
    "test_gradient": "calls scikit-learn's private _forward_pass and _backprop, and lbfgs",
    "test_fit": "assigns scikit-learn's private attributes (_coef_grads, ...) and coefs_, "
    "which descend derives from params_",
    "test_multilabel_classification": "multi-label targets are not supported",
    "test_predict_proba_multilabel": "multi-label targets are not supported (and lbfgs)",
    "test_learning_rate_warmstart": "no learning_rate schedules ('invscaling', 'adaptive'); "
    "descend's schedules are optimizer objects",
    "test_adaptive_learning_rate": "no learning_rate='adaptive'",
}

IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor"
REPLACEMENT = "from descend import MLPClassifier\nfrom sklearn.neural_network import MLPRegressor"


def regressor_only(source: str) -> list[str]:
    """Names of the test functions that never mention ``MLPClassifier``."""
    names = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            if "MLPClassifier" not in ast.unparse(node):
                names.append(node.name)
    return names


def reason(test: str) -> str | None:
    """Why ``test`` (``name`` or ``name[params]``) cannot apply, or None."""
    for key, why in NOT_APPLICABLE.items():
        if test == key or test.startswith(key + "[") or ("[" in key and test.startswith(key)):
            return why
    return None


def main(argv: list[str]) -> int:
    import sklearn

    source = Path(sklearn.__file__).parent / "neural_network" / "tests" / "test_mlp.py"
    text = source.read_text()
    if IMPORT not in text:
        print(f"{source}: the import line changed; update IMPORT in this script", file=sys.stderr)
        return 2
    skipped = regressor_only(text)
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "test_mlp_descend.py"
        copy.write_text(text.replace(IMPORT, REPLACEMENT))
        deselect = [f"--deselect={copy.name}::{name}" for name in skipped]
        done = subprocess.run(
            [sys.executable, "-m", "pytest", copy.name, "-q", "-rfE", "-p", "no:cacheprovider",
             "-W", "ignore::DeprecationWarning", "--rootdir", folder, "-k", "not MLPRegressor",
             *deselect, *argv],
            capture_output=True, text=True, cwd=folder,
        )  # fmt: skip
    failed = sorted(set(re.findall(r"^(?:FAILED|ERROR) \S+::(\S+)", done.stdout, re.MULTILINE)))
    counts = re.findall(r"(\d+) (passed|failed|skipped|errors?|deselected)", done.stdout)
    print(f"scikit-learn {sklearn.__version__}: {source}")
    print("result: " + ", ".join(f"{n} {what}" for n, what in counts))
    print(f"left out, MLPRegressor only ({len(skipped)}): {', '.join(skipped)}")
    unexpected = [name for name in failed if reason(name) is None]
    for name in failed:
        if reason(name) is not None:
            print(f"  cannot apply  {name}: {reason(name)}")
    for name in unexpected:
        print(f"  FAILS         {name}")
    if unexpected:
        print(done.stdout[-8000:])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
