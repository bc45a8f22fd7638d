"""descend.estimator.MLPClassifier against scikit-learn: its checks, its MLP, its tools.

scikit-learn's own ``MLPClassifier`` is the reference: it draws the same
initial weights for the same ``random_state``, so one full-batch step of plain
gradient descent must land on the same weights, and the loss it reports must
be the same number.
"""

from __future__ import annotations

import io
import pickle
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest
import sklearn.neural_network
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from descend import datasets, registry
from descend.estimator import MLPClassifier, available_solvers


@pytest.fixture(scope="module")
def iris():
    X, y = datasets.iris()
    return (X - X.mean(axis=0)) / X.std(axis=0), y


@pytest.fixture(scope="module")
def digits():
    X_train, X_test, y_train, y_test = datasets.load_train_test("digits", seed=0)
    X_train, X_test = datasets.standardize(X_train, X_test)
    return X_train, X_test, y_train, y_test


def quiet_fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


# -- scikit-learn's estimator checks ---------------------------------------------


@parametrize_with_checks(
    [MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)]
)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


# -- the same numbers as scikit-learn ----------------------------------------------


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_one_full_batch_gd_step_equals_scikit_learn(iris, binary, activation):
    # Same Glorot draws, loss = cross-entropy + alpha/(2n)·Σ‖W‖², dW += alpha·W/n:
    # scikit-learn's plain SGD (no momentum) takes exactly the same step.
    X, y = iris
    y = (y == 0).astype(int) if binary else y
    settings = dict(
        hidden_layer_sizes=(5, 4), activation=activation, alpha=1.0, batch_size=150,
        shuffle=False, max_iter=1, learning_rate_init=0.1, random_state=0,
    )  # fmt: skip
    ours = quiet_fit(MLPClassifier(solver="gd", **settings), X, y)
    reference = quiet_fit(
        sklearn.neural_network.MLPClassifier(
            solver="sgd", momentum=0.0, nesterovs_momentum=False, **settings
        ),
        X,
        y,
    )
    assert ours.loss_curve_[0] == pytest.approx(reference.loss_curve_[0], rel=1e-12)
    ours_arrays = ours.coefs_ + ours.intercepts_
    for mine, theirs in zip(ours_arrays, reference.coefs_ + reference.intercepts_, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-13)
    assert ours.out_activation_ == reference.out_activation_
    assert ours.n_outputs_ == reference.n_outputs_


def test_digits_accuracy_matches_scikit_learn_within_one_point(digits):
    X_train, X_test, y_train, y_test = digits
    settings = dict(hidden_layer_sizes=(64,), max_iter=50, random_state=0)
    ours = quiet_fit(MLPClassifier(**settings), X_train, y_train)
    reference = quiet_fit(sklearn.neural_network.MLPClassifier(**settings), X_train, y_train)
    ours_score, reference_score = ours.score(X_test, y_test), reference.score(X_test, y_test)
    assert ours_score > 0.95
    assert abs(ours_score - reference_score) <= 0.01
    assert ours.n_iter_ == reference.n_iter_ == 50


def test_stopping_rule_matches_scikit_learn(iris):
    # tol far above any improvement: the first epoch resets the count, the next
    # n_iter_no_change + 1 epochs exceed it, as in scikit-learn.
    X, y = iris
    settings = dict(hidden_layer_sizes=(8,), tol=10.0, n_iter_no_change=3, random_state=0)
    ours = MLPClassifier(**settings).fit(X, y)
    reference = sklearn.neural_network.MLPClassifier(**settings).fit(X, y)
    assert ours.n_iter_ == reference.n_iter_ == 5
    assert len(ours.loss_curve_) == 5


# -- solvers -------------------------------------------------------------------------

LEARNING_RATES = {"gd": 0.3, "sgd": 0.3, "momentum": 0.3, "nesterov": 0.3, "adagrad": 0.1}
LEARNING_RATES.update(
    {"sf_sgd": 1.0, "sf_adamw": 0.03, "muon": 0.03, "lamb": 0.03, "lars": 3.0, "adafactor": 0.03}
)  # (#13)
# the element-wise rules of #13 (nadam, nadamw and lion learn at 0.01 in 100 epochs; RAdam
# takes momentum steps for its first 5 updates, Adadelta's first steps are ~sqrt(eps))
LEARNING_RATES.update({"radam": 0.1, "adamax": 0.03, "adadelta": 3.0})
LEARNING_RATES["prodigy"] = 1.0  # learning-rate-free: the rate multiplies its estimate d


@pytest.mark.parametrize("solver", available_solvers())
def test_every_solver_learns_iris(iris, solver):
    X, y = iris
    clf = MLPClassifier(
        (16,),
        solver=solver,
        learning_rate_init=LEARNING_RATES.get(solver, 0.01),
        max_iter=100,
        random_state=0,
    )
    quiet_fit(clf, X, y)
    assert clf.score(X, y) > 0.93
    assert clf.loss_curve_[-1] < clf.loss_curve_[0] / 3


def test_solvers_include_the_foundation_optimizers():
    assert {"gd", "sgd", "momentum", "adam"} <= set(available_solvers())
    assert set(available_solvers()) == {*registry.NAMES, "sgd"}


@pytest.mark.parametrize(
    ("params", "kind", "attributes"),
    [
        ({"solver": "adam", "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6},
         "adam", {"beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6}),
        ({"solver": "momentum", "momentum": 0.5}, "momentum", {"beta": 0.5}),
        ({"solver": "sgd", "learning_rate_init": 0.2}, "gd", {"learning_rate": 0.2}),
    ],
)  # fmt: skip
def test_hyperparameters_reach_the_optimizer(params, kind, attributes):
    optimizer = MLPClassifier(**params)._make_optimizer()
    assert optimizer.kind == kind
    for name, value in attributes.items():
        assert getattr(optimizer, name) == value


# -- warm start, partial_fit, stopping -------------------------------------------------


def test_warm_start_keeps_the_optimizer_state(iris):
    # Two warm fits of 4 epochs continue exactly like one fit of 8 (no shuffling,
    # no early stop): weights *and* Adam's moments and update count carry over.
    X, y = iris
    settings = dict(hidden_layer_sizes=(6,), shuffle=False, batch_size=32, n_iter_no_change=100)
    once = quiet_fit(MLPClassifier(max_iter=8, random_state=1, **settings), X, y)
    twice = MLPClassifier(max_iter=4, random_state=1, warm_start=True, **settings)
    quiet_fit(twice, X, y)
    assert twice._opt_state["t"] == 4 * 5
    quiet_fit(twice, X, y)
    assert twice._opt_state["t"] == once._opt_state["t"] == 8 * 5
    for key in once.params_:
        np.testing.assert_allclose(twice.params_[key], once.params_[key], rtol=1e-12)
    np.testing.assert_allclose(twice.loss_curve_, once.loss_curve_, rtol=1e-12)
    assert twice.n_iter_ == 4 and twice.t_ == once.t_ == 8 * 150


def test_without_warm_start_fit_starts_over(iris):
    X, y = iris
    clf = MLPClassifier((6,), max_iter=3, random_state=1)
    first = quiet_fit(clf, X, y).params_
    second = quiet_fit(clf, X, y).params_
    assert clf._opt_state["t"] == 3 and clf.t_ == 3 * 150
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])


def test_warm_start_with_other_classes_is_refused(iris):
    X, y = iris
    clf = quiet_fit(MLPClassifier((4,), max_iter=2, warm_start=True), X, y)
    with pytest.raises(ValueError, match="same classes"):
        clf.fit(X[y > 0], y[y > 0])


def test_warm_start_may_switch_early_stopping_and_solver(iris):
    X, y = iris
    clf = quiet_fit(MLPClassifier((6,), max_iter=3, warm_start=True, random_state=0), X, y)
    clf.set_params(early_stopping=True, solver="momentum", learning_rate_init=0.1)
    quiet_fit(clf, X, y)
    assert len(clf.validation_scores_) == clf.n_iter_ and len(clf.loss_curve_) == 3 + clf.n_iter_
    assert set(clf._opt_state) == {"t", "skipped", "v"} and clf._opt_state["t"] > 0
    clf.set_params(early_stopping=False)
    quiet_fit(clf, X, y)
    assert clf.best_loss_ == min(clf.loss_curve_[-clf.n_iter_ :])


def test_partial_fit_equals_fit_epoch_by_epoch(iris):
    X, y = iris
    settings = dict(hidden_layer_sizes=(6,), shuffle=False, random_state=2, n_iter_no_change=100)
    whole = quiet_fit(MLPClassifier(max_iter=3, **settings), X, y)
    parts = MLPClassifier(**settings)
    for _ in range(3):
        parts.partial_fit(X, y, classes=[0, 1, 2])
    assert parts.n_iter_ == 1 and parts.t_ == 3 * 150
    np.testing.assert_allclose(parts.loss_curve_, whole.loss_curve_, rtol=1e-12)
    for key in whole.params_:
        np.testing.assert_allclose(parts.params_[key], whole.params_[key], rtol=1e-12)


def test_partial_fit_accepts_batches_missing_some_classes(iris):
    X, y = iris
    clf = MLPClassifier((6,), random_state=0)
    clf.partial_fit(X[y == 0], y[y == 0], classes=np.array([2, 0, 1]))
    clf.partial_fit(X[y > 0], y[y > 0])
    assert clf.classes_.tolist() == [0, 1, 2]
    assert clf.predict_proba(X).shape == (150, 3)


@pytest.mark.parametrize(
    ("calls", "match"),
    [
        ([{}], "classes must be passed on the first call"),
        ([{"classes": [0, 1]}, {"classes": [0, 1, 2]}], "is not the same as on the last call"),
        ([{"classes": [0, 1], "new_label": 2}], r"y has classes \[2\] not in classes_ \[0, 1\]"),
        ([{"classes": [0, 1], "early_stopping": True}], "does not support early_stopping"),
        ([{"classes": [3]}], "needs samples of at least 2 classes .* only one class: 3"),
    ],
)
def test_partial_fit_errors(calls, match):
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    y = np.array([0, 1, 1, 0])
    clf = MLPClassifier((3,))
    with pytest.raises(ValueError, match=match):
        for call in calls:
            call = dict(call)
            if "early_stopping" in call:
                clf.set_params(early_stopping=call.pop("early_stopping"))
            labels = y.copy()
            if "new_label" in call:
                labels[0] = call.pop("new_label")
            clf.partial_fit(X, labels, **call)
    assert not hasattr(clf, "params_") or len(calls) > 1


def test_convergence_warning_when_max_iter_is_used_up(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        MLPClassifier((4,), max_iter=3, random_state=0).fit(X, y)


def test_early_stopping_keeps_the_best_validation_weights(iris):
    X, y = iris
    clf = MLPClassifier(
        (8,), early_stopping=True, validation_fraction=0.2, learning_rate_init=0.05,
        n_iter_no_change=5, max_iter=200, random_state=0,
    )  # fmt: skip
    quiet_fit(clf, X, y)
    assert len(clf.validation_scores_) == clf.n_iter_ == len(clf.loss_curve_)
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None
    assert clf.n_iter_ < 200
    # The restored weights are those of the best epoch, not the last.
    best = int(np.argmax(clf.validation_scores_))
    assert clf.n_iter_ - 1 - best > 5 - 1
    assert clf.score(X, y) > 0.85


@pytest.mark.parametrize(
    ("X", "y", "fraction"),
    [
        (np.arange(20.0).reshape(10, 2), np.array([0, 1] * 5), 0.1),  # 1 held out, 2 classes
        (np.arange(8.0).reshape(4, 2), np.array([0, 0, 0, 1]), 0.5),  # a class of 1
        (np.arange(8.0).reshape(4, 2), np.array(["a", "b", "b", "b"]), 0.5),
        (np.arange(12.0).reshape(6, 2), np.array([0, 0, 1, 1, 2, 2]), 0.1),  # 3 classes
    ],
)
def test_early_stopping_split_too_small_gives_scikit_learns_message(X, y, fraction):
    """The message starts with scikit-learn's own for the same data, and adds the counts."""
    from sklearn.neural_network import MLPClassifier as SklearnMLP

    with pytest.raises(ValueError) as theirs:
        SklearnMLP(early_stopping=True, validation_fraction=fraction).fit(X, y)
    with pytest.raises(ValueError) as ours:
        MLPClassifier(early_stopping=True, validation_fraction=fraction).fit(X, y)
    assert str(ours.value).startswith(str(theirs.value)), (str(ours.value), str(theirs.value))
    assert f"validation_fraction={fraction}" in str(ours.value)


def test_early_stopping_split_is_scikit_learns(iris):
    """Two classes are stratified on sklearn's binarised labels: the very same rows."""
    from sklearn.model_selection import train_test_split

    X, y = iris[0][50:], iris[1][50:]
    clf = MLPClassifier(early_stopping=True, validation_fraction=0.2, random_state=3)
    clf.classes_, clf._random_state = np.unique(y), np.random.RandomState(3)
    _, X_val, _, _ = clf._early_stopping_split(X, np.zeros((1, 100)), y)
    binarised = np.array([str(v) for v in (y == y.max())])
    _, expected = train_test_split(X, random_state=3, test_size=0.2, stratify=binarised)
    np.testing.assert_array_equal(X_val, expected)


def test_single_class_error_is_scikit_learns_wording():
    with pytest.raises(ValueError, match=r"^This solver needs samples of at least 2 classes in "
                       r"the data, but the data contains only one class: 'cat'$"):  # fmt: skip
        MLPClassifier().fit(np.ones((3, 2)), np.array(["cat"] * 3))


@pytest.mark.parametrize("verbose", [1, 2, 10, True])
def test_verbose_takes_scikit_learns_integer_levels(iris, capsys, verbose):
    X, y = iris
    quiet_fit(MLPClassifier((4,), max_iter=2, verbose=verbose, random_state=0), X, y)
    assert capsys.readouterr().out.count("Iteration") == 2


@pytest.mark.parametrize(
    ("verbose", "error"), [(-1, ValueError), (0.5, TypeError), ("yes", TypeError)]
)
def test_verbose_refuses_other_values(iris, verbose, error):
    with pytest.raises(error, match="verbose"):
        MLPClassifier(verbose=verbose).fit(*iris)


def test_n_iter_no_change_inf_runs_every_epoch(iris):
    X, y = iris
    clf = MLPClassifier((4,), max_iter=25, tol=10.0, n_iter_no_change=np.inf, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert clf.n_iter_ == 25


# -- prediction and attributes --------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "n_outputs", "out_activation"),
    [
        (np.array(["no", "yes"]), 1, "logistic"),
        (np.array([-1, 5, 9]), 3, "softmax"),
    ],
)
def test_labels_probabilities_and_shapes(iris, labels, n_outputs, out_activation):
    X, y = iris
    y = labels[np.minimum(y, labels.size - 1)]
    clf = quiet_fit(MLPClassifier((7, 5), max_iter=30, random_state=0), X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), labels[proba.argmax(axis=1)])
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))
    assert clf.classes_.tolist() == sorted(labels.tolist())
    assert (clf.n_outputs_, clf.out_activation_, clf.n_layers_) == (n_outputs, out_activation, 4)
    assert [w.shape for w in clf.coefs_] == [(4, 7), (7, 5), (5, n_outputs)]
    assert [b.shape for b in clf.intercepts_] == [(7,), (5,), (n_outputs,)]
    assert clf.params_["W1"].shape == (7, 4) and clf.params_["b3"].shape == (n_outputs, 1)
    assert clf.n_features_in_ == 4 and clf.n_iter_ == 30


def test_float32_stays_float32(iris):
    X, y = iris
    clf = MLPClassifier((8,), learning_rate_init=0.05, max_iter=20, random_state=0)
    quiet_fit(clf, X.astype(np.float32), y)
    assert all(w.dtype == np.float32 for w in clf.params_.values())
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32
    assert clf.score(X, y) > 0.9


def test_no_hidden_layer_is_logistic_regression(iris):
    X, y = iris
    clf = quiet_fit(MLPClassifier((), learning_rate_init=0.05, max_iter=100, random_state=0), X, y)
    assert list(clf.params_) == ["W1", "b1"]
    assert clf.score(X, y) > 0.9


def test_verbose_prints_each_epoch(iris):
    X, y = iris
    out = io.StringIO()
    with redirect_stdout(out):
        quiet_fit(MLPClassifier((4,), max_iter=2, verbose=True, random_state=0), X, y)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith("Iteration 1, loss = ")


def test_batch_size_larger_than_the_data_is_clipped(iris):
    X, y = iris
    with pytest.warns(UserWarning, match="batch_size 500 is larger than the 150"):
        quiet_fit(MLPClassifier((4,), batch_size=500, max_iter=2, random_state=0), X, y)


def test_pickle_round_trip_keeps_predictions_and_state(iris):
    X, y = iris
    clf = quiet_fit(MLPClassifier((5,), max_iter=3, random_state=0), X, y)
    copy = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(copy.predict_proba(X), clf.predict_proba(X))
    assert copy._opt_state["t"] == clf._opt_state["t"]


BAD_PARAMS = [
    ({"solver": "lbfgs"}, ValueError, "Invalid solver: 'lbfgs' \\(expected one of gd, sgd, "),
    ({"activation": "softplus"}, ValueError, "Invalid activation: 'softplus'"),
    ({"hidden_layer_sizes": (4, 0)}, ValueError, "hidden_layer_sizes must hold ints >= 1"),
    ({"hidden_layer_sizes": "10"}, TypeError, "hidden_layer_sizes must be an int or a tuple"),
    ({"alpha": -1.0}, ValueError, "Invalid alpha: -1.0"),
    ({"batch_size": 0}, ValueError, "Invalid batch_size: 0 \\(expected an int >= 1\\)"),
    ({"batch_size": "all"}, TypeError, "batch_size must be an int"),
    ({"learning_rate_init": 0.0}, ValueError, "Invalid learning_rate_init: 0.0"),
    ({"max_iter": 0}, ValueError, "Invalid max_iter: 0"),
    ({"n_iter_no_change": 0}, ValueError, "Invalid n_iter_no_change: 0"),
    ({"tol": -1e-3}, ValueError, "Invalid tol"),
    ({"shuffle": "yes"}, TypeError, "shuffle must be True or False"),
    ({"validation_fraction": 1.0}, ValueError, "Invalid validation_fraction: 1.0"),
    ({"momentum": 1.0}, ValueError, "Invalid momentum: 1.0 \\(expected 0 <= momentum < 1\\)"),
    ({"beta_1": 1.0}, ValueError, "Invalid beta_1: 1.0"),
    ({"beta_2": -0.1}, ValueError, "Invalid beta_2: -0.1"),
    ({"epsilon": 0.0}, ValueError, "Invalid epsilon: 0.0"),
]


@pytest.mark.parametrize(("params", "error", "match"), BAD_PARAMS)
def test_invalid_hyperparameters_are_refused_at_fit(params, error, match):
    clf = MLPClassifier(**params)  # construction never validates (scikit-learn's rule)
    with pytest.raises(error, match=match):
        clf.fit(np.array([[0.0], [1.0]]), np.array([0, 1]))


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (np.array([0.5, 1.5, 2.5, 0.1]), "Unknown label type"),
        (np.array([[0, 1], [1, 0], [1, 1], [0, 0]]), "y should be a 1d array"),
        (np.array([1, 1, 1, 1]), "needs samples of at least 2 classes .* only one class: 1"),
    ],
)
def test_invalid_targets(y, match):
    with pytest.raises(ValueError, match=match):
        MLPClassifier().fit(np.ones((4, 2)), y)


# -- inside scikit-learn's tools -----------------------------------------------------------


def test_pipeline_and_grid_search(digits):
    X_train, X_test, y_train, y_test = digits
    pipeline = make_pipeline(StandardScaler(), MLPClassifier((32,), max_iter=20, random_state=0))
    search = GridSearchCV(
        pipeline,
        {
            "mlpclassifier__solver": ["momentum", "adam"],
            "mlpclassifier__learning_rate_init": [0.01],
        },
        cv=2,
    )
    quiet_fit(search, X_train[:600], y_train[:600])
    assert search.best_params_["mlpclassifier__solver"] in {"momentum", "adam"}
    assert search.score(X_test, y_test) > 0.9
    assert len(search.cv_results_["mean_test_score"]) == 2
